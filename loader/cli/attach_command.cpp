// xdpfilter attach: the filter at a hook, or, for socket-filter, on a socket
// this process holds in the foreground.
#include <fmt/format.h>

#include <chrono>
#include <memory>

#include "cli_common.hpp"
#include "command.hpp"
#include "errors.hpp"

namespace xb::cli {
namespace {

struct AttachOptions {
  Selector selector;
  RulesOption rules;
  TargetFlags target;
  double duration_s = 0;
  std::uint64_t table_bytes = 0;
};

// socket-filter: the filter lives on a socket of this process, so attach
// stays in the foreground until Ctrl-C, SIGTERM (what detach sends) or --duration.
int guard_socket(const AttachRequest& req, const CompiledRuleSet& rules, double duration_s) {
  stop_on_signals();
  SocketGuard guard(state_paths(), req, rules);
  fmt::print("attached {} with {} rules from {} (prog id {}); receiving until {}\n", guard.record().where(),
             rules.rules().rules.size(), rules.source(), guard.record().prog_id,
             duration_s > 0 ? fmt::format("{} s have passed or Ctrl-C", duration_s) : std::string("Ctrl-C"));
  std::fflush(stdout);
  const auto start = std::chrono::steady_clock::now();
  std::uint64_t received = 0;
  while (!stop_requested) {
    received += guard.receive(200);
    if (duration_s > 0 && std::chrono::steady_clock::now() - start >= std::chrono::duration<double>(duration_s)) break;
  }
  fmt::print("detached {}: the socket received {} packets the filter passed\n", guard.record().where(), received);
  return 0;
}

int attach(const AttachOptions& o) {
  RuleSet parsed = rules_from(o.rules);
  require_root();
  // in the order xdpfilter always checked: the direction, the target, then
  // the rules compiled, all before anything changes
  AttachRequest req;
  req.hook = parse_hook(o.selector.hook);
  req.direction = direction_of(o.selector, req.hook);
  check_direction(req.hook, req.direction);
  req.netns = o.selector.netns;
  TargetFlags target = o.target;
  target.iface = o.selector.iface;
  target.cgroup = o.selector.cgroup;
  target.route = o.selector.route;
  target.table = o.selector.table;
  req.target = hook_target(req.hook, target);
  req.table_capacity = static_cast<std::uint32_t>((o.table_bytes + XB_BLOCK_SIZE - 1) / XB_BLOCK_SIZE);
  const CompiledRuleSet rules(std::move(parsed));
  if (hook_ops(req.hook).held_by_process) return guard_socket(req, rules, o.duration_s);
  const auto rec = attach_filter(state_paths(), req, rules);
  fmt::print("attached {} with {} rules from {} (prog id {})\n", rec.where(), rules.rules().rules.size(),
             rules.source(), rec.prog_id);
  if (const auto* xdp = std::get_if<XdpHold>(&rec.hold); xdp && !xdp->dispatched)
    fmt::print(
        "note: libxdp's dispatcher cannot load on this kernel; the filter is attached as the "
        "interface's only XDP program\n");
  return 0;
}

}  // namespace

RunCommand define_attach(CLI::App& cmd) {
  auto o = std::make_shared<AttachOptions>();
  add_selector(&cmd, o->selector, true);
  add_rules_option(&cmd, o->rules, false);
  cmd.add_option("--nf-hook", o->target.nf_hook, "netfilter: prerouting | input")->capture_default_str();
  cmd.add_option("--priority", o->target.nf_priority, "netfilter: hook priority (nftables' filter is 0)")
      ->capture_default_str();
  cmd.add_option("--udp-port", o->target.udp_port,
                 "socket-filter: guard a UDP socket on this port, not a packet socket on --iface");
  cmd.add_option("--duration", o->duration_s, "socket-filter: seconds to stay attached (0: until Ctrl-C)");
  cmd.add_option("--table-capacity", o->table_bytes,
                 "room for the compiled rule table, now and on every reload (e.g. 16M; default: twice what "
                 "these rules need, at least 256K)")
      ->transform(CLI::AsSizeValue(false))
      ->check(CLI::Range(std::uint64_t{XB_BLOCK_SIZE}, std::uint64_t{XB_MAX_BLOCKS} * XB_BLOCK_SIZE));
  return [o] { return attach(*o); };
}

}  // namespace xb::cli
