// nftables' `tcp flags` matches, in every form nft 1.0.6 writes in its
// JSON, as the flag matches they mean (a packet matches if any does):
//
//   tcp flags syn                      op "in"   any of them set
//   tcp flags == syn / != syn          "==" "!=" the whole byte
//   tcp flags & (fin|syn) == syn       "&" mask  those bits
//   tcp flags & (syn|ack) == 0         op "!"    none of them set
//   tcp flags { syn, fin|psh }         a set     the whole byte, any value
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "rule_set.hpp"

namespace xb {

// A form the filter cannot express (a negated set, a comparison other than
// these); the caller names the rule.
class NftFlagsRefused : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// mask: the "&" operand, if any; elements: the right side's set elements,
// if it is a set. Throws NftFlagsRefused, or std::invalid_argument for
// flags it cannot read.
std::vector<TcpFlagsMatch> nft_tcp_flags(const std::string& op, const std::optional<nlohmann::json>& mask,
                                         const nlohmann::json& right, const std::optional<nlohmann::json>& elements);

}  // namespace xb
