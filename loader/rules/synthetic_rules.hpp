// Synthetic rule sets: the embedded default, the benchmarks' 10/1k/100k
// sets and the differential tests' random sets all come from here.
#pragma once

#include <cstdint>
#include <string>

#include "rule_set.hpp"

namespace xb {

struct SyntheticRuleOptions {
  std::uint32_t count = 1000;
  std::uint64_t seed = 1;
  // Realistic sets (the default) use a fixed mix of a few shapes, as real
  // firewalls do; random sets draw any prefix length, for differential tests
  // (keep them small: overlapping random prefixes make deep trees).
  bool random_shapes = false;
};

RuleSet synthetic_rules(const SyntheticRuleOptions& options);

// Writes a rule set back as a rule file that parse_rules() reads.
std::string to_toml(const RuleSet& rules);

}  // namespace xb
