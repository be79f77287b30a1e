#include "rule_table_figures.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "filter_maps.hpp"
#include "rule_compiler.hpp"

namespace xb::bench {

RuleTableFigures measure_rule_table(const CompiledTable& table) {
  RuleTableFigures f;
  f.bytes = table.bytes();
  f.trees_v4 = table.stats.trees[XB_FAMILY_V4];
  f.trees_v6 = table.stats.trees[XB_FAMILY_V6];
  f.max_depth = table.stats.max_depth;
  f.max_leaf = table.stats.max_leaf;
  f.build_ms = table.stats.build_ms;
  const FilterMaps maps = FilterMaps::create(table);
  f.capacity_bytes = std::size_t{maps.capacity()} * XB_BLOCK_SIZE;
  std::vector<double> ms;
  for (int i = 0; i < 3; ++i) {
    const auto start = std::chrono::steady_clock::now();
    maps.install(table);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(ms.begin(), ms.end());
  f.reload_ms = ms[ms.size() / 2];
  return f;
}

std::string describe(const RuleTableFigures& f) {
  return fmt::format(
      "rule table: {:.1f} KiB in {} IPv4 and {} IPv6 trees (depth {}, leaves of at most {} records), built in {:.1f} "
      "ms; a filter's table maps hold {:.0f} KiB; a reload (fill a new map, swap) takes {:.1f} ms",
      static_cast<double>(f.bytes) / 1024, f.trees_v4, f.trees_v6, f.max_depth, f.max_leaf, f.build_ms,
      static_cast<double>(f.capacity_bytes) / 1024, f.reload_ms);
}

nlohmann::json to_json(const RuleTableFigures& f) {
  return {{"bytes", f.bytes},         {"capacity_bytes", f.capacity_bytes},
          {"trees_v4", f.trees_v4},   {"trees_v6", f.trees_v6},
          {"max_depth", f.max_depth}, {"max_leaf", f.max_leaf},
          {"build_ms", f.build_ms},   {"reload_ms", f.reload_ms}};
}

}  // namespace xb::bench
