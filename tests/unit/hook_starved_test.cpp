// The starved flag (bench/analysis/hook_starved.hpp): a hook that saw a
// small share of what the DUT's interface received is flagged, with why;
// trials that do not know the DUT's count are left out. And the summary and
// the result file carry it.
#include "hook_starved.hpp"

#include <gtest/gtest.h>

#include "result_file.hpp"
#include "run_summary.hpp"

namespace xb::bench {
namespace {

TEST(HookStarved, FlagsAHookThatSawASmallShareOfWhatTheDutReceived) {
  // issue #24's router: lwt-in saw ~1% of a million frames a second
  const HookStarved h = hook_starved({{14'000, 1'040'000}, {11'000, 1'001'000}, {14'000, 985'000}});
  EXPECT_TRUE(h.starved);
  EXPECT_NEAR(h.share, 0.0135, 0.001);
  EXPECT_NE(h.why.find("1.3%"), std::string::npos) << h.why;
  EXPECT_NE(h.why.find("1001000 frames"), std::string::npos) << h.why;
}

TEST(HookStarved, AHookThatSawWhatTheDutReceivedIsNot) {
  EXPECT_FALSE(hook_starved({{1'000'000, 1'000'000}}).starved);
  // a few frames discarded before the hook are not starvation
  const HookStarved h = hook_starved({{95'000, 100'000}, {97'000, 100'000}, {96'000, 100'000}});
  EXPECT_FALSE(h.starved);
  EXPECT_NEAR(h.share, 0.96, 1e-9);
  EXPECT_TRUE(h.why.empty());
}

TEST(HookStarved, TheMedianTrialDecidesAtHalf) {
  // one bad trial of three is noise, two are the hook's lot
  EXPECT_FALSE(hook_starved({{10, 100}, {60, 100}, {70, 100}}).starved);
  EXPECT_TRUE(hook_starved({{10, 100}, {20, 100}, {70, 100}}).starved);
  // the threshold itself is not starved; just under it is
  EXPECT_FALSE(hook_starved({{50, 100}}).starved);
  EXPECT_TRUE(hook_starved({{49, 100}}).starved);
}

TEST(HookStarved, UnknownOrEmptyDutCountsAreLeftOut) {
  EXPECT_FALSE(hook_starved({}).starved);
  EXPECT_FALSE(hook_starved({{0, 0}, {5, 0}}).starved);
  // only the trials that know what the DUT received are judged
  EXPECT_TRUE(hook_starved({{5, 0}, {1, 100}}).starved);
}

TEST(HookStarved, TheSummaryAndTheResultFileCarryIt) {
  Trial t;
  t.seconds = 1;
  t.offered = 1'000'000;
  t.seen = 10'000;
  t.passed = 10'000;
  t.delivered = 10'000;
  t.has_dut_nic_rx = true;
  t.dut_nic_rx = 1'000'000;
  const HookSummary s = summarize("lwt-in", {t, t, t}, 1.0, 0);
  EXPECT_TRUE(s.input.starved);
  EXPECT_NE(summary_table_row(s).find("lwt-in!"), std::string::npos) << summary_table_row(s);
  const nlohmann::json j = summary_json(s, {t}, false);
  EXPECT_TRUE(j.at("starved").get<bool>());
  EXPECT_TRUE(j.at("starved_why").is_string());
  EXPECT_NEAR(j.at("input_share").get<double>(), 0.01, 1e-9);
  const TrialRecord r = nlohmann::json(TrialRecord::of(t)).get<TrialRecord>();
  ASSERT_TRUE(r.dut_nic_rx.has_value());
  EXPECT_EQ(*r.dut_nic_rx, 1'000'000u);
  // a hook reading a ring of its own (DPDK): what the ring had no room for is its own cost
  t.own_input_queue = true;
  EXPECT_FALSE(summarize("dpdk-afxdp", {t}, 1.0, 0).input.starved);
  const TrialRecord q = nlohmann::json(TrialRecord::of(t)).get<TrialRecord>();
  EXPECT_TRUE(q.own_input_queue);
  t.own_input_queue = false;
  // a trial that did not count the DUT's interface says nothing about it
  t.has_dut_nic_rx = false;
  EXPECT_FALSE(summarize("lwt-in", {t}, 1.0, 0).input.starved);
  EXPECT_FALSE(TrialRecord::of(t).dut_nic_rx.has_value());
}

}  // namespace
}  // namespace xb::bench
