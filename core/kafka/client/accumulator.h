// The producer's batching and sequence bookkeeping, as a pure state machine (no I/O, time passed
// in): records are appended to an open batch per partition; a batch is ready when it reaches
// batch_bytes_max or has waited linger_ns (or on flush). For an idempotent producer each batch
// gets its base sequence when first drained, and keeps it across retries, so the broker can drop
// a retried duplicate (KIP-98); sequences count records per partition and wrap at INT32_MAX.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <vector>

#include "core/base/time.h"
#include "core/kafka/client/assignors.h"
#include "core/kafka/records/record_batch.h"

namespace kz::kafka::client {

struct PendingBatch {
  TopicPartition tp;
  std::vector<Record> records;  // offsets 0..n-1 (relative)
  std::vector<uint64_t> record_ids;  // the caller's ids, one per record, for delivery reports
  size_t bytes_estimate = 0;
  int64_t created_ns = 0;
  int32_t base_sequence = kNoSequence;  // set when first drained (idempotent producers only)
  int32_t attempts = 0;
};

struct AccumulatorOptions {
  size_t batch_bytes_max = 16384;
  int64_t linger_ns = ms_to_ns(5);
  bool idempotent = false;
};

// A record's size in a batch, roughly (varint overheads counted at their maximum).
size_t record_bytes_estimate(const Record& record);

// The sequence after `count` records starting at `sequence` (wraps from INT32_MAX to 0, KIP-98).
int32_t sequence_after(int32_t sequence, int32_t count);

class Accumulator {
 public:
  explicit Accumulator(AccumulatorOptions options) : options_(options) {}

  // Returns true when the partition now has a batch ready to send (full).
  bool append(const TopicPartition& tp, Record record, uint64_t record_id, int64_t now_ns);
  // Removes and returns the batches ready at now_ns (all of them when `flush`), oldest first,
  // with sequences assigned.
  std::vector<PendingBatch> drain(int64_t now_ns, bool flush);
  // When the oldest open batch's linger expires; kNever when none is open.
  int64_t next_ready_ns() const;
  bool empty() const { return open_.empty(); }
  size_t records_waiting() const;

  // The next sequence for tp (what the next drained batch gets).
  int32_t next_sequence(const TopicPartition& tp) const;
  // After the broker lost the producer's state (UNKNOWN_PRODUCER_ID with a new producer id).
  void reset_sequences() { sequences_.clear(); }

 private:
  void close_batch(const TopicPartition& tp);

  AccumulatorOptions options_;
  std::map<TopicPartition, PendingBatch> open_;
  std::deque<PendingBatch> full_;
  std::map<TopicPartition, int32_t> sequences_;
};

}  // namespace kz::kafka::client
