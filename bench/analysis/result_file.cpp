#include "result_file.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "errors.hpp"

namespace xb::bench {
namespace {

using nlohmann::json;

[[noreturn]] void bad(const std::string& member, const char* what) {
  throw ResultShapeError(fmt::format("{} must be {}", member, what));
}

// A member's place for errors; at: the enclosing object's ("" at the top).
std::string place(const std::string& at, const char* key) { return at.empty() ? key : at + "." + key; }

// The errors name members from the document's top: a nested reader's
// message gets its place in front.
template <typename T>
T nested(const json& j, const std::string& at) {
  try {
    return j.get<T>();
  } catch (const ResultShapeError& e) {
    const std::string what = e.what();
    throw ResultShapeError(at + (what.rfind("must ", 0) == 0 ? " " : ".") + what);
  }
}

double number(const json& j, const char* key, const std::string& at, double fallback = 0) {
  const auto it = j.find(key);
  if (it == j.end()) return fallback;
  if (!it->is_number()) bad(place(at, key), "a number");
  return it->get<double>();
}

// Packets and nanoseconds: whole and not negative. A fraction (a result
// written by hand or by a script) is rounded.
std::uint64_t count(const json& j, const char* key, const std::string& at) {
  const auto it = j.find(key);
  if (it == j.end()) return 0;
  if (it->is_number_unsigned()) return it->get<std::uint64_t>();
  if (!it->is_number()) bad(place(at, key), "a number");
  const double v = it->get<double>();
  if (!(v >= 0 && v <= 1.8e19)) bad(place(at, key), "a count (0 or more)");  // and below 2^64
  return static_cast<std::uint64_t>(std::round(v));
}

bool boolean(const json& j, const char* key, const std::string& at, bool fallback) {
  const auto it = j.find(key);
  if (it == j.end()) return fallback;
  if (!it->is_boolean()) bad(place(at, key), "true or false");
  return it->get<bool>();
}

template <typename Latency>
std::optional<Latency> latency(const json& j, const char* key, const std::string& at) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  const std::string here = place(at, key);
  if (!it->is_object() || (it->contains("p99") && !it->at("p99").is_number()))
    bad(here, "null or an object with a number p99");
  Latency l;
  l.p50 = count(*it, "p50", here);
  l.p99 = count(*it, "p99", here);
  l.p999 = count(*it, "p99.9", here);
  l.max = count(*it, "max", here);
  if constexpr (requires { l.p90; }) l.p90 = count(*it, "p90", here);
  return l;
}

json hook_latency_json(const TrialRecord::HookLatency& l) {
  return {{"p50", l.p50}, {"p99", l.p99}, {"p99.9", l.p999}, {"max", l.max}};
}

json sink_latency_json(const TrialRecord::SinkLatency& l) {
  return {{"p50", l.p50}, {"p90", l.p90}, {"p99", l.p99}, {"p99.9", l.p999}, {"max", l.max}};
}

const json& object_member(const json& j, const char* key, const std::string& at) {
  static const json kEmpty = json::object();
  const auto it = j.find(key);
  if (it == j.end()) return kEmpty;
  if (!it->is_object()) bad(place(at, key), "an object");
  return *it;
}

}  // namespace

TrialRecord TrialRecord::of(const Trial& t) {
  TrialRecord r;
  r.seconds = t.seconds;
  r.offered = t.offered;
  r.rx = t.seen;
  r.dropped = t.dropped;
  r.passed = t.passed;
  r.delivered = t.delivered;
  r.run_time_ns = t.run_time_ns;
  r.has_run_time = t.has_run_time;
  if (t.has_dut_cpu) r.dut_cpu_busy_ns = t.dut_cpu_busy_ns;
  r.has_verdicts = t.has_verdicts;
  r.softirq_pct = t.softirq_pct;
  if (t.has_hook_latency) r.hook_latency_ns = HookLatency{t.hook_p50, t.hook_p99, t.hook_p999, t.hook_max};
  if (t.has_latency) r.latency_ns = SinkLatency{t.p50, t.p90, t.p99, t.p999, t.max};
  if (t.has_nic_counts) {
    r.engine_sent = t.engine_sent;
    r.gen_nic_tx_dropped = t.gen_nic_tx_dropped;
  }
  if (t.has_dut_nic_rx) r.dut_nic_rx = t.dut_nic_rx;
  r.own_input_queue = t.own_input_queue;
  return r;
}

void to_json(json& j, const TrialRecord& t) {
  j = {{"seconds", t.seconds},
       {"offered", t.offered},
       {"rx", t.rx},
       {"dropped", t.dropped},
       {"passed", t.passed},
       {"delivered", t.delivered},
       {"run_time_ns", t.run_time_ns},
       {"has_run_time", t.has_run_time},
       {"dut_cpu_busy_ns", t.dut_cpu_busy_ns ? json(*t.dut_cpu_busy_ns) : json(nullptr)},
       {"has_verdicts", t.has_verdicts},
       {"softirq_pct", t.softirq_pct},
       {"hook_latency_ns", t.hook_latency_ns ? hook_latency_json(*t.hook_latency_ns) : json(nullptr)},
       {"latency_ns", t.latency_ns ? sink_latency_json(*t.latency_ns) : json(nullptr)},
       {"engine_sent", t.engine_sent ? json(*t.engine_sent) : json(nullptr)},
       {"dut_nic_rx", t.dut_nic_rx ? json(*t.dut_nic_rx) : json(nullptr)},
       {"gen_nic_tx_dropped", t.gen_nic_tx_dropped ? json(*t.gen_nic_tx_dropped) : json(nullptr)},
       {"own_input_queue", t.own_input_queue}};
}

