// The reference model: the filter core compiled natively, classifying a
// frame (starting at its Ethernet header) against a compiled table exactly
// as the BPF programs do. Tests compare every hook against it.
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

Classification classify(const CompiledTable& table, std::span<const std::uint8_t> frame);

}  // namespace xb
