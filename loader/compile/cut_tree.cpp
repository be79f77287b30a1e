#include "cut_tree.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "errors.hpp"

namespace xb::detail {
namespace {

// Most children one node has: 2^8 slots of 8 bytes, 2 KiB.
constexpr std::uint32_t kMaxCutBits = 8;
// HiCuts' space factor: a cut may replicate rules into its children up to
// this many times the node's own count. Larger: shallower trees, more memory.
constexpr std::uint64_t kSpaceFactor = 4;
// Pairwise redundancy checks are quadratic: only in small nodes.
constexpr std::size_t kPairwisePruneMax = 64;

bool contains(const Range& outer, const Range& inner) { return outer.lo <= inner.lo && inner.hi <= outer.hi; }

Range intersect(const Range& a, const Range& b) { return {std::max(a.lo, b.lo), std::min(a.hi, b.hi)}; }

}  // namespace

std::array<std::uint32_t, kDims> dim_widths(Family f) {
  const std::uint32_t addr = f == Family::V4 ? 32 : 128;
  return {addr, addr, 16, 16, 8 + XB_L4_BITS};  // protocol: 8 bits and what was read of its header
}

CutTreeBuilder::CutTreeBuilder(Family family, TableLayout& layout, const RuleSet& rules)
    : family_(family), width_(dim_widths(family)), layout_(layout), rules_(rules) {}

xb_node CutTreeBuilder::build(std::vector<TreeEntry> entries) { return node(entries, Region{}, 0); }

Range CutTreeBuilder::region_range(const Region& region, Dim d) const {
  const std::uint32_t free_bits = width_[d] - region.fixed[d];
  if (free_bits == 128) return {0, ~u128{0}};
  const u128 lo = region.value[d] << free_bits;
  return {lo, lo + ((u128{1} << free_bits) - 1)};
}

// A cut takes bits from one key word: an IPv6 address cut never crosses a
// 32-bit boundary, since the BPF side shifts one word.
std::uint32_t CutTreeBuilder::max_bits(const Region& region, Dim d) const {
  const std::uint32_t fixed = region.fixed[d];
  std::uint32_t left = width_[d] - fixed;
  if (d == kSrc || d == kDst) left = std::min(left, 32 - fixed % 32);
  return std::min(left, kMaxCutBits);
}

void CutTreeBuilder::fail(const TreeEntry& at, const std::string& why) const {
  const Rule& r = rules_.rules[at.rule];
  throw RuleError(
      fmt::format("{}: rule {} ({}): {}", r.where.str(), at.rule, family_ == Family::V4 ? "IPv4" : "IPv6", why));
}

// First match wins, so a record that an earlier exact record covers (within
// this node's region) can never be the answer here: drop it. This is what
// keeps leaves short under broad rules such as a final catch-all.
void CutTreeBuilder::prune(std::vector<TreeEntry>& entries, const Region& region, std::size_t pairwise_max) const {
  std::array<Range, kDims> r;
  for (int d = 0; d < kDims; ++d) r[d] = region_range(region, static_cast<Dim>(d));
  auto covers_region = [&](const TreeEntry& e) {
    if (!e.exact) return false;
    for (int d = 0; d < kDims; ++d)
      if (!contains(e.box[d], r[d])) return false;
    return true;
  };
  auto it = std::find_if(entries.begin(), entries.end(), covers_region);
  if (it != entries.end()) entries.erase(it + 1, entries.end());
  if (entries.size() > pairwise_max) return;
  std::vector<TreeEntry> kept;
  for (const TreeEntry& b : entries) {
    bool covered = false;
    for (const TreeEntry& a : kept) {
      if (!a.exact) continue;
      covered = true;
      for (int d = 0; d < kDims && covered; ++d) covered = contains(a.box[d], intersect(b.box[d], r[d]));
      if (covered) break;
    }
    if (!covered) kept.push_back(b);
  }
  entries.swap(kept);
}

// Where every record of the node agrees on the next bits of a field, a
// packet that differs there matches none of them: the cut may skip those
// bits and take the first ones that tell the records apart. (The leaf scan
// checks every field in full, so such a packet is still judged right.)
CutTreeBuilder::Region CutTreeBuilder::skip_common_bits(const std::vector<TreeEntry>& entries, const Region& region,
                                                        Dim d) const {
  const Range r = region_range(region, d);
  u128 lo = r.hi, hi = r.lo;
  for (const TreeEntry& e : entries) {
    const Range c = intersect(e.box[d], r);
    lo = std::min(lo, c.lo);
    hi = std::max(hi, c.hi);
  }
  Region narrowed = region;
  std::uint32_t& fixed = narrowed.fixed[d];
  while (fixed < width_[d]) {
    const std::uint32_t bit = width_[d] - 1 - fixed;
    if (((lo >> bit) & 1) != ((hi >> bit) & 1)) break;
    ++fixed;
  }
  narrowed.value[d] = fixed == 0 ? 0 : lo >> (width_[d] - fixed);
  return narrowed;
}

// HiCuts' choice, made robust: of the cuts that separate anything (no child
// keeps every record), those within the space budget (children together hold
// at most kSpaceFactor times the node's records) win on the smallest fullest
// child; where no cut fits the budget, the one that replicates least.
// The cut that separates the records best (the fewest in the fullest
// child, then the fewest copies), within the space budget if any is. A node
// too full for a leaf (must_split) where no cut separates anything may
// still be cut where its records' values meet: broad records (a catch-all,
// one on connection states) span every field, so no bits are common to all
// and a cut of the top bits puts every record in one child, yet the other
// children hold only the broad ones, and that one child has the bits fixed
// that its next cut needs (ICMP types 1-153 under 16-bit cuts). The deepest
// such cut is taken: it gets there in one level.
bool CutTreeBuilder::best_cut(const std::vector<TreeEntry>& entries, const Region& region, bool must_split,
                              Cut& cut) const {
  const std::uint64_t n = entries.size();
  bool found = false, found_in_budget = false;
  std::optional<Cut> narrowing;
  std::vector<std::int64_t> diff;
  for (int di = 0; di < kDims; ++di) {
    const Dim d = static_cast<Dim>(di);
    const Region narrowed = skip_common_bits(entries, region, d);
    const std::uint32_t bits_max = max_bits(narrowed, d);
    const Range r = region_range(narrowed, d);
    const std::uint32_t free_bits = width_[d] - narrowed.fixed[d];
    for (std::uint32_t k = 1; k <= bits_max; ++k) {
      const std::uint32_t children = 1u << k;
      const std::uint32_t child_shift = free_bits - k;
      diff.assign(children + 1, 0);
      std::uint64_t sum = 0;
      for (const TreeEntry& e : entries) {
        const Range c = intersect(e.box[d], r);
        const auto a = static_cast<std::uint32_t>((c.lo - r.lo) >> child_shift);
        const auto b = static_cast<std::uint32_t>((c.hi - r.lo) >> child_shift);
        diff[a] += 1;
        diff[b + 1] -= 1;
        sum += b - a + 1;
      }
      std::int64_t run = 0, max_child = 0, min_child = static_cast<std::int64_t>(n);
      for (std::uint32_t j = 0; j < children; ++j) {
        run += diff[j];
        max_child = std::max(max_child, run);
        min_child = std::min(min_child, run);
      }
      const Cut c{d, k, static_cast<std::uint64_t>(max_child), sum, narrowed};
      if (static_cast<std::uint64_t>(max_child) >= n) {  // separates nothing
        if (must_split && static_cast<std::uint64_t>(min_child) < n &&
            (!narrowing || k > narrowing->bits || (k == narrowing->bits && sum < narrowing->sum)))
          narrowing = c;
        continue;
      }
      const bool in_budget = sum + children <= kSpaceFactor * n;
      bool better;
      if (!found)
        better = true;
      else if (in_budget != found_in_budget)
        better = in_budget;
      else if (in_budget)
        better = c.max_child < cut.max_child || (c.max_child == cut.max_child && c.sum < cut.sum);
      else
        better = c.sum + children < cut.sum + (1u << cut.bits);
      if (better) {
        cut = c;
        found = true;
        found_in_budget = in_budget;
      }
    }
  }
  if (!found && narrowing) {
    cut = *narrowing;
    found = true;
  }
  return found;
}

xb_node CutTreeBuilder::leaf(const std::vector<TreeEntry>& entries, std::uint32_t depth) {
  TableStats& st = *layout_.stats;
  st.max_depth = std::max(st.max_depth, depth);
  st.max_leaf = std::max<std::uint32_t>(st.max_leaf, static_cast<std::uint32_t>(entries.size()));
  st.leaf_refs += entries.size();
  // a leaf holds copies of its records, so the scan reads no list of them;
  // leaves with the same records are stored once
  xb_node n{};
  n.word = XB_NODE_LEAF;
  n.arg = static_cast<std::uint16_t>(entries.size());
  if (entries.empty()) return n;
  std::vector<std::uint32_t> ids;
  ids.reserve(entries.size());
  for (const TreeEntry& e : entries) ids.push_back(e.record);
  auto [it, inserted] = layout_.leaf_ids.try_emplace(ids, static_cast<std::uint32_t>(layout_.leaves.size()));
  if (inserted) {
    layout_.leaf_blocks += ids.size();
    if (layout_.blocks() > layout_.block_budget) throw OverBudget{};
    layout_.leaves.push_back(std::move(ids));
  }
  n.index = it->second;
  return n;
}

xb_node CutTreeBuilder::node(std::vector<TreeEntry>& entries, const Region& region, std::uint32_t depth) {
  // build work in the steps this node costs: best_cut counts every entry
  // and every child for each field and cut size; prune compares pairs
  const std::uint64_t count = entries.size();
  layout_.work +=
      kDims * (kMaxCutBits * count + (2u << kMaxCutBits)) + (count <= kPairwisePruneMax ? count * count : 0);
  if (layout_.work > layout_.work_budget) throw OverBudget{};
  prune(entries, region, kPairwisePruneMax);
  Cut cut;
  // A small node is a leaf; so is one at the depth the BPF walk stops at.
  if (entries.size() <= XB_LEAF_MAX / 2 || depth == XB_MAX_DEPTH ||
      !best_cut(entries, region, layout_.narrowing_cuts && entries.size() > XB_LEAF_MAX, cut)) {
    prune(entries, region, entries.size());
    // a port rule without a protocol is one entry for TCP and one for UDP:
    // one record, listed once (they stay adjacent, as they were made)
    entries.erase(std::unique(entries.begin(), entries.end(),
                              [](const TreeEntry& a, const TreeEntry& b) { return a.record == b.record; }),
                  entries.end());
    if (entries.size() > XB_LEAF_MAX)
      fail(entries[XB_LEAF_MAX],
           fmt::format("{} rules overlap in one region that no cut on addresses, ports or protocol "
                       "separates, more than the {} one leaf holds (see bpf/README.md)",
                       entries.size(), XB_LEAF_MAX));
    return leaf(entries, depth);
  }

  const std::uint32_t children = 1u << cut.bits;
  const std::size_t first = layout_.node_slots.size();
  if (kFirstNodeSlot + first + children > std::uint64_t{XB_MAX_BLOCKS} * XB_NODES_PER_BLOCK)
    fail(entries.front(), fmt::format("the table outgrows its limit of {} blocks ({} MiB) here (see bpf/README.md)",
                                      XB_MAX_BLOCKS, std::uint64_t{XB_MAX_BLOCKS} * XB_BLOCK_SIZE >> 20));
  layout_.node_slots.resize(first + children);
  if (layout_.blocks() > layout_.block_budget) throw OverBudget{};
  layout_.stats->node_slots += children;

  const Region& from = cut.region;  // the node's region, common bits skipped
  const Range r = region_range(from, cut.dim);
  const std::uint32_t child_shift = width_[cut.dim] - from.fixed[cut.dim] - cut.bits;
  std::vector<std::vector<TreeEntry>> split(children);
  for (const TreeEntry& e : entries) {
    const Range c = intersect(e.box[cut.dim], r);
    const auto a = static_cast<std::uint32_t>((c.lo - r.lo) >> child_shift);
    const auto b = static_cast<std::uint32_t>((c.hi - r.lo) >> child_shift);
    for (std::uint32_t j = a; j <= b; ++j) split[j].push_back(e);
  }
  entries.clear();
  entries.shrink_to_fit();
  for (std::uint32_t j = 0; j < children; ++j) {
    Region child = from;
    child.fixed[cut.dim] += cut.bits;
    child.value[cut.dim] = (from.value[cut.dim] << cut.bits) | j;
    layout_.node_slots[first + j] = node(split[j], child, depth + 1);
    std::vector<TreeEntry>().swap(split[j]);
  }

  // where the BPF walk finds the cut bits: one key word, shifted and masked
  xb_node n{};
  const std::uint32_t fixed = from.fixed[cut.dim];
  switch (cut.dim) {
    case kSrc:
    case kDst:
      n.word = static_cast<std::uint8_t>((cut.dim == kSrc ? XB_KEY_SRC : XB_KEY_DST) + fixed / 32);
      n.shift = static_cast<std::uint8_t>(32 - fixed % 32 - cut.bits);
      break;
    case kSport:
    case kDport:
      n.word = cut.dim == kSport ? XB_KEY_SPORT : XB_KEY_DPORT;
      n.shift = static_cast<std::uint8_t>(16 - fixed - cut.bits);
      break;
    default:
      n.word = XB_KEY_PROTO;
      n.shift = static_cast<std::uint8_t>(width_[kProto] - fixed - cut.bits);
      break;
  }
  n.arg = static_cast<std::uint16_t>(children - 1);
  n.index = static_cast<std::uint32_t>(kFirstNodeSlot + first);
  return n;
}

}  // namespace xb::detail
