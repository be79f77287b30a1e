// xdpfilter: attach the filter at a hook, show it, count, reload, detach.
// Bad input gets one line on stderr and exit code 2, with nothing changed.
// Each command is an entry of the table below, its code in a file of its own.
#include <CLI/CLI.hpp>
#include <iostream>
#include <utility>
#include <vector>

#include "cli_parse_error.hpp"
#include "command.hpp"
#include "errors.hpp"
#include "libbpf_logging.hpp"

namespace xb::cli {

std::span<const Command> commands() {
  static constexpr Command kCommands[] = {
      {"attach", "attach the filter at a hook", define_attach},
      {"detach", "detach filters attached by xdpfilter", define_detach},
      {"status", "list what xdpfilter attached where", define_status},
      {"stats", "per-rule packet and byte counters", define_stats},
      {"metrics", "serve the counters at /metrics for Prometheus", define_metrics},
      {"reload", "replace the rule set atomically", define_reload},
      {"check", "parse and compile a rule file, change nothing", define_check},
      {"gen-rules", "print a synthetic rule set as a rule file", define_gen_rules},
      {"import", "write an iptables or nftables rule set as this filter's TOML rules", define_import},
  };
  return kCommands;
}

namespace {

int run(int argc, char** argv) {
  CLI::App app{"xdpfilter: one packet filter at every packet hook: XDP, tc, sockets, cgroups, netfilter, routes"};
  app.require_subcommand(1);
  std::vector<std::pair<CLI::App*, RunCommand>> defined;
  for (const Command& c : commands()) {
    CLI::App* cmd = app.add_subcommand(c.name, c.summary);
    defined.emplace_back(cmd, c.define(*cmd));
  }
  const bool check_args_only = take_check_args(argc, argv);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return exit_on_parse_error(app, e, "xdpfilter");
  }
  if (check_args_only) return 0;
  route_libbpf_logging();
  for (const auto& [cmd, run_command] : defined)
    if (*cmd) return run_command();
  return 0;
}

}  // namespace
}  // namespace xb::cli

int main(int argc, char** argv) {
  try {
    return xb::cli::run(argc, argv);
  } catch (const xb::Error& e) {
    std::cerr << "xdpfilter: " << e.what() << "\n";
    if (const auto log = xb::recent_libbpf_warnings(); !log.empty() && xb::libbpf_debug_enabled())
      std::cerr << "libbpf/libxdp warnings:\n" << log;
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "xdpfilter: internal error: " << e.what() << "\n";
    return 1;
  }
}
