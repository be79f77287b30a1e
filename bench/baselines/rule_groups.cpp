#include "rule_groups.hpp"

#include <fmt/format.h>

#include <map>
#include <unordered_map>

namespace xb::bench::baselines {
namespace {

// A block bigger than this starts anew: bounds the planner's overlap checks
// (quadratic in the block) at a few more set lookups per packet.
constexpr std::size_t kMaxBlockRules = 8192;

bool prefixes_overlap(const Prefix& a, const Prefix& b) {
  if (a.family != b.family) return false;
  const int len = std::min(a.len, b.len);
  for (int bit = 0; bit < len; bit += 8) {
    const int n = std::min(8, len - bit);
    const auto mask = static_cast<std::uint8_t>(0xff00 >> n);
    if ((a.addr[bit / 8] ^ b.addr[bit / 8]) & mask) return false;
  }
  return true;
}

bool ports_overlap(const std::vector<PortRange>& a, const std::vector<PortRange>& b) {
  if (a.empty() || b.empty()) return true;
  for (const auto& x : a)
    for (const auto& y : b)
      if (x.lo <= y.hi && y.lo <= x.hi) return true;
  return false;
}

std::vector<std::uint8_t> protos_of(const Rule& r) {
  if (r.proto) return {*r.proto};
  if (!r.sport.empty() || !r.dport.empty()) return {XB_IPPROTO_TCP, XB_IPPROTO_UDP};
  return {};
}

// Where a rule sits in the block's index: by the leading bits of a long
// enough destination prefix, else among the "wide" rules checked always.
std::optional<std::uint64_t> dst_bucket(const Rule& r) {
  if (!r.dst) return std::nullopt;
  const Prefix& d = *r.dst;
  const int bits = d.family == Family::V4 ? 16 : 32;
  if (d.len < bits) return std::nullopt;
  std::uint64_t key = d.family == Family::V4 ? 4 : 6;
  for (int i = 0; i < bits / 8; ++i) key = key << 8 | d.addr[i];
  return key;
}

}  // namespace

std::string RuleShape::key() const {
  return fmt::format("{}|{}{}{}{}{}|{}|{}|{}|{}|{}-{}|{}", family ? static_cast<int>(*family) : 0, src, dst, proto,
                     sport, dport, tcp_flags ? tcp_flags->mask << 8 | tcp_flags->value : -1,
                     icmp_type ? *icmp_type : -1, icmp_code ? *icmp_code : -1, ct_states, ttl.lo, ttl.hi,
                     action_name(action));
}

RuleShape shape_of(const Rule& r) {
  RuleShape s;
  if (const auto fams = r.families(); fams.size() == 1) s.family = fams.front();
  s.src = r.src.has_value();
  s.dst = r.dst.has_value();
  s.proto = !protos_of(r).empty();
  s.sport = !r.sport.empty();
  s.dport = !r.dport.empty();
  s.tcp_flags = r.tcp_flags;
  s.icmp_type = r.icmp_type;
  s.icmp_code = r.icmp_code;
  s.ct_states = r.ct_states;
  s.ttl = r.ttl;
  s.action = r.action;
  return s;
}

std::vector<ShapeElement> elements_of(const Rule& r) {
  const std::vector<PortRange> any = {PortRange{}};
  std::vector<std::uint8_t> protos = protos_of(r);
  if (protos.empty()) protos = {0};
  std::vector<ShapeElement> out;
  for (const auto proto : protos)
    for (const auto& sp : r.sport.empty() ? any : r.sport)
      for (const auto& dp : r.dport.empty() ? any : r.dport) out.push_back({r.src, r.dst, proto, sp, dp});
  return out;
}

bool may_overlap(const Rule& a, const Rule& b) {
  bool family_shared = false;
  for (const auto fa : a.families())
    for (const auto fb : b.families()) family_shared |= fa == fb;
  if (!family_shared) return false;
  if (a.dst && b.dst && !prefixes_overlap(*a.dst, *b.dst)) return false;
  if (a.src && b.src && !prefixes_overlap(*a.src, *b.src)) return false;
  const auto pa = protos_of(a), pb = protos_of(b);
  if (!pa.empty() && !pb.empty()) {
    bool shared = false;
    for (const auto x : pa)
      for (const auto y : pb) shared |= x == y;
    if (!shared) return false;
  }
  if (!ports_overlap(a.sport, b.sport) || !ports_overlap(a.dport, b.dport)) return false;
  if (a.tcp_flags && b.tcp_flags && ((a.tcp_flags->value ^ b.tcp_flags->value) & a.tcp_flags->mask & b.tcp_flags->mask))
    return false;
  if (a.icmp_type && b.icmp_type && *a.icmp_type != *b.icmp_type) return false;
  if (a.icmp_code && b.icmp_code && *a.icmp_code != *b.icmp_code) return false;
  if (a.ct_states && b.ct_states && !(a.ct_states & b.ct_states)) return false;
  if (a.ttl.hi < b.ttl.lo || b.ttl.hi < a.ttl.lo) return false;
  return true;
}

GroupPlan plan_groups(const RuleSet& set) {
  GroupPlan plan;
  std::map<std::string, std::size_t> group_of_shape;  // in the current block
  std::unordered_map<std::uint64_t, std::vector<std::uint32_t>> by_dst;
  std::vector<std::uint32_t> wide, block;
  auto new_block = [&] {
    group_of_shape.clear();
    by_dst.clear();
    wide.clear();
    block.clear();
    ++plan.blocks;
  };
  auto overlaps_block = [&](const Rule& r) {
    auto any_of = [&](const std::vector<std::uint32_t>& list) {
      for (const auto i : list)
        if (may_overlap(set.rules[i], r)) return true;
      return false;
    };
    if (const auto key = dst_bucket(r)) {
      const auto it = by_dst.find(*key);
      return any_of(wide) || (it != by_dst.end() && any_of(it->second));
    }
    return any_of(block);
  };
  if (!set.rules.empty()) new_block();
  for (std::uint32_t i = 0; i < set.rules.size(); ++i) {
    const Rule& r = set.rules[i];
    // rules that take only headers cut short (iptables' hotdrop, imported)
    // are left out: the rig sends whole headers, and nftables and iptables
    // judge a header cut short their own way
    if (r.l4_header == L4Header::Short || r.l4_header == L4Header::Tiny) continue;
    if (block.size() >= kMaxBlockRules || overlaps_block(r)) new_block();
    block.push_back(i);
    if (const auto key = dst_bucket(r))
      by_dst[*key].push_back(i);
    else
      wide.push_back(i);
    const RuleShape shape = shape_of(r);
    auto [it, added] = group_of_shape.emplace(shape.key(), plan.groups.size());
    if (added) plan.groups.push_back(RuleGroup{shape, {}, {}, false});
    RuleGroup& g = plan.groups[it->second];
    g.rules.push_back(i);
    for (auto& e : elements_of(r)) {
      const auto full = [](const std::optional<Prefix>& p) {
        return !p || p->len == (p->family == Family::V4 ? 32 : 128);
      };
      g.ranges |=
          !full(e.src) || !full(e.dst) || (shape.sport && !e.sport.single()) || (shape.dport && !e.dport.single());
      g.elements.push_back(e);
    }
  }
  return plan;
}

}  // namespace xb::bench::baselines
