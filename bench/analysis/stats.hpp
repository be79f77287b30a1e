// The statistics the regression gate decides with: the Mann-Whitney U test
// (as Google Benchmark's compare.py uses it) and a bootstrap confidence
// interval for the ratio of two medians.
#pragma once

#include <cstdint>
#include <vector>

namespace xb::bench {

double median(std::vector<double> values);

struct UTestResult {
  double u = 0;        // U of the first sample
  double p_value = 1;  // two-sided
  bool exact = false;  // from the exact distribution (small samples, no ties), else the normal approximation
};

// Whether the two samples come from distributions with the same location.
UTestResult mann_whitney_u(const std::vector<double>& a, const std::vector<double>& b);

struct Interval {
  double lo = 0, hi = 0;
};

// median(current) / median(baseline), `level` (e.g. 0.95) percentile
// bootstrap interval; a fixed seed makes the same inputs give the same interval.
Interval bootstrap_ratio_of_medians(const std::vector<double>& baseline, const std::vector<double>& current,
                                    double level = 0.95, int resamples = 4000, std::uint64_t seed = 1);

}  // namespace xb::bench
