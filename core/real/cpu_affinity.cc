#include "core/real/cpu_affinity.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <map>

#include <fmt/format.h>

#include "core/real/os_error.h"

namespace kz::real {

namespace {

constexpr int kMaxCpu = CPU_SETSIZE - 1;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\n' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool parse_uint(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 19) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

// A small sysfs/procfs file, whole; nullopt-like empty result with ok=false if unreadable.
bool read_small_file(const std::string& path, std::string* out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  out->clear();
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out->append(buf, static_cast<size_t>(n));
    if (out->size() > (1u << 20)) break;
  }
  ::close(fd);
  return true;
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

std::string resolve(const std::string& path) {
  char buf[PATH_MAX];
  if (::realpath(path.c_str(), buf) == nullptr) return "";
  return buf;
}

std::vector<std::string> list_dir(const std::string& path) {
  std::vector<std::string> names;
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return names;
  while (dirent* e = ::readdir(dir)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

std::string parent_of(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos || slash == 0 ? "/" : path.substr(0, slash);
}

std::string base_of(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string cpus_text(const std::vector<int>& cpus) {
  std::string s;
  for (int c : cpus) s += (s.empty() ? "" : ",") + std::to_string(c);
  return s;
}

}  // namespace

Result<std::vector<int>> parse_cpu_list(std::string_view text) {
  std::string_view t = trim(text);
  if (t.empty()) return Status(Code::kInvalidArgument, "empty CPU list");
  std::vector<int> cpus;
  size_t pos = 0;
  while (pos <= t.size()) {
    size_t comma = t.find(',', pos);
    if (comma == std::string_view::npos) comma = t.size();
    std::string_view item = t.substr(pos, comma - pos);
    pos = comma + 1;
    size_t dash = item.find('-');
    uint64_t lo = 0;
    uint64_t hi = 0;
    bool ok = dash == std::string_view::npos
                  ? parse_uint(item, &lo) && (hi = lo, true)
                  : parse_uint(item.substr(0, dash), &lo) && parse_uint(item.substr(dash + 1), &hi);
    if (!ok || lo > hi || hi > kMaxCpu) {
      return Status(Code::kInvalidArgument, fmt::format("bad CPU list '{}' (at '{}')", t, item));
    }
    for (uint64_t c = lo; c <= hi; c++) cpus.push_back(static_cast<int>(c));
  }
  std::sort(cpus.begin(), cpus.end());
  cpus.erase(std::unique(cpus.begin(), cpus.end()), cpus.end());
  return cpus;
}

Result<int> single_completion_cpu(const std::vector<IrqLine>& lines) {
  if (lines.empty()) return Status(Code::kNotFound, "the device has no interrupt lines");
  std::vector<int> targets;
  int fired = 0;
  for (const IrqLine& line : lines) {
    uint64_t total = 0;
    for (uint64_t n : line.per_cpu_count) total += n;
    if (total == 0) continue;  // configuration or idle lines: they complete nothing
    fired++;
    if (line.affinity.size() != 1) {
      return Status(Code::kUnsupported,
                    fmt::format("interrupt {} is routed to CPUs {}, not to one CPU", line.irq, cpus_text(line.affinity)));
    }
    targets.push_back(line.affinity[0]);
  }
  if (fired == 0) return Status(Code::kNotFound, "none of the device's interrupt lines has fired yet");
  std::sort(targets.begin(), targets.end());
  targets.erase(std::unique(targets.begin(), targets.end()), targets.end());
  if (targets.size() != 1) {
    return Status(Code::kUnsupported,
                  fmt::format("its completions are spread over CPUs {} (a queue per CPU): nothing to gain",
                              cpus_text(targets)));
  }
  return targets[0];
}

Result<DiskCpu> disk_completion_cpu(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return fs_error(errno, "stat", path);
  const unsigned maj = major(st.st_dev);
  const unsigned min = minor(st.st_dev);
  std::string dev = resolve(fmt::format("/sys/dev/block/{}:{}", maj, min));
  if (dev.empty()) {
    return Status(Code::kNotFound, fmt::format("{} is on device {}:{}, which is not a block device "
                                               "(tmpfs, overlay, btrfs or a network file system?)",
                                               path, maj, min));
  }
  // A partition's disk is its parent; a device-mapper volume over one device is that device.
  for (int depth = 0; depth < 8; depth++) {
    if (exists(dev + "/partition")) {
      dev = parent_of(dev);
      continue;
    }
    std::vector<std::string> slaves = list_dir(dev + "/slaves");
    if (slaves.empty()) break;
    if (slaves.size() > 1) {
      return Status(Code::kUnsupported,
                    fmt::format("{} is on {}, which spans {} devices", path, base_of(dev), slaves.size()));
    }
    std::string next = resolve(dev + "/slaves/" + slaves[0]);
    if (next.empty()) break;
    dev = next;
  }
  const std::string name = base_of(dev);
  // The PCI function above the disk lists its MSI interrupts.
  std::string msi_dir;
  for (std::string d = resolve(dev + "/device"); !d.empty() && d != "/" && d != "/sys/devices"; d = parent_of(d)) {
    if (exists(d + "/msi_irqs")) {
      msi_dir = d + "/msi_irqs";
      break;
    }
  }
  if (msi_dir.empty()) {
    return Status(Code::kNotFound, fmt::format("{} (the disk of {}) has no MSI interrupts in /sys", name, path));
  }
  std::vector<IrqLine> lines;
  for (const std::string& entry : list_dir(msi_dir)) {
    uint64_t irq = 0;
    if (!parse_uint(entry, &irq)) continue;
    IrqLine line;
    line.irq = static_cast<int>(irq);
    std::string text;
    if (read_small_file(fmt::format("/sys/kernel/irq/{}/per_cpu_count", irq), &text)) {
      std::string_view t = trim(text);
      size_t pos = 0;
      while (pos <= t.size()) {
        size_t comma = t.find(',', pos);
        if (comma == std::string_view::npos) comma = t.size();
        uint64_t n = 0;
        if (parse_uint(t.substr(pos, comma - pos), &n)) line.per_cpu_count.push_back(n);
        pos = comma + 1;
      }
    }
    if (read_small_file(fmt::format("/proc/irq/{}/effective_affinity_list", irq), &text) ||
        read_small_file(fmt::format("/proc/irq/{}/smp_affinity_list", irq), &text)) {
      Result<std::vector<int>> cpus = parse_cpu_list(text);
      if (cpus.is_ok()) line.affinity = std::move(*cpus);
    }
    lines.push_back(std::move(line));
  }
  Result<int> cpu = single_completion_cpu(lines);
  if (!cpu.is_ok()) {
    return Status(cpu.status().code(), fmt::format("{} (the disk of {}): {}", name, path, cpu.status().message()));
  }
  return DiskCpu{*cpu, name};
}

Status pin_to_cpu(int cpu) {
  if (cpu < 0 || cpu > kMaxCpu) return Status(Code::kInvalidArgument, fmt::format("CPU {} is out of range", cpu));
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (::sched_setaffinity(0, sizeof set, &set) != 0) {
    int err = errno;
    return Status(Code::kUnsupported,
                  fmt::format("cannot pin to CPU {}: {}{}", cpu, errno_text(err),
                              err == EINVAL ? " (not a CPU this process may use)" : ""));
  }
  return Status::ok();
}

Result<std::vector<int>> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) != 0) {
    return Status(Code::kIoError, fmt::format("sched_getaffinity: {}", errno_text(errno)));
  }
  std::vector<int> cpus;
  for (int c = 0; c <= kMaxCpu; c++) {
    if (CPU_ISSET(c, &set)) cpus.push_back(c);
  }
  return cpus;
}

}  // namespace kz::real
