// iptables rule sets (iptables-save / ip6tables-save output, either backend,
// with `ipset save` lines before them) imported as the filter's rule set:
// one chain of each family (raw PREROUTING by default, else filter INPUT),
// user chains inlined, the chain's policy as the default action.
//
// First match wins in both, so a chain becomes a rule list in its order: a
// jump intersects the jump's matches with each rule of the user chain; a
// RETURN copies what follows the jump (and the policy), restricted to the
// RETURN's packets, before the rest of the user chain. Negations, address
// lists and ipsets expand into several rules of the same name.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "imported_rules.hpp"
#include "rule_set.hpp"

namespace xb {

struct IptablesImportOptions {
  std::string table, chain;       // empty: raw PREROUTING if it has rules, else filter INPUT
  std::optional<Family> family;   // of tables the file does not say (default: guessed, else IPv4)
  bool skip_unsupported = false;  // leave out what cannot be expressed, and list it
};

// Throws UnsupportedRule (without skip_unsupported) or RuleError, naming
// source:line:column and what it is.
ImportedRules import_iptables(const std::string& text, const std::string& source,
                              const IptablesImportOptions& options = {});

// As above from a file, or standard input for "-".
ImportedRules import_iptables_file(const std::string& path, const IptablesImportOptions& options = {});

}  // namespace xb
