// Compiles a RuleSet into the table the filter core searches: tuple space
// search over (prefix lengths, protocol, exact destination port) with the
// remaining fields checked in short per-bucket chains. See bpf/README.md.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "rule_set.hpp"
#include "xb_abi.h"

namespace xb {

struct CompiledTable {
  xb_meta meta{};  // counter_base is set when the table is installed
  // key: the raw bytes of an xb_bucket_key
  std::unordered_map<std::string, xb_bucket> buckets;

  static std::string key_bytes(const xb_bucket_key& key);
};

// Throws RuleError naming the rule (file:line:column) that does not fit.
CompiledTable compile_rules(const RuleSet& rules);

}  // namespace xb
