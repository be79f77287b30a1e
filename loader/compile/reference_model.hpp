// The reference model: the filter core compiled natively, classifying a
// packet against a compiled table exactly as the BPF programs do. Tests
// compare every hook against it.
#pragma once

#include <cstdint>
#include <span>

#include "rule_compiler.hpp"

namespace xb {

struct Classification {
  Action action;
  std::uint32_t rule;  // rule index, or XB_RULE_DEFAULT / _NON_IP / _MALFORMED
  bool operator==(const Classification&) const = default;
};

// frame: from the Ethernet header (XDP, tc). ct_state: the packet's
// connection state (XB_CT_*) as the hook would look it up, for tables whose
// rules name states; 0 where it is not known.
Classification classify(const CompiledTable& table, std::span<const std::uint8_t> frame, std::uint8_t ct_state = 0);

// packet: from the IP header; ethertype as the skb carries it (socket
// filters, cgroup_skb, netfilter)
Classification classify_l3(const CompiledTable& table, std::uint16_t ethertype, std::span<const std::uint8_t> packet,
                           std::uint8_t ct_state = 0);

}  // namespace xb
