// The one way a --rules argument becomes a RuleSet, whatever its format:
//
//   classbench:FILE   a ClassBench filter file
//   toml:FILE         a TOML rule file
//   iptables:FILE     an iptables-save / ip6tables-save file (with ipset
//                     save lines), imported as iptables_import.hpp says
//   nft:FILE          `nft -j list ruleset` output, as nft_import.hpp says
//   FILE              ClassBench if its first non-blank character is '@'
//                     (every ClassBench rule starts with it), iptables-save
//                     if its first line that is not a comment starts with
//                     '*' or "create ", nft's JSON if it starts with '{',
//                     else TOML
#pragma once

#include <string>

#include "rule_set.hpp"

namespace xb {

// classbench_action: the action of every ClassBench rule (the format has
// none). Throws RuleError naming file:line:column.
RuleSet load_rules(const std::string& spec, Action classbench_action);

// The same for a file's text already read (FILE's sniffing): source names it
// in errors.
RuleSet parse_rule_text(const std::string& text, const std::string& source, Action classbench_action);

// "drop" or "pass", as --classbench-action takes it; throws Error otherwise.
Action action_from_name(const std::string& name);

}  // namespace xb
