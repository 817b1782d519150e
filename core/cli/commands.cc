#include "core/cli/commands.h"

#include <cstdio>
#include <map>
#include <string>

namespace kz::cli {

namespace {
int g_exit_code = 0;  // the process's exit status, set by the chosen subcommand

// Sorted by name, so --help lists subcommands in a stable order whatever the link order.
std::map<std::string, RegisterFn>& registry() {
  static std::map<std::string, RegisterFn> commands;
  return commands;
}

void register_version(CLI::App& app) {
  auto* cmd = app.add_subcommand("version", "Print kz's version.\nExample:\n  kz version");
  cmd->callback([] { std::printf("kz 0.1.0\n"); });
}
}  // namespace

CommandRegistrar::CommandRegistrar(const char* name, RegisterFn fn) { registry()[name] = fn; }

CLI::App* bench_group(CLI::App& app) {
  for (CLI::App* sub : app.get_subcommands([](CLI::App* a) { return a->get_name() == "bench"; })) return sub;
  CLI::App* bench = app.add_subcommand("bench", "Benchmarks: measured figures printed as one JSON line (not tests).\n"
                                                "Examples:\n  kz bench runtime\n  kz bench kafka-codec");
  bench->require_subcommand(1);
  return bench;
}

void set_exit_code(int code) { g_exit_code = code; }
int exit_code() { return g_exit_code; }

void register_all(CLI::App& app) {
  for (auto& [name, fn] : registry()) fn(app);
}

KZ_COMMAND("version", register_version);

}  // namespace kz::cli
