// ICMP and ICMPv6 type (and type/code) names as iptables (`--icmp-type`,
// `--icmpv6-type`) and nftables (`icmp type`, `icmpv6 type`) spell them.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "rule_set.hpp"

namespace xb {

struct IcmpTypeCode {
  std::optional<std::uint8_t> type;  // none: any type (iptables' "any")
  std::optional<std::uint8_t> code;  // none: any code
};

// A name of the family's ICMP, or "TYPE" / "TYPE/CODE" in numbers.
std::optional<IcmpTypeCode> icmp_type_code(Family family, std::string_view text);

// nftables' icmp_code and icmpv6_code names (`icmp code port-unreachable`).
std::optional<std::uint8_t> nft_icmp_code(Family family, std::string_view name);

}  // namespace xb
