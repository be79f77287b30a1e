// Compiles a RuleSet into the table the filter core searches: tuple space
// search over (prefix lengths, protocol, exact destination port) with the
// remaining fields checked in short per-bucket chains. See bpf/README.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "rule_set.hpp"
#include "xb_abi.h"

namespace xb {

struct CompiledTable {
  xb_meta meta{};  // counter_base is set when the table is installed
  // Keyed by the raw bytes of an xb_bucket_key; transparent, so a lookup
  // (the reference model's, per packet) takes a view and allocates nothing.
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view bytes) const { return std::hash<std::string_view>{}(bytes); }
  };
  std::unordered_map<std::string, xb_bucket, KeyHash, std::equal_to<>> buckets;

  static std::string key_bytes(const xb_bucket_key& key);
  static std::string_view key_view(const xb_bucket_key& key) {
    return {reinterpret_cast<const char*>(&key), sizeof(key)};
  }
};

// Throws RuleError naming the rule (file:line:column) that does not fit.
CompiledTable compile_rules(const RuleSet& rules);

}  // namespace xb
