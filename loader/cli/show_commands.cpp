// xdpfilter status, stats and metrics: what is attached where and what it
// counted, as text, JSON, OpenMetrics or served to Prometheus.
#include <fmt/format.h>
#include <unistd.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "cli_common.hpp"
#include "command.hpp"
#include "filter_metrics.hpp"
#include "metrics_server.hpp"

namespace xb::cli {
namespace {

using nlohmann::json;

json counter_json(const RuleCounter& c) { return {{"packets", c.packets}, {"bytes", c.bytes}}; }

json status_json(const AttachmentRecord& r, bool live) {
  return {{"hook", hook_name(r.hook)},
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
          {"live", live}};
}

json stats_json(const AttachmentRecord& r, const CounterSnapshot& snap) {
  json rules = json::array();
  for (std::size_t i = 0; i < snap.rules.size(); ++i)
    rules.push_back({{"index", i},
                     {"name", i < r.rule_names.size() ? r.rule_names[i] : ""},
                     {"packets", snap.rules[i].packets},
                     {"bytes", snap.rules[i].bytes}});
  return {{"hook", hook_name(r.hook)},
          {"direction", direction_name(r.direction)},
          {"netns", r.netns},
          {"iface", r.interface()},
          {"rules", rules},
          {"no_match", counter_json(snap.no_match)},
          {"non_ip", counter_json(snap.non_ip)},
          {"malformed", counter_json(snap.malformed)}};
}

void print_stats(const AttachmentRecord& r, const CounterSnapshot& snap) {
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

}  // namespace

RunCommand define_status(CLI::App& cmd) {
  auto as_json = std::make_shared<bool>(false);
  cmd.add_flag("--json", *as_json, "machine-readable output");
  return [as_json] {
    if (::geteuid() == 0) recover_interrupted_changes(state_paths());  // the truth, not a killed change's half
    json out = json::array();
    for (const auto& r : AttachmentStore(state_paths()).list()) {
      const bool live = is_live(r);
      if (*as_json)
        out.push_back(status_json(r, live));
      else
        fmt::print("{:<13} {:<8} {:<16} {:<16} prog {:<6} {:>6} rules  {}{}\n", hook_name(r.hook),
                   direction_name(r.direction), r.target_name(), r.netns.empty() ? "-" : r.netns, r.prog_id,
                   r.rule_names.size(), r.rules_source, live ? "" : "  (GONE: program no longer loaded)");
    }
    if (*as_json) fmt::print("{}\n", out.dump(2));
    return 0;
  };
}

RunCommand define_stats(CLI::App& cmd) {
  struct Options {
    Selector selector;
    bool json = false;
    std::string format = "text";
  };
  auto o = std::make_shared<Options>();
  add_selector(&cmd, o->selector, false);
  cmd.add_flag("--json", o->json, "machine-readable output (--format=json)");
  cmd.add_option("--format", o->format,
                 "text | json | openmetrics (OpenMetrics 1.0 text) | prometheus (text format 0.0.4, for "
                 "node_exporter's textfile collector)")
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "json", "openmetrics", "prometheus"}));
  return [o] {
    require_root();
    if (o->format == "openmetrics" || o->format == "prometheus") {
      fmt::print("{}",
                 format_metrics(collect_metrics(state_paths(), select(o->selector)),
                                o->format == "openmetrics" ? MetricsFormat::OpenMetrics : MetricsFormat::Prometheus));
      return 0;
    }
    const bool as_json = o->json || o->format == "json";
    json out = json::array();
    for (const auto& r : select(o->selector)) {
      const auto snap = read_filter_counters(state_paths(), r);
      if (as_json)
        out.push_back(stats_json(r, snap));
      else
        print_stats(r, snap);
    }
    if (as_json) fmt::print("{}\n", out.dump(2));
    return 0;
  };
}

RunCommand define_metrics(CLI::App& cmd) {
  struct Options {
    Selector selector;
    std::string listen = "127.0.0.1:9715";
    double duration_s = 0;
  };
  auto o = std::make_shared<Options>();
  add_selector(&cmd, o->selector, false);
  cmd.add_option("--listen", o->listen, "ADDR:PORT to serve on (localhost unless told otherwise)")
      ->capture_default_str();
  cmd.add_option("--duration", o->duration_s, "seconds to serve (0: until Ctrl-C or SIGTERM)");
  return [o] {
    const MetricsListen listen = parse_listen(o->listen);
    require_root();
    stop_on_signals();
    serve_metrics(
        listen, state_paths(), [&] { return select(o->selector); }, o->duration_s, &stop_requested);
    return 0;
  };
}

}  // namespace xb::cli
