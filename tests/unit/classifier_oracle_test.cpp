// The classifier against the independent oracle on the ClassBench sets: every
// trace tuple and 100,000 boundary tuples per set get the same rule index
// from the reference model (the filter core compiled natively) as from a
// plain linear first match over the parsed rules. 0 mismatches.
#include <gtest/gtest.h>

#include <filesystem>

#include "classbench_rules.hpp"
#include "oracle.hpp"
#include "oracle_headers.hpp"
#include "reference_model.hpp"
#include "rule_compiler.hpp"

namespace xb::fixtures {
namespace {

const std::string kData = XB_TEST_DATA "/classbench/";
constexpr std::size_t kBoundaryPackets = 100000;
constexpr std::size_t kReported = 5;

class ClassifierVsOracle : public ::testing::TestWithParam<const char*> {};

TEST_P(ClassifierVsOracle, SameRuleForEveryPacket) {
  const std::string set = GetParam();
  const RuleSet rules = load_classbench_file(kData + set, Action::Drop);
  const CompiledTable table = compile_rules(rules);
  const Oracle oracle(rules);

  struct Probe {
    std::string origin;  // "trace line N" or "boundary #N"
    OracleHeaders headers;
  };
  std::vector<Probe> probes;
  const std::string trace_path = kData + set + "_trace";
  if (std::filesystem::exists(trace_path)) {  // there is no acl1_10k_trace
    const auto trace = read_classbench_trace(trace_path);
    for (std::size_t i = 0; i < trace.size(); ++i) probes.push_back({"trace line " + std::to_string(i + 1), trace[i]});
  }
  const auto boundary = boundary_headers(rules, kBoundaryPackets, std::hash<std::string>{}(set));
  for (std::size_t i = 0; i < boundary.size(); ++i) probes.push_back({"boundary #" + std::to_string(i), boundary[i]});

  auto rule_name = [&](std::uint32_t index) {
    return index < rules.rules.size() ? rules.rules[index].name + " (" + rules.rules[index].where.str() + ")"
           : index == XB_RULE_DEFAULT ? std::string("default")
                                      : std::to_string(index);
  };
  std::size_t mismatches = 0;
  for (const Probe& p : probes) {
    const OracleVerdict want = oracle.classify(p.headers);
    const Classification got = classify(table, build_frame(packet_spec(p.headers)));
    if (got.rule == want.rule && got.action == want.action) continue;
    if (++mismatches <= kReported)
      ADD_FAILURE() << set << " " << p.origin << ": " << describe(p.headers)
                    << "\n  classifier: " << rule_name(got.rule) << " " << action_name(got.action)
                    << "\n  oracle:     " << rule_name(want.rule) << " " << action_name(want.action);
  }
  EXPECT_EQ(mismatches, 0u) << "of " << probes.size() << " packets of " << set;
}

INSTANTIATE_TEST_SUITE_P(ClassBench, ClassifierVsOracle,
                         ::testing::Values("acl1_1k", "fw1_1k", "ipc1_1k", "acl1_10k", "fw1_10k", "ipc1_10k"),
                         [](const auto& param_info) { return std::string(param_info.param); });

}  // namespace
}  // namespace xb::fixtures
