// The segmented Kafka log: offsets, reads, indexes, rolls, flush policy, recovery of torn and corrupt
// files, truncation, leader epochs, retention and compaction, on the simulated disk.
#include <gtest/gtest.h>

#include "tests/kafka/log_testing.h"

namespace kz::kafka::log {
namespace {

using testing::DiskBench;
using testing::kDir;
using testing::keyed_batch;
using testing::open_log;
using testing::producer_batch;
using testing::read_all;
using testing::str;

std::string path(int64_t base, std::string_view suffix) {
  return io::join_path(kDir, segment_file_name(base, suffix));
}

LogConfig small_segments(uint64_t segment_bytes = 1000, uint32_t index_interval = 100) {
  LogConfig c;
  c.segment_bytes = segment_bytes;
  c.index_interval_bytes = index_interval;
  return c;
}

TEST(KafkaLog, FileNames) {
  EXPECT_EQ(segment_file_name(0, ".log"), "00000000000000000000.log");
  EXPECT_EQ(segment_file_name(1234, ".timeindex"), "00000000000000001234.timeindex");
  int64_t base = 0;
  EXPECT_TRUE(parse_segment_file_name("00000000000000001234.index", ".index", &base));
  EXPECT_EQ(base, 1234);
  EXPECT_FALSE(parse_segment_file_name("0000000000000001234.index", ".index", &base));
  EXPECT_FALSE(parse_segment_file_name("00000000000000001234.log", ".index", &base));
  EXPECT_FALSE(parse_segment_file_name("0000000000000000123x.log", ".log", &base));
  EXPECT_FALSE(parse_segment_file_name("99999999999999999999.log", ".log", &base));  // > int64
}

TEST(KafkaLog, LeaderAppendAssignsOffsetsByRewritingHeaders) {
  DiskBench b(1);
  auto log = open_log(b);
  EXPECT_EQ(log->log_end_offset(), 0);
  const Bytes compressed = producer_batch(5, "lz4", 1'700'000'000'000, Compression::kLz4);
  auto a1 = log->append_as_leader(producer_batch(3, "a"), 7);
  ASSERT_TRUE(a1.is_ok()) << a1.status().to_string();
  EXPECT_EQ(a1->first_offset, 0);
  EXPECT_EQ(a1->last_offset, 2);
  auto a2 = log->append_as_leader(compressed, 7);
  ASSERT_TRUE(a2.is_ok());
  EXPECT_EQ(a2->first_offset, 3);
  EXPECT_EQ(a2->last_offset, 7);
  EXPECT_EQ(log->log_end_offset(), 8);

  auto r = log->read(4);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r->first_batch_offset, 3);
  ASSERT_EQ(r->records.size(), compressed.size());
  // Stored as received: only baseOffset (bytes 0-7) and partitionLeaderEpoch (12-15) differ; the CRC
  // still holds, so nothing was recompressed.
  for (size_t i = 0; i < compressed.size(); i++) {
    if (i < 8 || (i >= 12 && i < 16)) continue;
    ASSERT_EQ(r->records[i], compressed[i]) << "byte " << i;
  }
  auto view = BatchView::parse(r->records);
  ASSERT_TRUE(view.is_ok()) << view.status().to_string();
  EXPECT_EQ(view->base_offset(), 3);
  EXPECT_EQ(view->partition_leader_epoch(), 7);

  auto all = read_all(*log);
  ASSERT_TRUE(all.is_ok()) << all.status().to_string();
  ASSERT_EQ(all->size(), 8u);
  for (int64_t i = 0; i < 8; i++) EXPECT_EQ((*all)[i].offset, i);
  EXPECT_EQ(str((*all)[4].value), "lz4-1");

