// SnapshotStore and the epoch files: atomic writes, validation, fallback, purge.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/zk/storage/epoch_file.h"
#include "core/zk/storage/snapshot_store.h"
#include "tests/zk/storage/storage_bench.h"

namespace kz::zk::storage {
namespace {

using testing::bytes_of;
using testing::DiskBench;

TEST(ZabStorageSnapshot, WriteLoadLatest) {
  DiskBench b(1);
  SnapshotStore store(b.env, "snap");
  ASSERT_TRUE(store.init().is_ok());
  auto none = store.load_latest();
  ASSERT_TRUE(none.is_ok());
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE(store.write(0x100000005ULL, bytes_of("state-a")).is_ok());
  ASSERT_TRUE(store.write(0x100000009ULL, bytes_of("state-b")).is_ok());
  b.disk.crash(true);  // both were written atomically and durably
  auto latest = store.load_latest();
  ASSERT_TRUE(latest.is_ok());
  ASSERT_TRUE(latest->has_value());
  EXPECT_EQ((*latest)->zxid, 0x100000009ULL);
  EXPECT_EQ((*latest)->state, bytes_of("state-b"));
  auto names = b.disk.list("snap");
  EXPECT_EQ(*names, (std::vector<std::string>{"snapshot.100000005", "snapshot.100000009"}));
}

TEST(ZabStorageSnapshot, CrashDuringWriteLeavesOldOrNewNeverTorn) {
  // Write the snapshot's tmp file by hand as an interrupted write would, then crash.
  for (bool tear : {false, true}) {
    DiskBench b(2);
    SnapshotStore store(b.env, "snap");
    ASSERT_TRUE(store.init().is_ok());
    ASSERT_TRUE(store.write(7, bytes_of("old")).is_ok());
    {
      auto f = b.disk.open("snap/snapshot.9.tmp", io::OpenOptions::create_new());
      ASSERT_TRUE((*f)->append(std::vector<uint8_t>(4000, 1)).is_ok());
    }
    b.disk.crash(tear);
    auto latest = store.load_latest();
    ASSERT_TRUE(latest.is_ok());
    EXPECT_EQ((*latest)->zxid, 7u);
    ASSERT_TRUE(store.write(9, bytes_of("new")).is_ok());  // a stale tmp does not get in the way
    EXPECT_EQ((*store.load_latest())->state, bytes_of("new"));
  }
}

TEST(ZabStorageSnapshot, DamagedSnapshotIsNamedAndSkipped) {
  DiskBench b(3);
  SnapshotStore store(b.env, "snap");
  ASSERT_TRUE(store.init().is_ok());
  ASSERT_TRUE(store.write(1, bytes_of("one")).is_ok());
  ASSERT_TRUE(store.write(2, bytes_of("two-two-two")).is_ok());
  ASSERT_TRUE(b.disk.flip_bit("snap/snapshot.2", SnapshotStore::kHeaderBytes + 3, SnapshotStore::kHeaderBytes + 4).is_ok());
  auto bad = store.load(2);
  ASSERT_FALSE(bad.is_ok());
  EXPECT_TRUE(bad.status().is(Code::kCorruption));
  EXPECT_NE(bad.status().message().find("snap/snapshot.2"), std::string::npos);
  EXPECT_NE(bad.status().message().find("offset 28"), std::string::npos) << bad.status().to_string();
  auto latest = store.load_latest();
  ASSERT_TRUE(latest.is_ok());
  EXPECT_EQ((*latest)->zxid, 1u);
  EXPECT_TRUE(b.sink.contains("skipping damaged snapshot"));
  // A length field pointing past the file is caught before allocating.
  ASSERT_TRUE(b.disk.flip_bit("snap/snapshot.1", 16, 17).is_ok());
  auto lied = store.load(1);
  ASSERT_FALSE(lied.is_ok());
  EXPECT_NE(lied.status().message().find("offset 16"), std::string::npos) << lied.status().to_string();
}

TEST(ZabStorageSnapshot, PurgeKeepsNewestAndTheLogsTheyNeed) {
  DiskBench b(4);
  SnapshotStore store(b.env, "data");
  ASSERT_TRUE(store.init().is_ok());
  auto log = TxnLog::open(b.env, [] {
    TxnLogOptions o;
    o.dir = "data";
    o.file_bytes_target = 40;
    return o;
  }());
  ASSERT_TRUE(log.is_ok());
  for (uint64_t z = 1; z <= 12; z++) {
    ASSERT_TRUE((*log)->append(z, bytes_of(std::string(30, 'x'))).is_ok());
    ASSERT_TRUE((*log)->flush().is_ok());
    if (z % 2 == 0) {
      ASSERT_TRUE(store.write(z, bytes_of("s" + std::to_string(z))).is_ok());
    }
  }
  // retain 1 is raised to the floor of 3.
  ASSERT_TRUE(store.purge(1, log->get()).is_ok());
  EXPECT_EQ(*store.list(), (std::vector<uint64_t>{8, 10, 12}));
  // Every record after the oldest kept snapshot can still be read.
  auto recs = (*log)->read_after(8);
  ASSERT_TRUE(recs.is_ok());
  EXPECT_EQ(recs->size(), 4u);
  EXPECT_EQ(recs->front().zxid, 9u);
  EXPECT_GT((*log)->files().front().first_zxid, 1u);
  EXPECT_LE((*log)->files().front().first_zxid, 9u);
}

TEST(ZabStorageEpochFile, RoundTripMissingAndDamaged) {
  DiskBench b(5);
  ASSERT_TRUE(b.disk.mkdirs("d").is_ok());
  auto missing = read_epoch_file(b.disk, "d/acceptedEpoch");
  ASSERT_TRUE(missing.is_ok());
  EXPECT_EQ(*missing, 0u);
  ASSERT_TRUE(write_epoch_file(b.disk, "d/acceptedEpoch", 42).is_ok());
  ASSERT_TRUE(write_epoch_file(b.disk, "d/acceptedEpoch", 4000000000u).is_ok());
  b.disk.crash(true);
  EXPECT_EQ(*read_epoch_file(b.disk, "d/acceptedEpoch"), 4000000000u);
  ASSERT_TRUE(b.disk.write_file_atomic("d/currentEpoch", bytes_of("12x\n")).is_ok());
  auto bad = read_epoch_file(b.disk, "d/currentEpoch");
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find("d/currentEpoch: non-digit byte at offset 2"), std::string::npos)
      << bad.status().to_string();
  ASSERT_TRUE(b.disk.write_file_atomic("d/currentEpoch", bytes_of("99999999999\n")).is_ok());
  EXPECT_FALSE(read_epoch_file(b.disk, "d/currentEpoch").is_ok());
}

}  // namespace
}  // namespace kz::zk::storage
