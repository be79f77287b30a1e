#include "flow_table.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <random>

#include "errors.hpp"
#include "packet_builder.hpp"
#include "rule_compiler.hpp"

namespace xb::bench {
namespace {

std::array<std::uint8_t, 4> address_in(const std::optional<Prefix>& p, const std::string& fallback,
                                       std::mt19937_64& rng) {
  std::array<std::uint8_t, 4> a{};
  if (!p) {
    inet_pton(AF_INET, fallback.c_str(), a.data());
    return a;
  }
  const std::uint32_t r = static_cast<std::uint32_t>(rng());
  for (int i = 0; i < 4; ++i) {
    const int bits_in_prefix = std::clamp(p->len - 8 * i, 0, 8);
    const std::uint8_t mask = static_cast<std::uint8_t>(0xff00 >> bits_in_prefix);
    a[i] = static_cast<std::uint8_t>((p->addr[i] & mask) | (static_cast<std::uint8_t>(r >> (8 * i)) & ~mask));
  }
  return a;
}

std::uint16_t port_in(const std::vector<PortRange>& ranges, std::uint16_t fallback, std::mt19937_64& rng) {
  if (ranges.empty()) return fallback;
  const PortRange& r = ranges[rng() % ranges.size()];
  return static_cast<std::uint16_t>(r.lo + rng() % (static_cast<std::uint32_t>(r.hi - r.lo) + 1));
}

// The stack drops martians (0/8, 127/8, multicast and above) before any
// counter the rig reads: flows use ordinary unicast addresses only.
bool routable(const std::array<std::uint8_t, 4>& a) { return a[0] != 0 && a[0] != 127 && a[0] < 224; }

}  // namespace

std::vector<Flow> flows_for_rules(const RuleSet& rules, const Topology& topo, std::uint32_t count, double drop_share,
                                  std::uint64_t seed) {
  const CompiledTable table = compile_rules(rules);
  std::mt19937_64 rng(seed);
  std::vector<const Rule*> aimable;
  for (const auto& r : rules.rules) {
    const auto fams = r.families();
    const bool v4 = std::find(fams.begin(), fams.end(), Family::V4) != fams.end();
    if (v4 && (!r.proto || *r.proto == XB_IPPROTO_UDP)) aimable.push_back(&r);
  }
  // a rule whose prefixes allow no ordinary unicast address cannot be aimed at
  std::erase_if(aimable, [&](const Rule* r) {
    for (int attempt = 0; attempt < 16; ++attempt)
      if (routable(address_in(r->src, topo.generator().ip4, rng)) &&
          routable(address_in(r->dst, topo.spec().target, rng)))
        return false;
    return true;
  });
  auto make = [&](const Rule* r) {
    Flow f;
    do {
      f.saddr = address_in(r ? r->src : std::nullopt, topo.generator().ip4, rng);
      f.daddr = address_in(r ? r->dst : std::nullopt, topo.spec().target, rng);
    } while (!routable(f.saddr) || !routable(f.daddr));
    f.sport = port_in(r ? r->sport : std::vector<PortRange>{}, static_cast<std::uint16_t>(1024 + rng() % 60000), rng);
    f.dport = port_in(r ? r->dport : std::vector<PortRange>{}, 9, rng);
    char src[16], dst[16];
    inet_ntop(AF_INET, f.saddr.data(), src, sizeof(src));
    inet_ntop(AF_INET, f.daddr.data(), dst, sizeof(dst));
    f.expected = classify(table, fixtures::build_frame(fixtures::udp(src, dst, f.sport, f.dport)));
    return f;
  };
  std::vector<Flow> flows;
  if (drop_share < 0) {
    for (std::uint32_t i = 0; i < count; ++i)
      flows.push_back(make(aimable.empty() ? nullptr : aimable[rng() % aimable.size()]));
    return flows;
  }
  // a pool of each verdict, then the asked-for mix of them
  std::vector<Flow> drops, passes;
  for (std::uint32_t i = 0; i < std::max<std::uint32_t>(count * 8, 256); ++i) {
    Flow f = make(aimable.empty() || i % 4 == 0 ? nullptr : aimable[rng() % aimable.size()]);
    (f.expected.action == Action::Drop ? drops : passes).push_back(f);
  }
  const auto want_drops = static_cast<std::uint32_t>(drop_share * count + 0.5);
  if ((want_drops > 0 && drops.empty()) || (want_drops < count && passes.empty()))
    throw Error("--drop-share: the rule set has no UDP/IPv4 traffic that is " +
                std::string(drops.empty() ? "dropped" : "passed"));
  for (std::uint32_t i = 0; i < count; ++i)
    flows.push_back(i < want_drops ? drops[i % drops.size()] : passes[i % passes.size()]);
  std::shuffle(flows.begin(), flows.end(), rng);
  return flows;
}

double expected_drop_share(const std::vector<Flow>& flows) {
  if (flows.empty()) return 0;
  std::size_t drops = 0;
  for (const auto& f : flows) drops += f.expected.action == Action::Drop;
  return static_cast<double>(drops) / static_cast<double>(flows.size());
}

}  // namespace xb::bench