// Members a trial lacks (results written by older builds, by hand) read as
// nothing measured: zero, false, null.
void from_json(const json& j, TrialRecord& t) {
  if (!j.is_object()) throw ResultShapeError("must be an object");
  const std::string at;
  t.seconds = number(j, "seconds", at);
  t.offered = count(j, "offered", at);
  t.rx = count(j, "rx", at);
  t.dropped = count(j, "dropped", at);
  t.passed = count(j, "passed", at);
  t.delivered = count(j, "delivered", at);
  t.run_time_ns = count(j, "run_time_ns", at);
  t.has_run_time = boolean(j, "has_run_time", at, false);
  t.dut_cpu_busy_ns.reset();
  if (const auto it = j.find("dut_cpu_busy_ns"); it != j.end() && !it->is_null()) {
    if (!it->is_number()) bad("dut_cpu_busy_ns", "a number or null");
    t.dut_cpu_busy_ns = it->get<double>();
  }
  t.has_verdicts = boolean(j, "has_verdicts", at, true);
  t.softirq_pct = number(j, "softirq_pct", at);
  t.hook_latency_ns = latency<TrialRecord::HookLatency>(j, "hook_latency_ns", at);
  t.latency_ns = latency<TrialRecord::SinkLatency>(j, "latency_ns", at);
  t.own_input_queue = boolean(j, "own_input_queue", at, false);
  for (auto [key, slot] : {std::pair{"engine_sent", &t.engine_sent}, std::pair{"dut_nic_rx", &t.dut_nic_rx},
                           std::pair{"gen_nic_tx_dropped", &t.gen_nic_tx_dropped}}) {
    slot->reset();
    if (const auto it = j.find(key); it != j.end() && !it->is_null()) *slot = count(j, key, at);
  }
}

void to_json(json& j, const HookResult& r) { j = {{"hook", r.hook}, {"trials", r.trials}, {"summary", r.summary}}; }

void from_json(const json& j, HookResult& r) {
  if (!j.is_object()) throw ResultShapeError("must be an object");
  if (!j.contains("hook") || !j.at("hook").is_string()) bad("hook", "a string");
  r.hook = j.at("hook").get<std::string>();
  // a list where there is one; the gate asks for it (a report shows what
  // summary there is)
  r.trials.clear();
  if (const auto it = j.find("trials"); it != j.end()) {
    if (!it->is_array()) bad("trials", "a list");
    for (std::size_t i = 0; i < it->size(); ++i)
      r.trials.push_back(nested<TrialRecord>((*it)[i], fmt::format("trials[{}]", i)));
  }
  r.summary = object_member(j, "summary", "");
}

void to_json(json& j, const RunResult& r) {
  j = {{"schema", r.schema},         {"command", r.command}, {"environment", r.environment}, {"config", r.config},
       {"rule_table", r.rule_table}, {"results", r.results}, {"skipped", r.skipped}};
  if (r.generator_ceiling) j["generator_ceiling"] = *r.generator_ceiling;
}

void from_json(const json& j, RunResult& r) {
  if (!j.is_object()) throw ResultShapeError("the document must be an object");
  if (const auto it = j.find("schema"); it != j.end()) {
    if (!it->is_number_integer()) bad("schema", "a whole number");
    r.schema = it->get<int>();
  }
  if (const auto it = j.find("command"); it != j.end()) {
    if (!it->is_string()) bad("command", "a string");
    r.command = it->get<std::string>();
  }
  r.environment = object_member(j, "environment", "");
  r.config = object_member(j, "config", "");
  r.rule_table = j.value("rule_table", json());
  const auto results = j.find("results");
  if (results == j.end() || !results->is_array()) bad("results", "a list");
  r.results.clear();
  for (std::size_t i = 0; i < results->size(); ++i)
    r.results.push_back(nested<HookResult>((*results)[i], fmt::format("results[{}]", i)));
  r.generator_ceiling.reset();
  if (const auto it = j.find("generator_ceiling"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) bad("generator_ceiling", "an object");
    r.generator_ceiling = nested<HookResult>(*it, "generator_ceiling");
  }
  r.skipped.clear();
  for (const auto& [hook, why] : object_member(j, "skipped", "").items()) {
    if (!why.is_string()) bad("skipped." + hook, "a string");
    r.skipped[hook] = why.get<std::string>();
  }
}

RunResult read_run_result(const json& doc, const std::string& path) {
  try {
    return doc.get<RunResult>();
  } catch (const ResultShapeError& e) {
    throw Error(fmt::format("{}: {}", path, e.what()));
  } catch (const json::exception& e) {  // a number beyond what the member holds
    throw Error(fmt::format("{}: not a result this xdpbench reads: {}", path, e.what()));
  }
}

json parse_json_text(const std::string& text, const std::string& path) {
  try {
    return json::parse(text);
  } catch (const json::exception& e) {  // parse_error; out_of_range for a number beyond a double
    throw Error(fmt::format("{}: not JSON: {}", path, e.what()));
  }
}

json read_json_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(errno_message(path + ": cannot open result file", errno));
  if (std::filesystem::is_directory(path)) throw Error(path + ": is a directory, not a result file");
  std::stringstream text;
  text << in.rdbuf();
  return parse_json_text(text.str(), path);
}

void write_result_file(const std::string& path, const json& doc) {
  if (path.empty()) return;
  std::ofstream(path) << doc.dump(2) << "\n";
  fmt::print("wrote {}\n", path);
}

}  // namespace xb::bench