  auto at_end = log->read(8);
  ASSERT_TRUE(at_end.is_ok());
  EXPECT_TRUE(at_end->records.empty());
  auto past = log->read(9);
  EXPECT_TRUE(past.status().is(Code::kNotFound)) << past.status().to_string();
  EXPECT_NE(past.status().message().find("out of range"), std::string::npos);
}

TEST(KafkaLog, ReadRespectsMaxBytesMaxOffsetAndMinOneBatch) {
  DiskBench b(2);
  auto log = open_log(b);
  const Bytes batch = producer_batch(2, std::string(100, 'x'));
  for (int i = 0; i < 10; i++) ASSERT_TRUE(log->append_as_leader(batch, 0).is_ok());
  ReadOptions o;
  o.max_bytes = batch.size() * 3 + 10;
  auto r = log->read(0, o);
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->records.size(), batch.size() * 3);
  o.max_bytes = 1;
  r = log->read(5, o);
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->records.size(), batch.size());  // one batch even though larger than max_bytes
  EXPECT_EQ(r->first_batch_offset, 4);
  o.min_one_batch = false;
  r = log->read(5, o);
  ASSERT_TRUE(r.is_ok());
  EXPECT_TRUE(r->records.empty());
  ReadOptions hw;
  hw.max_offset = 6;  // e.g. the high watermark
  r = log->read(0, hw);
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->records.size(), batch.size() * 3);
}

TEST(KafkaLog, RollsBySizeWritesKafkaNamedFilesAndIndexes) {
  DiskBench b(3);
  std::vector<Record> expect;
  {
    auto log = open_log(b, small_segments());
    for (int i = 0; i < 40; i++)
      ASSERT_TRUE(log->append_as_leader(producer_batch(3, "v" + std::to_string(i)), 0).is_ok());
    EXPECT_GE(log->segments().size(), 5u);
    auto all = read_all(*log, 1);
    ASSERT_TRUE(all.is_ok()) << all.status().to_string();
    expect = *all;
    ASSERT_EQ(expect.size(), 120u);
    ASSERT_TRUE(log->close().is_ok());
  }
  auto names = b.disk.list(kDir);
  ASSERT_TRUE(names.is_ok());
  EXPECT_EQ(names->front(), "00000000000000000000.index");
  EXPECT_NE(std::find(names->begin(), names->end(), "00000000000000000000.timeindex"), names->end());
  EXPECT_NE(std::find(names->begin(), names->end(), "recovery-point"), names->end());
  auto index = b.disk.read_file(path(0, ".index"));
  ASSERT_TRUE(index.is_ok());
  EXPECT_GT(index->size(), 0u);
  EXPECT_EQ(index->size() % kOffsetIndexEntryBytes, 0u);
  // A clean reopen trusts the indexes and reads the same records from every offset.
  b.sink.lines.clear();
  auto log = open_log(b, small_segments());
  EXPECT_FALSE(b.sink.contains("warn")) << b.sink.lines.front();
  EXPECT_EQ(log->log_end_offset(), 120);
  EXPECT_EQ(*read_all(*log, 1), expect);
  for (int64_t o = 0; o < 120; o += 7) {
    auto r = log->read(o, ReadOptions{.max_bytes = 1});
    ASSERT_TRUE(r.is_ok());
    auto v = BatchView::parse(r->records);
    ASSERT_TRUE(v.is_ok());
    EXPECT_LE(v->base_offset(), o);
    EXPECT_GE(v->last_offset(), o);
  }
}

TEST(KafkaLog, RollsByTime) {
  DiskBench b(4);
  LogConfig c;
  c.segment_ms = 1000;
  auto log = open_log(b, c);
  const int64_t now = b.clock.wall_ms();
  ASSERT_TRUE(log->append_as_leader(producer_batch(1, "a", now), 0).is_ok());
  ASSERT_TRUE(log->append_as_leader(producer_batch(1, "b", now), 0).is_ok());
  EXPECT_EQ(log->segments().size(), 1u);
  b.driver.now_ += 1001 * kNsPerMs;
  ASSERT_TRUE(log->append_as_leader(producer_batch(1, "c", now), 0).is_ok());
  ASSERT_EQ(log->segments().size(), 2u);
  EXPECT_EQ(log->segments()[1].base_offset, 2);
}

TEST(KafkaLog, FlushEveryMessageSurvivesPowerLoss) {
  DiskBench b(5);
  LogConfig c = small_segments(600);
  c.flush_interval_messages = 1;
  std::vector<Record> expect;
  {
    auto log = open_log(b, c);
    for (int i = 0; i < 25; i++) {
      auto a = log->append_as_leader(producer_batch(2, "p" + std::to_string(i)), 1);
      ASSERT_TRUE(a.is_ok());
      EXPECT_TRUE(a->flushed);
    }
    expect = *read_all(*log);
  }
  b.disk.crash(/*tear=*/true);
  auto log = open_log(b, c);
  EXPECT_EQ(log->log_end_offset(), 50);
  EXPECT_EQ(*read_all(*log), expect);
}

