// `xdpfilter import`: a foreign rule set (iptables-save, nft -j list
// ruleset) written out as the filter's TOML rules.
#pragma once

#include <string>

#include "iptables_import.hpp"
#include "nft_import.hpp"

namespace xb {

struct ImportCommand {
  std::string from;  // "iptables" or "nft"
  std::string input = "-";
  std::string out;     // empty: standard output
  std::string family;  // "", ipv4, ipv6
  std::string chain;   // iptables: a chain name; nft: FAMILY:TABLE:CHAIN or a name
  IptablesImportOptions iptables;
};

// Writes the rules; notes and skipped rules go to stderr as well. Throws
// RuleError / Error as the importers do, writing nothing.
void run_import(const ImportCommand& command);

}  // namespace xb
