// A chain of rules with jumps into user chains, as iptables and nftables
// have, flattened into one first-match rule list with the same meaning:
//
//  * a jump intersects the jump's matches with each rule of the user chain
//    (packets the user chain does not decide go on after the jump, and the
//    rules after the jump apply to them as to everyone);
//  * a RETURN sends its packets on after the jump: what follows the jump
//    (down to the policy), restricted to the RETURN's packets, is copied in
//    before the rest of the user chain;
//  * a goto's chain ends where the chain that jumped to the goto's chain
//    would have gone on (at the top: the policy);
//  * a rule's hotdrop packets (iptables) are dropped where the rule stands,
//    whatever it does with the others: a rule "NAME (hotdrop)" before it;
//  * a rule left out (--skip-unsupported) may only let through packets the
//    kernel drops, never drop packets the kernel lets through: one whose
//    packets the rules after it would drop instead of accepting (or
//    returning, or sending into a chain that accepts them) is refused,
//    naming those rules.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "header_match.hpp"
#include "rule_set.hpp"

namespace xb {

struct InlineRule {
  enum class Kind { None, Accept, Drop, Return, Jump, Goto } kind = Kind::None;
  std::vector<HeaderMatch> matches;  // any of these
  std::vector<HeaderMatch> hotdrop;  // dropped here whatever the kind (iptables' hotdrop)
  std::string target;                // Jump, Goto: the user chain
  std::string name;                  // of the rules it becomes
  SourceLocation where;
  std::string origin;  // what it is in the foreign rule set ("ip4 INPUT:3", "inet filter input handle 7")
  // Left out (--skip-unsupported): why, as UnsupportedRule said it; its
  // matches are then empty and kind and target are its verdict as far as
  // it can be read (a verdict that may let packets through reads Accept).
  std::string skipped;
  std::string verdict;  // for messages: "-j RETURN", "accept"
};

// The foreign rule set as the inliner reads it; rules are read lazily, so
// a rule no packet reaches is never translated (nor refused).
class InlineSource {
 public:
  virtual ~InlineSource() = default;
  virtual std::size_t size(const std::string& chain) = 0;
  // a rule left out (skipped as unsupported) has `skipped` set
  virtual const InlineRule* rule(const std::string& chain, std::size_t index) = 0;
};

struct InlinedRules {
  std::vector<Rule> rules;
  std::vector<std::string> origins;  // of each rule
};

// The top chain's packets are those of `any` (its family); `policy` is the
// InlineRule (kind Accept or Drop, its name, place and origin) that decides
// what no rule does. Throws RuleError past XB_MAX_RULES or 64 jumps deep,
// UnsupportedRule for a rule left out whose absence would drop packets
// the kernel lets through.
InlinedRules inline_chain(InlineSource& source, const std::string& top, const HeaderMatch& any,
                          const InlineRule& policy);

}  // namespace xb
