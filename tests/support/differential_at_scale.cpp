// The differential test at scale: every hook's program, through
// BPF_PROG_TEST_RUN, against the reference model (random and mutated
// packets) and the independent oracle (ClassBench traces and boundary
// tuples), over several rule sets: the default rules, random shapes and
// ClassBench. ProgRunMillion (tests/long/) sends a million packets per hook
// (label "long", minutes); ProgRunSample (tests/progrun/) the same mix,
// smaller, in the default run: both call this.
//
// Batched: packets are grouped by the rule the reference expects, each run
// once (one syscall) and its action checked; the group's counter is read
// before and after, and must have risen by the group's size. Only a group
// that does not add up is rerun packet by packet to name the culprit.
#include "differential_at_scale.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

#include "classbench_rules.hpp"
#include "differential_corpus.hpp"
#include "oracle.hpp"
#include "oracle_headers.hpp"
#include "packet_builder.hpp"
#include "prog_runner.hpp"
#include "rule_set.hpp"
#include "synthetic_rules.hpp"

namespace xb::testing {
namespace {

using fixtures::ProgRunner;

struct Tally {
  std::size_t packets = 0, compared = 0, refused = 0, mismatches = 0;
  Tally& operator+=(const Tally& o) {
    packets += o.packets;
    compared += o.compared;
    refused += o.refused;
    mismatches += o.mismatches;
    return *this;
  }
};

std::string hex(const std::vector<std::uint8_t>& frame) {
  std::string s;
  for (auto b : frame) s += fmt::format("{:02x}", b);
  return s;
}

// Frames and what each must get at this hook.
struct Case {
  std::vector<std::uint8_t> frame;
  Classification want;
  // built from headers: prog-run may refuse it at an L3 hook (a later
  // fragment without its transport header, say) though the oracle judges it
  bool from_headers = false;
};

// Runs the cases through the runner in groups of one expected rule.
Tally run_batched(ProgramKind kind, ProgRunner& runner, std::vector<Case>& cases, const std::string& what) {
  constexpr std::size_t kGroup = 4096;
  Tally t;
  t.packets = cases.size();
  std::stable_sort(cases.begin(), cases.end(), [](const Case& a, const Case& b) { return a.want.rule < b.want.rule; });
  auto report = [&](const Case& c, const std::string& got) {
    if (++t.mismatches <= 5)
      ADD_FAILURE() << program_kind_name(kind) << " " << what << ": expected " << action_name(c.want.action) << " rule "
                    << c.want.rule << ", BPF " << got << "\nframe " << hex(c.frame);
  };
  for (std::size_t begin = 0; begin < cases.size();) {
    const std::uint32_t rule = cases[begin].want.rule;
    std::size_t end = begin;
    while (end < cases.size() && end - begin < kGroup && cases[end].want.rule == rule) ++end;
    const std::uint64_t before = runner.maps().read_counter(rule).packets;
    std::uint64_t ran = 0;
    bool actions_agree = true;
    for (std::size_t i = begin; i < end; ++i) {
      const Case& c = cases[i];
      const int rc = runner.run_raw(c.frame);
      if (rc == -EINVAL) {
        ++t.refused;
        EXPECT_TRUE(c.from_headers || c.want.rule == XB_RULE_MALFORMED || c.want.rule == XB_RULE_NON_IP)
            << program_kind_name(kind) << " " << what
            << ": prog-run refused a frame the reference parses: " << hex(c.frame);
        continue;
      }
      ++ran;
      if (runner.verdict_visible(c.frame) && runner.action_of_retval(rc) != c.want.action) actions_agree = false;
    }
    t.compared += ran;
    const std::uint64_t after = runner.maps().read_counter(rule).packets;
    if (!actions_agree || after - before != ran) {
      // name the packets that went astray: one by one, with the slow path
      for (std::size_t i = begin; i < end; ++i) {
        const auto got = runner.run(cases[i].frame, cases[i].want);
        if (got && *got != cases[i].want)
          report(cases[i], action_name(got->action) + " rule " + std::to_string(got->rule));
      }
      if (t.mismatches == 0)
        report(cases[begin], fmt::format("a group of {} counted {} (not reproduced one by one)", ran, after - before));
    }
    begin = end;
  }
  return t;
}

// Random and mutated frames aimed at the rules, judged by the reference model.
std::vector<Case> corpus_cases(ProgramKind kind, const RuleSet& rules, const CompiledTable& table, std::size_t count,
                               std::uint64_t seed) {
  std::vector<Case> cases;
  cases.reserve(count);
  for (auto& frame : fixtures::differential_corpus(rules, count, seed)) {
    const Classification want = ProgRunner::reference(kind, table, frame);
    cases.push_back({std::move(frame), want});
  }
  return cases;
}

// Headers (a ClassBench trace, boundary tuples at the rules' edges) built
// into frames and judged by the oracle, which shares no code with the core.
std::vector<Case> oracle_cases(const RuleSet& rules, const std::vector<fixtures::OracleHeaders>& headers) {
  const fixtures::Oracle oracle(rules);
  std::vector<Case> cases;
  cases.reserve(headers.size());
  for (const auto& h : headers) {
    const fixtures::OracleVerdict v = oracle.classify(h);
    cases.push_back({fixtures::build_frame(fixtures::packet_spec(h)), Classification{v.action, v.rule}, true});
  }
  return cases;
}

}  // namespace

// One hook, `total` packets spread over the rule sets.
// The sample leaves out the 10,000-rule set: building it and its boundary
// tuples is most of the sample's time.
void differential_at_scale(ProgramKind kind, std::size_t total, bool with_10k_rules) {
  const auto start = std::chrono::steady_clock::now();
  enum class Source { Default, RandomShapes, ClassBench };
  struct Set {
    std::string name;
    Source source;
    RuleSet rules;
    CompiledTable table;
    std::uint64_t seed = 0;
    std::string path;  // ClassBench
  };
  std::vector<Set> sets;
  {
    RuleSet rules = default_rule_set();
    CompiledTable table = compile_rules(rules);
    sets.push_back({"default rules", Source::Default, std::move(rules), std::move(table), 0, ""});
  }
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    RuleSet rules = synthetic_rules({.count = 12, .seed = seed, .random_shapes = true});
    CompiledTable table = compile_rules(rules);
    sets.push_back(
        {fmt::format("random shapes #{}", seed), Source::RandomShapes, std::move(rules), std::move(table), seed, ""});
  }
  for (const char* set : {"acl1_1k", "fw1_1k", "ipc1_1k", "ipc1_10k"}) {
    if (!with_10k_rules && std::string(set).ends_with("_10k")) continue;
    const std::string path = std::string(XB_TEST_DATA "/classbench/") + set;
    RuleSet rules = load_classbench_file(path, Action::Drop);
    CompiledTable table = compile_rules(rules);
    sets.push_back({std::string("ClassBench ") + set, Source::ClassBench, std::move(rules), std::move(table), 5, path});
  }
  // One program a hook (verifying it takes far longer than a set's packets),
  // its maps sized for the largest table; each set is installed in turn.
  const auto largest = std::max_element(sets.begin(), sets.end(),
                                        [](const Set& x, const Set& y) { return x.table.bytes() < y.table.bytes(); });
  ProgRunner runner(kind, largest->table);

