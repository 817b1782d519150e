// Registration of kz's subcommands. Each `register_*` adds one subcommand (and its --help with
// examples); its callback stores the process exit code through set_exit_code().
#pragma once

#include <CLI/CLI.hpp>

namespace kz::cli {

void register_all(CLI::App& app);
void set_exit_code(int code);
int exit_code();

void register_version(CLI::App& app);

}  // namespace kz::cli
