// File::sync() on the real backend's helper thread: the syncing fiber parks, the others run, the
// data is durable when sync() returns, and a killed fiber abandons its sync cleanly.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/real/real_runtime.h"
#include "tests/real/temp_dir.h"

namespace kz::real {
namespace {

std::unique_ptr<RealRuntime> make_runtime(const std::string& root) {
  RealRuntimeOptions options;
  options.handle_signals = false;
  options.log_level = Level::kWarn;
  options.fs_root = root;
  Result<std::unique_ptr<RealRuntime>> rt = RealRuntime::create(std::move(options));
  KZ_ASSERT_MSG(rt.is_ok(), rt.status().to_string());
  return std::move(rt).value();
}

TEST(RealSyncThread, OtherFibersRunWhileOneSyncs) {
  kz::testing::TempDir dir;
  auto rt = make_runtime(dir.path());
  io::Env& env = rt->env();
  constexpr int kSyncs = 20;
  bool in_sync = false;
  bool writer_done = false;
  int ticks_during_sync = 0;
  std::vector<uint8_t> record(100, 'x');
  rt->group().spawn("writer", [&] {
    auto f = env.fs->open("log", io::OpenOptions::create_new());
    ASSERT_TRUE(f.is_ok()) << f.status().to_string();
    for (int i = 0; i < kSyncs; i++) {
      ASSERT_TRUE((*f)->append(record).is_ok());
      in_sync = true;
      Status s = (*f)->sync();
      in_sync = false;
      ASSERT_TRUE(s.is_ok()) << s.to_string();
    }
    ASSERT_TRUE((*f)->close().is_ok());
    writer_done = true;
  });
  rt->group().spawn("ticker", [&] {
    while (!writer_done) {
      if (in_sync) ticks_during_sync++;
      env.sched->yield();
    }
  });
  EXPECT_EQ(rt->run(), rt::Scheduler::RunResult::kQuiescent);
  EXPECT_TRUE(writer_done);
  // A blocking fsync would never let the ticker run while the writer is inside sync().
  EXPECT_GT(ticks_during_sync, 0);
  ASSERT_NE(rt->fs().sync_thread(), nullptr);
  EXPECT_EQ(rt->fs().sync_thread()->offloaded(), static_cast<uint64_t>(kSyncs));
  auto data = rt->fs().read_file("log");
  ASSERT_TRUE(data.is_ok());
  EXPECT_EQ(data->size(), record.size() * kSyncs);
  EXPECT_EQ(rt->driver().blocked_fibers(), 0u);
  // The helper's eventfd is watched only while a sync is in flight.
  EXPECT_EQ(rt->driver().registered(), 0u);
}

TEST(RealSyncThread, ALoneFiberSyncsInline) {
  kz::testing::TempDir dir;
  auto rt = make_runtime(dir.path());
  io::Env& env = rt->env();
  constexpr int kSyncs = 5;
  rt->group().spawn("writer", [&] {
    auto f = env.fs->open("log", io::OpenOptions::create_new());
    ASSERT_TRUE(f.is_ok()) << f.status().to_string();
    for (int i = 0; i < kSyncs; i++) {
      ASSERT_TRUE((*f)->append(std::vector<uint8_t>(10, 'x')).is_ok());
      ASSERT_TRUE((*f)->sync().is_ok());
    }
  });
  EXPECT_EQ(rt->run(), rt::Scheduler::RunResult::kQuiescent);
  // Nothing else was runnable and no event was pending: no thread hand-off was worth its wake-ups.
  ASSERT_NE(rt->fs().sync_thread(), nullptr);
  EXPECT_EQ(rt->fs().sync_thread()->offloaded(), 0u);
  EXPECT_EQ(rt->fs().sync_thread()->inline_syncs(), static_cast<uint64_t>(kSyncs));
  EXPECT_EQ(rt->driver().registered(), 0u);
}

TEST(RealSyncThread, OutsideAFiberSyncsInline) {
  kz::testing::TempDir dir;
  auto rt = make_runtime(dir.path());
  auto f = rt->fs().open("x", io::OpenOptions::create_new());
  ASSERT_TRUE(f.is_ok());
  ASSERT_TRUE((*f)->append(std::vector<uint8_t>{1, 2, 3}).is_ok());
  EXPECT_TRUE((*f)->sync().is_ok());
  // No fiber: no helper thread is started, and nothing is registered with the reactor for it.
  EXPECT_EQ(rt->fs().sync_thread(), nullptr);
  EXPECT_EQ(rt->driver().registered(), 0u);
}

TEST(RealSyncThread, KilledWhileSyncingAbandonsTheSync) {
  kz::testing::TempDir dir;
  auto rt = make_runtime(dir.path());
  io::Env& env = rt->env();
  int syncs_done = 0;
  rt->group().spawn("writer", [&] {
    auto f = env.fs->open("log", io::OpenOptions::create_new());
    ASSERT_TRUE(f.is_ok());
    std::vector<uint8_t> block(4096, 'y');
    for (;;) {
      ASSERT_TRUE((*f)->append(block).is_ok());
      ASSERT_TRUE((*f)->sync().is_ok());
      syncs_done++;
    }
  });
  // Stop after a little while with the writer most likely parked in sync(); then kill it.
  rt->sched().add_timer(rt->driver().now_ns() + 30 * kNsPerMs, [&] { rt->stop(); });
  EXPECT_EQ(rt->run(), rt::Scheduler::RunResult::kStopped);
  EXPECT_GT(syncs_done, 0);
  rt->group().kill();
  EXPECT_EQ(rt->group().fiber_count(), 0u);
  EXPECT_EQ(rt->driver().blocked_fibers(), 0u);
  // The runtime's teardown joins the helper (it finishes the abandoned sync) and unregisters it.
}

}  // namespace
}  // namespace kz::real
