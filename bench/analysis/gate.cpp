#include "gate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "errors.hpp"
#include "generator_bound.hpp"
#include "hook_starved.hpp"
#include "stats.hpp"

namespace xb::bench {
namespace {

using nlohmann::json;

constexpr int kSchema = kResultSchema;

struct Metric {
  const char* name;
  const char* unit;
  bool higher_is_better;
};

// rx rate: what the hook sustained; ns/pkt: what its program costs (bpf_stats);
// DUT CPU ns/pkt: what the DUT's core spent per packet, the stack around the
// hook included (--cpu runs only); the hook latency's p99: what it adds to
// the tail
const Metric kMetrics[] = {{"rx_mpps", "Mpps", true},
                           {"ns_per_pkt", "ns", false},
                           {"dut_cpu_ns_per_pkt", "ns", false},
                           {"hook_latency_p99_us", "us", false}};

std::optional<double> sample(const TrialRecord& trial, const std::string& metric) {
  const double seconds = trial.seconds;
  const double rx = static_cast<double>(trial.rx);
  if (metric == "rx_mpps") return seconds > 0 ? std::optional(rx / seconds / 1e6) : std::nullopt;
  if (metric == "ns_per_pkt") {
    if (!trial.has_run_time || rx <= 0) return std::nullopt;
    return static_cast<double>(trial.run_time_ns) / rx;
  }
  if (metric == "dut_cpu_ns_per_pkt") {
    // absent (an older result) or null (not pinned): unknown
    if (!trial.dut_cpu_busy_ns || rx <= 0) return std::nullopt;
    return *trial.dut_cpu_busy_ns / rx;
  }
  if (metric == "hook_latency_p99_us") {
    if (!trial.hook_latency_ns) return std::nullopt;
    return static_cast<double>(trial.hook_latency_ns->p99) / 1e3;
  }
  return std::nullopt;
}

const HookResult* find_hook(const RunResult& doc, const std::string& hook) {
  for (const auto& r : doc.results)
    if (r.hook == hook) return &r;
  return nullptr;
}

// What must be equal for two results to be comparable.
const char* kSameConfig[] = {"topology",   "rules_digest", "frame_size", "flows",        "mix",     "rate_pps",
                             "ipv6_share", "program",      "cpus",       "traffic_file", "gen_cpus"};
// ... of which results made before it was recorded know nothing: compared
// only where both have it
const char* kRecordedSince[] = {"cpus", "traffic_file", "gen_cpus"};

std::string pct(double ratio) { return fmt::format("{:+.1f}%", (ratio - 1) * 100); }

RateSamples rate_samples_of(const HookResult& hook_result) {
  RateSamples r;
  for (const auto& t : hook_result.trials) {
    if (t.seconds <= 0) continue;
    r.offered_mpps.push_back(static_cast<double>(t.offered) / t.seconds / 1e6);
    r.rx_mpps.push_back(static_cast<double>(t.rx) / t.seconds / 1e6);
  }
  return r;
}

// The generator's ceiling trials of a result; none in results made before
// every run measured it.
std::optional<RateSamples> ceiling_of(const RunResult& doc) {
  if (!doc.generator_ceiling) return std::nullopt;
  return rate_samples_of(*doc.generator_ceiling);
}

bool pinned(const RunResult& doc) {
  const json cpus = doc.config.value("cpus", json());
  return cpus.is_array() && cpus.size() == 2;
}

// Why the hook's rate in this result is not its own; empty if it is (or
// the result cannot say).
std::string generator_bound_in(const RunResult& doc, const HookResult& hook_result, const std::string& label) {
  const auto ceiling = ceiling_of(doc);
  if (!ceiling) return "";
  const GeneratorBound g = generator_bound(rate_samples_of(hook_result), *ceiling, pinned(doc));
  return g.bound ? fmt::format("generator-bound in {}: {}", label, g.why) : "";
}

// Why the hook's rate in this result is the stack's discarding, not the
// hook's (hook_starved.hpp); empty if it is not, or the trials do not record
// what the DUT received (older results).
std::string starved_in(const HookResult& hook_result, const std::string& label) {
  std::vector<InputSample> samples;
  for (const auto& t : hook_result.trials)
    if (t.dut_nic_rx && !t.own_input_queue) samples.push_back({t.rx, *t.dut_nic_rx});
  const HookStarved s = hook_starved(samples);
  return s.starved ? fmt::format("starved in {}: {}", label, s.why) : "";
}

// Both results' generators reached rates a factor 1/kFarBelow or more apart:
// their rates measure the generators, not the hooks.
std::string ceilings_apart(const RunResult& baseline, const RunResult& current, const GateOptions& o) {
  const auto a = ceiling_of(baseline), b = ceiling_of(current);
  if (!a || !b || a->rx_mpps.empty() || b->rx_mpps.empty()) return "";
  const double ma = median(a->rx_mpps), mb = median(b->rx_mpps);
  if (std::min(ma, mb) >= kFarBelow * std::max(ma, mb)) return "";
  return fmt::format("the generator reached {:.3f} Mpps in {} and {:.3f} Mpps in {}: rates measure the generators", ma,
                     o.baseline_label, mb, o.current_label);
}

// What the gate needs beyond what every reader of a result does
// (read_run_result): the run's config, and every hook's trials.
void check_judgeable(const json& doc, const std::string& path) {
  if (!doc.contains("config") || !doc.at("config").is_object()) throw Error(path + ": config must be an object");
  const auto results = doc.find("results");
  if (results == doc.end() || !results->is_array()) return;  // read_run_result says so
  for (std::size_t i = 0; i < results->size(); ++i)
    if ((*results)[i].is_object() && !(*results)[i].contains("trials"))
      throw Error(fmt::format("{}: results[{}].trials must be a list", path, i));
}

}  // namespace

std::vector<double> metric_samples(const HookResult& hook_result, const std::string& metric) {
  std::vector<double> out;
  for (const auto& t : hook_result.trials)
    if (const auto v = sample(t, metric)) out.push_back(*v);
  return out;
}

int GateReport::exit_code() const {
  if (!problems.empty() || too_few_repeats) return 2;
  for (const auto& r : rows)
    if (r.verdict == "regression") return 1;
  return 0;
}

RunResult load_result_file(const std::string& path) { return check_result(read_json_file(path), path); }

RunResult parse_result_file(const std::string& text, const std::string& path) {
  return check_result(parse_json_text(text, path), path);
}

RunResult check_result(const json& doc, const std::string& path) {
  if (!doc.is_object() || !doc.contains("schema") || !doc.contains("results"))
    throw Error(path + ": not an xdpbench result file (no \"schema\" or \"results\")");
  if (doc["schema"] != kSchema)
    throw Error(fmt::format("{}: result schema {}; this xdpbench reads schema {} (rerun with this build)", path,
                            doc["schema"].dump(), kSchema));
  const auto command = doc.find("command");
  if (command == doc.end() || *command != "run")
    throw Error(fmt::format("{}: a {} result; the gate compares results of xdpbench run", path,
                            command == doc.end() ? "command-less" : command->dump()));
  check_judgeable(doc, path);
  return read_run_result(doc, path);
}

namespace {

// Where a result was measured, as its environment records it: figures from
// two of these that differ are not the same experiment. A key one result
// lacks (an older file) is not compared.
std::vector<std::string> hardware_differences(const json& a, const json& b) {
  std::vector<std::string> out;
  const auto compare = [&](const std::string& what, const json& x, const json& y) {
    if (!x.is_null() && !y.is_null() && x != y) out.push_back(fmt::format("{}: {} vs {}", what, x.dump(), y.dump()));
  };
  for (const char* key : {"machine", "cpu_model", "cpus_online", "kernel"})
    compare(key, a.value(key, json()), b.value(key, json()));
  const json nic_a = a.value("dut_nic", json::object()), nic_b = b.value("dut_nic", json::object());
  if (nic_a.is_object() && nic_b.is_object())
    compare("the DUT's NIC driver", nic_a.value("driver", json()), nic_b.value("driver", json()));
  return out;
}

constexpr const char* kJudged = "(judged)";

// Every judged row's verdict, by Holm's step-down over their U tests: the
// gate asks as many questions as hooks times metrics, and each at alpha
// alone would call two identical builds a regression about alpha times that
// many runs in one (measured: an A/A run's p99 latency at p 0.039, +10.3%).
// Holm keeps the chance of any false verdict in the report at alpha, and
// a real change (a 9-to-9 U test's p goes down to 4e-5) still shows.
void decide_with_holm(GateReport& rep, const GateOptions& o) {
  std::vector<GateRow*> judged;
  for (auto& row : rep.rows)
    if (row.verdict == kJudged) judged.push_back(&row);
  std::stable_sort(judged.begin(), judged.end(),
                   [](const GateRow* a, const GateRow* b) { return a->p_value < b->p_value; });
  bool significant = true;
  for (std::size_t k = 0; k < judged.size(); ++k) {
    GateRow& row = *judged[k];
    significant = significant && row.p_value < o.alpha / static_cast<double>(judged.size() - k);
    const bool worse = row.higher_is_better ? row.ratio < 1 - o.threshold : row.ratio > 1 + o.threshold;
    const bool better = row.higher_is_better ? row.ratio > 1 + o.threshold : row.ratio < 1 - o.threshold;
    row.verdict = significant && worse ? "regression" : significant && better ? "improvement" : "no change";
  }
}

}  // namespace

GateReport compare_results(const RunResult& baseline, const RunResult& current, const GateOptions& o) {
  GateReport rep;
  for (const auto& d : hardware_differences(baseline.environment, current.environment)) {
    if (o.allow_other_hardware)
      rep.not_judged.push_back("measured on different hardware (" + d + "): compared as --allow-other-hardware says");
    else
      rep.problems.push_back("measured on different hardware: " + d +
                             " (figures from two machines are not one experiment; --allow-other-hardware compares "
                             "them anyway)");
  }
  for (const char* key : kSameConfig) {
    const bool late = std::find_if(std::begin(kRecordedSince), std::end(kRecordedSince),
                                   [&](const char* k) { return std::string(k) == key; }) != std::end(kRecordedSince);
    if (late && !(baseline.config.contains(key) && current.config.contains(key))) continue;
    const json a = baseline.config.value(key, json()), b = current.config.value(key, json());
    if (a != b) rep.problems.push_back(fmt::format("config.{} differs: {} vs {}", key, a.dump(), b.dump()));
  }
  std::set<std::string> hooks_a, hooks_b;
  for (const auto& r : baseline.results) hooks_a.insert(r.hook);
  for (const auto& r : current.results) hooks_b.insert(r.hook);
  for (const auto& h : hooks_a)
    if (!hooks_b.count(h)) rep.problems.push_back("hook " + h + " is in the baseline, not in the current result");
  for (const auto& h : hooks_b)
    if (!hooks_a.count(h)) rep.problems.push_back("hook " + h + " is in the current result, not in the baseline");

  for (const auto& [doc, label] : {std::pair{&baseline, o.baseline_label}, std::pair{&current, o.current_label}})
    if (!ceiling_of(*doc))
      rep.not_judged.push_back(label +
                               " records no generator ceiling (an older result): its rates are taken as the hooks'");
  const std::string apart = ceilings_apart(baseline, current, o);

  for (const auto& r : baseline.results) {
    const std::string& hook = r.hook;
    const HookResult* cur = find_hook(current, hook);
    if (!cur) continue;
    // a rate that is the generator's says nothing about the hook: shown, not judged
    std::string rate_not_judged = apart;
    if (rate_not_judged.empty()) rate_not_judged = generator_bound_in(baseline, r, o.baseline_label);
    if (rate_not_judged.empty()) rate_not_judged = generator_bound_in(current, *cur, o.current_label);
    if (rate_not_judged.empty()) rate_not_judged = starved_in(r, o.baseline_label);
    if (rate_not_judged.empty()) rate_not_judged = starved_in(*cur, o.current_label);
    bool judged_instead = false;
    for (const auto& m : kMetrics) {
      const auto a = metric_samples(r, m.name), b = metric_samples(*cur, m.name);
      if (a.empty() && b.empty()) continue;  // the hook has no such figure (nft: no ns/pkt)
      GateRow row;
      row.hook = hook;
      row.metric = m.name;
      row.unit = m.unit;
      row.higher_is_better = m.higher_is_better;
      row.n_baseline = a.size();
      row.n_current = b.size();
      if (a.empty() || b.empty()) {
        rep.problems.push_back(fmt::format("{} {}: measured in only one of the results", hook, m.name));
        continue;
      }
      row.baseline_median = median(a);
      row.current_median = median(b);
      row.ratio = row.baseline_median != 0 ? row.current_median / row.baseline_median : 1;
      const Interval ci = bootstrap_ratio_of_medians(a, b);
      row.ci_lo = ci.lo;
      row.ci_hi = ci.hi;
      row.p_value = mann_whitney_u(a, b).p_value;
      if (std::string(m.name) == "rx_mpps" && !rate_not_judged.empty()) {
        row.verdict = "not judged";
        rep.rows.push_back(row);
        continue;
      }
      judged_instead |= std::string(m.name) == "ns_per_pkt" || std::string(m.name) == "dut_cpu_ns_per_pkt";
      if (std::min(a.size(), b.size()) < o.min_repeats) {
        row.verdict = "too few repeats";
        rep.too_few_repeats = true;
      } else {
        row.verdict = kJudged;  // decided below, with every judged row
      }
      rep.rows.push_back(row);
    }
    if (!rate_not_judged.empty())
      rep.not_judged.push_back(
          fmt::format("{} rx_mpps: {}; {}", hook, rate_not_judged,
                      judged_instead ? "its ns/pkt is judged instead"
                                     : "it has no per-packet figure to judge instead (with --cpu: DUT CPU ns/pkt)"));
  }
  decide_with_holm(rep, o);
  return rep;
}

namespace {

std::string closing_lines(const GateReport& rep, const GateOptions& o) {
  std::string s;
  for (const auto& n : rep.not_judged) s += "not judged: " + n + "\n";
  for (const auto& p : rep.problems) s += "bad input: " + p + "\n";
  if (rep.too_few_repeats)
    s += fmt::format(
        "too few repeats: the U test needs at least {} per side to claim significance (rerun with --repeat={})\n",
        o.min_repeats, o.min_repeats);
  const int code = rep.exit_code();
  s += code == 0 ? "gate: pass\n" : code == 1 ? "gate: REGRESSION\n" : "gate: cannot judge (exit 2)\n";
  return s;
}

}  // namespace

std::string gate_text(const GateReport& rep, const GateOptions& o) {
  std::string s = fmt::format(
      "xdpbench gate: {} vs {}; regression = U test p < {} (Holm over the judged rows) and a change beyond {:.1f}% "
      "in the worse direction\n",
      o.current_label, o.baseline_label, o.alpha, o.threshold * 100);
  s += fmt::format("{:<15} {:<26} {:>7} {:>12} {:>12} {:>9} {:>19} {:>8} {}\n", "hook", "metric", "n", "baseline",
                   "current", "change", "95% CI", "p", "verdict");
  for (const auto& r : rep.rows)
    s += fmt::format("{:<15} {:<26} {:>7} {:>12.3f} {:>12.3f} {:>9} {:>19} {:>8.4f} {}\n", r.hook,
                     fmt::format("{} ({})", r.metric, r.unit), fmt::format("{}/{}", r.n_baseline, r.n_current),
                     r.baseline_median, r.current_median, pct(r.ratio),
                     fmt::format("[{}, {}]", pct(r.ci_lo), pct(r.ci_hi)), r.p_value, r.verdict);
  return s + closing_lines(rep, o);
}

std::string gate_markdown(const GateReport& rep, const GateOptions& o) {
  const int code = rep.exit_code();
  std::string s = fmt::format("### xdpbench gate: {}\n\n", code == 0   ? "pass :white_check_mark:"
                                                           : code == 1 ? "regression :x:"
                                                                       : "cannot judge :warning:");
  s += fmt::format(
      "{} against {}. A regression is a change beyond {:.1f}% in the worse direction that the Mann-Whitney U test "
      "finds significant (p < {} for the whole table, by Holm's step-down over its rows; at least {} repeats a "
      "side).\n\n",
      o.current_label, o.baseline_label, o.threshold * 100, o.alpha, o.min_repeats);
  s += "| hook | metric | n | baseline | current | change | 95% CI | p | verdict |\n";
  s += "|---|---|---:|---:|---:|---:|---|---:|---|\n";
  for (const auto& r : rep.rows)
    s += fmt::format("| {} | {} ({}) | {}/{} | {:.3f} | {:.3f} | {} | [{}, {}] | {:.4f} | {} |\n", r.hook, r.metric,
                     r.unit, r.n_baseline, r.n_current, r.baseline_median, r.current_median, pct(r.ratio), pct(r.ci_lo),
                     pct(r.ci_hi), r.p_value, r.verdict == "regression" ? "**regression**" : r.verdict);
  std::string tail = closing_lines(rep, o);
  s += "\n";
  for (std::size_t start = 0; start < tail.size();) {
    const auto end = tail.find('\n', start);
    s += "- " + tail.substr(start, end - start) + "\n";
    start = end + 1;
  }
  return s;
}

int run_gate(const std::string& baseline_path, const std::string& current_path, const GateOptions& o) {
  const RunResult a = load_result_file(baseline_path), b = load_result_file(current_path);
  GateOptions labelled = o;
  if (labelled.baseline_label == "baseline") labelled.baseline_label = baseline_path;
  if (labelled.current_label == "current") labelled.current_label = current_path;
  const GateReport rep = compare_results(a, b, labelled);
  fmt::print("{}", gate_text(rep, labelled));
  if (!o.markdown_path.empty()) {
    std::ofstream(o.markdown_path) << gate_markdown(rep, labelled);
    fmt::print("wrote {}\n", o.markdown_path);
  }
  return rep.exit_code();
}

}  // namespace xb::bench
