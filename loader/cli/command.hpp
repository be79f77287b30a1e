// xdpfilter's commands, one entry each in a table (as xdp-tools' tools have
// their do_<command>): a command declares its flags on its CLI11
// subcommand and gives back what runs it once they are parsed.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <span>

namespace xb::cli {

using RunCommand = std::function<int()>;

struct Command {
  const char* name;
  const char* summary;
  RunCommand (*define)(CLI::App& cmd);
};

// The table, in the order `xdpfilter --help` lists them.
std::span<const Command> commands();

// Each command file's entries.
RunCommand define_attach(CLI::App& cmd);   // attach_command.cpp
RunCommand define_detach(CLI::App& cmd);   // change_commands.cpp
RunCommand define_reload(CLI::App& cmd);   // change_commands.cpp
RunCommand define_status(CLI::App& cmd);   // show_commands.cpp
RunCommand define_stats(CLI::App& cmd);    // show_commands.cpp
RunCommand define_metrics(CLI::App& cmd);  // show_commands.cpp
RunCommand define_check(CLI::App& cmd);    // rules_commands.cpp
RunCommand define_gen_rules(CLI::App& cmd);
RunCommand define_import(CLI::App& cmd);

}  // namespace xb::cli
