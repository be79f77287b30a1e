// `nft -j list ruleset` (libnftables' JSON, schema 1) read into tables,
// chains, sets and rules, each with the place of its object in the file
// (line:column of its '{'), so messages can point at it even in nft's
// one-line output. What a rule's expressions mean is nft_rule's job.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "rule_set.hpp"

namespace xb {

struct NftChain {
  std::string family, table, name;
  std::optional<std::string> hook;  // base chains only
  std::string type;                 // filter, nat, route
  long prio = 0;
  std::string policy = "accept";  // base chains
  SourceLocation where;
  std::vector<std::size_t> rules;  // indices into NftRuleset::rules, in order
};

// nlohmann::json's noexcept move constructor calls set_parents(), which is not
// noexcept but empty without JSON_DIAGNOSTICS: no exception escapes
// NOLINTNEXTLINE(bugprone-exception-escape)
struct NftRule {
  std::string family, table, chain;
  std::uint64_t handle = 0;
  std::string comment;
  nlohmann::json expr;  // the statement list
  SourceLocation where;
};

// as NftRule's
// NOLINTNEXTLINE(bugprone-exception-escape)
struct NftSet {
  std::string family, table, name;
  nlohmann::json type;  // "ipv4_addr", or a list for a concatenation
  nlohmann::json elem;  // the elements (may be absent: empty)
  SourceLocation where;
};

struct NftRuleset {
  std::string source;
  std::vector<NftChain> chains;
  std::vector<NftRule> rules;
  std::map<std::string, NftSet> sets;  // "family table name"
  const NftChain* chain(const std::string& family, const std::string& table, const std::string& name) const;
  const NftSet* set(const std::string& family, const std::string& table, const std::string& name) const;
};

// Throws RuleError naming source:line:column.
NftRuleset parse_nft_ruleset(const std::string& text, const std::string& source);

}  // namespace xb