TEST(KafkaLog, FlushByIntervalMs) {
  DiskBench b(6);
  LogConfig c;
  c.flush_interval_ms = 100;
  auto log = open_log(b, c);
  auto a = log->append_as_leader(producer_batch(1, "a"), 0);
  EXPECT_FALSE(a->flushed);
  EXPECT_EQ(log->flushed_offset(), 0);
  b.driver.now_ += 150 * kNsPerMs;
  ASSERT_TRUE(log->maybe_flush().is_ok());
  EXPECT_EQ(log->flushed_offset(), 1);
}

TEST(KafkaLog, CrashKeepsFlushedPrefix) {
  DiskBench b(7, /*keep_prefix_probability=*/1.0);
  LogConfig c = small_segments(800);
  {
    auto log = open_log(b, c);
    for (int i = 0; i < 20; i++) ASSERT_TRUE(log->append_as_leader(producer_batch(2, "x"), 0).is_ok());
    ASSERT_TRUE(log->flush().is_ok());
    for (int i = 0; i < 20; i++) ASSERT_TRUE(log->append_as_leader(producer_batch(2, "y"), 0).is_ok());
  }
  b.disk.crash(/*tear=*/true);
  auto log = open_log(b, c);
  EXPECT_GE(log->log_end_offset(), 40);
  EXPECT_LE(log->log_end_offset(), 80);
  auto all = read_all(*log);
  ASSERT_TRUE(all.is_ok()) << all.status().to_string();
  for (size_t i = 0; i < all->size(); i++) EXPECT_EQ((*all)[i].offset, static_cast<int64_t>(i));
  // The log continues where recovery left it.
  auto a = log->append_as_leader(producer_batch(1, "z"), 0);
  ASSERT_TRUE(a.is_ok());
  EXPECT_EQ(a->first_offset, static_cast<int64_t>(all->size()));
}

TEST(KafkaLog, TornTailIsTruncatedAndLoggedWithFileAndPosition) {
  DiskBench b(8);
  uint64_t good = 0;
  {
    auto log = open_log(b);
    for (int i = 0; i < 3; i++) ASSERT_TRUE(log->append_as_leader(producer_batch(2, "abc"), 0).is_ok());
    ASSERT_TRUE(log->flush().is_ok());
    good = log->size_bytes();
  }
  {
    // Half of a batch: a valid header, and the rest missing.
    Bytes half = producer_batch(5, "torn");
    set_base_offset(half, 6);
    half.resize(half.size() / 2);
    auto f = b.disk.open(path(0, ".log"), io::OpenOptions::read_write());
    ASSERT_TRUE(f.is_ok());
    ASSERT_TRUE((*f)->append(half).is_ok());
    ASSERT_TRUE((*f)->sync().is_ok());
  }
  auto log = open_log(b);
  EXPECT_EQ(log->log_end_offset(), 6);
  EXPECT_EQ(log->size_bytes(), good);
  EXPECT_TRUE(b.sink.contains(path(0, ".log") + ": truncated ")) << b.sink.lines.size();
  EXPECT_TRUE(b.sink.contains("at position " + std::to_string(good))) << b.sink.lines.front();
  ASSERT_TRUE(log->append_as_leader(producer_batch(1, "after"), 0).is_ok());
  EXPECT_EQ(read_all(*log)->back().offset, 6);
}

TEST(KafkaLog, BitFlipPastTheRecoveryPointTruncatesThereAndDropsLaterSegments) {
  DiskBench b(9);
  LogConfig c = small_segments(500);
  {
    auto log = open_log(b, c);
    for (int i = 0; i < 12; i++) ASSERT_TRUE(log->append_as_leader(producer_batch(2, "data"), 0).is_ok());
    ASSERT_TRUE(log->flush().is_ok());
    ASSERT_GE(log->segments().size(), 3u);
  }
  // Crash without a clean close: the recovery point is the last roll; corrupt the active segment.
  auto names = b.disk.list(kDir);
  std::string last_log;
  for (const auto& n : *names) {
    if (n.ends_with(".log")) last_log = n;
  }
  auto flip = b.disk.flip_bit(io::join_path(kDir, last_log), 70, 71);
  ASSERT_TRUE(flip.is_ok());
  b.disk.crash(false);
  auto log = open_log(b, c);
  EXPECT_TRUE(b.sink.contains(io::join_path(kDir, last_log) + ": truncated")) << b.sink.lines.size();
  EXPECT_TRUE(b.sink.contains("crc")) << b.sink.lines.front();
  auto all = read_all(*log);
  ASSERT_TRUE(all.is_ok());
  EXPECT_EQ(static_cast<int64_t>(all->size()), log->log_end_offset());
}

