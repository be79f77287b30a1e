// The maps of one filter instance: the table slot (ARRAY_OF_MAPS holding the
// active rule table) and the per-CPU counters. Created here, before the
// program is loaded, and handed to its skeleton with bpf_map__reuse_fd, so a
// program is never attached without its table.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rule_compiler.hpp"
#include "unique_fd.hpp"

struct bpf_object;

namespace xb {

struct RuleCounter {
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
};

struct CounterSnapshot {
  std::vector<RuleCounter> rules;  // by rule index
  RuleCounter no_match, non_ip, malformed;
};

class FilterMaps {
 public:
  // New, empty maps.
  static FilterMaps create();
  // The maps of an attached filter, from their pins.
  static FilterMaps open_pinned(const std::string& dir);

  // Builds a new table and swaps it in: packets see the old table or the new
  // one, never a mix (see bpf/README.md, "Reload").
  void install(const CompiledTable& table) const;

  // Counters of the active table's rules, summed over CPUs.
  CounterSnapshot read_counters() const;
  // One counter slot (rule index or XB_RULE_*) of the active table.
  RuleCounter read_counter(std::uint32_t rule) const;

  // Gives these maps to a not-yet-loaded object's maps of the same names.
  void reuse_in(bpf_object* obj) const;

  void pin(const std::string& dir) const;
  static void unpin(const std::string& dir);

  int tables_fd() const { return tables_.get(); }
  int counters_fd() const { return counters_.get(); }

 private:
  FilterMaps(UniqueFd tables, UniqueFd counters) : tables_(std::move(tables)), counters_(std::move(counters)) {}
  UniqueFd active_table() const;
  // the active table's metadata; false when no table is installed
  bool active_meta(xb_meta& meta) const;
  RuleCounter read_slot(std::uint32_t slot) const;

  UniqueFd tables_;
  UniqueFd counters_;
};

}  // namespace xb
