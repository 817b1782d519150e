// Registry of kz's subcommands. Each subcommand lives in its own file under core/cli/ and registers
// itself with KZ_COMMAND(name, fn); `fn(CLI::App& app)` adds the subcommand (with --help and examples)
// and sets a callback that stores the process exit code through set_exit_code().
// Exit codes: 0 success/pass, 1 a violation or failure found, 2 bad input (with a message).
#pragma once

#include <CLI/CLI.hpp>

namespace kz::cli {

using RegisterFn = void (*)(CLI::App& app);

void register_all(CLI::App& app);
void set_exit_code(int code);
int exit_code();

// The `kz bench` group (created on first use): benchmark subcommands add themselves under it.
CLI::App* bench_group(CLI::App& app);

struct CommandRegistrar {
  CommandRegistrar(const char* name, RegisterFn fn);
};

}  // namespace kz::cli

#define KZ_COMMAND(name, fn) \
  static ::kz::cli::CommandRegistrar kz_command_registrar_##fn(name, fn)