TEST(KafkaLog, BitFlipInAFlushedSegmentIsAReadErrorNamingFileAndPosition) {
  DiskBench b(10);
  LogConfig c = small_segments(500);
  {
    auto log = open_log(b, c);
    for (int i = 0; i < 12; i++) ASSERT_TRUE(log->append_as_leader(producer_batch(2, "data"), 0).is_ok());
    ASSERT_TRUE(log->close().is_ok());
  }
  ASSERT_TRUE(b.disk.flip_bit(path(0, ".log"), 200, 201).is_ok());
  auto log = open_log(b, c);  // clean shutdown: nothing re-validated
  auto all = read_all(*log);
  ASSERT_FALSE(all.is_ok());
  EXPECT_TRUE(all.status().is(Code::kCorruption));
  EXPECT_NE(all.status().message().find(path(0, ".log") + ": batch at position"), std::string::npos)
      << all.status().to_string();
}

TEST(KafkaLog, GarbageIndexIsRebuilt) {
  DiskBench b(11);
  LogConfig c = small_segments(2000, 64);
  std::vector<Record> expect;
  {
    auto log = open_log(b, c);
    for (int i = 0; i < 30; i++)
      ASSERT_TRUE(log->append_as_leader(producer_batch(2, "i" + std::to_string(i)), 0).is_ok());
    expect = *read_all(*log);
    ASSERT_TRUE(log->close().is_ok());
  }
  for (const char* suffix : {".index", ".timeindex"}) {
    Bytes garbage(48);
    for (size_t i = 0; i < garbage.size(); i++) garbage[i] = static_cast<uint8_t>(i * 37 + 11);
    ASSERT_TRUE(b.disk.write_file_atomic(path(0, suffix), garbage).is_ok());
    auto log = open_log(b, c);
    EXPECT_TRUE(b.sink.contains("rebuilding the indexes of " + path(0, ".log"))) << suffix;
    EXPECT_EQ(*read_all(*log, 1), expect);
    ASSERT_TRUE(log->close().is_ok());
    b.sink.lines.clear();
  }
  // A plausible but wrong index (entries shifted by one batch) is caught by its last entry.
  auto idx = b.disk.read_file(path(0, ".index"));
  ASSERT_TRUE(idx.is_ok());
  ASSERT_GE(idx->size(), 8u);
  (*idx)[idx->size() - 5] ^= 0x01;  // the last entry's offset, low byte
  ASSERT_TRUE(b.disk.write_file_atomic(path(0, ".index"), *idx).is_ok());
  auto log = open_log(b, c);
  EXPECT_TRUE(b.sink.contains("does not point at that batch"));
  EXPECT_EQ(*read_all(*log, 1), expect);
}

TEST(KafkaLog, MissingIndexesAreRebuilt) {
  DiskBench b(12);
  {
    auto log = open_log(b, small_segments(600));
    for (int i = 0; i < 10; i++) ASSERT_TRUE(log->append_as_leader(producer_batch(2, "m"), 0).is_ok());
    ASSERT_TRUE(log->close().is_ok());
  }
  ASSERT_TRUE(b.disk.remove(path(0, ".index")).is_ok());
  auto log = open_log(b, small_segments(600));
  EXPECT_TRUE(b.sink.contains("is missing"));
  EXPECT_EQ(read_all(*log)->size(), 20u);
}

