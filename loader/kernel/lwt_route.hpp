// Routes as rtnetlink carries them, and what the LWT hooks need of them:
// the one route to a prefix in a table, its encap, and replacing it in
// place (never adding or deleting one). All in the calling thread's netns.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

struct nlmsghdr;

namespace xb {

struct RoutePrefix {
  int family = 0;  // AF_INET or AF_INET6
  std::array<std::uint8_t, 16> address{};
  std::uint8_t length = 0;
  std::string text() const;  // canonical: "198.19.0.0/24", "0.0.0.0/0", "::/0"
};

// "198.19.0.0/24", "2001:db8::/32", a bare address (/32, /128), "default"
// (0.0.0.0/0; IPv6's is "::/0"). Throws Error naming --route.
RoutePrefix parse_route_prefix(const std::string& text);
inline constexpr std::uint32_t kMainRouteTable = 254;  // RT_TABLE_MAIN, without linux/rtnetlink.h

// "main", "local", "default" or a number 1 to 2^32-1. Throws Error naming --table.
std::uint32_t parse_route_table(const std::string& text);
std::string route_table_name(std::uint32_t table);

// One route: its struct rtmsg and attributes, as a dump gives them.
class RouteMessage {
 public:
  explicit RouteMessage(std::vector<std::uint8_t> payload) : payload_(std::move(payload)) {}
  static RouteMessage from_hex(const std::string& hex);
  std::string hex() const;
  const std::vector<std::uint8_t>& payload() const { return payload_; }

  int family() const;
  std::uint8_t type() const;  // RTN_*
  std::uint32_t table() const;
  std::optional<std::uint32_t> metric() const;
  std::optional<std::uint16_t> encap_type() const;  // LWTUNNEL_ENCAP_*
  bool multipath() const;
  std::optional<std::uint32_t> nexthop_id() const;
  // The program name the route's bpf encap carries in LWT_BPF_IN, _OUT or
  // _XMIT (lwt_bpf_attr), if any.
  std::optional<std::string> lwt_bpf_program(int lwt_bpf_attr) const;
  // The same route without its encap (RTA_ENCAP, RTA_ENCAP_TYPE).
  RouteMessage without_encap() const;
  // "unicast", "blackhole", ...; an encap as `ip route` names it ("bpf", "mpls").
  static std::string type_name(std::uint8_t type);
  static std::string encap_name(std::uint16_t encap_type);

 private:
  std::vector<std::uint8_t> payload_;
};

// Every route of the family (AF_INET, AF_INET6) in this table.
std::vector<RouteMessage> routes_in_table(int family, std::uint32_t table);

// The routes to exactly this prefix in this table (tos and metric may tell
// several apart).
std::vector<RouteMessage> routes_to(const RoutePrefix& prefix, std::uint32_t table);

// The route the kernel would use to reach `address` (an IPv4 or IPv6
// address), as `ip route get fibmatch` finds it; nullopt when none does.
std::optional<RouteMessage> route_used_for(const std::string& address);
// Its prefix.
RoutePrefix prefix_of(const RouteMessage& route);

// Replaces `route` (the one of the same table, prefix, tos and metric) with
// its own attributes plus what `add` appends; NLM_F_REPLACE without
// NLM_F_CREATE, so a route that is gone is not made again. Returns 0 or
// -errno, and the kernel's extended ack message in `why` when it sent one.
int replace_route(const RouteMessage& route, const std::function<void(nlmsghdr*)>& add, std::string& why);

}  // namespace xb
