// The latency histogram from known input: buckets, edges and percentiles.
#include "latency_histogram.hpp"

#include <gtest/gtest.h>

namespace xb::bench {
namespace {

TEST(LatencyHistogram, BucketsAreExactBelowSixteenThenAtMostOneSixteenthWide) {
  for (std::uint64_t v = 0; v < 16; ++v) EXPECT_EQ(LatencyHistogram::upper_edge(LatencyHistogram::bucket_of(v)), v);
  for (std::uint64_t v : {16ull, 17ull, 31ull, 32ull, 1000ull, 123456ull, 999999999ull}) {
    const std::uint64_t edge = LatencyHistogram::upper_edge(LatencyHistogram::bucket_of(v));
    EXPECT_GE(edge, v);
    EXPECT_LE(edge - v, v / 16) << v;
  }
  // every value maps into a bucket whose range holds it
  std::uint32_t last = 0;
  for (std::uint64_t v = 1; v < 5000000; v += v / 64 + 1) {
    const std::uint32_t b = LatencyHistogram::bucket_of(v);
    EXPECT_GE(b, last);
    last = b;
  }
}

TEST(LatencyHistogram, PercentilesOfAKnownDistribution) {
  LatencyHistogram h;
  // 1000 samples: 900 at 10 us, 90 at 100 us, 9 at 1 ms, 1 at 10 ms
  for (int i = 0; i < 900; ++i) h.record(10'000);
  for (int i = 0; i < 90; ++i) h.record(100'000);
  for (int i = 0; i < 9; ++i) h.record(1'000'000);
  h.record(10'000'000);
  EXPECT_EQ(h.count(), 1000u);
  auto near = [](std::uint64_t got, std::uint64_t want) { return got >= want && got - want <= want / 16; };
  EXPECT_TRUE(near(h.percentile(0.5), 10'000)) << h.percentile(0.5);
  EXPECT_TRUE(near(h.percentile(0.9), 10'000)) << h.percentile(0.9);
  EXPECT_TRUE(near(h.percentile(0.99), 100'000)) << h.percentile(0.99);
  EXPECT_TRUE(near(h.percentile(0.999), 1'000'000)) << h.percentile(0.999);
  EXPECT_TRUE(near(h.max(), 10'000'000)) << h.max();
}

TEST(LatencyHistogram, EmptyIsZero) { EXPECT_EQ(LatencyHistogram().percentile(0.99), 0u); }

// The hook times every stamp of a short trial, and of a long one at least
// kMinLatencySamples, never fewer than one in 2^kMaxLatencySampleShift.
TEST(LatencySampling, KeepsEnoughSamplesAndBoundsTheProbesCost) {
  EXPECT_EQ(latency_sample_shift(0), 0u);  // not known: every packet
  EXPECT_EQ(latency_sample_shift(1000), 0u);
  EXPECT_EQ(latency_sample_shift(2 * kMinLatencySamples - 1), 0u);
  EXPECT_EQ(latency_sample_shift(2 * kMinLatencySamples), 1u);
  EXPECT_EQ(latency_sample_shift(50'000'000), kMaxLatencySampleShift);
  for (std::uint64_t n = 1; n < (std::uint64_t{1} << 40); n = n * 3 + 1) {
    const std::uint32_t shift = latency_sample_shift(n);
    EXPECT_LE(shift, kMaxLatencySampleShift);
    if (shift > 0) {
      EXPECT_GE(n >> shift, kMinLatencySamples) << n;
    }
  }
}

}  // namespace
}  // namespace xb::bench