  Tally all;
  double prog_run_seconds = 0;
  for (const Set& set : sets) {
    std::vector<Case> cases;
    switch (set.source) {
      case Source::Default: {  // 30%: random and mutated, and boundary tuples
        const std::size_t n = total * 3 / 10;
        cases = corpus_cases(kind, set.rules, set.table, n * 3 / 4, 1001);
        auto edge = oracle_cases(set.rules, fixtures::boundary_headers(set.rules, n - n * 3 / 4, 1002));
        cases.insert(cases.end(), std::make_move_iterator(edge.begin()), std::make_move_iterator(edge.end()));
        break;
      }
      case Source::RandomShapes:  // 30% over eight sets: every prefix length and port span
        cases = corpus_cases(kind, set.rules, set.table, total * 3 / 80, set.seed * 7);
        break;
      case Source::ClassBench: {  // 10% a set: its trace and boundary tuples
        const std::size_t n = total / 10;
        auto headers = fixtures::read_classbench_trace(set.path + "_trace");
        if (headers.size() > n / 2) headers.resize(n / 2);
        const auto boundary = fixtures::boundary_headers(set.rules, n - headers.size(), set.seed);
        headers.insert(headers.end(), boundary.begin(), boundary.end());
        cases = oracle_cases(set.rules, headers);
        break;
      }
    }
    runner.maps().install(set.table);
    const auto began = std::chrono::steady_clock::now();
    const Tally t = run_batched(kind, runner, cases, set.name);
    prog_run_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
    EXPECT_EQ(t.mismatches, 0u) << set.name;
    EXPECT_GE(t.compared, t.packets * 3 / 4) << set.name << ": too few runnable at this hook";
    std::printf("[   NOTE   ] %s %s: %zu packets, %zu compared, %zu not runnable, %zu mismatches\n",
                program_kind_name(kind).c_str(), set.name.c_str(), t.packets, t.compared, t.refused, t.mismatches);
    all += t;
  }

  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(all.mismatches, 0u);
  EXPECT_GE(all.packets, with_10k_rules ? total * 99 / 100 : total * 89 / 100);
  std::printf(
      "[   NOTE   ] %s: %zu packets in all, %zu compared, %zu mismatches; %.1f s, of which prog-run %.1f s "
      "(%.0f packets/s through the program)\n",
      program_kind_name(kind).c_str(), all.packets, all.compared, all.mismatches, seconds, prog_run_seconds,
      static_cast<double>(all.packets) / prog_run_seconds);
}

}  // namespace xb::testing
