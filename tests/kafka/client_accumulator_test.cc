// The producer's batching and sequence bookkeeping (pure; time passed in).
#include <gtest/gtest.h>

#include "core/kafka/client/accumulator.h"

namespace kz::kafka::client {
namespace {

Record rec(size_t value_bytes) {
  Record r;
  r.value = Bytes(value_bytes, 'x');
  return r;
}

const TopicPartition kP0{"t", 0};
const TopicPartition kP1{"t", 1};

TEST(ClientAccumulator, LingerHoldsBatchesUntilDue) {
  Accumulator acc({.batch_bytes_max = 1 << 20, .linger_ns = 100, .idempotent = false});
  EXPECT_FALSE(acc.append(kP0, rec(10), 1, 1000));
  EXPECT_FALSE(acc.append(kP0, rec(10), 2, 1050));
  EXPECT_EQ(acc.next_ready_ns(), 1100);
  EXPECT_TRUE(acc.drain(1099, false).empty());
  std::vector<PendingBatch> out = acc.drain(1100, false);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].records.size(), 2u);
  EXPECT_EQ(out[0].records[1].offset, 1);  // relative offsets within the batch
  EXPECT_EQ(out[0].record_ids, (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(out[0].base_sequence, kNoSequence);  // not idempotent
  EXPECT_TRUE(acc.empty());
  EXPECT_EQ(acc.next_ready_ns(), kNever);
}

TEST(ClientAccumulator, FullBatchesAreReadyAtOnceAndFlushTakesAll) {
  Accumulator acc({.batch_bytes_max = 200, .linger_ns = 1'000'000, .idempotent = false});
  EXPECT_FALSE(acc.append(kP0, rec(50), 1, 0));
  // The second record does not fit: the first batch closes, the record starts a new one.
  EXPECT_TRUE(acc.append(kP0, rec(60), 2, 0));
  acc.append(kP1, rec(5), 3, 0);
  std::vector<PendingBatch> ready = acc.drain(1, false);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].record_ids, (std::vector<uint64_t>{1}));
  EXPECT_EQ(acc.records_waiting(), 2u);
  std::vector<PendingBatch> rest = acc.drain(1, true);
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_TRUE(acc.empty());
}

TEST(ClientAccumulator, IdempotentSequencesCountRecordsPerPartition) {
  Accumulator acc({.batch_bytes_max = 1 << 20, .linger_ns = 0, .idempotent = true});
  for (uint64_t i = 0; i < 3; i++) acc.append(kP0, rec(1), i, 0);
  acc.append(kP1, rec(1), 9, 0);
  std::vector<PendingBatch> a = acc.drain(0, true);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].tp, kP0);
  EXPECT_EQ(a[0].base_sequence, 0);
  EXPECT_EQ(a[1].base_sequence, 0);
  EXPECT_EQ(acc.next_sequence(kP0), 3);
  EXPECT_EQ(acc.next_sequence(kP1), 1);
  acc.append(kP0, rec(1), 10, 0);
  acc.append(kP0, rec(1), 11, 0);
  std::vector<PendingBatch> b = acc.drain(0, true);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].base_sequence, 3);
  EXPECT_EQ(acc.next_sequence(kP0), 5);
  acc.reset_sequences();
  EXPECT_EQ(acc.next_sequence(kP0), 0);
}

TEST(ClientAccumulator, SequencesWrapAtInt32Max) {
  EXPECT_EQ(sequence_after(0, 5), 5);
  EXPECT_EQ(sequence_after(INT32_MAX - 1, 1), INT32_MAX);
  EXPECT_EQ(sequence_after(INT32_MAX, 1), 0);
  EXPECT_EQ(sequence_after(INT32_MAX - 2, 10), 7);
}

}  // namespace
}  // namespace kz::kafka::client
