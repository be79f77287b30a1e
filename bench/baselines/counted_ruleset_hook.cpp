#include "counted_ruleset_hook.hpp"

namespace xb::bench::baselines {

void CountedRulesetHook::reset() {
  base_ = counters();
  rx_base_ = interface_rx_packets(ns_, dev_);
}

HookCounts CountedRulesetHook::read() const {
  const auto now = counters();
  HookCounts c;
  c.seen = interface_rx_packets(ns_, dev_) - rx_base_;
  for (std::size_t i = 0; i < now.size(); ++i)
    if (counted()[i].action == Action::Drop) c.dropped += now[i] - base_[i];
  c.passed = c.seen > c.dropped ? c.seen - c.dropped : 0;
  return c;
}

std::vector<RuleTally> CountedRulesetHook::rule_tallies() const {
  const auto now = counters();
  std::vector<RuleTally> tallies;
  for (std::size_t i = 0; i < now.size(); ++i) tallies.push_back({counted()[i].rules, now[i] - base_[i]});
  return tallies;
}

}  // namespace xb::bench::baselines
