// nftables rulesets (`nft -j list ruleset`, libnftables' JSON) imported as
// the filter's rule set: one base chain and the user chains it jumps to,
// inlined as chain_inliner.hpp says, the base chain's policy as the
// default action.
#pragma once

#include <string>

#include "imported_rules.hpp"

namespace xb {

struct NftImportOptions {
  // FAMILY:TABLE:CHAIN or a chain name; empty: the one filter base chain at
  // prerouting, input or ingress (refused when there are several)
  std::string chain;
  bool skip_unsupported = false;  // leave out what cannot be expressed, and list it
};

// Throws UnsupportedRule (without skip_unsupported) or RuleError, naming
// source:line:column (of the rule's object in the JSON) and what it is.
ImportedRules import_nft(const std::string& text, const std::string& source, const NftImportOptions& options = {});

// As above from a file, or standard input for "-".
ImportedRules import_nft_file(const std::string& path, const NftImportOptions& options = {});

}  // namespace xb
