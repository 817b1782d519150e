// TxnLog: group commit, rolling, recovery of torn tails, detection of mid-log corruption, TRUNC.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "core/zk/storage/txn_log.h"
#include "sim/world.h"
#include "tests/zk/storage/storage_bench.h"

namespace kz::zk::storage {
namespace {

using testing::bytes_of;
using testing::DiskBench;

TxnLogOptions opts(std::string dir, uint64_t file_bytes_target = 64ULL << 20, bool force_sync = true) {
  TxnLogOptions o;
  o.dir = std::move(dir);
  o.file_bytes_target = file_bytes_target;
  o.force_sync = force_sync;
  return o;
}

std::unique_ptr<TxnLog> open_log(DiskBench& b, TxnLogOptions o = opts("data/log")) {
  auto log = TxnLog::open(b.env, o);
  KZ_ASSERT_MSG(log.is_ok(), log.status().to_string());
  return std::move(*log);
}

std::vector<TxnRecord> read_all(TxnLog& log) {
  auto r = log.read_after(0);
  KZ_ASSERT_MSG(r.is_ok(), r.status().to_string());
  return *r;
}

TxnRecord rec(uint64_t zxid, std::string_view s) { return TxnRecord{zxid, bytes_of(s)}; }

TEST(ZabStorageTxnLog, AppendFlushReopen) {
  DiskBench b(1);
  std::vector<TxnRecord> expect;
  {
    auto log = open_log(b);
    EXPECT_EQ(log->last_zxid(), 0u);
    for (uint64_t z = 1; z <= 20; z++) {
      expect.push_back(rec((1ULL << 32) | z, "txn-" + std::to_string(z)));
      ASSERT_TRUE(log->append(expect.back().zxid, expect.back().payload).is_ok());
      if (z % 5 == 0) {
        ASSERT_TRUE(log->flush().is_ok());
      }
    }
    EXPECT_EQ(log->durable_zxid(), expect.back().zxid);
    EXPECT_EQ(log->flushes(), 4u);
  }
  b.disk.crash(/*tear=*/true);  // everything was flushed: nothing may be lost
  auto log = open_log(b);
  EXPECT_EQ(read_all(*log), expect);
  EXPECT_EQ(log->last_zxid(), expect.back().zxid);
  auto tail = log->read_after(expect[14].zxid);
  ASSERT_TRUE(tail.is_ok());
  EXPECT_EQ(*tail, std::vector<TxnRecord>(expect.begin() + 15, expect.end()));
  EXPECT_TRUE(b.sink.lines.empty()) << b.sink.lines.front();
}

TEST(ZabStorageTxnLog, RollsToNewFilesBySize) {
  DiskBench b(2);
  TxnLogOptions o = opts("d", 200);
  std::vector<TxnRecord> expect;
  {
    auto log = open_log(b, o);
    for (uint64_t z = 1; z <= 30; z++) {
      expect.push_back(rec(z, std::string(40, static_cast<char>('a' + z % 26))));
      ASSERT_TRUE(log->append(z, expect.back().payload).is_ok());
      ASSERT_TRUE(log->flush().is_ok());
    }
    ASSERT_GT(log->files().size(), 3u);
    for (const TxnLogFile& f : log->files()) {
      EXPECT_EQ(f.name, txn_log_file_name(f.first_zxid));
    }
  }
  b.disk.crash(false);
  auto log = open_log(b, o);
  EXPECT_EQ(read_all(*log), expect);
  auto names = b.disk.list("d");
  ASSERT_TRUE(names.is_ok());
  EXPECT_EQ(names->front(), "log.1");
}

TEST(ZabStorageTxnLog, FileNames) {
  uint64_t z = 0;
  EXPECT_EQ(txn_log_file_name(0x100000001ULL), "log.100000001");
  EXPECT_TRUE(parse_txn_log_file_name("log.100000001", &z));
  EXPECT_EQ(z, 0x100000001ULL);
  EXPECT_FALSE(parse_txn_log_file_name("log.", &z));
  EXPECT_FALSE(parse_txn_log_file_name("log.1.tmp", &z));
  EXPECT_FALSE(parse_txn_log_file_name("log.ABC", &z));
  EXPECT_FALSE(parse_txn_log_file_name("log.12345678901234567", &z));
  EXPECT_FALSE(parse_txn_log_file_name("snapshot.1", &z));
}

TEST(ZabStorageTxnLog, GarbageTailIsTruncatedWithWarning) {
  DiskBench b(3);
  {
    auto log = open_log(b);
    for (uint64_t z = 1; z <= 3; z++) {
      ASSERT_TRUE(log->append(z, bytes_of("abc")).is_ok());
    }
    ASSERT_TRUE(log->flush().is_ok());
  }
  uint64_t good_size = TxnLog::kHeaderBytes + 3 * (TxnLog::kRecordHeaderBytes + 3);
  {
    auto f = b.disk.open("data/log/log.1", io::OpenOptions::read_write());
    ASSERT_TRUE(f.is_ok());
    ASSERT_TRUE((*f)->append(bytes_of("\x7f\x01\x02garbage-half-record")).is_ok());
    ASSERT_TRUE((*f)->sync().is_ok());
  }
  auto log = open_log(b);
  EXPECT_EQ(read_all(*log).size(), 3u);
  EXPECT_TRUE(b.sink.contains("data/log/log.1: torn tail at offset " + std::to_string(good_size)))
      << (b.sink.lines.empty() ? "" : b.sink.lines.front());
  auto f = b.disk.open("data/log/log.1", io::OpenOptions::read_only());
  EXPECT_EQ(*(*f)->size(), good_size);
  // The log continues after the truncated tail.
  ASSERT_TRUE(log->append(4, bytes_of("d")).is_ok());
  ASSERT_TRUE(log->flush().is_ok());
  log.reset();
  auto again = open_log(b);
  EXPECT_EQ(read_all(*again).back(), rec(4, "d"));
}

TEST(ZabStorageTxnLog, CorruptionInTheMiddleIsAnErrorNamingFileAndOffset) {
  DiskBench b(4);
  {
    auto log = open_log(b);
    for (uint64_t z = 1; z <= 5; z++) {
      ASSERT_TRUE(log->append(z, bytes_of("payload")).is_ok());
    }
    ASSERT_TRUE(log->flush().is_ok());
  }
  // Flip a bit inside the payload of the second record: records 3..5 still validate after it.
  uint64_t second = TxnLog::kHeaderBytes + (TxnLog::kRecordHeaderBytes + 7);
  auto flip = b.disk.flip_bit("data/log/log.1", second + TxnLog::kRecordHeaderBytes + 2,
                              second + TxnLog::kRecordHeaderBytes + 3);
  ASSERT_TRUE(flip.is_ok());
  auto log = TxnLog::open(b.env, opts("data/log"));
  ASSERT_FALSE(log.is_ok());
  EXPECT_TRUE(log.status().is(Code::kCorruption));
  EXPECT_NE(log.status().message().find("data/log/log.1"), std::string::npos) << log.status().to_string();
  EXPECT_NE(log.status().message().find("offset " + std::to_string(second)), std::string::npos)
      << log.status().to_string();
}

TEST(ZabStorageTxnLog, CorruptionInAnEarlierFileIsAnError) {
  DiskBench b(5);
  {
    auto log = open_log(b, opts("d", 64));
    for (uint64_t z = 1; z <= 6; z++) {
      ASSERT_TRUE(log->append(z, bytes_of(std::string(30, 'x'))).is_ok());
      ASSERT_TRUE(log->flush().is_ok());
    }
    ASSERT_GE(log->files().size(), 2u);
  }
  // The last record of the first file: a "tail" of that file, but not of the log.
  uint64_t last_rec = TxnLog::kHeaderBytes + TxnLog::kRecordHeaderBytes + 30;
  ASSERT_TRUE(b.disk.flip_bit("d/log.1", last_rec + 20, last_rec + 21).is_ok());
  auto log = TxnLog::open(b.env, opts("d", 64));
  ASSERT_FALSE(log.is_ok());
  EXPECT_NE(log.status().message().find("d/log.1: bad record at offset " + std::to_string(last_rec)),
            std::string::npos)
      << log.status().to_string();
}

TEST(ZabStorageTxnLog, TruncateAfterAcrossFiles) {
  DiskBench b(6);
  TxnLogOptions o = opts("d", 100);
  auto log = open_log(b, o);
  for (uint64_t z = 1; z <= 12; z++) {
    ASSERT_TRUE(log->append(z, bytes_of("0123456789")).is_ok());
    ASSERT_TRUE(log->flush().is_ok());
  }
  ASSERT_TRUE(log->append(13, bytes_of("buffered")).is_ok());
  size_t files_before = log->files().size();
  ASSERT_TRUE(log->truncate_after(5).is_ok());
  EXPECT_EQ(log->last_zxid(), 5u);
  EXPECT_LT(log->files().size(), files_before);
  auto recs = read_all(*log);
  ASSERT_EQ(recs.size(), 5u);
  EXPECT_EQ(recs.back().zxid, 5u);
  ASSERT_TRUE(log->append(6, bytes_of("new-six")).is_ok());
  ASSERT_TRUE(log->flush().is_ok());
  log.reset();
  b.disk.crash(true);
  auto again = open_log(b, o);
  recs = read_all(*again);
  ASSERT_EQ(recs.size(), 6u);
  EXPECT_EQ(recs.back(), rec(6, "new-six"));
  ASSERT_TRUE(again->truncate_after(0).is_ok());
  EXPECT_TRUE(read_all(*again).empty());
  EXPECT_EQ(again->last_zxid(), 0u);
}

TEST(ZabStorageTxnLog, PurgeKeepsFilesNeededAfterZxid) {
  DiskBench b(7);
  auto log = open_log(b, opts("d", 60));
  for (uint64_t z = 1; z <= 10; z++) {
    ASSERT_TRUE(log->append(z, bytes_of(std::string(30, 'p'))).is_ok());
    ASSERT_TRUE(log->flush().is_ok());
  }
  ASSERT_TRUE(log->purge_before(6).is_ok());
  auto recs = log->read_after(6);
  ASSERT_TRUE(recs.is_ok());
  EXPECT_EQ(recs->size(), 4u);
  EXPECT_LE(log->files().front().first_zxid, 7u);
  EXPECT_GT(log->files().front().first_zxid, 1u);
}

TEST(ZabStorageTxnLog, ForceSyncOffLosesAcknowledgedRecordsOnPowerLoss) {
  for (bool force : {true, false}) {
    DiskBench b(8, /*keep_prefix_probability=*/0.0);
    TxnLogOptions o = opts("d", 64ULL << 20, force);
    {
      auto log = open_log(b, o);
      ASSERT_TRUE(log->append(1, bytes_of("first")).is_ok());
      ASSERT_TRUE(log->flush().is_ok());  // file creation: name synced with the directory
      ASSERT_TRUE(log->append(2, bytes_of("second")).is_ok());
      ASSERT_TRUE(log->flush().is_ok());  // "durable" as far as the caller knows
    }
    b.disk.crash(true);
    auto log = open_log(b, o);
    EXPECT_EQ(log->last_zxid(), force ? 2u : 0u) << "force_sync=" << force;
  }
}

// ---- preallocation (zoo.cfg preAllocSize): files are extended with zeros ahead of the records

TxnLogOptions prealloc_opts(std::string dir, uint64_t prealloc_bytes, uint64_t file_bytes_target = 64ULL << 20) {
  TxnLogOptions o = opts(std::move(dir), file_bytes_target);
  o.prealloc_bytes = prealloc_bytes;
  return o;
}

uint64_t file_size(DiskBench& b, const std::string& path) {
  auto f = b.disk.open(path, io::OpenOptions::read_only());
  KZ_ASSERT_MSG(f.is_ok(), f.status().to_string());
  return *(*f)->size();
}

TEST(ZabStorageTxnLog, PreallocatedFileEndsAtItsZeroTail) {
  DiskBench b(21);
  TxnLogOptions o = prealloc_opts("d", 4096);
  std::vector<TxnRecord> expect;
  {
    auto log = open_log(b, o);
    for (uint64_t z = 1; z <= 10; z++) {
      expect.push_back(rec(z, "txn-" + std::to_string(z)));
      ASSERT_TRUE(log->append(z, expect.back().payload).is_ok());
      ASSERT_TRUE(log->flush().is_ok());
    }
    EXPECT_EQ(file_size(b, "d/log.1"), 4096u);  // records written into the zeroed space
  }
  b.disk.crash(/*tear=*/true);  // everything was flushed, the preallocation too: nothing may be lost
  {
    auto log = open_log(b, o);
    EXPECT_EQ(read_all(*log), expect);
    EXPECT_TRUE(b.sink.lines.empty()) << b.sink.lines.front();  // a zero tail is no damage
    EXPECT_EQ(file_size(b, "d/log.1"), 4096u);
    // Appends continue where the records end, not at the end of the file.
    expect.push_back(rec(11, "eleven"));
    ASSERT_TRUE(log->append(11, expect.back().payload).is_ok());
    ASSERT_TRUE(log->flush().is_ok());
  }
  b.disk.crash(true);
  auto log = open_log(b, o);
  EXPECT_EQ(read_all(*log), expect);
  EXPECT_EQ(file_size(b, "d/log.1"), 4096u);
  // Without preallocation configured, a preallocated file is still read correctly (its zero tail
  // is cut off as a torn tail).
  log.reset();
  auto plain = open_log(b, opts("d"));
  EXPECT_EQ(read_all(*plain), expect);
}

TEST(ZabStorageTxnLog, PreallocationGrowsByBlocksUpToTheRollTarget) {
  DiskBench b(22);
  TxnLogOptions o = prealloc_opts("d", 256, 1000);
  auto log = open_log(b, o);
  for (uint64_t z = 1; z <= 40; z++) {
    ASSERT_TRUE(log->append(z, bytes_of(std::string(40, 'x'))).is_ok());
    ASSERT_TRUE(log->flush().is_ok());
  }
  ASSERT_GE(log->files().size(), 2u);
  for (const TxnLogFile& f : log->files()) {
    uint64_t size = file_size(b, "d/" + f.name);
    EXPECT_GE(size, f.size_bytes);
    // Whole blocks while the file is below the roll target; just the records once past it.
    if (size != f.size_bytes) {
      EXPECT_EQ(size % 256, 0u) << f.name;
    }
    EXPECT_LE(size, std::max<uint64_t>(f.size_bytes, 1024)) << f.name;
  }
  log.reset();
  b.disk.crash(true);
  auto again = open_log(b, o);
  EXPECT_EQ(read_all(*again).size(), 40u);
}

TEST(ZabStorageTxnLog, TornRecordInPreallocatedSpaceIsZeroed) {
  DiskBench b(23);
  TxnLogOptions o = prealloc_opts("d", 4096);
  {
    auto log = open_log(b, o);
    for (uint64_t z = 1; z <= 3; z++) {
      ASSERT_TRUE(log->append(z, bytes_of("abc")).is_ok());
    }
    ASSERT_TRUE(log->flush().is_ok());
  }
  uint64_t good_size = TxnLog::kHeaderBytes + 3 * (TxnLog::kRecordHeaderBytes + 3);
  {
    auto f = b.disk.open("d/log.1", io::OpenOptions::read_write());
    ASSERT_TRUE(f.is_ok());
    ASSERT_TRUE((*f)->pwrite(good_size, bytes_of("\x7f\x01\x02garbage-half-record")).is_ok());
    ASSERT_TRUE((*f)->sync().is_ok());
  }
  auto log = open_log(b, o);
  EXPECT_EQ(read_all(*log).size(), 3u);
  EXPECT_TRUE(b.sink.contains("d/log.1: torn tail at offset " + std::to_string(good_size)))
      << (b.sink.lines.empty() ? "" : b.sink.lines.front());
  EXPECT_EQ(file_size(b, "d/log.1"), 4096u);  // zeroed, not cut off
  auto data = b.disk.read_file("d/log.1");
  ASSERT_TRUE(data.is_ok());
  EXPECT_TRUE(std::all_of(data->begin() + static_cast<std::ptrdiff_t>(good_size), data->end(),
                          [](uint8_t x) { return x == 0; }));
  ASSERT_TRUE(log->append(4, bytes_of("d")).is_ok());
  ASSERT_TRUE(log->flush().is_ok());
  log.reset();
  b.sink.lines.clear();
  auto again = open_log(b, o);
  EXPECT_EQ(read_all(*again).back(), rec(4, "d"));
  EXPECT_TRUE(b.sink.lines.empty()) << b.sink.lines.front();
}

TEST(ZabStorageTxnLog, PreallocatedCorruptionInTheMiddleIsStillAnError) {
  DiskBench b(24);
  TxnLogOptions o = prealloc_opts("d", 4096);
  {
    auto log = open_log(b, o);
    for (uint64_t z = 1; z <= 5; z++) {
      ASSERT_TRUE(log->append(z, bytes_of("payload")).is_ok());
    }
    ASSERT_TRUE(log->flush().is_ok());
  }
  uint64_t second = TxnLog::kHeaderBytes + (TxnLog::kRecordHeaderBytes + 7);
  ASSERT_TRUE(b.disk.flip_bit("d/log.1", second + TxnLog::kRecordHeaderBytes + 2, second + TxnLog::kRecordHeaderBytes + 3)
                  .is_ok());
  auto log = TxnLog::open(b.env, o);
  ASSERT_FALSE(log.is_ok());
  EXPECT_TRUE(log.status().is(Code::kCorruption));
  EXPECT_NE(log.status().message().find("offset " + std::to_string(second)), std::string::npos)
      << log.status().to_string();
  // A flipped bit in the zero tail is damage too (a non-zero byte after the last record): it is
  // treated as a torn tail and zeroed, the records before it are kept.
  DiskBench c(25);
  {
    auto log2 = open_log(c, o);
    ASSERT_TRUE(log2->append(1, bytes_of("one")).is_ok());
    ASSERT_TRUE(log2->flush().is_ok());
  }
  ASSERT_TRUE(c.disk.flip_bit("d/log.1", 2000, 2001).is_ok());
  auto log3 = open_log(c, o);
  EXPECT_EQ(read_all(*log3).size(), 1u);
  EXPECT_TRUE(c.sink.contains("torn tail")) << (c.sink.lines.empty() ? "" : c.sink.lines.front());
}

TEST(ZabStorageTxnLog, PreallocatedTruncateAfterZeroesTheDroppedRecords) {
  DiskBench b(26);
  TxnLogOptions o = prealloc_opts("d", 4096);
  auto log = open_log(b, o);
  for (uint64_t z = 1; z <= 8; z++) {
    ASSERT_TRUE(log->append(z, bytes_of("0123456789")).is_ok());
    ASSERT_TRUE(log->flush().is_ok());
  }
  ASSERT_TRUE(log->truncate_after(5).is_ok());
  EXPECT_EQ(file_size(b, "d/log.1"), 4096u);
  ASSERT_TRUE(log->append(6, bytes_of("new-six")).is_ok());
  ASSERT_TRUE(log->flush().is_ok());
  log.reset();
  b.disk.crash(true);
  auto again = open_log(b, o);
  auto recs = read_all(*again);
  ASSERT_EQ(recs.size(), 6u);
  EXPECT_EQ(recs.back(), rec(6, "new-six"));
  EXPECT_TRUE(b.sink.lines.empty()) << b.sink.lines.front();
}

TEST(ZabStorageTxnLog, GroupCommitBatchesConcurrentAppenders) {
  sim::WorldOptions wo;
  wo.seed = 9;
  sim::World world(wo);
  sim::Node& node = world.add_node("zk1");
  std::unique_ptr<TxnLog> log;
  int done = 0;
  node.start([&](io::Env& env) {
    auto opened = TxnLog::open(env, opts("log"));
    KZ_ASSERT(opened.is_ok());
    log = std::move(*opened);
    for (uint64_t i = 1; i <= 20; i++) {
      env.spawn("writer", [&, i] {
        ASSERT_TRUE(log->append(i, bytes_of("w" + std::to_string(i))).is_ok());
        ASSERT_TRUE(log->flush().is_ok());
        EXPECT_GE(log->durable_zxid(), i);  // our record is durable when flush returns
        done++;
      });
    }
  });
  world.run_for(sec_to_ns(1));
  EXPECT_EQ(done, 20);
  // The first writer's flush blocks in fsync while the others append: they share later fsyncs.
  EXPECT_LT(log->flushes(), 5u);
  EXPECT_EQ(log->durable_zxid(), 20u);
  log.reset();
}

// Property: after any sequence of appends, flushes and a crash (torn or not), recovery succeeds and
// yields every flushed record followed by a prefix of the unflushed ones; never anything else.
RC_GTEST_PROP(ZabStorageTxnLog, CrashRecoveryKeepsFlushedPrefix, ()) {
  auto seed = *rc::gen::inRange<uint64_t>(1, 1'000'000);
  DiskBench b(seed);
  auto n = *rc::gen::inRange(1, 40);
  bool tear = *rc::gen::arbitrary<bool>();
  uint64_t target = *rc::gen::element<uint64_t>(64, 256, 4096);
  TxnLogOptions o = opts("d", target);
  o.prealloc_bytes = *rc::gen::element<uint64_t>(0, 0, 512, 4096);
  std::vector<TxnRecord> appended;
  size_t flushed = 0;
  {
    auto log = open_log(b, o);
    for (int i = 0; i < n; i++) {
      auto len = *rc::gen::inRange<size_t>(0, 700);
      TxnRecord r{static_cast<uint64_t>(i + 1) * 3, std::vector<uint8_t>(len, static_cast<uint8_t>(i))};
      RC_ASSERT(log->append(r.zxid, r.payload).is_ok());
      appended.push_back(r);
      if (*rc::gen::inRange(0, 3) == 0) {
        RC_ASSERT(log->flush().is_ok());
        flushed = appended.size();
      }
    }
  }
  b.disk.crash(tear);
  auto log = TxnLog::open(b.env, o);
  RC_ASSERT(log.is_ok());
  auto recs = (*log)->read_after(0);
  RC_ASSERT(recs.is_ok());
  RC_ASSERT(recs->size() >= flushed);
  RC_ASSERT(recs->size() <= appended.size());
  for (size_t i = 0; i < recs->size(); i++) RC_ASSERT((*recs)[i] == appended[i]);
}

// Same, with unsynced writes on disk at the crash (force_sync off), so torn records really occur
// (with preallocation: torn records inside the zeroed space).
RC_GTEST_PROP(ZabStorageTxnLog, TornUnsyncedWritesRecoverToAPrefix, ()) {
  auto seed = *rc::gen::inRange<uint64_t>(1, 1'000'000);
  DiskBench b(seed, /*keep_prefix_probability=*/0.9);
  auto n = *rc::gen::inRange(1, 30);
  TxnLogOptions o = opts("d", 1500, false);
  o.prealloc_bytes = *rc::gen::element<uint64_t>(0, 0, 512, 4096);
  std::vector<TxnRecord> appended;
  {
    auto log = open_log(b, o);
    for (int i = 0; i < n; i++) {
      auto len = *rc::gen::inRange<size_t>(0, 900);
      TxnRecord r{static_cast<uint64_t>(i + 1), std::vector<uint8_t>(len, static_cast<uint8_t>(i * 7))};
      RC_ASSERT(log->append(r.zxid, r.payload).is_ok());
      RC_ASSERT(log->flush().is_ok());
      appended.push_back(r);
    }
  }
  b.disk.crash(/*tear=*/true);
  auto log = TxnLog::open(b.env, o);
  RC_ASSERT(log.is_ok());
  auto recs = (*log)->read_after(0);
  RC_ASSERT(recs.is_ok());
  RC_ASSERT(recs->size() <= appended.size());
  for (size_t i = 0; i < recs->size(); i++) RC_ASSERT((*recs)[i] == appended[i]);
  // Appending after recovery works and survives a clean reopen.
  uint64_t next = recs->empty() ? 1 : recs->back().zxid + 1;
  RC_ASSERT((*log)->append(next, bytes_of("after")).is_ok());
  RC_ASSERT((*log)->flush().is_ok());
  log->reset();
  auto again = TxnLog::open(b.env, o);
  RC_ASSERT(again.is_ok());
  RC_ASSERT((*again)->last_zxid() == next);
}


// Two flushes: the second writes its batch and starts its own sync while the first sync is still in
// flight (they overlap); with a tiny file target every flush starts a new file, and then a sync must
// finish before the next file is started (never two in flight).
void run_two_flushers(uint64_t file_bytes_target, uint32_t* max_in_flight, uint64_t* durable) {
  sim::WorldOptions wo;
  wo.seed = 5;
  sim::World world(wo);
  sim::Node& node = world.add_node("zk1");
  std::unique_ptr<TxnLog> log;
  int done = 0;
  node.start([&](io::Env& env) {
    auto opened = TxnLog::open(env, opts("log", file_bytes_target));
    KZ_ASSERT(opened.is_ok());
    log = std::move(*opened);
    for (uint64_t i = 1; i <= 2; i++) {
      env.spawn("writer", [&, i] {
        ASSERT_TRUE(log->append(i, bytes_of("w" + std::to_string(i))).is_ok());
        ASSERT_TRUE(log->flush().is_ok());
        EXPECT_GE(log->durable_zxid(), i);
        done++;
      });
    }
    env.spawn("watch", [&] {
      while (done < 2) {
        *max_in_flight = std::max(*max_in_flight, log->syncs_in_flight());
        env.clock->sleep_for(kNsPerUs);  // a yield loop would never let simulated time advance
      }
    });
  });
  world.run_for(sec_to_ns(1));
  EXPECT_EQ(done, 2);
  *durable = log->durable_zxid();
  log.reset();
}

TEST(ZabStorageTxnLog, SyncsOfConsecutiveBatchesOverlap) {
  uint32_t max_in_flight = 0;
  uint64_t durable = 0;
  run_two_flushers(64ULL << 20, &max_in_flight, &durable);
  EXPECT_EQ(max_in_flight, 2u);
  EXPECT_EQ(durable, 2u);
}

TEST(ZabStorageTxnLog, ANewFileWaitsForTheSyncsInFlight) {
  uint32_t max_in_flight = 0;
  uint64_t durable = 0;
  run_two_flushers(1, &max_in_flight, &durable);  // every flush starts a new file
  EXPECT_EQ(max_in_flight, 1u);
  EXPECT_EQ(durable, 2u);
}

}  // namespace
}  // namespace kz::zk::storage
