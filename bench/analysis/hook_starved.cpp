#include "hook_starved.hpp"

#include <fmt/format.h>

#include "stats.hpp"

namespace xb::bench {

HookStarved hook_starved(const std::vector<InputSample>& trials) {
  std::vector<double> shares;
  std::vector<double> dut_rx;
  for (const auto& t : trials) {
    if (t.dut_nic_rx == 0) continue;
    shares.push_back(static_cast<double>(t.hook_rx) / static_cast<double>(t.dut_nic_rx));
    dut_rx.push_back(static_cast<double>(t.dut_nic_rx));
  }
  if (shares.empty()) return {};
  const double share = median(shares);
  if (share >= kStarvedShare) return {false, share, ""};
  return {true, share,
          fmt::format("saw {:.1f}% of the {:.0f} frames the DUT's interface received a trial: the rest was discarded "
                      "before the hook",
                      100 * share, median(dut_rx))};
}

}  // namespace xb::bench