TEST(KafkaLog, TruncateToAndLeaderEpochs) {
  DiskBench b(13, /*keep_prefix_probability=*/0.0);
  LogConfig c = small_segments(400);
  auto log = open_log(b, c);
  for (int i = 0; i < 5; i++) ASSERT_TRUE(log->append_as_leader(producer_batch(2, "e1"), 1).is_ok());  // 0..9
  for (int i = 0; i < 5; i++) ASSERT_TRUE(log->append_as_leader(producer_batch(2, "e3"), 3).is_ok());  // 10..19
  ASSERT_EQ(log->epochs().size(), 2u);
  EXPECT_EQ(log->epochs()[1], (EpochEntry{3, 10}));
  EXPECT_EQ(log->end_offset_for_epoch(3), std::make_pair(3, int64_t{20}));
  EXPECT_EQ(log->end_offset_for_epoch(1), std::make_pair(1, int64_t{10}));
  EXPECT_EQ(log->end_offset_for_epoch(2), std::make_pair(1, int64_t{10}));
  EXPECT_EQ(log->end_offset_for_epoch(0), std::make_pair(0, int64_t{0}));
  EXPECT_EQ(log->end_offset_for_epoch(4), std::make_pair(-1, int64_t{-1}));
  auto stale = log->append_as_leader(producer_batch(1, "old"), 2);
  EXPECT_TRUE(stale.status().is(Code::kInvalidArgument));
  auto text = b.disk.read_file(io::join_path(kDir, kLeaderEpochCheckpointFile));
  ASSERT_TRUE(text.is_ok());
  EXPECT_EQ(std::string(text->begin(), text->end()), "0\n2\n1 0\n3 10\n");

  log->set_high_watermark(15);
  // Truncating inside a batch removes that batch whole (offsets 8..9 go with 9).
  ASSERT_TRUE(log->truncate_to(9).is_ok());
  EXPECT_EQ(log->log_end_offset(), 8);
  EXPECT_EQ(log->high_watermark(), 8);
  EXPECT_EQ(log->epochs().size(), 1u);
  auto a = log->append_as_leader(producer_batch(1, "e4"), 4);
  ASSERT_TRUE(a.is_ok());
  EXPECT_EQ(a->first_offset, 8);
  EXPECT_EQ(log->end_offset_for_epoch(1), std::make_pair(1, int64_t{8}));
  log.reset();
  b.disk.crash(true);
  log = open_log(b, c);
  EXPECT_EQ(log->log_end_offset(), 8);  // the e4 append was never flushed...
  EXPECT_EQ(log->epochs().size(), 1u);  // ...and its epoch entry went with it
  auto all = read_all(*log);
  ASSERT_TRUE(all.is_ok());
  EXPECT_EQ(all->size(), 8u);
}

TEST(KafkaLog, TruncateFullyAndFollowerAppends) {
  DiskBench b(14);
  auto log = open_log(b);
  ASSERT_TRUE(log->truncate_fully_and_start_at(100).is_ok());
  EXPECT_EQ(log->log_start_offset(), 100);
  Bytes batch = producer_batch(3, "f");
  set_base_offset(batch, 100);
  set_partition_leader_epoch(batch, 5);
  auto a = log->append_as_follower(batch);
  ASSERT_TRUE(a.is_ok()) << a.status().to_string();
  EXPECT_EQ(log->log_end_offset(), 103);
  EXPECT_EQ(log->epochs().back(), (EpochEntry{5, 100}));
  // Overlapping the LEO is refused.
  auto again = log->append_as_follower(batch);
  EXPECT_TRUE(again.status().is(Code::kInvalidArgument));
  // A gap (the leader compacted) is accepted.
  set_base_offset(batch, 110);
  ASSERT_TRUE(log->append_as_follower(batch).is_ok());
  EXPECT_EQ(log->log_end_offset(), 113);
  auto r = log->read(105);
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->first_batch_offset, 110);
  EXPECT_TRUE(log->read(99).status().is(Code::kNotFound));
}

TEST(KafkaLog, BadAppendsAreErrors) {
  DiskBench b(15);
  LogConfig c;
  c.max_message_bytes = 300;
  auto log = open_log(b, c);
  EXPECT_TRUE(log->append_as_leader({}, 0).status().is(Code::kInvalidArgument));
  Bytes garbage(100, 0xab);
  EXPECT_TRUE(log->append_as_leader(garbage, 0).status().is(Code::kInvalidArgument));
  Bytes batch = producer_batch(2, "ok");
  Bytes bad_crc = batch;
  bad_crc.back() ^= 1;
  auto r = log->append_as_leader(bad_crc, 0);
  EXPECT_TRUE(r.status().is(Code::kInvalidArgument));
  EXPECT_NE(r.status().message().find("crc"), std::string::npos) << r.status().to_string();
  Bytes cut(batch.begin(), batch.end() - 3);
  EXPECT_TRUE(log->append_as_leader(cut, 0).status().is(Code::kInvalidArgument));
  auto big = log->append_as_leader(producer_batch(10, std::string(50, 'b')), 0);
  EXPECT_TRUE(big.status().is(Code::kInvalidArgument));
  EXPECT_NE(big.status().message().find("max.message.bytes"), std::string::npos);
  EXPECT_EQ(log->log_end_offset(), 0);
  ASSERT_TRUE(log->append_as_leader(batch, 0).is_ok());
  EXPECT_EQ(log->log_end_offset(), 2);
}

