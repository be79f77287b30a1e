// What the nftables and iptables baselines share: rules whose counters their
// own tool reads back. "rx" is what the DUT interface received; drops are
// the counts of the drop rules (and of a drop default).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hook_under_test.hpp"
#include "nft_ruleset.hpp"

namespace xb::bench::baselines {

class CountedRulesetHook : public HookUnderTest {
 public:
  void reset() override;
  HookCounts read() const override;
  std::vector<RuleTally> rule_tallies() const override;

 protected:
  CountedRulesetHook(std::string name, const Topology& topo)
      : HookUnderTest(std::move(name)), ns_(topo.dut().ns), dev_(topo.dut().dev) {}
  // What each counted rule has counted so far, in the order of counted().
  virtual std::vector<std::uint64_t> counters() const = 0;
  virtual const std::vector<CountedRule>& counted() const = 0;

  std::string ns_, dev_;  // the DUT's namespace and interface

 private:
  std::vector<std::uint64_t> base_;
  std::uint64_t rx_base_ = 0;
};

}  // namespace xb::bench::baselines
