// SimDisk: the in-memory file system, its durability contract and its faults.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/sim_disk.h"
#include "sim/world.h"
#include "tests/runtime/virtual_driver.h"

namespace kz::sim {
namespace {

// A disk used from the test's own thread (outside fibers): operations take no simulated time.
struct Bench {
  kz::testing::VirtualDriver driver;
  rt::Scheduler sched{driver};
  SimClock clock{sched};
  SimDisk disk;
  explicit Bench(uint64_t seed, DiskOptions options = {})
      : disk(sched, clock, nullptr, seed, 0, with_zero_latency(options)) {}
  static DiskOptions with_zero_latency(DiskOptions o) {
    o.latency = DiskLatency::zero();
    return o;
  }
};

std::vector<uint8_t> bytes(std::string_view s) { return std::vector<uint8_t>(s.begin(), s.end()); }

std::unique_ptr<io::File> open_file(SimDisk& disk, std::string_view path, io::OpenOptions options) {
  auto f = disk.open(path, options);
  KZ_ASSERT_MSG(f.is_ok(), f.status().to_string());
  return std::move(*f);
}

std::vector<uint8_t> read_all(SimDisk& disk, std::string_view path) {
  auto data = disk.read_file(path);
  KZ_ASSERT_MSG(data.is_ok(), data.status().to_string());
  return *data;
}

// ---- The crash property: what survives is the synced state plus a prefix of what followed.

struct Op {
  enum Kind { kAppend, kPwrite, kTruncate, kSync } kind;
  uint64_t offset = 0;
  std::vector<uint8_t> data = {};
};

void apply_model(std::vector<uint8_t>& content, const Op& op) {
  switch (op.kind) {
    case Op::kAppend:
      content.insert(content.end(), op.data.begin(), op.data.end());
      break;
    case Op::kPwrite:
      if (op.data.empty()) break;
      if (op.offset + op.data.size() > content.size()) content.resize(op.offset + op.data.size());
      std::copy(op.data.begin(), op.data.end(), content.begin() + static_cast<ptrdiff_t>(op.offset));
      break;
    case Op::kTruncate:
      content.resize(op.offset);
      break;
    case Op::kSync:
      break;
  }
}

// Every content a crash may leave: synced state + ops[0..k) (+ a sector prefix of ops[k] if torn).
std::vector<std::vector<uint8_t>> allowed_after_crash(const std::vector<uint8_t>& synced, const std::vector<Op>& ops,
                                                      bool tear) {
  std::vector<std::vector<uint8_t>> out;
  std::vector<uint8_t> state = synced;
  for (size_t k = 0;; k++) {
    out.push_back(state);
    if (k == ops.size()) break;
    const Op& op = ops[k];
    if (tear && (op.kind == Op::kAppend || op.kind == Op::kPwrite) && !op.data.empty()) {
      uint64_t start = op.kind == Op::kAppend ? state.size() : op.offset;
      for (uint64_t cut = (start / 512 + 1) * 512; cut < start + op.data.size(); cut += 512) {
        std::vector<uint8_t> torn = state;
        Op partial{Op::kPwrite, start, std::vector<uint8_t>(op.data.begin(), op.data.begin() + static_cast<ptrdiff_t>(cut - start))};
        apply_model(torn, partial);
        out.push_back(torn);
      }
    }
    apply_model(state, op);
  }
  return out;
}

RC_GTEST_PROP(SimDisk, CrashKeepsSyncedAndAPrefixOfTheRest, (uint64_t seed, bool tear)) {
  Bench b(seed);
  SimDisk& disk = b.disk;
  RC_ASSERT(disk.mkdirs("data").is_ok());
  auto f = open_file(disk, "data/log", io::OpenOptions::create_new());
  RC_ASSERT(disk.sync_dir("data").is_ok());
  std::vector<uint8_t> volatile_model, synced_model;
  std::vector<Op> unsynced;
  int count = *rc::gen::inRange(1, 30);
  for (int i = 0; i < count; i++) {
    Op op{static_cast<Op::Kind>(*rc::gen::inRange(0, 4))};
    if (op.kind == Op::kAppend || op.kind == Op::kPwrite) {
      op.data = *rc::gen::container<std::vector<uint8_t>>(*rc::gen::inRange<size_t>(0, 1500), rc::gen::arbitrary<uint8_t>());
    }
    if (op.kind == Op::kPwrite || op.kind == Op::kTruncate) {
      op.offset = *rc::gen::inRange<uint64_t>(0, volatile_model.size() + 700);
    }
    switch (op.kind) {
      case Op::kAppend:
        RC_ASSERT(f->append(op.data).is_ok());
        break;
      case Op::kPwrite:
        RC_ASSERT(f->pwrite(op.offset, op.data).is_ok());
        break;
      case Op::kTruncate:
        RC_ASSERT(f->truncate(op.offset).is_ok());
        break;
      case Op::kSync:
        RC_ASSERT(f->sync().is_ok());
        break;
    }
    apply_model(volatile_model, op);
    if (op.kind == Op::kSync) {
      synced_model = volatile_model;
      unsynced.clear();
    } else {
      unsynced.push_back(op);
    }
    RC_ASSERT(*f->size() == volatile_model.size());
  }
  RC_ASSERT(read_all(disk, "data/log") == volatile_model);
  disk.crash(tear);
  RC_ASSERT(!f->size().is_ok());  // the handle died with the process
  auto after = read_all(disk, "data/log");
  auto allowed = allowed_after_crash(synced_model, unsynced, tear);
  RC_ASSERT(std::find(allowed.begin(), allowed.end(), after) != allowed.end());
  RC_ASSERT(*disk.durable_contents("data/log") == after);
}

TEST(SimDisk, CrashSometimesKeepsUnsyncedPrefixAndTearsSectors) {
  // Over many seeds both outcomes happen: all unsynced bytes lost, and some kept.
  int lost = 0, kept = 0, torn = 0;
  for (uint64_t seed = 0; seed < 200; seed++) {
    Bench b(seed);
    auto f = open_file(b.disk, "f", io::OpenOptions::create_new());
    ASSERT_TRUE(b.disk.sync_dir(".").is_ok());
    ASSERT_TRUE(f->sync().is_ok());
    ASSERT_TRUE(f->append(std::vector<uint8_t>(2048, 1)).is_ok());
    b.disk.crash(/*tear=*/true);
    size_t size = read_all(b.disk, "f").size();
    ASSERT_EQ(size % 512, 0u);
    if (size == 0) lost++;
    if (size == 2048) kept++;
    if (size > 0 && size < 2048) torn++;
  }
  EXPECT_GT(lost, 0);
  EXPECT_GT(kept, 0);
  EXPECT_GT(torn, 0);
}

TEST(SimDisk, SyncDirMakesCreateDurable) {
  Bench b(1);
  ASSERT_TRUE(b.disk.mkdirs("d").is_ok());
  {
    auto f = open_file(b.disk, "d/a", io::OpenOptions::create_new());
    ASSERT_TRUE(f->append(bytes("A")).is_ok());
    ASSERT_TRUE(f->sync().is_ok());
  }
  b.disk.crash(false);
  EXPECT_FALSE(*b.disk.exists("d/a"));  // data synced, entry not: the file is gone
  EXPECT_TRUE(*b.disk.exists("d"));     // mkdirs is durable
  {
    auto f = open_file(b.disk, "d/a", io::OpenOptions::create_new());
    ASSERT_TRUE(f->append(bytes("A")).is_ok());
    ASSERT_TRUE(f->sync().is_ok());
  }
  ASSERT_TRUE(b.disk.sync_dir("d").is_ok());
  b.disk.crash(false);
  EXPECT_EQ(read_all(b.disk, "d/a"), bytes("A"));
}

TEST(SimDisk, SyncDirMakesRenameAndRemoveDurable) {
  Bench b(2);
  ASSERT_TRUE(b.disk.mkdirs("d").is_ok());
  ASSERT_TRUE(b.disk.write_file_atomic("d/x", bytes("old")).is_ok());
  // A rename not followed by sync_dir is undone by a crash.
  {
    auto f = open_file(b.disk, "d/x.new", io::OpenOptions::create_new());
    ASSERT_TRUE(f->append(bytes("new")).is_ok());
    ASSERT_TRUE(f->sync().is_ok());
  }
  ASSERT_TRUE(b.disk.rename("d/x.new", "d/x").is_ok());
  EXPECT_EQ(read_all(b.disk, "d/x"), bytes("new"));
  b.disk.crash(false);
  EXPECT_EQ(read_all(b.disk, "d/x"), bytes("old"));
  EXPECT_FALSE(*b.disk.exists("d/x.new"));
  // write_file_atomic syncs the directory: it survives.
  ASSERT_TRUE(b.disk.write_file_atomic("d/x", bytes("new")).is_ok());
  b.disk.crash(false);
  EXPECT_EQ(read_all(b.disk, "d/x"), bytes("new"));
  EXPECT_EQ(*b.disk.list("d"), (std::vector<std::string>{"x"}));
  // Remove: undone by a crash unless the directory is synced.
  ASSERT_TRUE(b.disk.remove("d/x").is_ok());
  EXPECT_FALSE(*b.disk.exists("d/x"));
  b.disk.crash(false);
  EXPECT_TRUE(*b.disk.exists("d/x"));
  ASSERT_TRUE(b.disk.remove("d/x").is_ok());
  ASSERT_TRUE(b.disk.sync_dir("d").is_ok());
  b.disk.crash(false);
  EXPECT_FALSE(*b.disk.exists("d/x"));
  EXPECT_EQ(b.disk.used_bytes(), 0u);
}

TEST(SimDisk, RenameAcrossDirectoriesIsAtomicOnDisk) {
  Bench b(3);
  ASSERT_TRUE(b.disk.mkdirs("a").is_ok());
  ASSERT_TRUE(b.disk.mkdirs("b").is_ok());
  ASSERT_TRUE(b.disk.write_file_atomic("a/f", bytes("F")).is_ok());
  ASSERT_TRUE(b.disk.rename("a/f", "b/f").is_ok());
  ASSERT_TRUE(b.disk.sync_dir("b").is_ok());  // the new name is durable: the old one goes with it
  b.disk.crash(false);
  EXPECT_FALSE(*b.disk.exists("a/f"));
  EXPECT_EQ(read_all(b.disk, "b/f"), bytes("F"));
}

TEST(SimDisk, FailedSyncMakesNothingDurable) {
  DiskOptions options;
  options.crash_keep_prefix_probability = 0;  // a crash keeps no unsynced byte
  Bench b(4, options);
  auto f = open_file(b.disk, "f", io::OpenOptions::create_new());
  ASSERT_TRUE(b.disk.sync_dir(".").is_ok());
  ASSERT_TRUE(f->append(bytes("durable")).is_ok());
  ASSERT_TRUE(f->sync().is_ok());
  ASSERT_TRUE(f->append(bytes("+lost")).is_ok());
  b.disk.fail_next_syncs(2);
  EXPECT_EQ(f->sync().code(), Code::kIoError);
  EXPECT_EQ(b.disk.sync_dir(".").code(), Code::kIoError);
  b.disk.crash(false);
  EXPECT_EQ(read_all(b.disk, "f"), bytes("durable"));
  // The failure was one-shot: a later sync works.
  auto g = open_file(b.disk, "f", io::OpenOptions::read_write());
  ASSERT_TRUE(g->append(bytes("+kept")).is_ok());
  ASSERT_TRUE(g->sync().is_ok());
  b.disk.crash(false);
  EXPECT_EQ(read_all(b.disk, "f"), bytes("durable+kept"));
}

TEST(SimDisk, NoSpace) {
  DiskOptions options;
  options.capacity_bytes = 1000;
  Bench b(5, options);
  auto f = open_file(b.disk, "f", io::OpenOptions::create_new());
  ASSERT_TRUE(f->append(std::vector<uint8_t>(800, 1)).is_ok());
  EXPECT_EQ(f->append(std::vector<uint8_t>(300, 2)).code(), Code::kNoSpace);
  EXPECT_EQ(*f->size(), 800u);
  EXPECT_TRUE(f->pwrite(100, std::vector<uint8_t>(500, 3)).is_ok());  // overwriting needs no space
  EXPECT_EQ(f->pwrite(UINT64_MAX - 10, std::vector<uint8_t>(20, 3)).code(), Code::kInvalidArgument);
  EXPECT_EQ(f->pwrite(1ULL << 50, std::vector<uint8_t>(20, 3)).code(), Code::kNoSpace);
  EXPECT_EQ(b.disk.used_bytes(), 800u);
  b.disk.set_capacity_bytes(UINT64_MAX);
  b.disk.set_full(true);
  EXPECT_EQ(f->append(std::vector<uint8_t>(1, 2)).code(), Code::kNoSpace);
  EXPECT_TRUE(f->pwrite(0, std::vector<uint8_t>(10, 4)).is_ok());
  b.disk.set_full(false);
  EXPECT_TRUE(f->append(std::vector<uint8_t>(300, 2)).is_ok());
}

TEST(SimDisk, BitFlipChangesExactlyOneDurableBit) {
  for (uint64_t seed = 0; seed < 20; seed++) {
    Bench b(seed);
    auto data = std::vector<uint8_t>(4096, 0x5a);
    ASSERT_TRUE(b.disk.write_file_atomic("seg", data).is_ok());
    auto flip = b.disk.flip_random_bit();
    ASSERT_TRUE(flip.has_value());
    EXPECT_EQ(flip->path, "seg");
    auto after = *b.disk.durable_contents("seg");
    ASSERT_EQ(after.size(), data.size());
    int bits = 0;
    for (size_t i = 0; i < data.size(); i++) bits += __builtin_popcount(after[i] ^ data[i]);
    EXPECT_EQ(bits, 1);
    EXPECT_EQ(after[flip->offset] ^ data[flip->offset], 1 << flip->bit);
    EXPECT_EQ(read_all(b.disk, "seg"), after);  // reads see the rot
  }
  Bench b(1);
  EXPECT_EQ(b.disk.flip_bit().status().code(), Code::kNotFound);
  EXPECT_FALSE(b.disk.flip_random_bit().has_value());
  ASSERT_TRUE(b.disk.write_file_atomic("x", bytes("abc")).is_ok());
  EXPECT_EQ(b.disk.flip_bit("x", 3, 10).status().code(), Code::kNotFound);
  EXPECT_EQ(b.disk.flip_bit("x", 1, 2)->offset, 1u);
}

TEST(SimDisk, BadPathsAndMisuseAreErrors) {
  Bench b(6);
  EXPECT_EQ(b.disk.open("a/../b", io::OpenOptions::create_new()).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(b.disk.open("missing/f", io::OpenOptions::create_new()).status().code(), Code::kNotFound);
  EXPECT_EQ(b.disk.open("f", io::OpenOptions::read_only()).status().code(), Code::kNotFound);
  EXPECT_EQ(b.disk.open(std::string(5000, 'x'), io::OpenOptions::create_new()).status().code(), Code::kInvalidArgument);
  ASSERT_TRUE(b.disk.mkdirs("d/e").is_ok());
  EXPECT_EQ(b.disk.open("d", io::OpenOptions::read_only()).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(b.disk.remove("d").code(), Code::kIoError);  // not empty
  EXPECT_EQ(b.disk.rename("d", "d/e/f").code(), Code::kInvalidArgument);
  auto f = open_file(b.disk, "d/f", io::OpenOptions::create_new());
  EXPECT_EQ(b.disk.open("d/f", {.write = true, .create = true, .exclusive = true}).status().code(), Code::kAlreadyExists);
  auto r = open_file(b.disk, "d/f", io::OpenOptions::read_only());
  EXPECT_EQ(r->append(bytes("x")).code(), Code::kInvalidArgument);
  ASSERT_TRUE(f->close().is_ok());
  EXPECT_EQ(f->append(bytes("x")).code(), Code::kClosed);
  EXPECT_EQ(b.disk.list("d/f").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(*b.disk.list("d"), (std::vector<std::string>{"e", "f"}));
  // Directory rename carries its contents.
  ASSERT_TRUE(b.disk.rename("d", "z").is_ok());
  EXPECT_TRUE(*b.disk.exists("z/e"));
  EXPECT_TRUE(*b.disk.exists("z/f"));
}

TEST(SimDisk, OpenFileSurvivesUnlinkUntilClosed) {
  Bench b(7);
  auto f = open_file(b.disk, "f", io::OpenOptions::create_new());
  ASSERT_TRUE(f->append(bytes("data")).is_ok());
  ASSERT_TRUE(b.disk.remove("f").is_ok());
  std::vector<uint8_t> buf(4);
  ASSERT_TRUE(f->read_exact(0, buf).is_ok());
  EXPECT_EQ(buf, bytes("data"));
  EXPECT_EQ(b.disk.used_bytes(), 4u);
  f.reset();
  EXPECT_EQ(b.disk.used_bytes(), 0u);
}

// Through the World: a node's disk outlives its process; operations take simulated time.
TEST(SimDiskWorld, DiskSurvivesRestartAndOpsTakeTime) {
  World world(WorldOptions{.seed = 3});
  Node& n = world.add_node("n1");
  int boots = 0;
  std::vector<std::string> seen;
  int64_t append_ns = -1;
  int64_t sync_ns = 0;
  n.start([&](io::Env& env) {
    boots++;
    auto existing = env.fs->read_file("state");
    seen.push_back(existing.is_ok() ? std::string(existing->begin(), existing->end()) : "none");
    if (boots == 1) {
      auto f = env.fs->open("state", io::OpenOptions::create_new());
      ASSERT_TRUE(f.is_ok());
      int64_t start = env.clock->now_ns();
      ASSERT_TRUE((*f)->append(bytes("v1")).is_ok());
      append_ns = env.clock->now_ns() - start;
      start = env.clock->now_ns();
      ASSERT_TRUE((*f)->sync().is_ok());
      sync_ns = env.clock->now_ns() - start;
      ASSERT_TRUE(env.fs->sync_dir(".").is_ok());
      ASSERT_TRUE((*f)->append(bytes("-unsynced")).is_ok());
      env.clock->sleep_for(sec_to_ns(100));  // crashed before waking, holding an open file
    }
  });
  world.run_for(ms_to_ns(10));
  n.crash();
  n.restart();
  world.run_for(ms_to_ns(10));
  EXPECT_EQ(boots, 2);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], "none");
  EXPECT_TRUE(seen[1] == "v1" || seen[1].rfind("v1-", 0) == 0) << seen[1];
  // Write-behind: the append returns at once, and the sync sleeps its latency with the append's.
  const DiskLatency& lat = world.options().disk.latency;
  EXPECT_EQ(append_ns, 0);
  EXPECT_GE(sync_ns, lat.write_ns_min + lat.sync_ns_min);
  EXPECT_LE(sync_ns, lat.write_ns_max + lat.sync_ns_max);
}

TEST(SimDiskWorld, SlowdownMultipliesLatency) {
  World world(WorldOptions{.seed = 4});
  Node& n = world.add_node("n1");
  n.disk().set_slowdown(10);
  int64_t sync_ns = 0;
  n.start([&](io::Env& env) {
    auto f = env.fs->open("f", io::OpenOptions::create_new());
    ASSERT_TRUE(f.is_ok());
    int64_t start = env.clock->now_ns();
    ASSERT_TRUE((*f)->sync().is_ok());
    sync_ns = env.clock->now_ns() - start;
  });
  world.run_for(sec_to_ns(1));
  EXPECT_GE(sync_ns, 10 * world.options().disk.latency.sync_ns_min);
  EXPECT_LE(sync_ns, 10 * world.options().disk.latency.sync_ns_max);
}

}  // namespace
}  // namespace kz::sim
