// build/kz: one binary, one subcommand per job. Each subcommand lives in its own file and
// registers itself here.
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "core/cli/commands.h"

namespace {

// A simulation allocates many small objects and faults in every fresh page of its heap; in a VM a
// page fault costs microseconds, and a busy 3-server simulation took ~8,000 of them (15% of its CPU
// time). Transparent huge pages for malloc's heap (glibc's tunable glibc.malloc.hugetlb=1, Debian 12's
// glibc 2.36) cut the faults ~3x and the simulation's CPU time by 15-30% (docs/performance.md).
// glibc reads tunables only at process start, so `kz sim ...` re-executes itself once with it set.
// Nothing else changes: same arguments, same results, same trace hashes. KZ_HUGEPAGES=0 turns it off;
// a GLIBC_TUNABLES already set by the user is left alone.
void reexec_with_huge_pages(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "sim") != 0) return;
  if (std::getenv("GLIBC_TUNABLES") != nullptr) return;
  const char* flag = std::getenv("KZ_HUGEPAGES");
  if (flag != nullptr && std::strcmp(flag, "0") == 0) return;
  std::ifstream thp("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string mode;
  std::getline(thp, mode);
  if (mode.find("[never]") != std::string::npos || mode.empty()) return;
  if (::setenv("GLIBC_TUNABLES", "glibc.malloc.hugetlb=1", 1) != 0) return;
  ::execv("/proc/self/exe", argv);
  ::unsetenv("GLIBC_TUNABLES");  // exec failed: carry on as we are
}

}  // namespace

int main(int argc, char** argv) {
  reexec_with_huge_pages(argc, argv);
  CLI::App app{"kz: a Kafka + ZooKeeper implementation on one deterministic scheduler.\n"
               "Examples:\n"
               "  kz sim run scenarios/zk-leader-crash.toml --seed 7\n"
               "  kz zookeeper --port 2181 --data-dir /tmp/zk\n"
               "  kz bench runtime",
               "kz"};
  app.require_subcommand(1);
  kz::cli::register_all(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  return kz::cli::exit_code();
}
