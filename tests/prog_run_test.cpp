// Every hook's BPF program against the reference model, through
// BPF_PROG_TEST_RUN: the verdict table, then a differential corpus of random
// and mutated packets against random rule sets.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "classbench_rules.hpp"
#include "differential_corpus.hpp"
#include "oracle.hpp"
#include "oracle_headers.hpp"
#include "packet_builder.hpp"
#include "prog_runner.hpp"
#include "synthetic_rules.hpp"
#include "verdict_table.hpp"

namespace xb {
namespace {

using fixtures::ProgRunner;

std::string kind_name(ProgramKind k) { return program_kind_name(k); }

class ProgRun : public ::testing::TestWithParam<ProgramKind> {};

TEST_P(ProgRun, VerdictTable) {
  const auto table = compile_rules(parse_rules(fixtures::verdict_table_rules(), "verdict-table.toml"));
  ProgRunner runner(GetParam(), table);
  for (const auto& c : fixtures::verdict_cases()) {
    const Classification at_l2{c.action, c.rule};
    ASSERT_EQ(classify(table, c.frame), at_l2) << c.description;
    const Classification want = ProgRunner::reference(GetParam(), table, c.frame);
    if (want != at_l2)  // listed: what an L3 hook cannot see the way L2 does
      std::printf("[   NOTE   ] %s: %s: from the IP header on this is %s rule %u (at L2: %s rule %u)\n",
                  kind_name(GetParam()).c_str(), c.description.c_str(), action_name(want.action).c_str(), want.rule,
                  action_name(at_l2.action).c_str(), at_l2.rule);
    const auto got = runner.run(c.frame, want);
    if (!got) {
      // listed, not silently skipped: prog-run refuses such a frame
      std::printf("[   NOTE   ] %s: %s: %zu bytes, not runnable at this hook by BPF_PROG_TEST_RUN\n",
                  kind_name(GetParam()).c_str(), c.description.c_str(), c.frame.size());
      EXPECT_TRUE(want.rule == XB_RULE_MALFORMED || want.rule == XB_RULE_NON_IP)
          << "only malformed or non-IP frames may be unrunnable: " << c.description;
      continue;
    }
    EXPECT_EQ(*got, want) << kind_name(GetParam()) << ": " << c.description << ": got " << action_name(got->action)
                          << " rule " << got->rule;
  }
}

struct CorpusSpec {
  const char* name;
  SyntheticRuleOptions rules;
  std::size_t packets;
};

void run_differential(ProgramKind kind, const CorpusSpec& spec, std::uint64_t seed) {
  const RuleSet rules = synthetic_rules(spec.rules);
  const CompiledTable table = compile_rules(rules);
  ProgRunner runner(kind, table);
  std::size_t compared = 0, refused = 0, mismatches = 0, by_rule = 0, malformed = 0;
  for (const auto& frame : fixtures::differential_corpus(rules, spec.packets, seed)) {
    const Classification want = ProgRunner::reference(kind, table, frame);
    const auto result = runner.run(frame, want);
    if (!result) {
      ++refused;
      EXPECT_TRUE(want.rule == XB_RULE_MALFORMED || want.rule == XB_RULE_NON_IP)
          << "prog-run refused a frame the reference parses";
      continue;
    }
    const Classification got = *result;
    ++compared;
    by_rule += want.rule < XB_MAX_RULES;
    malformed += want.rule == XB_RULE_MALFORMED;
    if (got != want && ++mismatches <= 5) {
      std::string hex;
      for (auto b : frame) hex += fmt::format("{:02x}", b);
      ADD_FAILURE() << kind_name(kind) << " " << spec.name << ": reference " << action_name(want.action) << " rule "
                    << want.rule << ", BPF " << action_name(got.action) << " rule " << got.rule << "\nframe " << hex;
    }
  }
  EXPECT_EQ(mismatches, 0u);
  // VLAN-tagged frames are non-IP to netfilter, which then never sees them
  EXPECT_GE(compared, spec.packets * 3 / 4);
  std::printf(
      "[   NOTE   ] %s %s: %zu packets compared (%zu matched a rule, %zu malformed), %zu not runnable "
      "(all malformed or non-IP)\n",
      kind_name(kind).c_str(), spec.name, compared, by_rule, malformed, refused);
}

TEST_P(ProgRun, DifferentialRealisticRules) {
  run_differential(GetParam(), {"1000 realistic rules", {.count = 1000, .seed = 11}, 6000}, 101);
}

TEST_P(ProgRun, DifferentialRandomShapes) {
  // random prefix lengths: every mask position is exercised
  for (std::uint64_t seed = 1; seed <= 8; ++seed)
    run_differential(GetParam(), {"random shapes", {.count = 12, .seed = seed, .random_shapes = true}, 600}, seed * 7);
}

// A reload swaps the whole table at once: a packet sees rule set A or rule
// set B, never something else, even while tables are swapped under it.
TEST_P(ProgRun, ReloadIsAtomicUnderPrograms) {
  const char* a = "[[rule]]\naction=\"drop\"\ndst=\"198.18.0.1\"\nproto=\"udp\"\ndport=53\n";
  const char* b =
      "[[rule]]\naction=\"pass\"\ndst=\"198.19.0.0/16\"\n"
      "[[rule]]\naction=\"pass\"\nsrc=\"198.18.0.9\"\nproto=\"udp\"\n";
  const auto table_a = compile_rules(parse_rules(a, "a"));
  const auto table_b = compile_rules(parse_rules(b, "b"));
  ProgRunner runner(GetParam(), table_a);
  const auto frame = fixtures::build_frame(fixtures::udp("198.18.0.9", "198.18.0.1", 5353, 53));
  ASSERT_EQ(ProgRunner::reference(GetParam(), table_a, frame), (Classification{Action::Drop, 0}));
  ASSERT_EQ(ProgRunner::reference(GetParam(), table_b, frame), (Classification{Action::Pass, 1}));

  std::atomic<bool> stop{false};
  std::atomic<int> drops{0}, passes{0};
  std::thread traffic([&] {
    for (int i = 0; i < 200000 && !stop; ++i) {
      const auto got = runner.run(frame, {Action::Drop, 0});
      (got && got->action == Action::Drop ? drops : passes)++;
    }
  });
  for (int i = 0; i < 200; ++i) runner.maps().install(i % 2 ? table_a : table_b);
  stop = true;
  traffic.join();
  std::printf("[   NOTE   ] %d packets classified during 200 swaps: %d by table A, %d by table B\n", drops + passes,
              drops.load(), passes.load());
  // the last table installed is A
  const auto last = runner.run(frame, {Action::Drop, 0});
  EXPECT_EQ(last, (Classification{Action::Drop, 0}));
}

// The ClassBench sets through every hook's program, against the independent
// oracle (a linear first match sharing no code with the core): each trace
// tuple and boundary tuples aimed at the rules' edges. The unit tier holds
// the reference model to the oracle on 100,000 boundary tuples per set.
TEST_P(ProgRun, ClassBenchAgainstOracle) {
  constexpr std::size_t kTrace = 3000, kBoundary = 10000;
  for (const char* set : {"acl1_1k", "fw1_1k", "ipc1_1k", "ipc1_10k"}) {
    const RuleSet rules = load_classbench_file(std::string(XB_TEST_DATA "/classbench/") + set, Action::Drop);
    const CompiledTable table = compile_rules(rules);
    const fixtures::Oracle oracle(rules);
    ProgRunner runner(GetParam(), table);
    auto headers = fixtures::read_classbench_trace(std::string(XB_TEST_DATA "/classbench/") + set + "_trace");
    if (headers.size() > kTrace) headers.resize(kTrace);
    const auto boundary = fixtures::boundary_headers(rules, kBoundary, 5);
    headers.insert(headers.end(), boundary.begin(), boundary.end());
    std::size_t compared = 0, mismatches = 0;
    for (const auto& h : headers) {
      const fixtures::OracleVerdict want = oracle.classify(h);
      const auto frame = fixtures::build_frame(fixtures::packet_spec(h));
      const auto got = runner.run(frame, Classification{want.action, want.rule});
      if (!got) continue;  // a later fragment without its header at an L3 hook, say
      ++compared;
      if ((got->rule != want.rule || got->action != want.action) && ++mismatches <= 5)
        ADD_FAILURE() << kind_name(GetParam()) << " " << set << ": " << fixtures::describe(h) << ": oracle rule "
                      << want.rule << " " << action_name(want.action) << ", BPF rule " << got->rule << " "
                      << action_name(got->action);
    }
    EXPECT_EQ(mismatches, 0u) << set;
    EXPECT_GE(compared, headers.size() * 9 / 10) << set;
    std::printf("[   NOTE   ] %s %s: %zu packets, 0 mismatches expected, %zu found\n", kind_name(GetParam()).c_str(),
                set, compared, mismatches);
  }
}

INSTANTIATE_TEST_SUITE_P(Programs, ProgRun,
                         ::testing::Values(ProgramKind::Xdp, ProgramKind::Tc, ProgramKind::TcAct, ProgramKind::Socket,
                                           ProgramKind::Cgroup, ProgramKind::Netfilter, ProgramKind::LwtIn,
                                           ProgramKind::LwtOut, ProgramKind::LwtXmit),
                         [](const auto& info) {
                           std::string n = kind_name(info.param);
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

}  // namespace
}  // namespace xb
