// The live-frame generator's call sizing (bench/traffic/call_size_model.hpp) against
// simulated kernels: call time = fixed + per-packet x n, with noise.
#include "call_size_model.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace xb::bench {
namespace {

struct SimulatedKernel {
  double fixed_s, per_packet_s;
  double noise = 0.05;  // +-5% per call
  std::mt19937 rng{1};
  double call(std::uint64_t n) {
    std::uniform_real_distribution<double> u(1 - noise, 1 + noise);
    return (fixed_s + per_packet_s * static_cast<double>(n)) * u(rng);
  }
};

// Runs `calls` calls; returns the size of the last.
std::uint64_t run(CallSizeModel& model, SimulatedKernel& kernel, int calls) {
  std::uint64_t n = 0;
  for (int i = 0; i < calls; ++i) {
    n = model.next();
    model.observe(n, kernel.call(n));
  }
  return n;
}

TEST(CallSizeModel, StartsAtTheStartSize) {
  EXPECT_EQ(CallSizeModel().next(), 1024u);
  EXPECT_EQ(CallSizeModel({.start = 100000, .cap = 4096}).next(), 4096u);
}

// The bug this model exists for: every call waits ~20 ms for RCU grace
// periods whatever its size. Calls must grow to the cap, not shrink to 64.
TEST(CallSizeModel, SlowGracePeriodsMakeCallsBigNotSmall) {
  CallSizeModel model;
  SimulatedKernel kernel{.fixed_s = 0.020, .per_packet_s = 0.7e-6};
  std::uint64_t big = 0;  // alternate calls are at the cap
  for (int i = 0; i < 40; ++i) big = std::max(big, run(model, kernel, 1));
  EXPECT_EQ(big, 65536u);
  EXPECT_TRUE(model.separated());
  EXPECT_NEAR(model.fixed_s(), 0.020, 0.004);
  EXPECT_NEAR(model.per_packet_s(), 0.7e-6, 0.15e-6);
}

TEST(CallSizeModel, FastKernelCallsTakeAboutTheTarget) {
  CallSizeModel model;
  SimulatedKernel kernel{.fixed_s = 0.0002, .per_packet_s = 0.7e-6};
  const std::uint64_t n = run(model, kernel, 40);
  const double t = 0.0002 + 0.7e-6 * static_cast<double>(n);
  EXPECT_GT(t, 0.007);
  EXPECT_LT(t, 0.017);  // calls alternate between n and 1.5 n
}

// A slow hook: calls stay near 10 ms, so a trial ends on time.
TEST(CallSizeModel, SlowHookKeepsCallsShort) {
  CallSizeModel model;
  SimulatedKernel kernel{.fixed_s = 0.001, .per_packet_s = 20e-6};
  const std::uint64_t n = run(model, kernel, 40);
  const double t = 0.001 + 20e-6 * static_cast<double>(n);
  EXPECT_GT(t, 0.007);
  EXPECT_LT(t, 0.017);
}

// A fixed cost large against the target: the call grows until the fixed cost
// is at most 10% of it, and no further than the longest call allowed.
TEST(CallSizeModel, FixedCostIsASmallShare) {
  CallSizeModel model;
  SimulatedKernel kernel{.fixed_s = 0.005, .per_packet_s = 2e-6};
  run(model, kernel, 40);
  // the fit of a small fixed cost is noisy: judge the share over many calls
  double fixed = 0, total = 0;
  for (int i = 0; i < 40; ++i) {
    const std::uint64_t n = run(model, kernel, 1);
    fixed += 0.005;
    total += 0.005 + 2e-6 * static_cast<double>(n);
  }
  EXPECT_LT(fixed / total, 0.13);
  EXPECT_GT(fixed / total, 0.05);

  CallSizeModel bounded({.max_call_s = 0.05});
  SimulatedKernel slow{.fixed_s = 0.02, .per_packet_s = 10e-6};
  const std::uint64_t m = run(bounded, slow, 60);
  EXPECT_LE(0.02 + 10e-6 * static_cast<double>(m), 0.05 * 1.1);
}

TEST(CallSizeModel, OneSlowCallDoesNotCollapseTheSize) {
  CallSizeModel model;
  SimulatedKernel kernel{.fixed_s = 0.001, .per_packet_s = 0.7e-6};
  const std::uint64_t before = run(model, kernel, 40);
  model.observe(model.next(), 0.5);  // preempted for half a second
  EXPECT_GE(model.next(), before / 2);
  EXPECT_GE(run(model, kernel, 10), before * 6 / 10);
}

TEST(CallSizeModel, FollowsAHookThatBecomesSlow) {
  CallSizeModel model;
  SimulatedKernel kernel{.fixed_s = 0.001, .per_packet_s = 0.7e-6};
  run(model, kernel, 40);
  kernel.per_packet_s = 50e-6;  // the next hook is 70 times slower
  int calls = 0;
  double t = 1;
  for (; calls < 60 && t > 0.02; ++calls) t = kernel.call(run(model, kernel, 1));
  EXPECT_LT(calls, 30);
  const std::uint64_t n = run(model, kernel, 30);
  EXPECT_LT(0.001 + 50e-6 * static_cast<double>(n), 0.017);
}

TEST(CallSizeModel, NeverZeroNeverAboveTheCap) {
  CallSizeModel model({.cap = 1024});
  SimulatedKernel kernel{.fixed_s = 0.3, .per_packet_s = 1e-3};
  for (int i = 0; i < 50; ++i) {
    const std::uint64_t n = model.next();
    ASSERT_GE(n, 1u);
    ASSERT_LE(n, 1024u);
    model.observe(n, kernel.call(n));
  }
  // time that does not grow with size, or calls of 0 s, are no trouble either
  CallSizeModel flat;
  for (int i = 0; i < 20; ++i) flat.observe(flat.next(), 0.02);
  EXPECT_GE(flat.next(), 65536u * 2 / 3);
  CallSizeModel instant;
  for (int i = 0; i < 20; ++i) instant.observe(instant.next(), 0);
  EXPECT_GE(instant.next(), 65536u * 2 / 3);
}

// A caller that sends fewer frames than asked (the end of a trial's packet
// budget) still teaches the model.
TEST(CallSizeModel, LearnsFromShortenedCalls) {
  CallSizeModel model;
  SimulatedKernel kernel{.fixed_s = 0.02, .per_packet_s = 1e-6};
  for (std::uint64_t n : {1000u, 1000u, 3000u, 500u}) model.observe(n, kernel.call(n));
  EXPECT_TRUE(model.separated());
  EXPECT_NEAR(model.fixed_s(), 0.02, 0.005);
}

}  // namespace
}  // namespace xb::bench
