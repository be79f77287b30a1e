// What the rule set costs as a table, measured once per run: its size, how
// long the compiler took, and how long a reload takes (fill a new table map
// and swap it into a filter's slot). The run prints them and records them in
// the result's config, beside the per-hook rates.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "rule_compiler.hpp"

namespace xb::bench {

struct RuleTableFigures {
  std::size_t bytes = 0;           // the compiled table
  std::size_t capacity_bytes = 0;  // each table map of a filter attached with it (room to grow on reload)
  std::uint32_t trees_v4 = 0, trees_v6 = 0, max_depth = 0, max_leaf = 0;
  double build_ms = 0;
  double reload_ms = 0;  // median of a few
};

// Compiles the rules and installs the table into maps of its own (no
// program, no interface) to time reloads. Needs CAP_BPF.
RuleTableFigures measure_rule_table(const CompiledTable& table);

std::string describe(const RuleTableFigures& f);
nlohmann::json to_json(const RuleTableFigures& f);

}  // namespace xb::bench
