// The C++ side of bpf/xb_latency.h: percentiles of a log-linear histogram.
// A percentile is reported as the upper edge of its bucket, so it is never
// below the true value and at most 6.25% above it.
#pragma once

#include <cstdint>
#include <vector>

namespace xb::bench {

class LatencyHistogram {
 public:
  LatencyHistogram();
  explicit LatencyHistogram(std::vector<std::uint64_t> buckets);

  void record(std::uint64_t ns);  // what the sink program does, in C++
  std::uint64_t count() const;
  // q in [0, 1]; 0 when empty
  std::uint64_t percentile(double q) const;
  std::uint64_t max() const { return percentile(1.0); }

  const std::vector<std::uint64_t>& buckets() const { return buckets_; }
  void add(const LatencyHistogram& other);

  static std::uint32_t bucket_of(std::uint64_t ns);
  static std::uint64_t upper_edge(std::uint32_t bucket);

 private:
  std::vector<std::uint64_t> buckets_;
};

// How many of a trial's stamps the filter times at the hook: one in
// 2^shift (xb_stamp_sample_shift). Every packet while a trial sends few
// enough that a sample of all of them is needed for a p99.9 worth reading
// (kMinLatencySamples); above that, one in two, four, ... so that at least
// that many are still timed, never fewer than one in 2^kMaxLatencySampleShift:
// at most 1/64 of the clock read's cost (~30 ns) then lands on the average
// packet, below what bpf_stats resolves. expected_packets: what a trial is
// expected to send (0: not known, so every packet is timed).
inline constexpr std::uint64_t kMinLatencySamples = 65536;
inline constexpr std::uint32_t kMaxLatencySampleShift = 6;
std::uint32_t latency_sample_shift(std::uint64_t expected_packets);

}  // namespace xb::bench
