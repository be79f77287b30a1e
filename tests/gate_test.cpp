// The regression gate on result files made in code: the statistics, and the
// verdicts and exit codes for the cases a CI owner meets.
#include "gate.hpp"

#include <gtest/gtest.h>

#include <random>

#include "bench_run.hpp"
#include "errors.hpp"
#include "stats.hpp"

namespace xb::bench {
namespace {

using nlohmann::json;

TEST(MannWhitneyU, MatchesKnownValues) {
  // fully separated samples of 9: the exact two-sided p is 2 / C(18, 9)
  std::vector<double> a, b;
  for (int i = 0; i < 9; ++i) {
    a.push_back(i);
    b.push_back(100 + i);
  }
  const UTestResult r = mann_whitney_u(a, b);
  EXPECT_TRUE(r.exact);
  EXPECT_EQ(r.u, 0);
  EXPECT_NEAR(r.p_value, 2.0 / 48620.0, 1e-12);
  // interleaved samples: no evidence at all
  const UTestResult same = mann_whitney_u({1, 3, 5, 7, 9}, {2, 4, 6, 8, 10});
  EXPECT_GT(same.p_value, 0.5);
  // ties use the normal approximation
  EXPECT_FALSE(mann_whitney_u({1, 1, 2, 2}, {1, 2, 2, 3}).exact);
}

TEST(BootstrapRatio, BracketsTheRatioOfMedians) {
  const Interval ci = bootstrap_ratio_of_medians({10, 10.2, 9.9, 10.1, 10}, {9, 9.1, 8.9, 9, 9.2});
  EXPECT_LT(ci.lo, 0.9 + 1e-9);
  EXPECT_GT(ci.hi, 0.89);
  EXPECT_LT(ci.hi, 0.93);
}

// A result file like `xdpbench run --json` writes, with given rx rates.
json result(const std::map<std::string, std::vector<double>>& mpps_by_hook, const std::string& rules_digest = "d1") {
  json results = json::array();
  for (const auto& [hook, rates] : mpps_by_hook) {
    json trials = json::array();
    for (const double mpps : rates)
      trials.push_back({{"seconds", 1.0},
                        {"rx", mpps * 1e6},
                        {"has_run_time", true},
                        {"run_time_ns", 1e9 / mpps / 2},
                        {"hook_latency_ns", nullptr}});
    results.push_back({{"hook", hook}, {"trials", trials}});
  }
  return {{"schema", kResultSchema},
          {"command", "run"},
          {"config", {{"topology", "veth-pair"}, {"rules_digest", rules_digest}, {"frame_size", 64}}},
          {"results", results}};
}

std::vector<double> noisy(double center, double spread, int n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> d(center, spread);
  std::vector<double> v;
  for (int i = 0; i < n; ++i) v.push_back(d(rng));
  return v;
}

TEST(Gate, PassesTheSameDistribution) {
  const json a = result({{"xdp-native", noisy(1.0, 0.02, 10, 1)}, {"xdp-noop", noisy(2.0, 0.04, 10, 2)}});
  const json b = result({{"xdp-native", noisy(1.0, 0.02, 10, 3)}, {"xdp-noop", noisy(2.0, 0.04, 10, 4)}});
  const GateReport rep = compare_results(a, b, {});
  EXPECT_EQ(rep.exit_code(), 0) << gate_text(rep, {});
  EXPECT_EQ(rep.rows.size(), 4u);  // rx and ns/pkt of two hooks
}

TEST(Gate, FailsASignificantDropBeyondTheThreshold) {
  const json a = result({{"xdp-native", noisy(1.0, 0.02, 10, 1)}});
  const json b = result({{"xdp-native", noisy(0.85, 0.02, 10, 3)}});
  const GateReport rep = compare_results(a, b, {});
  EXPECT_EQ(rep.exit_code(), 1) << gate_text(rep, {});
  EXPECT_EQ(rep.rows[0].verdict, "regression");
  EXPECT_LT(rep.rows[0].p_value, 0.05);
  EXPECT_NE(gate_markdown(rep, {}).find("**regression**"), std::string::npos);
}

TEST(Gate, IgnoresASignificantChangeWithinTheThreshold) {
  const json a = result({{"xdp-native", noisy(1.0, 0.002, 10, 1)}});
  const json b = result({{"xdp-native", noisy(0.98, 0.002, 10, 3)}});  // -2%, surely real
  const GateReport rep = compare_results(a, b, {});
  EXPECT_EQ(rep.exit_code(), 0) << gate_text(rep, {});
}

TEST(Gate, SaysSoWhenThereAreTooFewRepeats) {
  const json a = result({{"xdp-native", noisy(1.0, 0.02, 5, 1)}});
  const json b = result({{"xdp-native", noisy(0.5, 0.02, 5, 3)}});
  const GateReport rep = compare_results(a, b, {});
  EXPECT_EQ(rep.exit_code(), 2);
  EXPECT_NE(gate_text(rep, {}).find("too few repeats"), std::string::npos);
}

TEST(Gate, RefusesMismatchedHooksAndConfigs) {
  const json a = result({{"xdp-native", noisy(1.0, 0.02, 10, 1)}});
  const json b = result({{"tc-cls", noisy(1.0, 0.02, 10, 3)}});
  EXPECT_EQ(compare_results(a, b, {}).exit_code(), 2);
  const json c = result({{"xdp-native", noisy(1.0, 0.02, 10, 3)}}, "d2");
  const GateReport rep = compare_results(a, c, {});
  EXPECT_EQ(rep.exit_code(), 2);
  EXPECT_NE(gate_text(rep, {}).find("config.rules_digest differs"), std::string::npos);
}

// Result files of another shape get an error naming the file and the member
// (tests/fuzz/fuzz_results found a number beyond a double escaping as the
// JSON library's out_of_range: corpus/fuzz_results/regress-number-overflow.json).
TEST(Gate, NamesWhatIsWrongWithAResultFile) {
  const std::string good = result({{"xdp-native", {1.0}}}).dump();
  const std::pair<std::string, std::string> cases[] = {
      {"{\"schema\": 1e999}", "r.json: not JSON: "},
      {"[1, 2]", "r.json: not an xdpbench result file"},
      {good.substr(0, good.size() / 2), "r.json: not JSON: "},
      {R"({"schema": 2, "command": "sweep", "results": []})", "r.json: a \"sweep\" result; the gate compares"},
      {R"({"schema": 2, "command": "run", "results": []})", "r.json: config must be an object"},
      {R"({"schema": 2, "command": "run", "config": {}, "results": {}})", "r.json: results must be a list"},
      {R"({"schema": 2, "command": "run", "config": {}, "results": [{"hook": 5, "trials": []}]})",
       "r.json: results[0].hook must be a string"},
      {R"({"schema": 2, "command": "run", "config": {}, "results": [{"hook": "h", "trials": 3}]})",
       "r.json: results[0].trials must be a list"},
      {R"({"schema": 2, "command": "run", "config": {}, "results": [{"hook": "h", "trials": [{"rx": "1"}]}]})",
       "r.json: results[0].trials[0].rx must be a number"},
      {R"({"schema": 2, "command": "run", "config": {},
           "results": [{"hook": "h", "trials": [{"hook_latency_ns": {"p99": []}}]}]})",
       "r.json: results[0].trials[0].hook_latency_ns must be null or an object with a number p99"},
  };
  for (const auto& [text, message] : cases) {
    try {
      parse_result_file(text, "r.json");
      ADD_FAILURE() << text << ": no error";
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).rfind(message, 0), 0u) << e.what();
    }
  }
  EXPECT_NO_THROW(parse_result_file(good, "r.json"));
}

}  // namespace
}  // namespace xb::bench
