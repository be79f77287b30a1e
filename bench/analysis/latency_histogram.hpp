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

}  // namespace xb::bench
