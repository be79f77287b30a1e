#include "iptables_matches.hpp"

#include <map>
#include <set>

namespace xb {
namespace {

const std::map<std::string, std::string>& unsupported_matches() {
  static const std::map<std::string, std::string> m = {
      {"limit", "a rate limit (the filter keeps no rates)"},
      {"hashlimit", "a rate limit (the filter keeps no rates)"},
      {"connlimit", "a count of connections (the filter reads connection states, keeps no counts)"},
      {"recent", "a list of recent sources (the filter keeps none)"},
      {"mark", "a packet mark (the filter does not read marks)"},
      {"connmark", "a connection mark (the filter reads connection states only)"},
      {"physdev", "a bridge port (the filter does not read interfaces)"},
      {"owner", "the owning socket (the filter does not read sockets)"},
      {"length", "a packet length"},
      {"tos", "a TOS"},
      {"dscp", "a DSCP"},
      {"mac", "a MAC address"},
      {"u32", "raw packet bytes"},
      {"string", "packet contents"},
      {"frag", "IPv6 fragment headers"},
      {"ipv6header", "IPv6 extension headers"},
      {"policy", "IPsec policy"},
      {"pkttype", "a packet type"},
      {"socket", "a socket lookup"},
      {"bpf", "a BPF program"},
  };
  return m;
}

const std::set<std::string>& supported_matches() {
  static const std::set<std::string> m = {"tcp", "udp",      "icmp",      "icmp6", "icmpv6",  "multiport",
                                          "set", "comment",  "conntrack", "state", "iprange", "ttl",
                                          "hl",  "addrtype", "sctp",      "dccp",  "rt"};
  return m;
}

}  // namespace

bool iptables_match_supported(const std::string& name) { return supported_matches().count(name) > 0; }

std::optional<std::string> iptables_match_refusal(const std::string& name) {
  const auto known = unsupported_matches().find(name);
  if (known == unsupported_matches().end()) return std::nullopt;
  return known->second;
}

}  // namespace xb
