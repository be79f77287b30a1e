// One iptables rule's words (as iptables-save writes them) read into what
// it matches, as a disjunction of header matches, and where it goes.
// Whatever the filter cannot express is refused by name with UnsupportedRule.
#pragma once

#include <string>
#include <vector>

#include "header_match.hpp"
#include "iptables_save.hpp"

namespace xb {

struct IptablesTarget {
  enum class Kind { None, Accept, Drop, Reject, Return, Jump, Goto } kind = Kind::None;
  std::string chain;  // Jump, Goto
  SaveWord word;      // the target's name, for messages
};

struct IptablesRule {
  std::vector<HeaderMatch> matches;  // any of these; empty: no packet
  // the packets the kernel drops at this rule whatever its target: its tcp,
  // udp, icmp or multiport match cannot read their header (l4_header Short
  // or Tiny), after the rule's earlier matches took them ("hotdrop")
  std::vector<HeaderMatch> hotdrop;
  IptablesTarget target;
  std::string comment;  // -m comment --comment
};

// Throws UnsupportedRule (refusable with --skip-unsupported) or RuleError
// (the rule cannot be read), both naming source:line:column.
IptablesRule read_iptables_rule(const SaveRule& rule, const SaveTable& table, const std::map<std::string, Ipset>& sets,
                                const std::string& source);

}  // namespace xb
