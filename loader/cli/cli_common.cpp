#include "cli_common.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <cstdlib>

#include "errors.hpp"
#include "lwt_route.hpp"
#include "rule_files.hpp"

namespace xb::cli {

// Read here, at the CLI's edge; the library is told.
const StatePaths& state_paths() {
  static const StatePaths paths = [] {
    StatePaths p;
    if (const char* v = std::getenv("XDPBENCH_STATE_DIR"); v && *v) p.state_dir = v;
    if (const char* v = std::getenv("XDPBENCH_PIN_ROOT"); v && *v) p.pin_root = v;
    return p;
  }();
  return paths;
}

Direction direction_of(const Selector& s, Hook hook) {
  return s.direction.empty() ? default_direction(hook) : parse_direction(s.direction);
}

void add_selector(CLI::App* cmd, Selector& s, bool required) {
  auto* hook = cmd->add_option("--hook", s.hook, fmt::format("{}", fmt::join(hook_names(), " | ")));
  if (required) hook->required();
  cmd->add_option("--iface", s.iface, "interface name");
  cmd->add_option("--netns", s.netns, "network namespace (as in `ip netns`)");
  cmd->add_option("--cgroup", s.cgroup, "cgroup v2 directory (cgroup-skb)");
  cmd->add_option("--direction", s.direction,
                  "ingress | egress (tc-cls, tc-act, tcx, cgroup-skb); default: ingress, egress for lwt-out and "
                  "lwt-xmit");
  cmd->add_option("--route", s.route, "lwt-in, lwt-out, lwt-xmit: the route's prefix (198.19.0.0/24, default, ::/0)");
  cmd->add_option("--table", s.table, "lwt-*: the route's table (main, local, default or a number; default: main)");
}

volatile std::sig_atomic_t stop_requested = 0;

void stop_on_signals() {
  std::signal(SIGINT, [](int) { stop_requested = 1; });
  std::signal(SIGTERM, [](int) { stop_requested = 1; });
}

void add_rules_option(CLI::App* cmd, RulesOption& r, bool required) {
  auto* rules = cmd->add_option("--rules", r.spec,
                                std::string("rule file: TOML, ClassBench, iptables-save or nft -j JSON (told apart "
                                            "by the first character), or toml:FILE, classbench:FILE, iptables:FILE, "
                                            "nft:FILE") +
                                    (required ? "" : "; default: the embedded rule set"));
  if (required) rules->required();
  cmd->add_option("--classbench-action", r.classbench_action,
                  "drop | pass: the action of every rule of a ClassBench file (the format has none)")
      ->capture_default_str()
      ->check(CLI::IsMember({"drop", "pass"}));
}

RuleSet rules_from(const RulesOption& r) {
  return r.spec.empty() ? default_rule_set() : load_rules(r.spec, action_from_name(r.classbench_action));
}

std::vector<AttachmentRecord> select(const Selector& s) {
  std::vector<AttachmentRecord> out;
  const bool by_hook = !s.hook.empty();
  const Hook hook = by_hook ? parse_hook(s.hook) : Hook::XdpNative;
  const Direction dir = direction_of(s, hook);
  const std::string route = s.route.empty() ? "" : parse_route_prefix(s.route).text();
  const std::uint32_t table = parse_route_table(s.table);
  for (auto& r : AttachmentStore(state_paths()).list()) {
    if (by_hook && r.hook != hook) continue;
    if (!s.iface.empty() && r.interface() != s.iface) continue;
    if (!s.cgroup.empty() && (!r.cgroup() || r.cgroup()->path != s.cgroup)) continue;
    if (!s.netns.empty() && r.netns != s.netns) continue;
    if (!route.empty() && (!r.route() || r.route()->prefix != route || r.route()->table != table)) continue;
    if (by_hook && !is_xdp(hook) && r.direction != dir) continue;
    out.push_back(std::move(r));
  }
  return out;
}

AttachmentRecord select_one(const Selector& s) {
  auto found = select(s);
  if (found.empty())
    throw Error(fmt::format("no xdpbench filter attached matches the given --hook/--iface/--netns/--cgroup{}",
                            s.route.empty() ? "" : "/--route"));
  if (found.size() > 1)
    throw Error(
        fmt::format("{} filters match; name one with --hook, --iface, --netns, --cgroup or --route", found.size()));
  return found.front();
}

void require_root() {
  if (::geteuid() != 0)
    throw Error("xdpfilter needs root (CAP_BPF, CAP_NET_ADMIN and CAP_SYS_ADMIN for namespaces): run it with sudo");
}

}  // namespace xb::cli
