#include "address_type.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace xb {
namespace {

// RTN_* of the types the kernel gives without asking the table
constexpr std::uint8_t kUnicast = 1, kBroadcast = 3, kMulticast = 5;

bool covers(const Prefix& outer, const Prefix& inner) { return prefix_covers(outer, inner); }

Prefix half_of(const Prefix& p, bool upper) {
  Prefix c = p;
  if (upper) c.addr[p.len / 8] |= static_cast<std::uint8_t>(0x80u >> (p.len % 8));
  c.len = static_cast<std::uint8_t>(p.len + 1);
  return c;
}

LocalRoute fixed(Family f, std::initializer_list<std::uint8_t> bytes, std::uint8_t len, std::uint8_t type) {
  LocalRoute r;
  r.prefix.family = f;
  std::copy(bytes.begin(), bytes.end(), r.prefix.addr.begin());
  r.prefix.len = len;
  r.type = type;
  return r;
}

// The types the kernel gives before it looks at the table
std::vector<LocalRoute> fixed_types(Family f) {
  if (f == Family::V4)
    return {fixed(f, {0, 0, 0, 0}, 32, kBroadcast),          // ipv4_is_zeronet (0/8 before Linux 5.3)
            fixed(f, {255, 255, 255, 255}, 32, kBroadcast),  // ipv4_is_lbcast
            fixed(f, {224}, 4, kMulticast)};                 // ipv4_is_multicast
  return {fixed(f, {0xff}, 8, kMulticast)};                  // ipv6_addr_type: IPV6_ADDR_MULTICAST
}

// Splits the address space where the table's routes start and end, keeping
// the pieces whose type is asked for.
class TypeCover {
 public:
  TypeCover(Family f, const std::vector<LocalRoute>& table, std::uint16_t types)
      : fixed_(fixed_types(f)), types_(types) {
    for (const auto& r : table)
      if (r.prefix.family == f) table_.push_back(r);
  }

  std::vector<Prefix> run(Family f) {
    Prefix all;
    all.family = f;
    cover(all);
    return std::move(out_);
  }

 private:
  std::vector<LocalRoute> fixed_, table_;
  std::uint16_t types_;
  std::vector<Prefix> out_;

  bool asked(std::uint8_t type) const { return type < 16 && (types_ >> type) & 1; }

  // Adds the parts of p whose type is asked; true if that is all of p (so
  // two halves taken whole become their parent).
  bool cover(const Prefix& p) {
    for (const auto& r : fixed_)
      if (covers(r.prefix, p)) return take(p, asked(r.type));
    const auto inside = [&](const LocalRoute& r) { return r.prefix.len > p.len && covers(p, r.prefix); };
    if (std::any_of(fixed_.begin(), fixed_.end(), inside) || std::any_of(table_.begin(), table_.end(), inside)) {
      const bool lower = cover(half_of(p, false));
      const bool upper = cover(half_of(p, true));
      if (!(lower && upper)) return false;
      out_.resize(out_.size() - 2);
      return take(p, true);
    }
    // one type throughout: the longest route that covers it, else unicast
    const LocalRoute* longest = nullptr;
    for (const auto& r : table_)
      if (covers(r.prefix, p) && (!longest || r.prefix.len > longest->prefix.len)) longest = &r;
    return take(p, asked(longest ? longest->type : kUnicast));
  }

  bool take(const Prefix& p, bool yes) {
    if (yes) out_.push_back(p);
    return yes;
  }
};

}  // namespace

std::optional<std::uint16_t> address_type_bit(const std::string& name) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const auto& [n, type] : kAddressTypeNames)
    if (lower == n) return static_cast<std::uint16_t>(1u << type);
  return std::nullopt;
}

std::string address_types_text(std::uint16_t types) {
  std::string out;
  for (const auto& [n, type] : kAddressTypeNames)
    if ((types >> type) & 1) {
      if (!out.empty()) out += ',';
      out += n;
    }
  return out;
}

std::vector<Prefix> prefixes_of_types(Family family, const std::vector<LocalRoute>& local_table, std::uint16_t types) {
  return TypeCover(family, local_table, types).run(family);
}

bool same_in_ipv6_route_lookup(std::uint16_t types) {
  // IPv6 has no broadcast: neither side gives that type
  const auto rest =
      static_cast<std::uint16_t>(kAllAddressTypes & ~(*address_type_bit("local") | *address_type_bit("anycast") |
                                                      *address_type_bit("multicast") | *address_type_bit("broadcast")));
  return (types & rest) == 0 || (types & rest) == rest;
}

bool names_address_types(const Rule& rule) {
  return (rule.src_types && !rule.src_within) || (rule.dst_types && !rule.dst_within);
}

RuleSet decide_address_types(const RuleSet& rules, const std::vector<LocalRoute>& local_table) {
  RuleSet out = rules;
  const auto within = [&](std::uint16_t types) {
    std::vector<Prefix> both = prefixes_of_types(Family::V4, local_table, types);
    for (auto& p : prefixes_of_types(Family::V6, local_table, types)) both.push_back(p);
    return both;
  };
  for (Rule& r : out.rules) {
    if (r.src_types) r.src_within = within(r.src_types);
    if (r.dst_types) r.dst_within = within(r.dst_types);
  }
  return out;
}

}  // namespace xb