TEST(KafkaLog, CorruptCheckpointsAreClearErrors) {
  DiskBench b(16);
  {
    auto log = open_log(b);
    ASSERT_TRUE(log->close().is_ok());
  }
  const std::string rp = io::join_path(kDir, kRecoveryPointFile);
  ASSERT_TRUE(b.disk.write_file_atomic(rp, zk::storage::testing::bytes_of("0\nbanana\n")).is_ok());
  auto log = Log::open(b.disk, kDir, LogConfig{}, b.clock, b.env.log);
  ASSERT_FALSE(log.is_ok());
  EXPECT_TRUE(log.status().is(Code::kCorruption));
  EXPECT_NE(log.status().message().find("recovery-point: line 2"), std::string::npos) << log.status().to_string();
  ASSERT_TRUE(b.disk.remove(rp).is_ok());
  const std::string ep = io::join_path(kDir, kLeaderEpochCheckpointFile);
  ASSERT_TRUE(b.disk.write_file_atomic(ep, zk::storage::testing::bytes_of("0\n2\n1 5\n")).is_ok());
  log = Log::open(b.disk, kDir, LogConfig{}, b.clock, b.env.log);
  ASSERT_FALSE(log.is_ok());
  EXPECT_NE(log.status().message().find("leader-epoch-checkpoint"), std::string::npos) << log.status().to_string();
}

TEST(KafkaLog, RetentionBySizeAndTimeDeletesWholeSegmentsBelowTheHighWatermark) {
  DiskBench b(17);
  LogConfig c = small_segments(500);
  c.retention_bytes = 1200;
  auto log = open_log(b, c);
  const int64_t t0 = b.clock.wall_ms();
  for (int i = 0; i < 30; i++) ASSERT_TRUE(log->append_as_leader(producer_batch(2, "r", t0 + i), 0).is_ok());
  const size_t segments = log->segments().size();
  ASSERT_GE(segments, 5u);
  auto none = log->apply_retention(t0);  // HW is 0: nothing may go
  ASSERT_TRUE(none.is_ok());
  EXPECT_EQ(none->segments_deleted, 0);
  log->set_high_watermark(log->log_end_offset());
  auto r = log->apply_retention(t0);
  ASSERT_TRUE(r.is_ok());
  EXPECT_GT(r->segments_deleted, 0);
  EXPECT_LE(log->size_bytes(), 1200u + 500u);
  EXPECT_GE(log->size_bytes(), 1200u);
  EXPECT_EQ(r->log_start_offset, log->log_start_offset());
  EXPECT_GT(log->log_start_offset(), 0);
  EXPECT_TRUE(log->read(0).status().is(Code::kNotFound));
  auto all = read_all(*log);
  ASSERT_TRUE(all.is_ok());
  EXPECT_EQ(all->front().offset, log->log_start_offset());
  EXPECT_EQ(all->back().offset, 59);
  // Time: everything older than retention.ms goes, including the active segment (after a roll).
  LogConfig t = c;
  t.retention_bytes = kUnlimited;
  t.retention_ms = 1000;
  log.reset();
  log = open_log(b, t);
  log->set_high_watermark(log->log_end_offset());
  auto rt = log->apply_retention(t0 + 1100);
  ASSERT_TRUE(rt.is_ok());
  EXPECT_EQ(log->log_start_offset(), 60);
  EXPECT_EQ(log->log_end_offset(), 60);
  EXPECT_EQ(log->segments().size(), 1u);
  ASSERT_TRUE(log->append_as_leader(producer_batch(1, "new"), 0).is_ok());
  EXPECT_EQ(log->log_end_offset(), 61);
}

