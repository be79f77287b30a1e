// Builds one decision tree of the compiled table (bpf/README.md,
// "Classification"): every node cuts one field of the search key into 2^k
// equal parts on bit boundaries, so the BPF walk is a shift and a mask a
// level, and a rule goes to every child its box overlaps. Leaves hold at most
// XB_LEAF_MAX records, in rule order.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "rule_compiler.hpp"

namespace xb::detail {

using u128 = unsigned __int128;

// Node slot s lives in block s / 8: slots start after the two metadata blocks.
constexpr std::uint32_t kFirstNodeSlot = XB_FAMILIES * XB_NODES_PER_BLOCK;

// The fields a tree cuts, in key order; an address is one 32- or 128-bit
// field here and four key words in the BPF key.
enum Dim : std::uint8_t { kSrc, kDst, kSport, kDport, kProto, kDims };

struct Range {
  u128 lo = 0, hi = 0;
};

// One record as the tree sees it: the box of keys it can match.
struct TreeEntry {
  std::uint32_t rule = 0;
  std::uint32_t record = 0;  // record id in TableLayout::records
  std::array<Range, kDims> box;
  bool exact = false;  // matches every packet whose key lies in box
};

// The table under construction, shared by the trees of both families.
struct TableLayout {
  std::vector<xb_node> node_slots;                               // children arrays, 2^k slots each
  std::vector<std::vector<std::uint32_t>> leaves;                // record ids, in rule order
  std::map<std::vector<std::uint32_t>, std::uint32_t> leaf_ids;  // dedup
  std::uint64_t leaf_blocks = 0;                                 // records stored in leaves
  std::uint64_t block_budget = ~std::uint64_t{0};                // past it, build throws OverBudget
  std::uint64_t work = 0;                                        // build steps taken (CutTreeBuilder::node)
  std::uint64_t work_budget = ~std::uint64_t{0};                 // past it, build throws OverBudget
  // Cut a node too full for a leaf that no cut separates where its records'
  // values meet (CutTreeBuilder::best_cut). Off in the merge trials: a tree
  // that needs it stays its own, and every rule set that builds without it
  // gets the trees it always got.
  bool narrowing_cuts = true;
  std::uint64_t blocks() const {
    return (node_slots.size() + XB_NODES_PER_BLOCK - 1) / XB_NODES_PER_BLOCK + leaf_blocks;
  }
  std::vector<xb_rule_record> records;
  TableStats* stats = nullptr;
};

// A trial build outgrew TableLayout::block_budget.
struct OverBudget {};

// Field widths of one family: addresses of 32 or 128 bits.
std::array<std::uint32_t, kDims> dim_widths(Family f);

class CutTreeBuilder {
 public:
  CutTreeBuilder(Family family, TableLayout& layout, const RuleSet& rules);
  // entries sorted by rule; returns the root's descriptor (leaf ids and
  // record ids in it and below are fixed up by the caller)
  xb_node build(std::vector<TreeEntry> entries);

 private:
  struct Region {
    std::array<std::uint32_t, kDims> fixed{};  // top bits fixed per field
    std::array<u128, kDims> value{};           // their value
  };
  struct Cut {
    Dim dim = kSrc;
    std::uint32_t bits = 0;
    std::uint64_t max_child = 0, sum = 0;
    Region region;  // the node's, with the bits all its records share skipped
  };

  xb_node node(std::vector<TreeEntry>& entries, const Region& region, std::uint32_t depth);
  xb_node leaf(const std::vector<TreeEntry>& entries, std::uint32_t depth);
  Region skip_common_bits(const std::vector<TreeEntry>& entries, const Region& region, Dim d) const;
  bool best_cut(const std::vector<TreeEntry>& entries, const Region& region, bool must_split, Cut& cut) const;
  void prune(std::vector<TreeEntry>& entries, const Region& region, std::size_t pairwise_max) const;
  Range region_range(const Region& region, Dim d) const;
  std::uint32_t max_bits(const Region& region, Dim d) const;
  [[noreturn]] void fail(const TreeEntry& at, const std::string& why) const;

  Family family_;
  std::array<std::uint32_t, kDims> width_;
  TableLayout& layout_;
  const RuleSet& rules_;
};

}  // namespace xb::detail
