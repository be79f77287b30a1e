#include "latency_histogram.hpp"

#include <linux/types.h>

#include <cmath>
#include <numeric>

#ifndef __always_inline
#define __always_inline inline
#endif
#include "xb_latency.h"

namespace xb::bench {

LatencyHistogram::LatencyHistogram() : buckets_(XB_LAT_BUCKETS, 0) {}

LatencyHistogram::LatencyHistogram(std::vector<std::uint64_t> buckets) : buckets_(std::move(buckets)) {
  buckets_.resize(XB_LAT_BUCKETS, 0);
}

std::uint32_t LatencyHistogram::bucket_of(std::uint64_t ns) { return xb_latency_bucket(ns); }

std::uint64_t LatencyHistogram::upper_edge(std::uint32_t b) {
  if (b < 16) return b;
  const std::uint32_t msb = b / 16 + 3, sub = b % 16;
  const std::uint64_t width = 1ull << (msb - XB_LAT_SUB_BITS);
  return ((16ull + sub) << (msb - XB_LAT_SUB_BITS)) + width - 1;
}

void LatencyHistogram::record(std::uint64_t ns) { ++buckets_[bucket_of(ns)]; }

std::uint64_t LatencyHistogram::count() const {
  return std::accumulate(buckets_.begin(), buckets_.end(), std::uint64_t{0});
}

std::uint64_t LatencyHistogram::percentile(double q) const {
  const std::uint64_t n = count();
  if (!n) return 0;
  // the smallest value with at least q of the samples at or below it
  const auto rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(n))));
  std::uint64_t seen = 0;
  for (std::uint32_t b = 0; b < buckets_.size(); ++b) {
    seen += buckets_[b];
    if (seen >= rank) return upper_edge(b);
  }
  return upper_edge(static_cast<std::uint32_t>(buckets_.size() - 1));
}

void LatencyHistogram::add(const LatencyHistogram& other) {
  if (buckets_.size() < other.buckets_.size()) buckets_.resize(other.buckets_.size(), 0);
  for (std::size_t b = 0; b < other.buckets_.size(); ++b) buckets_[b] += other.buckets_[b];
}

std::uint32_t latency_sample_shift(std::uint64_t expected_packets) {
  std::uint32_t shift = 0;
  while (shift < kMaxLatencySampleShift && (expected_packets >> (shift + 1)) >= kMinLatencySamples) ++shift;
  return shift;
}

}  // namespace xb::bench
