#include "trial.hpp"

#include <algorithm>

namespace xb::bench {

double Trial::loss_pct() const {
  // a user's program drops as it likes: only what never reached it is lost
  const double accounted = static_cast<double>(has_verdicts ? dropped + delivered : seen);
  return offered ? std::max(0.0, 100.0 * (static_cast<double>(offered) - accounted) / static_cast<double>(offered)) : 0;
}

Spread spread(std::vector<double> v) {
  if (v.empty()) return {};
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return {n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2, v.front(), v.back()};
}

}  // namespace xb::bench
