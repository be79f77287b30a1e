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

// How many 64-byte blocks a filter's rule tables may hold when nobody says:
// twice what the first table needs (room for the rule set to grow on
// reload), rounded up to a power of two, at least 256 KiB, at most
// XB_MAX_BLOCKS.
std::uint32_t default_table_capacity(const CompiledTable& first);

class FilterMaps {
 public:
  // New maps whose tables hold capacity blocks (0: default_table_capacity),
  // with the first table installed. Every table of these maps has that size:
  // the programs are verified against it, which lets the verifier turn each
  // block lookup into a bounds check and a load (see bpf/xb_maps.bpf.h).
  static FilterMaps create(const CompiledTable& first, std::uint32_t capacity = 0);
  // The maps of an attached filter, from their pins.
  static FilterMaps open_pinned(const std::string& dir);

  // Builds a new table and swaps it in: packets see the old table or the new
  // one, never a mix (see bpf/README.md, "Reload"). A table larger than the
  // capacity is refused before anything changes.
  void install(const CompiledTable& table) const;

  // Whether the first table's rules name connection states: the program
  // on these maps must be the variant that looks them up (FilterProgram).
  // False for pinned maps, whose program is already chosen.
  bool looks_up_conntrack() const { return looks_up_conntrack_; }

  // Blocks each table of these maps holds.
  std::uint32_t capacity() const { return capacity_; }

  // Counters of the active table's rules, summed over CPUs.
  CounterSnapshot read_counters() const;
  // The other generation's counters: after install(), what the table it
  // replaced counted (rule_count: that table's rules).
  CounterSnapshot read_retired_counters(std::uint32_t rule_count) const;
  // One counter slot (rule index or XB_RULE_*) of the active table.
  RuleCounter read_counter(std::uint32_t rule) const;

  // Gives these maps to a not-yet-loaded object's maps of the same names.
  void reuse_in(bpf_object* obj) const;

  void pin(const std::string& dir) const;
  static void unpin(const std::string& dir);

  int tables_fd() const { return tables_.get(); }
  // Kernel ids: of the table slot map (names these maps), of the active table.
  std::uint32_t tables_map_id() const;
  std::uint32_t active_table_id() const;
  int counters_fd() const { return counters_.get(); }

 private:
  FilterMaps(UniqueFd tables, UniqueFd counters, std::uint32_t capacity)
      : tables_(std::move(tables)), counters_(std::move(counters)), capacity_(capacity) {}
  UniqueFd active_table() const;
  // the active table's metadata; false when no table is installed
  bool active_meta(xb_meta& meta) const;
  RuleCounter read_slot(std::uint32_t slot) const;

  UniqueFd tables_;
  UniqueFd counters_;
  std::uint32_t capacity_;
  bool looks_up_conntrack_ = false;
};

}  // namespace xb