TEST(KafkaLog, CompactionKeepsTheLatestValuePerKeyAndDropsOldTombstones) {
  DiskBench b(18);
  LogConfig c = small_segments(400);
  c.cleanup_compact = true;
  c.cleanup_delete = false;
  c.delete_retention_ms = 1000;
  auto log = open_log(b, c);
  const int64_t t0 = b.clock.wall_ms();
  ASSERT_TRUE(log->append_as_leader(keyed_batch({{"a", "a1"}, {"b", "b1"}, {"c", "c1"}}, t0), 0).is_ok());  // 0-2
  ASSERT_TRUE(log->append_as_leader(keyed_batch({{"a", "a2"}, {"b", std::nullopt}}, t0), 0).is_ok());       // 3-4
  ASSERT_TRUE(log->append_as_leader(keyed_batch({{"d", "d1"}, {"c", "c2"}}, t0 + 5000), 0).is_ok());        // 5-6
  for (int i = 0; i < 10; i++) {
    ASSERT_TRUE(
        log->append_as_leader(keyed_batch({{"z" + std::to_string(i), "filler-value-xxxxxxxxxxxx"}}, t0), 0).is_ok());
  }
  ASSERT_GE(log->segments().size(), 3u);
  log->set_high_watermark(log->log_end_offset());
  // Tombstone still within delete.retention.ms: kept.
  auto r1 = log->compact(t0 + 500);
  ASSERT_TRUE(r1.is_ok()) << r1.status().to_string();
  EXPECT_EQ(r1->records_removed, 3);  // a1, b1, c1
  auto all = read_all(*log);
  ASSERT_TRUE(all.is_ok()) << all.status().to_string();
  std::vector<std::pair<int64_t, std::string>> got;
  for (const Record& r : *all) {
    if (r.offset < 7) got.push_back({r.offset, str(r.key) + "=" + str(r.value)});
  }
  EXPECT_EQ(got,
            (std::vector<std::pair<int64_t, std::string>>{{3, "a=a2"}, {4, "b=<null>"}, {5, "d=d1"}, {6, "c=c2"}}));
  // Later: the tombstone goes.
  auto r2 = log->compact(t0 + 2000);
  ASSERT_TRUE(r2.is_ok());
  EXPECT_EQ(r2->tombstones_removed, 1);
  all = read_all(*log);
  ASSERT_TRUE(all.is_ok());
  EXPECT_EQ((*all)[0].offset, 3);
  EXPECT_EQ((*all)[1].offset, 5);
  // Compacted segments survive a crash and a reopen.
  log.reset();
  b.disk.crash(true);
  log = open_log(b, c);
  auto again = read_all(*log);
  ASSERT_TRUE(again.is_ok()) << again.status().to_string();
  EXPECT_EQ((*again)[0].offset, 3);
  EXPECT_EQ((*again)[1].offset, 5);
  EXPECT_EQ(log->log_start_offset(), 0);
}

TEST(KafkaLog, LeftoversOfInterruptedOperationsAreRemoved) {
  DiskBench b(19);
  {
    auto log = open_log(b);
    ASSERT_TRUE(log->close().is_ok());
  }
  for (const char* name : {"00000000000000000000.log.cleaned", "00000000000000000042.index", "x.tmp"}) {
    ASSERT_TRUE(b.disk.write_file_atomic(io::join_path(kDir, name), zk::storage::testing::bytes_of("junk")).is_ok());
  }
  auto log = open_log(b);
  auto names = b.disk.list(kDir);
  EXPECT_EQ(*names, (std::vector<std::string>{"00000000000000000000.index", "00000000000000000000.log",
                                              "00000000000000000000.timeindex", "recovery-point"}));
}

TEST(KafkaLogConfig, SetsKafkaNamedKeys) {
  LogConfig c;
  EXPECT_TRUE(c.set("segment.bytes", "1048576").is_ok());
  EXPECT_EQ(c.segment_bytes, 1048576u);
  EXPECT_TRUE(c.set("cleanup.policy", "compact,delete").is_ok());
  EXPECT_TRUE(c.cleanup_compact && c.cleanup_delete);
  EXPECT_TRUE(c.set("message.timestamp.type", "LogAppendTime").is_ok());
  EXPECT_TRUE(c.set("flush.messages", "1").is_ok());
  EXPECT_EQ(c.flush_interval_messages, 1);
  Status bad = c.set("retention.ms", "soon");
  EXPECT_TRUE(bad.is(Code::kInvalidArgument));
  EXPECT_NE(bad.message().find("retention.ms"), std::string::npos);
  EXPECT_TRUE(c.set("no.such.key", "1").is(Code::kInvalidArgument));
  EXPECT_TRUE(c.set("cleanup.policy", "shred").is(Code::kInvalidArgument));
}

