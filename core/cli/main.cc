// build/kz: one binary, one subcommand per job. Each subcommand lives in its own file and
// registers itself here.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

#include "core/cli/commands.h"
#include "core/real/host.h"

int main(int argc, char** argv) {
  // `kz sim ...` allocates heavily: run it on glibc's huge-page heap (see host.h).
  if (argc >= 2 && std::string(argv[1]) == "sim") kz::real::reexec_with_huge_page_heap(argv);
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
