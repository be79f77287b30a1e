// A conjunction of header matches of one address family, and how two are
// intersected: what the importers translate a foreign rule into before it
// becomes a Rule. A foreign rule is a disjunction of these (a negated
// prefix, an address list or an ipset becomes several); a jump into a user
// chain intersects the jump's matches with the chain's.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "rule_set.hpp"

namespace xb {

struct HeaderMatch {
  Family family = Family::V4;
  std::optional<Prefix> src, dst;
  std::optional<std::uint8_t> proto;
  std::vector<PortRange> sport, dport;  // empty: any; else one of these
  std::optional<TcpFlagsMatch> tcp_flags;
  std::optional<std::uint8_t> icmp_type, icmp_code;
  TtlRange ttl;
  L4Header l4_header = L4Header::Whole;        // which headers the fields above are read from
  std::uint8_t ct_states = 0;                  // XB_CT_*; 0: any
  std::vector<InterfaceMatch> iif, oif;        // all of them
  std::uint16_t src_types = 0, dst_types = 0;  // address types (address_type.hpp); 0: any
  std::optional<bool> rt_type0;                // IPv6's first routing header of type 0 (Rule::rt_type0)
};

// Either side's packets that are both; nullopt when no packet is.
std::optional<HeaderMatch> intersect(const HeaderMatch& a, const HeaderMatch& b);

// Every pair of the two disjunctions intersected (the empty ones left out).
std::vector<HeaderMatch> intersect(const std::vector<HeaderMatch>& a, const std::vector<HeaderMatch>& b);

// The ranges of 0-65535 that none of `ranges` covers.
std::vector<PortRange> complement(std::vector<PortRange> ranges);

// The prefixes of the family's addresses that `p` does not cover: one per
// bit of p's length (none for a /0).
std::vector<Prefix> complement(const Prefix& p);

// The prefix of `addr` (network byte order) and `len`, host bits cleared.
Prefix make_prefix(Family family, const std::uint8_t* addr, int len);

// The fewest prefixes that cover the addresses lo to hi exactly (network
// byte order; an nftables range such as 198.51.100.1-198.51.100.9).
std::vector<Prefix> range_prefixes(Family family, std::array<std::uint8_t, 16> lo,
                                   const std::array<std::uint8_t, 16>& hi);

// "ADDR", "ADDR/LEN" or (IPv4) "ADDR/DOTTED-MASK" of the family, host bits
// cleared as iptables and nftables clear them; nullopt if it is none of
// these (or a mask is not contiguous).
std::optional<Prefix> parse_prefix(Family family, const std::string& text);

// The match as a rule. The family is kept by an all-addresses source
// prefix when the match names no address: a foreign rule of one family
// must not match the other.
Rule to_rule(const HeaderMatch& m, std::string name, Action action, SourceLocation where);

}  // namespace xb
