// Host services for the command line (core/cli): whole-file reads and writes, directories, wall
// time, terminals and child processes. Only tools use these; servers go through io::Env.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

namespace kz::real {

Result<std::string> read_text_file(const std::string& path);
Status write_text_file(const std::string& path, std::string_view text);
Status make_dirs(const std::string& path);
bool path_exists(const std::string& path);
bool is_directory(const std::string& path);

// Monotonic wall time, for measuring how long a command took.
int64_t monotonic_ns();
// CPU time used by this process (benchmarks on a shared machine).
int64_t process_cpu_ns();
// True if stderr is a terminal (progress lines are shown only then, and never when CI is set).
bool stderr_is_tty();
// A 64-bit FNV-1a hash of this executable's bytes: identifies the build that made a run.
std::string self_build_id();
std::string self_exe_path();
// A simulation allocates many small objects and faults in every fresh page of its heap; in a VM a
// page fault costs microseconds, and a busy 3-server simulation took ~8,000 of them (15% of its CPU
// time). glibc's tunable glibc.malloc.hugetlb=1 (glibc >= 2.35) backs malloc's heap with transparent
// huge pages: ~3x fewer faults, 15-30% less CPU (docs/performance.md). glibc reads tunables only at
// process start, so this re-executes the program once with it set (same arguments; results and trace
// hashes are unchanged). It also stops malloc from trimming the heap (trim_threshold 1 GiB, top_pad
// 32 MiB): freed memory stays mapped for the next allocation instead of being faulted in again
// (-14% CPU for zk-sim-speed). It returns (doing nothing) if GLIBC_TUNABLES is already set, if
// KZ_HUGEPAGES=0, if transparent huge pages are off, or if the exec fails.
void reexec_with_huge_page_heap(char** argv);

struct ChildResult {
  int exit_code = -1;
  std::string stdout_text;
};

// Runs `argv` as a child process, capturing its stdout (stderr passes through unless quiet).
Result<ChildResult> run_child(const std::vector<std::string>& argv, bool quiet_stderr);

// Runs `argv` with `input` on its stdin and captures its stdout (a filter such as `dot -Tsvg`).
// argv[0] without a '/' is looked up on PATH; NotFound if it is not there. stderr passes through
// unless quiet.
Result<ChildResult> run_filter(const std::vector<std::string>& argv, std::string_view input, bool quiet_stderr);

// The full path of `program` on PATH, or empty.
std::string find_on_path(const std::string& program);

// Runs up to `jobs` children at a time for each argv produced by `next` (returns false when
// done); `done(i, result)` is called as each finishes, in completion order.
Status run_children(int jobs, const std::function<bool(std::vector<std::string>* argv)>& next,
                    const std::function<void(size_t index, const Result<ChildResult>& result)>& done,
                    bool quiet_stderr);

}  // namespace kz::real
