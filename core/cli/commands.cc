#include "core/cli/commands.h"

#include <cstdio>

namespace kz::cli {

namespace {
int g_exit_code = 0;  // the process's exit status, set by the chosen subcommand
}

void set_exit_code(int code) { g_exit_code = code; }
int exit_code() { return g_exit_code; }

void register_version(CLI::App& app) {
  auto* cmd = app.add_subcommand("version", "Print kz's version.\nExample:\n  kz version");
  cmd->callback([] { std::printf("kz 0.1.0\n"); });
}

void register_all(CLI::App& app) {
  register_version(app);
}

}  // namespace kz::cli
