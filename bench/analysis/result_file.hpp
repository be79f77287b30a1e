// The result file of `xdpbench run --json`, typed: `run` writes it, `gate`,
// `ab` and `report` read it, all through RunResult and its to_json and
// from_json. A file of another shape gets an error naming the file and the
// member (read_run_result), never the JSON library's exception. The run's
// environment and config stay JSON objects: records of what was measured
// where, compared key by key (the gate) or shown (the report). search and
// sweep results share the header (schema, command, environment, config).
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "trial.hpp"

namespace xb::bench {

// The version of every result file's layout (--json); `gate` reads only its own.
inline constexpr int kResultSchema = 2;

// One trial as the file keeps it (Trial less its histograms).
struct TrialRecord {
  struct HookLatency {
    std::uint64_t p50 = 0, p99 = 0, p999 = 0, max = 0;  // ns, "p99.9" in the file
  };
  struct SinkLatency {
    std::uint64_t p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0;
  };
  double seconds = 0;
  std::uint64_t offered = 0, rx = 0, dropped = 0, passed = 0, delivered = 0, run_time_ns = 0;
  bool has_run_time = false;
  std::optional<double> dut_cpu_busy_ns;  // null: the run was not pinned (--cpu)
  bool has_verdicts = true;
  double softirq_pct = 0;
  std::optional<HookLatency> hook_latency_ns;  // null: the hook's latency could not be read
  std::optional<SinkLatency> latency_ns;       // null: no sink
  // a lab's trials (offered then counted by the generator's NIC): the
  // engine's own count and what its NIC could not send; null elsewhere
  std::optional<std::uint64_t> engine_sent, gen_nic_tx_dropped;
  // what the DUT's interface received during the trial; null in older results
  std::optional<std::uint64_t> dut_nic_rx;
  bool own_input_queue = false;  // Trial::own_input_queue

  static TrialRecord of(const Trial& t);
};

// A hook's trials and their summary (run_summary.hpp: summary_json; the
// report reads it member by member, older files lacking some).
struct HookResult {
  std::string hook;
  std::vector<TrialRecord> trials;
  nlohmann::json summary = nlohmann::json::object();
};

struct RunResult {
  int schema = kResultSchema;
  std::string command = "run";
  nlohmann::json environment = nlohmann::json::object();  // kernel, CPU, git revision (result_environment)
  nlohmann::json config = nlohmann::json::object();       // topology, rules, traffic, cpus: compared by the gate
  nlohmann::json rule_table;                              // the filter's table; null for a user's program
  std::vector<HookResult> results;
  // The generator's ceiling trials (generator_bound.hpp); absent in results
  // made before every run measured it. Not among results: a result without
  // it still compares hook for hook.
  std::optional<HookResult> generator_ceiling;
  std::map<std::string, std::string> skipped;  // hook -> why
};

// A member of the wrong type: its place in the document (results[0].trials[2].rx)
// and what it must be. read_run_result names the file in front.
struct ResultShapeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void to_json(nlohmann::json& j, const TrialRecord& t);
void from_json(const nlohmann::json& j, TrialRecord& t);  // throws ResultShapeError
void to_json(nlohmann::json& j, const HookResult& r);
void from_json(const nlohmann::json& j, HookResult& r);
void to_json(nlohmann::json& j, const RunResult& r);
void from_json(const nlohmann::json& j, RunResult& r);

// A run result from its JSON; throws xb::Error "PATH: MEMBER must be ...".
RunResult read_run_result(const nlohmann::json& doc, const std::string& path);

// The file's text as JSON; throws xb::Error naming the file when it cannot
// be read or is not JSON.
nlohmann::json read_json_file(const std::string& path);
nlohmann::json parse_json_text(const std::string& text, const std::string& path);

// Writes the document (2-space indent) and says so; nothing where path is empty.
void write_result_file(const std::string& path, const nlohmann::json& doc);

}  // namespace xb::bench
