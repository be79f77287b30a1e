// The rule-file readers and the rule compiler on any bytes: a TOML or
// ClassBench file (sniffed as `--rules=FILE` is) is read, compiled, and the
// compiled table is checked against the independent oracle (a linear first
// match) on header tuples aimed at the rules' edges. Expected: a RuleError
// naming the file, or a table that classifies as the oracle does.
#include <cstdint>
#include <string>

#include "errors.hpp"
#include "fuzz_check.hpp"
#include "oracle.hpp"
#include "oracle_headers.hpp"
#include "packet_builder.hpp"
#include "reference_model.hpp"
#include "rule_compiler.hpp"
#include "rule_files.hpp"

namespace {

constexpr const char* kSource = "fuzz.rules";
// tuples per compiled rule set: enough to reach each rule's edges on the
// small sets a fuzz input holds, few enough to keep thousands of runs a second
constexpr std::size_t kProbes = 64;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace xb;
  const std::string text(reinterpret_cast<const char*>(data), size);
  RuleSet rules;
  CompiledTable table;
  try {
    rules = parse_rule_text(text, kSource, Action::Drop);
    table = compile_rules(rules);
  } catch (const RuleError& e) {
    fuzz::expect_error_names(e.what(), kSource);
    return 0;
  }
  if (table.rule_count() != rules.rules.size())
    fuzz::broken("compiled " + std::to_string(table.rule_count()) + " of " + std::to_string(rules.rules.size()) +
                 " rules");
  const fixtures::Oracle oracle(rules);
  for (const auto& h : fixtures::boundary_headers(rules, kProbes, size)) {
    const fixtures::OracleVerdict want = oracle.classify(h);
    const Classification got = classify(table, fixtures::build_frame(fixtures::packet_spec(h)));
    if (got.rule != want.rule || got.action != want.action)
      fuzz::broken(fixtures::describe(h) + ": classifier rule " + std::to_string(got.rule) + " " +
                   action_name(got.action) + ", oracle rule " + std::to_string(want.rule) + " " +
                   action_name(want.action));
  }
  return 0;
}
