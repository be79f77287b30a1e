// What an importer (iptables, nftables) gives back: the rules, where each
// came from, and what the user must know about the translation.
#pragma once

#include <string>
#include <vector>

#include "rule_set.hpp"

namespace xb {

struct ImportedRules {
  RuleSet rules;
  std::vector<std::string> origins;  // per rule: what decides in the foreign rule set ("ip4 INPUT:3")
  std::vector<std::string> notes;    // what was translated with a difference worth knowing
  std::vector<std::string> skipped;  // the rules left out (skip_unsupported), each with why
};

// The notes and skipped rules as TOML comments, to head the written rules.
std::string import_comment(const ImportedRules& imported, const std::string& what);

}  // namespace xb
