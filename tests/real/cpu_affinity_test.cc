// CPU affinity: CPU lists as the kernel writes them, choosing the CPU that completes a disk's I/O
// from its interrupt lines, and pinning a thread.
#include <gtest/gtest.h>

#include <sched.h>

#include <thread>
#include <vector>

#include "core/real/cpu_affinity.h"
#include "tests/real/temp_dir.h"

namespace kz::real {
namespace {

TEST(CpuAffinity, ParsesKernelCpuLists) {
  EXPECT_EQ(parse_cpu_list("1\n").value(), (std::vector<int>{1}));
  EXPECT_EQ(parse_cpu_list("0-3,5,7-8").value(), (std::vector<int>{0, 1, 2, 3, 5, 7, 8}));
  EXPECT_EQ(parse_cpu_list("3,1,1-2").value(), (std::vector<int>{1, 2, 3}));
  for (const char* bad : {"", "x", "1-", "3-1", "1,,2", "99999", "-1"}) {
    Result<std::vector<int>> r = parse_cpu_list(bad);
    EXPECT_FALSE(r.is_ok()) << bad;
  }
  EXPECT_NE(parse_cpu_list("2-x").status().message().find("2-x"), std::string::npos);
}

IrqLine line(int irq, std::vector<uint64_t> counts, std::vector<int> affinity) {
  return IrqLine{irq, std::move(counts), std::move(affinity)};
}

TEST(CpuAffinity, OneQueueDiskCompletesOnOneCpu) {
  // A virtio disk: a configuration line that never fired (routed to CPU 0) and one request queue
  // on CPU 1.
  Result<int> cpu = single_completion_cpu({line(35, {0, 0}, {0}), line(36, {0, 14320858}, {1})});
  ASSERT_TRUE(cpu.is_ok()) << cpu.status().to_string();
  EXPECT_EQ(*cpu, 1);
}

TEST(CpuAffinity, NoSingleCpuIsAnErrorSayingWhy) {
  // A queue per CPU (NVMe): completions already land where they were submitted.
  Result<int> spread = single_completion_cpu({line(40, {900, 0}, {0}), line(41, {0, 800}, {1})});
  ASSERT_FALSE(spread.is_ok());
  EXPECT_NE(spread.status().message().find("spread over CPUs 0,1"), std::string::npos) << spread.status().message();
  // A line routed to several CPUs.
  Result<int> several = single_completion_cpu({line(42, {10, 10}, {0, 1})});
  ASSERT_FALSE(several.is_ok());
  EXPECT_NE(several.status().message().find("interrupt 42 is routed to CPUs 0,1"), std::string::npos);
  // Nothing fired yet, or no lines at all.
  EXPECT_FALSE(single_completion_cpu({line(43, {0, 0}, {1})}).is_ok());
  EXPECT_FALSE(single_completion_cpu({}).is_ok());
}

TEST(CpuAffinity, DiskOfAPathIsFoundOrTheReasonIsNamed) {
  kz::testing::TempDir dir;
  // Which it is depends on the machine (a VM's virtio disk, an overlay in a container...): either
  // way the answer is definite, and an error names the path.
  Result<DiskCpu> disk = disk_completion_cpu(dir.path());
  if (disk.is_ok()) {
    EXPECT_GE(disk->cpu, 0);
    EXPECT_FALSE(disk->device.empty());
  } else {
    EXPECT_NE(disk.status().message().find(dir.path()), std::string::npos) << disk.status().message();
  }
  Result<DiskCpu> missing = disk_completion_cpu(dir.path() + "/no/such/dir");
  ASSERT_FALSE(missing.is_ok());
  EXPECT_NE(missing.status().message().find("no/such/dir"), std::string::npos);
}

TEST(CpuAffinity, PinsTheCallingThread) {
  Result<std::vector<int>> allowed = allowed_cpus();
  ASSERT_TRUE(allowed.is_ok()) << allowed.status().to_string();
  ASSERT_FALSE(allowed->empty());
  const int target = allowed->back();
  // On a thread of its own, so the test process keeps its mask.
  std::thread t([&] {
    Status st = pin_to_cpu(target);
    ASSERT_TRUE(st.is_ok()) << st.to_string();
    EXPECT_EQ(allowed_cpus().value(), (std::vector<int>{target}));
    EXPECT_EQ(sched_getcpu(), target);
  });
  t.join();
  EXPECT_FALSE(pin_to_cpu(-1).is_ok());
  EXPECT_FALSE(pin_to_cpu(100000).is_ok());
}

}  // namespace
}  // namespace kz::real
