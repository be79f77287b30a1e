// The rule set as the user wrote it: an ordered list of rules, first match
// wins, plus the verdicts for packets no rule decides.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "interface_match.hpp"
#include "xb_abi.h"

namespace xb {

enum class Action : std::uint8_t { Pass = XB_PASS, Drop = XB_DROP };
enum class Family : std::uint8_t { V4 = XB_FAMILY_V4, V6 = XB_FAMILY_V6 };

struct SourceLocation {
  std::string file;
  std::uint32_t line = 0;
  std::uint32_t column = 0;
  std::string str() const;  // "file:line:column"
};

struct Prefix {
  Family family = Family::V4;
  std::array<std::uint8_t, 16> addr{};  // network byte order, host bits zero
  std::uint8_t len = 0;
  std::string str() const;
};

// Whether every address of inner is one of outer's (same family).
bool prefix_covers(const Prefix& outer, const Prefix& inner);

struct PortRange {
  std::uint16_t lo = 0;
  std::uint16_t hi = 65535;
  bool single() const { return lo == hi; }
};

// An IPv4 TTL or IPv6 hop limit range (TOML ttl, iptables' -m ttl / -m hl,
// nft's ip ttl / ip6 hoplimit); 0-255 is any.
struct TtlRange {
  std::uint8_t lo = 0, hi = 255;
  bool any() const { return lo == 0 && hi == 255; }
  bool operator==(const TtlRange&) const = default;
};

// Whether a protocol's header starts with the source and destination ports
// the rules read: TCP, UDP, UDP-Lite, SCTP, DCCP.
inline bool carries_ports(std::uint8_t proto) {
  return proto == XB_IPPROTO_TCP || proto == XB_IPPROTO_UDP || proto == XB_IPPROTO_UDPLITE ||
         proto == XB_IPPROTO_SCTP || proto == XB_IPPROTO_DCCP;
}

struct TcpFlagsMatch {
  std::uint8_t mask = 0;   // flags looked at
  std::uint8_t value = 0;  // required values of those flags
  bool operator==(const TcpFlagsMatch&) const = default;
};

// Which transport headers a rule's ports, TCP flags and ICMP fields are read
// from (TOML 'l4-header', docs/rules.md "Headers cut short"). Whole is what a
// hand-written rule means; the others are what iptables' own matches do,
// written by the iptables importer.
enum class L4Header : std::uint8_t {
  Whole,  // ports and flags from a whole TCP or UDP header, ICMP fields from a whole ICMP header
  Ports,  // "ports": ports from any TCP or UDP header that holds them (4 bytes), as multiport reads them
  Short,  // "short": a header cut short (TCP under 20 bytes, UDP or ICMP under 8) or TCP in an
          // IPv4 fragment at offset 1: what iptables' tcp, udp and icmp matches drop on the spot;
          // with ports, a short header that holds them
  Tiny,   // "tiny": a TCP or UDP header under 4 bytes: what multiport drops on the spot
};

// What a rule needs of the header bits of the key's protocol word
// (XB_L4_*, bpf/xb_abi.h): (bits & mask) == value. From its l4-header and
// whether it names ports, TCP flags or ICMP fields.
struct L4Need {
  std::uint8_t mask = 0, value = 0;
};
L4Need l4_need(L4Header h, bool ports, bool tcp_flags, bool icmp);

// The header bits the parser gives (bpf/xb_parse.h): nothing (a later
// fragment, another protocol), ports, ICMP, a header cut short (or TCP at
// IPv4 offset 1), one cut short with its ports, one without them.
inline constexpr std::uint8_t kL4Values[] = {
    0, XB_L4_PORTS, XB_L4_ICMP, XB_L4_SHORT, XB_L4_SHORT | XB_L4_PORTS, XB_L4_SHORT | XB_L4_TINY};

struct Rule {
  std::string name;
  Action action = Action::Drop;
  std::optional<Prefix> src;
  std::optional<Prefix> dst;
  std::optional<std::uint8_t> proto;
  std::vector<PortRange> sport;  // empty: any
  std::vector<PortRange> dport;  // empty: any
  std::optional<TcpFlagsMatch> tcp_flags;
  std::optional<std::uint8_t> icmp_type;
  std::optional<std::uint8_t> icmp_code;
  TtlRange ttl;
  L4Header l4_header = L4Header::Whole;
  // The connection states it matches (XB_CT_*, docs/rules.md "Connection
  // state"); 0: any, the state not looked at.
  std::uint8_t ct_states = 0;
  // The interfaces it asks for, all of them (interface_match.hpp); decided
  // when the filter is attached. Until then, and where one fails, it never
  // matches (never_matches).
  std::vector<InterfaceMatch> iif, oif;
  bool never_matches = false;
  // The address types its source and destination must have (bits of
  // address_type.hpp; 0: any), and what they were decided to when the
  // filter was attached: the prefixes that have them. Undecided, it never
  // matches.
  std::uint16_t src_types = 0, dst_types = 0;
  // IPv6's first routing header (TOML rt-type, ip6tables' -m rt, nft's rt
  // type): true, one of type 0; false, one of another type; unset: any
  // packet. Only type 0 is read (bpf/xb_abi.h XB_KEY_RH_*).
  std::optional<bool> rt_type0;
  std::optional<std::vector<Prefix>> src_within, dst_within;
  SourceLocation where;

  // The families this rule can match: one if it names an address or an
  // ICMP flavour, both otherwise.
  std::vector<Family> families() const;
};

struct RuleSet {
  Action default_action = Action::Pass;
  Action non_ip_action = Action::Pass;
  Action malformed_action = Action::Drop;
  // [defaults] short-header = "rules": a packet whose TCP, UDP or ICMP header
  // is cut short is judged by the rules (as iptables judges it), not malformed
  bool short_header_rules = false;
  std::vector<Rule> rules;
  std::string source;  // file name, or "<default>"
};

// Reads a TOML rule file. Throws RuleError naming file:line:column.
RuleSet load_rule_file(const std::string& path);
RuleSet parse_rules(const std::string& text, const std::string& source_name);

// The embedded default rule set (about 1,000 rules; rules/default.toml).
RuleSet default_rule_set();
const std::string& default_rules_text();

// A rule's label in counters and messages: its name, else "#N" (its index).
std::string rule_label(const RuleSet& set, std::size_t index);

std::string action_name(Action a);
std::string proto_name(std::uint8_t proto);
std::string l4_header_name(L4Header h);  // "whole", "ports", "short", "tiny"

// The connection states as iptables and nftables name them, lower case:
// "new", "established", "related", "invalid", "untracked".
inline constexpr std::pair<const char*, std::uint8_t> kCtStateNames[] = {{"new", XB_CT_NEW},
                                                                         {"established", XB_CT_ESTABLISHED},
                                                                         {"related", XB_CT_RELATED},
                                                                         {"invalid", XB_CT_INVALID},
                                                                         {"untracked", XB_CT_UNTRACKED}};
std::optional<std::uint8_t> ct_state_bit(const std::string& name);  // any case
std::string ct_states_text(std::uint8_t states);                    // "established,related"

}  // namespace xb
