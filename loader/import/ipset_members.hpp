// The members of an ipset (from `ipset save`) as header matches, for an
// iptables rule's `-m set --match-set NAME FLAGS`: one match per member,
// each dimension of the set type read from the source or destination
// side of the packet as FLAGS say.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "header_match.hpp"
#include "iptables_save.hpp"

namespace xb {

struct SetReference {
  const Ipset* set = nullptr;
  std::vector<bool> from_source;  // per dimension: src (true) or dst
  std::string where;              // "file:line:column" of the set's name in the rule
};

// rule_proto: the rule's -p, if any. Throws UnsupportedRule for a type or a
// member the filter cannot express, RuleError for a member it cannot read.
std::vector<HeaderMatch> ipset_matches(const SetReference& ref, Family family, std::optional<std::uint8_t> rule_proto,
                                       const std::string& source);

}  // namespace xb
