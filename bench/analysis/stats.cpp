#include "stats.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

namespace xb::bench {

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

namespace {

// How many arrangements of n1 + n2 distinct values give each U (of the first
// sample): U(n1, n2, u) = U(n1 - 1, n2, u - n2) + U(n1, n2 - 1, u).
std::vector<double> u_distribution(int n1, int n2) {
  // counts[j][u] for the current n1 row, j = n2
  std::vector<std::vector<double>> prev(static_cast<std::size_t>(n2) + 1);
  for (int j = 0; j <= n2; ++j) prev[static_cast<std::size_t>(j)] = {1};  // n1 = 0: U = 0 only
  for (int i = 1; i <= n1; ++i) {
    std::vector<std::vector<double>> cur(static_cast<std::size_t>(n2) + 1);
    cur[0] = {1};  // n2 = 0: U = 0 only
    for (int j = 1; j <= n2; ++j) {
      std::vector<double> c(static_cast<std::size_t>(i * j) + 1, 0);
      const auto& a = prev[static_cast<std::size_t>(j)];  // (i - 1, j), shifted by j
      for (std::size_t u = 0; u < a.size(); ++u) c[u + static_cast<std::size_t>(j)] += a[u];
      const auto& b = cur[static_cast<std::size_t>(j) - 1];  // (i, j - 1)
      for (std::size_t u = 0; u < b.size(); ++u) c[u] += b[u];
      cur[static_cast<std::size_t>(j)] = std::move(c);
    }
    prev = std::move(cur);
  }
  return prev[static_cast<std::size_t>(n2)];
}

}  // namespace

UTestResult mann_whitney_u(const std::vector<double>& a, const std::vector<double>& b) {
  UTestResult r;
  const std::size_t n1 = a.size(), n2 = b.size();
  if (n1 == 0 || n2 == 0) return r;
  // ranks of the pooled sample, ties sharing their mean rank
  std::vector<std::pair<double, int>> pooled;
  pooled.reserve(a.size() + b.size());
  for (const double x : a) pooled.push_back({x, 0});
  for (const double x : b) pooled.push_back({x, 1});
  std::sort(pooled.begin(), pooled.end());
  const std::size_t n = pooled.size();
  double rank_sum_a = 0, tie_term = 0;
  bool ties = false;
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    while (j < n && pooled[j].first == pooled[i].first) ++j;
    const double rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2;
    const double t = static_cast<double>(j - i);
    if (t > 1) ties = true;
    tie_term += t * t * t - t;
    for (std::size_t k = i; k < j; ++k)
      if (pooled[k].second == 0) rank_sum_a += rank;
    i = j;
  }
  const double d1 = static_cast<double>(n1), d2 = static_cast<double>(n2);
  r.u = rank_sum_a - d1 * (d1 + 1) / 2;
  const double mean_u = d1 * d2 / 2;
  if (!ties && n1 <= 30 && n2 <= 30) {
    // exact: P(U <= min) doubled, the distribution being symmetric
    const auto dist = u_distribution(static_cast<int>(n1), static_cast<int>(n2));
    double total = 0, tail = 0;
    for (const double c : dist) total += c;
    const double u_low = std::min(r.u, d1 * d2 - r.u);
    for (std::size_t u = 0; u < dist.size() && static_cast<double>(u) <= u_low + 1e-9; ++u) tail += dist[u];
    r.p_value = std::min(1.0, 2 * tail / total);
    r.exact = true;
    return r;
  }
  // normal approximation with tie correction and continuity correction
  const double nn = d1 + d2;
  const double var = d1 * d2 / 12 * ((nn + 1) - tie_term / (nn * (nn - 1)));
  if (var <= 0) return r;  // every value the same
  const double z = (std::abs(r.u - mean_u) - 0.5) / std::sqrt(var);
  r.p_value = std::min(1.0, std::erfc(std::max(z, 0.0) / std::sqrt(2.0)));
  return r;
}

Interval bootstrap_ratio_of_medians(const std::vector<double>& baseline, const std::vector<double>& current,
                                    double level, int resamples, std::uint64_t seed) {
  if (baseline.empty() || current.empty()) return {};
  std::mt19937_64 rng(seed);
  auto resample = [&](const std::vector<double>& v) {
    std::uniform_int_distribution<std::size_t> pick(0, v.size() - 1);
    std::vector<double> out(v.size());
    for (auto& x : out) x = v[pick(rng)];
    return median(std::move(out));
  };
  std::vector<double> ratios;
  for (int i = 0; i < resamples; ++i) {
    const double base = resample(baseline);
    if (base != 0) ratios.push_back(resample(current) / base);
  }
  if (ratios.empty()) return {};
  std::sort(ratios.begin(), ratios.end());
  const double tail = (1 - level) / 2;
  const auto at = [&](double q) {
    return ratios[std::min(ratios.size() - 1, static_cast<std::size_t>(q * static_cast<double>(ratios.size())))];
  };
  return {at(tail), at(1 - tail)};
}

}  // namespace xb::bench
