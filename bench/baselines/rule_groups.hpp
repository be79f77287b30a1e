// How a first-match rule list becomes what nft and iptables users write: set
// lookups, one per rule shape, instead of one rule per line.
//
// A set lookup ignores the order of its elements, so rules may share one
// only where order cannot matter. The planner cuts the list into blocks in
// which no two rules can match the same packet; inside a block the rules of
// one shape and action form a group (one set lookup), and blocks keep the
// list's order. A packet therefore meets the same first matching rule as in
// the reference model, and each group's counter is the sum of its rules'.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rule_set.hpp"

namespace xb::bench::baselines {

// What a set lookup of a group is keyed on, and the matches every rule of
// the group shares outside the set (TCP flags, ICMP type and code,
// connection states).
struct RuleShape {
  std::optional<Family> family;  // set when the rules name an address or ICMP flavour
  bool src = false, dst = false;
  bool proto = false;  // in the key; rules with ports and no proto match TCP and UDP
  bool sport = false, dport = false;
  std::optional<TcpFlagsMatch> tcp_flags;
  std::optional<std::uint8_t> icmp_type, icmp_code;
  std::uint8_t ct_states = 0;  // connection states (XB_CT_*), 0: any
  TtlRange ttl;
  Action action = Action::Drop;

  bool operator==(const RuleShape&) const = default;
  std::string key() const;  // equal for equal shapes
};

// One element of a group's set: a rule's values, one per key part.
struct ShapeElement {
  std::optional<Prefix> src, dst;
  std::uint8_t proto = 0;
  PortRange sport, dport;
};

struct RuleGroup {
  RuleShape shape;
  std::vector<std::uint32_t> rules;    // indexes into the rule set
  std::vector<ShapeElement> elements;  // every rule's elements (ports lists and TCP/UDP spread out)
  bool ranges = false;                 // some element has a prefix or a port range
};

// The groups in evaluation order (blocks one after the other).
struct GroupPlan {
  std::vector<RuleGroup> groups;
  std::size_t blocks = 0;
};

RuleShape shape_of(const Rule& rule);
std::vector<ShapeElement> elements_of(const Rule& rule);
// Whether some packet could match both rules (false only when it is certain none can).
bool may_overlap(const Rule& a, const Rule& b);

// Rules whose l4-header is "short" or "tiny" are in no group.
GroupPlan plan_groups(const RuleSet& set);

}  // namespace xb::bench::baselines
