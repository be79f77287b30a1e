#include "generator_bound.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "stats.hpp"

namespace xb::bench {

GeneratorBound generator_bound(const RateSamples& hook, const RateSamples& ceiling, bool pinned) {
  if (hook.rx_mpps.empty() || ceiling.rx_mpps.empty()) return {};
  const auto [ceil_min, ceil_max] = std::minmax_element(ceiling.rx_mpps.begin(), ceiling.rx_mpps.end());
  const double ceil_median = median(ceiling.rx_mpps);
  const double band_low = std::min(*ceil_min, ceil_median * (1 - kRateNoise));
  const double hook_best = *std::max_element(hook.rx_mpps.begin(), hook.rx_mpps.end());
  if (hook_best >= band_low)
    return {true, fmt::format("rx {:.3f} Mpps reaches the generator's ceiling ({}, {:.3f}-{:.3f} Mpps)",
                              median(hook.rx_mpps), kCeilingHook, *ceil_min, *ceil_max)};
  if (!pinned || hook.offered_mpps.empty() || ceiling.offered_mpps.empty()) return {};
  const double offered = median(hook.offered_mpps), reached = median(ceiling.offered_mpps);
  if (offered < kFarBelow * reached && median(hook.rx_mpps) >= offered * (1 - kRateNoise))
    return {true, fmt::format("offered {:.3f} Mpps, under {:.0f}% of the {:.3f} the generator reached in this run, "
                              "and took all of it",
                              offered, 100 * kFarBelow, reached)};
  return {};
}

}  // namespace xb::bench
