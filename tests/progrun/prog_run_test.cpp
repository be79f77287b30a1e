// Every hook's BPF program against the reference model, through
// BPF_PROG_TEST_RUN: the verdict table, then a differential corpus of random
// and mutated packets against random rule sets.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <optional>
#include <thread>

#include "classbench_rules.hpp"
#include "differential_corpus.hpp"
#include "oracle.hpp"
#include "oracle_headers.hpp"
#include "packet_builder.hpp"
#include "prog_runner.hpp"
#include "synthetic_rules.hpp"
#include "test_params.hpp"
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

// The counter slots a packet can land in, in both generations (see
// FilterMaps::install): a packet's rule is the one slot that rose by one.
class WatchedSlots {
 public:
  explicit WatchedSlots(int counters_fd) : fd_(counters_fd), cpus_(libbpf_num_possible_cpus()) {}
  std::vector<std::uint64_t> read() const {
    std::vector<std::uint64_t> packets;
    std::vector<xb_counter> per_cpu(static_cast<std::size_t>(cpus_));
    for (const std::uint32_t base : {0u, std::uint32_t{XB_COUNTER_SLOTS}})
      for (const std::uint32_t slot : kSlots) {
        const __u32 key = base + slot;
        std::uint64_t sum = 0;
        if (bpf_map_lookup_elem(fd_, &key, per_cpu.data()) == 0)
          for (const auto& c : per_cpu) sum += c.packets;
        packets.push_back(sum);
      }
    return packets;
  }
  // The rule of the one slot that rose by exactly one while nothing else
  // moved; nullopt when the reads straddled a counter reset.
  static std::optional<std::uint32_t> rule_counted(const std::vector<std::uint64_t>& before,
                                                   const std::vector<std::uint64_t>& after) {
    std::optional<std::uint32_t> rule;
    for (std::size_t i = 0; i < before.size(); ++i) {
      if (after[i] == before[i]) continue;
      if (after[i] != before[i] + 1 || rule) return std::nullopt;
      rule = kSlots[i % kSlots.size()];
    }
    return rule;
  }

 private:
  static constexpr std::array<std::uint32_t, 5> kSlots{0, 1, XB_RULE_DEFAULT, XB_RULE_NON_IP, XB_RULE_MALFORMED};
  int fd_;
  int cpus_;
};

// A reload swaps the whole table at once: a packet sees rule set A or rule
// set B, never something else, even while tables are swapped under it.
// Checked packet by packet: each verdict (action and the rule counted) must
// be what the reference model says for A or for B; anything else fails.
TEST_P(ProgRun, ReloadIsAtomicUnderPrograms) {
  const char* a = "[[rule]]\naction=\"drop\"\ndst=\"198.18.0.1\"\nproto=\"udp\"\ndport=53\n";
  const char* b =
      "[[rule]]\naction=\"pass\"\ndst=\"198.19.0.0/16\"\n"
      "[[rule]]\naction=\"pass\"\nsrc=\"198.18.0.9\"\nproto=\"udp\"\n";
  const auto table_a = compile_rules(parse_rules(a, "a"));
  const auto table_b = compile_rules(parse_rules(b, "b"));
  ProgRunner runner(GetParam(), table_a);
  const auto frame = fixtures::build_frame(fixtures::udp("198.18.0.9", "198.18.0.1", 5353, 53));
  const Classification want_a = ProgRunner::reference(GetParam(), table_a, frame);
  const Classification want_b = ProgRunner::reference(GetParam(), table_b, frame);
  ASSERT_EQ(want_a, (Classification{Action::Drop, 0}));
  ASSERT_EQ(want_b, (Classification{Action::Pass, 1}));

  constexpr int kSwaps = 200, kPacketsBetweenSwaps = 20;
  const WatchedSlots slots(runner.maps().counters_fd());
  std::atomic<bool> stop{false};
  std::atomic<int> measured{0};
  std::size_t by_a = 0, by_b = 0, unattributed = 0, wrong = 0;
  std::thread traffic([&] {
    while (!stop) {
      const auto before = slots.read();
      const int rc = runner.run_raw(frame);
      const auto after = slots.read();
      ++measured;
      const Action action = rc == -EINVAL ? Action::Pass : runner.action_of_retval(rc);
      const auto rule = WatchedSlots::rule_counted(before, after);
      const bool is_a = action == want_a.action && (!rule || *rule == want_a.rule);
      const bool is_b = action == want_b.action && (!rule || *rule == want_b.rule);
      if (!rule) ++unattributed;
      if (is_a && rule) ++by_a;
      if (is_b && rule) ++by_b;
      if (rc == -EINVAL || (!is_a && !is_b)) {
        if (++wrong <= 5)
          ADD_FAILURE() << kind_name(GetParam()) << ": a packet got "
                        << (rc == -EINVAL ? "refused" : action_name(action)) << " rule "
                        << (rule ? std::to_string(*rule) : "?") << ", neither table A's nor B's";
      }
    }
  });
  // swap with packets running through each table and through each swap
  for (int i = 0; i < kSwaps; ++i) {
    runner.maps().install(i % 2 ? table_a : table_b);
    const int target = measured + kPacketsBetweenSwaps;
    while (measured < target) std::this_thread::yield();
  }
  stop = true;
  traffic.join();
  std::printf(
      "[   NOTE   ] %d packets during %d swaps: %zu by table A, %zu by table B (rule and action), "
      "%zu across a counter reset (action checked), %zu neither\n",
      measured.load(), kSwaps, by_a, by_b, unattributed, wrong);
  EXPECT_EQ(wrong, 0u);
  EXPECT_GT(by_a, 0u);
  EXPECT_GT(by_b, 0u);
  // the last table installed is A
  EXPECT_EQ(runner.run(frame, want_a), want_a);
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

INSTANTIATE_TEST_SUITE_P(Programs, ProgRun, ::testing::ValuesIn(testing::kProgramKinds), testing::kind_param_name);

}  // namespace
}  // namespace xb
