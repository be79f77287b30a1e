// xdpfilter: attach the filter at a hook, show it, count, reload, detach.
// Bad input gets one line on stderr and exit code 2, with nothing changed.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <csignal>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli_parse_error.hpp"
#include "errors.hpp"
#include "filter_attach.hpp"
#include "filter_metrics.hpp"
#include "import_command.hpp"
#include "libbpf_logging.hpp"
#include "lwt_route.hpp"
#include "metrics_server.hpp"
#include "rule_compiler.hpp"
#include "rule_files.hpp"
#include "synthetic_rules.hpp"

namespace {

using namespace xb;
using nlohmann::json;

// Where xdpfilter keeps its records and pins: the defaults, or where
// XDPBENCH_STATE_DIR and XDPBENCH_PIN_ROOT move them (the tests do). Read
// here, at the CLI's edge; the library is told.
const StatePaths& state_paths() {
  static const StatePaths paths = [] {
    StatePaths p;
    if (const char* v = std::getenv("XDPBENCH_STATE_DIR"); v && *v) p.state_dir = v;
    if (const char* v = std::getenv("XDPBENCH_PIN_ROOT"); v && *v) p.pin_root = v;
    return p;
  }();
  return paths;
}

struct Selector {
  std::string hook, iface, netns, cgroup, route, table, direction;  // direction: empty, the hook's own
};

// --direction as given, else the hook's own (ingress, or egress for lwt-out and lwt-xmit)
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
void request_stop(int) { stop_requested = 1; }

// socket-filter: the filter lives on a socket of this process, so attach
// stays in the foreground until Ctrl-C, SIGTERM (what detach sends) or --duration.
int guard_socket(const AttachRequest& req, const CompiledRuleSet& rules, double duration_s) {
  std::signal(SIGINT, request_stop);
  std::signal(SIGTERM, request_stop);
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

// --rules and --classbench-action, as attach, reload and check take them
struct RulesOption {
  std::string spec;
  std::string classbench_action = "drop";
};

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

// Read and compiled once, before anything changes: bad rules fail here
CompiledRuleSet compiled_rules_from(const RulesOption& r) { return CompiledRuleSet(rules_from(r)); }

// The recorded attachments a selector names; with no selector, all of them.
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

json counter_json(const RuleCounter& c) { return {{"packets", c.packets}, {"bytes", c.bytes}}; }

int run(int argc, char** argv) {
  CLI::App app{"xdpfilter: one packet filter at every packet hook: XDP, tc, sockets, cgroups, netfilter, routes"};
  app.require_subcommand(1);

  Selector attach_sel;
  RulesOption attach_rules;
  TargetFlags attach_target;
  double attach_duration = 0;
  auto* attach = app.add_subcommand("attach", "attach the filter at a hook");
  add_selector(attach, attach_sel, true);
  add_rules_option(attach, attach_rules, false);
  attach->add_option("--nf-hook", attach_target.nf_hook, "netfilter: prerouting | input")->capture_default_str();
  attach->add_option("--priority", attach_target.nf_priority, "netfilter: hook priority (nftables' filter is 0)")
      ->capture_default_str();
  attach->add_option("--udp-port", attach_target.udp_port,
                     "socket-filter: guard a UDP socket on this port, not a packet socket on --iface");
  attach->add_option("--duration", attach_duration, "socket-filter: seconds to stay attached (0: until Ctrl-C)");
  std::uint64_t attach_table_bytes = 0;
  attach
      ->add_option("--table-capacity", attach_table_bytes,
                   "room for the compiled rule table, now and on every reload (e.g. 16M; default: twice what "
                   "these rules need, at least 256K)")
      ->transform(CLI::AsSizeValue(false))
      ->check(CLI::Range(std::uint64_t{XB_BLOCK_SIZE}, std::uint64_t{XB_MAX_BLOCKS} * XB_BLOCK_SIZE));

  Selector detach_sel;
  bool detach_all = false;
  auto* detach = app.add_subcommand("detach", "detach filters attached by xdpfilter");
  add_selector(detach, detach_sel, false);
  detach->add_flag("--all", detach_all, "every filter of ours, everywhere");

  bool status_json = false;
  auto* status = app.add_subcommand("status", "list what xdpfilter attached where");
  status->add_flag("--json", status_json, "machine-readable output");

  Selector stats_sel;
  bool stats_json = false;
  std::string stats_format = "text";
  auto* stats = app.add_subcommand("stats", "per-rule packet and byte counters");
  add_selector(stats, stats_sel, false);
  stats->add_flag("--json", stats_json, "machine-readable output (--format=json)");
  stats
      ->add_option("--format", stats_format,
                   "text | json | openmetrics (OpenMetrics 1.0 text) | prometheus (text format 0.0.4, for "
                   "node_exporter's textfile collector)")
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "json", "openmetrics", "prometheus"}));

  Selector metrics_sel;
  std::string metrics_listen = "127.0.0.1:9715";
  double metrics_duration = 0;
  auto* metrics = app.add_subcommand("metrics", "serve the counters at /metrics for Prometheus");
  add_selector(metrics, metrics_sel, false);
  metrics->add_option("--listen", metrics_listen, "ADDR:PORT to serve on (localhost unless told otherwise)")
      ->capture_default_str();
  metrics->add_option("--duration", metrics_duration, "seconds to serve (0: until Ctrl-C or SIGTERM)");

  Selector reload_sel;
  RulesOption reload_rules;
  auto* reload = app.add_subcommand("reload", "replace the rule set atomically");
  add_selector(reload, reload_sel, false);
  add_rules_option(reload, reload_rules, true);

  RulesOption check_rules;
  auto* check = app.add_subcommand("check", "parse and compile a rule file, change nothing");
  add_rules_option(check, check_rules, false);

  SyntheticRuleOptions gen;
  auto* gen_rules = app.add_subcommand("gen-rules", "print a synthetic rule set as a rule file");
  gen_rules->add_option("--count", gen.count, "number of rules")->check(CLI::Range(1u, unsigned(XB_MAX_RULES)));
  gen_rules->add_option("--seed", gen.seed, "random seed");

  ImportCommand import_cmd;
  auto* import = app.add_subcommand("import", "write an iptables or nftables rule set as this filter's TOML rules");
  import
      ->add_option("--from", import_cmd.from,
                   "iptables (iptables-save / ip6tables-save, with ipset save lines) | nft (nft -j list ruleset)")
      ->required()
      ->check(CLI::IsMember({"iptables", "nft", "nftables"}));
  import->add_option("input", import_cmd.input, "the rule set's file, or - for standard input")->required();
  import->add_option("--out", import_cmd.out, "write the rules to this file (default: standard output)");
  import->add_option("--table", import_cmd.iptables.table,
                     "iptables table (default: raw if PREROUTING has rules, "
                     "else filter)");
  import->add_option("--chain", import_cmd.chain,
                     "iptables: a built-in chain (default: PREROUTING in raw, INPUT in filter); nft: "
                     "FAMILY:TABLE:CHAIN or a base chain's name (default: the filter chain at prerouting, input or "
                     "ingress)");
  import->add_option("--family", import_cmd.family, "ipv4 | ipv6: tables the file does not say (default: guessed)")
      ->check(CLI::IsMember({"ipv4", "ipv6"}));
  import->add_flag("--skip-unsupported", import_cmd.iptables.skip_unsupported,
                   "leave out rules the filter cannot express, and list them, instead of refusing the rule set");

  const bool check_args_only = take_check_args(argc, argv);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return exit_on_parse_error(app, e, "xdpfilter");
  }
  if (check_args_only) return 0;
  route_libbpf_logging();

  if (*attach) {
    const CompiledRuleSet rules = compiled_rules_from(attach_rules);
    require_root();
    AttachRequest req;
    req.hook = parse_hook(attach_sel.hook);
    req.direction = direction_of(attach_sel, req.hook);
    req.netns = attach_sel.netns;
    attach_target.iface = attach_sel.iface;
    attach_target.cgroup = attach_sel.cgroup;
    attach_target.route = attach_sel.route;
    attach_target.table = attach_sel.table;
    req.target = hook_target(req.hook, attach_target);
    req.table_capacity = static_cast<std::uint32_t>((attach_table_bytes + XB_BLOCK_SIZE - 1) / XB_BLOCK_SIZE);
    if (hook_ops(req.hook).held_by_process) return guard_socket(req, rules, attach_duration);
    const auto rec = attach_filter(state_paths(), req, rules);
    fmt::print("attached {} with {} rules from {} (prog id {})\n", rec.where(), rules.rules().rules.size(),
               rules.source(), rec.prog_id);
    if (const auto* xdp = std::get_if<XdpHold>(&rec.hold); xdp && !xdp->dispatched)
      fmt::print(
          "note: libxdp's dispatcher cannot load on this kernel; the filter is attached as the "
          "interface's only XDP program\n");
  } else if (*detach) {
    require_root();
    const bool any_selector = !detach_sel.hook.empty() || !detach_sel.iface.empty() || !detach_sel.netns.empty() ||
                              !detach_sel.cgroup.empty() || !detach_sel.route.empty();
    if (!detach_all && !any_selector)
      throw Error("detach: name a filter with --hook/--iface/--netns/--cgroup/--route, or use --all");
    recover_interrupted_changes(state_paths());  // what a killed xdpfilter left half done first
    const auto records = detach_all ? AttachmentStore(state_paths()).list() : std::vector{select_one(detach_sel)};
    for (const auto& rec : records) {
      detach_filter(state_paths(), rec);
      fmt::print("detached {}\n", rec.where());
    }
  } else if (*status) {
    if (::geteuid() == 0) recover_interrupted_changes(state_paths());  // the truth, not a killed change's half
    json out = json::array();
    for (const auto& r : AttachmentStore(state_paths()).list()) {
      const bool live = is_live(r);
      if (status_json) {
        out.push_back({{"hook", hook_name(r.hook)},
                       {"direction", direction_name(r.direction)},
                       {"netns", r.netns},
                       {"iface", r.interface()},
                       {"target", r.target_name()},
                       {"route", r.route() ? r.route()->prefix : ""},
                       {"where", r.where()},
                       {"prog_id", r.prog_id},
                       {"rules", r.rule_names.size()},
                       {"rules_source", r.rules_source},
                       {"attached_at", r.attached_at},
                       {"live", live}});
      } else {
        fmt::print("{:<13} {:<8} {:<16} {:<16} prog {:<6} {:>6} rules  {}{}\n", hook_name(r.hook),
                   direction_name(r.direction), r.target_name(), r.netns.empty() ? "-" : r.netns, r.prog_id,
                   r.rule_names.size(), r.rules_source, live ? "" : "  (GONE: program no longer loaded)");
      }
    }
    if (status_json) fmt::print("{}\n", out.dump(2));
  } else if (*stats && (stats_format == "openmetrics" || stats_format == "prometheus")) {
    require_root();
    fmt::print("{}",
               format_metrics(collect_metrics(state_paths(), select(stats_sel)),
                              stats_format == "openmetrics" ? MetricsFormat::OpenMetrics : MetricsFormat::Prometheus));
  } else if (*metrics) {
    const MetricsListen listen = parse_listen(metrics_listen);
    require_root();
    std::signal(SIGINT, request_stop);
    std::signal(SIGTERM, request_stop);
    serve_metrics(
        listen, state_paths(), [&] { return select(metrics_sel); }, metrics_duration, &stop_requested);
  } else if (*stats) {
    require_root();
    stats_json = stats_json || stats_format == "json";
    json out = json::array();
    for (const auto& r : select(stats_sel)) {
      const auto snap = read_filter_counters(state_paths(), r);
      if (stats_json) {
        json rules = json::array();
        for (std::size_t i = 0; i < snap.rules.size(); ++i)
          rules.push_back({{"index", i},
                           {"name", i < r.rule_names.size() ? r.rule_names[i] : ""},
                           {"packets", snap.rules[i].packets},
                           {"bytes", snap.rules[i].bytes}});
        out.push_back({{"hook", hook_name(r.hook)},
                       {"direction", direction_name(r.direction)},
                       {"netns", r.netns},
                       {"iface", r.interface()},
                       {"rules", rules},
                       {"no_match", counter_json(snap.no_match)},
                       {"non_ip", counter_json(snap.non_ip)},
                       {"malformed", counter_json(snap.malformed)}});
        continue;
      }
      fmt::print("{}\n", r.where());
      for (std::size_t i = 0; i < snap.rules.size(); ++i)
        if (snap.rules[i].packets)
          fmt::print("  {:>6} {:<24} {:>14} pkts {:>16} bytes\n", i, i < r.rule_names.size() ? r.rule_names[i] : "",
                     snap.rules[i].packets, snap.rules[i].bytes);
      fmt::print("  {:>6} {:<24} {:>14} pkts {:>16} bytes\n", "-", "(no rule: default)", snap.no_match.packets,
                 snap.no_match.bytes);
      fmt::print("  {:>6} {:<24} {:>14} pkts {:>16} bytes\n", "-", "(non-IP)", snap.non_ip.packets, snap.non_ip.bytes);
      fmt::print("  {:>6} {:<24} {:>14} pkts {:>16} bytes\n", "-", "(malformed)", snap.malformed.packets,
                 snap.malformed.bytes);
    }
    if (stats_json) fmt::print("{}\n", out.dump(2));
  } else if (*reload) {
    const CompiledRuleSet rules = compiled_rules_from(reload_rules);
    require_root();
    const auto rec = select_one(reload_sel);
    reload_filter(state_paths(), rec, rules);
    fmt::print("reloaded {} with {} rules from {}\n", rec.where(), rules.rules().rules.size(), rules.source());
  } else if (*check) {
    const RuleSet rules = rules_from(check_rules);
    const CompiledTable table = compile_rules(rules);
    const TableStats& st = table.stats;
    fmt::print(
        "{}: {} rules, {} records in {} IPv4 and {} IPv6 trees, depth {}, leaves of at most {} records; "
        "table {:.1f} KiB, built in {:.1f} ms\n",
        rules.source, rules.rules.size(), st.records, st.trees[XB_FAMILY_V4], st.trees[XB_FAMILY_V6], st.max_depth,
        st.max_leaf, static_cast<double>(table.bytes()) / 1024, st.build_ms);
  } else if (*import) {
    run_import(import_cmd);
  } else if (*gen_rules) {
    fmt::print("{}", to_toml(synthetic_rules(gen)));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
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