TEST(KafkaLog, OffsetForTimestampUsesTheTimeIndex) {
  DiskBench b(21);
  LogConfig c = small_segments(700, 90);
  for (bool reopen : {false, true}) {
    auto log = open_log(b, c);
    if (!reopen) {
      for (int i = 0; i < 40; i++) {
        // Timestamps 1000, 1010, ... per batch; the two records of a batch at t and t+5.
        std::vector<Record> records(2);
        for (int j = 0; j < 2; j++) {
          records[j].offset = j;
          records[j].timestamp_ms = 1000 + 10 * i + 5 * j;
          records[j].value = Bytes{'v'};
        }
        ASSERT_TRUE(log->append_as_leader(*build_batch(BatchOptions{}, records), 0).is_ok());
      }
      ASSERT_GT(log->segments().size(), 3u);
    }
    EXPECT_EQ(*log->offset_for_timestamp(0), std::optional<int64_t>(0));
    EXPECT_EQ(*log->offset_for_timestamp(1005), std::optional<int64_t>(1));
    EXPECT_EQ(*log->offset_for_timestamp(1006), std::optional<int64_t>(2));
    EXPECT_EQ(*log->offset_for_timestamp(1200), std::optional<int64_t>(40));
    EXPECT_EQ(*log->offset_for_timestamp(1391), std::optional<int64_t>(79));
    EXPECT_EQ(*log->offset_for_timestamp(1396), std::nullopt);
    ASSERT_TRUE(log->close().is_ok());
  }
}

TEST(KafkaLog, FailedFsyncAndFullDiskAreErrorsAndTheLogRecovers) {
  DiskBench b(22, /*keep_prefix_probability=*/0.0);
  auto log = open_log(b, small_segments(600));
  ASSERT_TRUE(log->append_as_leader(producer_batch(2, "a"), 0).is_ok());
  b.disk.fail_next_syncs(1);
  Status failed = log->flush();
  EXPECT_TRUE(failed.is(Code::kIoError)) << failed.to_string();
  EXPECT_EQ(log->flushed_offset(), 0);
  ASSERT_TRUE(log->flush().is_ok());  // the retry makes it durable
  EXPECT_EQ(log->flushed_offset(), 2);
  b.disk.set_full(true);
  auto full = log->append_as_leader(producer_batch(2, "b"), 0);
  EXPECT_TRUE(full.status().is(Code::kNoSpace)) << full.status().to_string();
  EXPECT_EQ(log->log_end_offset(), 2);
  b.disk.set_full(false);
  auto a = log->append_as_leader(producer_batch(2, "c"), 0);
  ASSERT_TRUE(a.is_ok());
  EXPECT_EQ(a->first_offset, 2);
  ASSERT_TRUE(log->flush().is_ok());
  log.reset();
  b.disk.crash(true);
  log = open_log(b, small_segments(600));
  auto all = read_all(*log);
  ASSERT_TRUE(all.is_ok());
  ASSERT_EQ(all->size(), 4u);
  EXPECT_EQ(testing::str((*all)[3].value), "c-1");
}

TEST(KafkaLog, LogAppendTimeStampsBatches) {
  DiskBench b(20);
  LogConfig c;
  c.message_timestamp_type = TimestampType::kLogAppendTime;
  auto log = open_log(b, c);
  auto a = log->append_as_leader(producer_batch(2, "t", 5), 0);
  ASSERT_TRUE(a.is_ok());
  EXPECT_EQ(a->log_append_time_ms, b.clock.wall_ms());
  auto all = read_all(*log);
  ASSERT_TRUE(all.is_ok()) << all.status().to_string();
  EXPECT_EQ((*all)[1].timestamp_ms, b.clock.wall_ms());
}

}  // namespace
}  // namespace kz::kafka::log
