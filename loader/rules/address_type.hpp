// Address types (TOML src-type/dst-type, iptables' -m addrtype): whether a
// packet's address is one of this host's own, a broadcast, a multicast, ...
//
// The kernel answers that question per packet from the namespace's local
// routing table (inet_dev_addr_type, which xt_addrtype and nft's fib type
// ask). The table changes only when an address or route does, so the loader
// answers it when it attaches (and reloads), before compiling: it reads the
// table of the namespace the hook sits in and turns each rule's types into
// the prefixes that have them. The per-packet path compares prefixes, as
// for any address. What changes after the attach is seen at the next
// reload (docs/rules.md "Address types").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "rule_set.hpp"

namespace xb {

// One bit a type, 1 << the kernel's route type (RTN_*), as xt_addrtype's
// XT_ADDRTYPE_* are: a rule's types are the set of types it accepts.
inline constexpr std::pair<const char*, std::uint8_t> kAddressTypeNames[] = {
    {"unspec", 0},    {"unicast", 1},     {"local", 2},    {"broadcast", 3}, {"anycast", 4}, {"multicast", 5},
    {"blackhole", 6}, {"unreachable", 7}, {"prohibit", 8}, {"throw", 9},     {"nat", 10},    {"xresolve", 11}};
inline constexpr std::uint16_t kAllAddressTypes = 0x0fff;

// "local" (any case) -> its bit; nullopt if it names no type.
std::optional<std::uint16_t> address_type_bit(const std::string& name);
// "local,broadcast"
std::string address_types_text(std::uint16_t types);

// A route of the local table (RT_TABLE_LOCAL) as the kernel keeps it.
struct LocalRoute {
  Prefix prefix;
  std::uint8_t type = 0;  // RTN_*
};

// An address's type as the kernel gives it, for one family:
//  IPv4 (inet_dev_addr_type): 0.0.0.0 and 255.255.255.255 broadcast,
//   224.0.0.0/4 multicast, else the type of the longest local-table route
//   that covers it, else unicast;
//  IPv6: ff00::/8 multicast, else the longest local-table route's type,
//   else unicast (xt_addrtype asks the route lookup, which tries the local
//   table first: the same answer for local and anycast under the default
//   routing rules).
// The prefixes of the family whose addresses have one of `types`: the
// fewest the table's routes cut the space into.
std::vector<Prefix> prefixes_of_types(Family family, const std::vector<LocalRoute>& local_table, std::uint16_t types);

// Whether a set of types asks the same of an IPv6 address whether the
// local table answers (here) or the kernel's route lookup (nft's fib
// type, xt_addrtype's local and anycast): they agree on local, anycast and
// multicast, and on "something else", not on which else (IPv6 has no
// broadcast: that type never holds).
bool same_in_ipv6_route_lookup(std::uint16_t types);

// Whether a rule names address types.
bool names_address_types(const Rule& rule);

// The rules decided with this local table: each rule's types become the
// prefixes that have them (Rule::src_within, dst_within).
RuleSet decide_address_types(const RuleSet& rules, const std::vector<LocalRoute>& local_table);

}  // namespace xb
