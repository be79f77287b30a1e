#include "icmp_names.hpp"

#include <charconv>
#include <span>
#include <string>
#include <utility>

namespace xb {
namespace {

struct Name {
  std::string_view name;
  int type;
  int code;  // -1: any
};

// iptables' libxt_icmp.c and nftables' icmp_type table
constexpr Name kIcmp[] = {
    {"any", -1, -1},
    {"echo-reply", 0, -1},
    {"pong", 0, -1},
    {"destination-unreachable", 3, -1},
    {"network-unreachable", 3, 0},
    {"host-unreachable", 3, 1},
    {"protocol-unreachable", 3, 2},
    {"port-unreachable", 3, 3},
    {"fragmentation-needed", 3, 4},
    {"source-route-failed", 3, 5},
    {"network-unknown", 3, 6},
    {"host-unknown", 3, 7},
    {"network-prohibited", 3, 9},
    {"host-prohibited", 3, 10},
    {"TOS-network-unreachable", 3, 11},
    {"TOS-host-unreachable", 3, 12},
    {"communication-prohibited", 3, 13},
    {"host-precedence-violation", 3, 14},
    {"precedence-cutoff", 3, 15},
    {"source-quench", 4, -1},
    {"redirect", 5, -1},
    {"network-redirect", 5, 0},
    {"host-redirect", 5, 1},
    {"TOS-network-redirect", 5, 2},
    {"TOS-host-redirect", 5, 3},
    {"echo-request", 8, -1},
    {"ping", 8, -1},
    {"router-advertisement", 9, -1},
    {"router-solicitation", 10, -1},
    {"time-exceeded", 11, -1},
    {"ttl-exceeded", 11, -1},
    {"ttl-zero-during-transit", 11, 0},
    {"ttl-zero-during-reassembly", 11, 1},
    {"parameter-problem", 12, -1},
    {"ip-header-bad", 12, 0},
    {"required-option-missing", 12, 1},
    {"timestamp-request", 13, -1},
    {"timestamp-reply", 14, -1},
    {"info-request", 15, -1},
    {"info-reply", 16, -1},
    {"address-mask-request", 17, -1},
    {"address-mask-reply", 18, -1},
};

// ip6tables' libip6t_icmp6.c and nftables' icmp6_type table
constexpr Name kIcmp6[] = {
    {"destination-unreachable", 1, -1},
    {"no-route", 1, 0},
    {"communication-prohibited", 1, 1},
    {"beyond-scope", 1, 2},
    {"address-unreachable", 1, 3},
    {"port-unreachable", 1, 4},
    {"failed-policy", 1, 5},
    {"reject-route", 1, 6},
    {"packet-too-big", 2, -1},
    {"time-exceeded", 3, -1},
    {"ttl-exceeded", 3, -1},
    {"ttl-zero-during-transit", 3, 0},
    {"ttl-zero-during-reassembly", 3, 1},
    {"parameter-problem", 4, -1},
    {"bad-header", 4, 0},
    {"unknown-header-type", 4, 1},
    {"unknown-option", 4, 2},
    {"echo-request", 128, -1},
    {"ping", 128, -1},
    {"echo-reply", 129, -1},
    {"pong", 129, -1},
    {"mld-listener-query", 130, -1},
    {"mld-listener-report", 131, -1},
    {"mld-listener-done", 132, -1},
    {"mld-listener-reduction", 132, -1},
    {"router-solicitation", 133, -1},
    {"nd-router-solicit", 133, -1},
    {"router-advertisement", 134, -1},
    {"nd-router-advert", 134, -1},
    {"neighbour-solicitation", 135, -1},
    {"neighbor-solicitation", 135, -1},
    {"nd-neighbor-solicit", 135, -1},
    {"neighbour-advertisement", 136, -1},
    {"neighbor-advertisement", 136, -1},
    {"nd-neighbor-advert", 136, -1},
    {"redirect", 137, -1},
    {"nd-redirect", 137, -1},
    {"router-renumbering", 138, -1},
    {"ind-neighbor-solicit", 141, -1},
    {"ind-neighbor-advert", 142, -1},
    {"mld2-listener-report", 143, -1},
};

std::optional<std::uint8_t> byte(std::string_view s) {
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty() || v > 255) return std::nullopt;
  return static_cast<std::uint8_t>(v);
}

}  // namespace

std::optional<IcmpTypeCode> icmp_type_code(Family family, std::string_view text) {
  const auto slash = text.find('/');
  if (slash != std::string_view::npos) {
    const auto type = byte(text.substr(0, slash)), code = byte(text.substr(slash + 1));
    if (!type || !code) return std::nullopt;
    return IcmpTypeCode{type, code};
  }
  if (const auto type = byte(text)) return IcmpTypeCode{type, std::nullopt};
  auto to_result = [](const Name& n) {
    IcmpTypeCode r;
    if (n.type >= 0) r.type = static_cast<std::uint8_t>(n.type);
    if (n.code >= 0) r.code = static_cast<std::uint8_t>(n.code);
    return r;
  };
  if (family == Family::V4) {
    for (const auto& n : kIcmp)
      if (n.name == text) return to_result(n);
  } else {
    for (const auto& n : kIcmp6)
      if (n.name == text) return to_result(n);
  }
  return std::nullopt;
}

std::optional<std::uint8_t> nft_icmp_code(Family family, std::string_view name) {
  static const std::pair<const char*, int> v4[] = {
      {"net-unreachable", 0}, {"host-unreachable", 1}, {"prot-unreachable", 2}, {"port-unreachable", 3},
      {"frag-needed", 4},     {"net-prohibited", 9},   {"host-prohibited", 10}, {"admin-prohibited", 13}};
  static const std::pair<const char*, int> v6[] = {{"no-route", 0},         {"admin-prohibited", 1},
                                                   {"addr-unreachable", 3}, {"port-unreachable", 4},
                                                   {"policy-fail", 5},      {"reject-route", 6}};
  for (const auto& [n, c] : (family == Family::V4 ? std::span<const std::pair<const char*, int>>(v4)
                                                  : std::span<const std::pair<const char*, int>>(v6)))
    if (name == n) return static_cast<std::uint8_t>(c);
  return std::nullopt;
}

}  // namespace xb
