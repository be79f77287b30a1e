// Compiles a RuleSet into the table the filter core searches: a few
// decision trees per address family over the packet's addresses, ports and
// protocol, ending in short leaves of rule records checked in rule order.
// See bpf/README.md for the algorithm, its worst case and its limits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "rule_set.hpp"
#include "xb_abi.h"

namespace xb {

// What one compile built, for `xdpfilter check`, the benchmarks and the
// table in bpf/README.md.
struct TableStats {
  std::uint32_t trees[XB_FAMILIES] = {};
  std::uint32_t records = 0;     // rules after port-list and family expansion
  std::uint32_t node_slots = 0;  // tree nodes, leaves included
  std::uint32_t leaves = 0;      // distinct leaves (each stores its records)
  std::uint32_t max_depth = 0;   // deepest leaf, in block reads (root = 0)
  std::uint32_t max_leaf = 0;    // most records in one leaf
  std::uint64_t leaf_refs = 0;   // records referenced by leaves (replication)
  double build_ms = 0;
};

struct CompiledTable {
  // Block XB_FAMILY_V4 and XB_FAMILY_V6 are the families' metadata; see
  // bpf/xb_abi.h for the rest. counter_base is set when the table is
  // installed.
  std::vector<xb_block> blocks;
  TableStats stats;

  const xb_meta& meta(Family f = Family::V4) const { return blocks[static_cast<std::size_t>(f)].meta; }
  std::uint32_t rule_count() const { return meta().rule_count; }
  std::size_t bytes() const { return blocks.size() * sizeof(xb_block); }
};

// Throws RuleError naming the rule (file:line:column) where a limit was hit.
CompiledTable compile_rules(const RuleSet& rules);

// A rule set compiled once and handed down to whatever uses it (attach,
// reload, the rig's hooks and flows): the rules, whose labels records and
// counters name, and their table. Copies share one compilation.
class CompiledRuleSet {
 public:
  explicit CompiledRuleSet(RuleSet rules);  // compiles; bad rules throw Error
  const RuleSet& rules() const { return data_->rules; }
  const CompiledTable& table() const { return data_->table; }
  const std::string& source() const { return data_->rules.source; }
  // Whether a rule names connection states: the hook must look them up.
  bool needs_conntrack() const { return data_->table.meta().ct_lookup != 0; }
  // The first rule that names connection states (for messages); nullptr if none.
  const Rule* first_stateful_rule() const;

 private:
  struct Data {
    RuleSet rules;
    CompiledTable table;
  };
  std::shared_ptr<const Data> data_;
};

// How many times this process compiled rules from `source` (RuleSet::source):
// how xdpbench shows that a run compiles its rule set once.
std::size_t compilations_of(const std::string& source);

}  // namespace xb
