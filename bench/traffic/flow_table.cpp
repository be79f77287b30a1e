#include "flow_table.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "errors.hpp"
#include "header_match.hpp"
#include "packet_builder.hpp"
#include "rule_compiler.hpp"

namespace xb::bench {
namespace {

using Address = std::array<std::uint8_t, 16>;

Address address_in(Family family, const std::optional<Prefix>& p, const std::string& fallback, std::mt19937_64& rng) {
  Address a{};
  if (!p) {
    inet_pton(family == Family::V4 ? AF_INET : AF_INET6, fallback.c_str(), a.data());
    return a;
  }
  const int bytes = family == Family::V4 ? 4 : 16;
  for (int i = 0; i < bytes; ++i) {
    const int bits_in_prefix = std::clamp(p->len - 8 * i, 0, 8);
    const std::uint8_t mask = static_cast<std::uint8_t>(0xff00 >> bits_in_prefix);
    a[i] = static_cast<std::uint8_t>((p->addr[i] & mask) | (static_cast<std::uint8_t>(rng()) & ~mask));
  }
  return a;
}

std::uint16_t port_in(const std::vector<PortRange>& ranges, std::uint16_t fallback, std::mt19937_64& rng) {
  if (ranges.empty()) return fallback;
  const PortRange& r = ranges[rng() % ranges.size()];
  return static_cast<std::uint16_t>(r.lo + rng() % (static_cast<std::uint32_t>(r.hi - r.lo) + 1));
}

// The stack drops martians (IPv4 0/8, 127/8, multicast and above; IPv6
// unspecified, loopback, link-local, multicast) before any counter the rig
// reads: flows use ordinary unicast addresses only.
bool routable(Family family, const Address& a) {
  if (family == Family::V4) return a[0] != 0 && a[0] != 127 && a[0] < 224;
  const bool zero_prefix = std::all_of(a.begin(), a.begin() + 8, [](std::uint8_t b) { return b == 0; });
  return !zero_prefix && a[0] != 0xff && !(a[0] == 0xfe && (a[1] & 0xc0) == 0x80);
}

bool contains(const Prefix& p, const Address& a) {
  for (int bit = 0; bit < p.len; bit += 8) {
    const int n = std::min(8, p.len - bit);
    const auto mask = static_cast<std::uint8_t>(0xff00 >> n);
    if ((a[bit / 8] & mask) != (p.addr[bit / 8] & mask)) return false;
  }
  return true;
}

// An address in a subnet of the topology is on a link the DUT is attached
// to: its own address, a broadcast, or a neighbour it would have to resolve
// (the rig's neighbours are static: the packet waits in the neighbour queue
// and is dropped, NEIGH_QUEUEFULL), or the generator's side, where the DUT
// would send it back. None of them is forwarded to the sink. A source in
// them would be a martian where it is the DUT's own.
bool off_the_links(const Address& a, const Address& own, const std::vector<Prefix>& subnets) {
  if (a == own) return true;
  return std::none_of(subnets.begin(), subnets.end(), [&](const Prefix& p) { return contains(p, a); });
}

}  // namespace

std::vector<Flow> flows_for_rules(const CompiledRuleSet& rules, const FlowEndpoints& ends, Family family,
                                  std::uint32_t count, double drop_share, std::uint64_t seed) {
  const CompiledTable& table = rules.table();
  std::mt19937_64 rng(seed);
  const std::string& from = family == Family::V4 ? ends.source4 : ends.source6;
  const std::string& to = family == Family::V4 ? ends.target4 : ends.target6;
  if (from.empty() || to.empty())
    throw Error(fmt::format("topology {} has no {} addresses for the generator and target", ends.topology,
                            family == Family::V4 ? "IPv4" : "IPv6"));
  std::vector<Prefix> subnets;
  for (const auto& s : ends.subnets)
    if (const auto p = parse_prefix(family, s)) subnets.push_back(*p);
  Address source{}, target{};
  inet_pton(family == Family::V4 ? AF_INET : AF_INET6, from.c_str(), source.data());
  inet_pton(family == Family::V4 ? AF_INET : AF_INET6, to.c_str(), target.data());
  const auto usable = [&](const Address& saddr, const Address& daddr) {
    return routable(family, saddr) && routable(family, daddr) && off_the_links(saddr, source, subnets) &&
           off_the_links(daddr, target, subnets);
  };
  std::vector<const Rule*> aimable;
  for (const auto& r : rules.rules().rules) {
    const auto fams = r.families();
    if (std::find(fams.begin(), fams.end(), family) != fams.end() && (!r.proto || *r.proto == XB_IPPROTO_UDP))
      aimable.push_back(&r);
  }
  // a rule whose prefixes allow no ordinary unicast address cannot be aimed at
  std::erase_if(aimable, [&](const Rule* r) {
    for (int attempt = 0; attempt < 16; ++attempt)
      if (usable(address_in(family, r->src, from, rng), address_in(family, r->dst, to, rng))) return false;
    return true;
  });
  auto make = [&](const Rule* r) {
    Flow f;
    f.family = family;
    do {
      f.saddr = address_in(family, r ? r->src : std::nullopt, from, rng);
      f.daddr = address_in(family, r ? r->dst : std::nullopt, to, rng);
    } while (!usable(f.saddr, f.daddr));
    f.sport = port_in(r ? r->sport : std::vector<PortRange>{}, static_cast<std::uint16_t>(1024 + rng() % 60000), rng);
    f.dport = port_in(r ? r->dport : std::vector<PortRange>{}, 9, rng);
    char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
    const int af = family == Family::V4 ? AF_INET : AF_INET6;
    inet_ntop(af, f.saddr.data(), src, sizeof(src));
    inet_ntop(af, f.daddr.data(), dst, sizeof(dst));
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
  const auto want_drops = static_cast<std::uint32_t>(std::lround(drop_share * count));
  if ((want_drops > 0 && drops.empty()) || (want_drops < count && passes.empty()))
    throw Error(fmt::format("--drop-share: the rule set has no UDP/{} traffic that is {}",
                            family == Family::V4 ? "IPv4" : "IPv6", drops.empty() ? "dropped" : "passed"));
  for (std::uint32_t i = 0; i < count; ++i)
    flows.push_back(i < want_drops ? drops[i % drops.size()] : passes[i % passes.size()]);
  std::shuffle(flows.begin(), flows.end(), rng);
  return flows;
}

std::vector<Flow> flows_missing_rules(const CompiledRuleSet& rules, Family family, std::uint32_t count,
                                      std::uint64_t seed) {
  const CompiledTable& table = rules.table();
  std::mt19937_64 rng(seed);
  const int af = family == Family::V4 ? AF_INET : AF_INET6;
  std::vector<Flow> flows;
  for (std::uint64_t attempts = 0; flows.size() < count; ++attempts) {
    if (attempts > 1000ull * count)
      throw Error(fmt::format("--mix=miss: {} random {} flows tried, too few match no rule", attempts,
                              family == Family::V4 ? "IPv4" : "IPv6"));
    Flow f;
    f.family = family;
    do {
      f.saddr = address_in(family, Prefix{family, {}, 0}, "", rng);
      f.daddr = address_in(family, Prefix{family, {}, 0}, "", rng);
    } while (!routable(family, f.saddr) || !routable(family, f.daddr));
    f.sport = static_cast<std::uint16_t>(1024 + rng() % 60000);
    f.dport = static_cast<std::uint16_t>(1024 + rng() % 60000);
    char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
    inet_ntop(af, f.saddr.data(), src, sizeof(src));
    inet_ntop(af, f.daddr.data(), dst, sizeof(dst));
    f.expected = classify(table, fixtures::build_frame(fixtures::udp(src, dst, f.sport, f.dport)));
    if (f.expected.rule == XB_RULE_DEFAULT) flows.push_back(f);
  }
  return flows;
}

double expected_drop_share(const std::vector<Flow>& flows) {
  if (flows.empty()) return 0;
  std::size_t drops = 0;
  for (const auto& f : flows) drops += f.expected.action == Action::Drop;
  return static_cast<double>(drops) / static_cast<double>(flows.size());
}

}  // namespace xb::bench
