#include "rule_compiler.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "address_type.hpp"
#include "cut_tree.hpp"
#include "errors.hpp"

namespace xb {

static_assert(sizeof(xb_block) == XB_BLOCK_SIZE);
static_assert(sizeof(xb_meta) == XB_BLOCK_SIZE && sizeof(xb_rule_record) == XB_BLOCK_SIZE);

namespace {

using detail::Range;
using detail::TreeEntry;
using detail::u128;

std::uint32_t be32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 |
         static_cast<std::uint32_t>(p[2]) << 8 | p[3];
}

// A prefix as a range of the family's address space.
Range prefix_range(const std::optional<Prefix>& p, std::uint32_t width) {
  u128 value = 0;
  std::uint32_t len = 0;
  if (p) {
    for (std::uint32_t i = 0; i < width / 8; ++i) value = value << 8 | p->addr[i];
    len = p->len;
  }
  const std::uint32_t host_bits = width - len;
  const u128 host = host_bits == 128 ? ~u128{0} : (u128{1} << host_bits) - 1;
  return {value, value | host};
}

// A prefix as the record's four masked words and the prefix bits of each.
void address_words(const std::optional<Prefix>& p, __u32 (&words)[4], __u8 (&bits)[4]) {
  if (!p) return;
  for (int w = 0; w < 4; ++w) {
    words[w] = be32(p->addr.data() + 4 * static_cast<std::size_t>(w));
    bits[w] = static_cast<__u8>(std::clamp(p->len - 32 * w, 0, 32));
  }
}

// Which tree a record goes to, by which of its addresses are specific (at
// least half the address long): EffiCuts' and CutSplit's insight that
// cutting specific and broad fields in one tree replicates the broad rules
// into every child. Rules broad in both addresses are cut on ports and
// protocol.
int tree_category(const std::optional<Prefix>& src, const std::optional<Prefix>& dst, Family f) {
  const std::uint32_t half = f == Family::V4 ? 16 : 64;
  const bool src_small = src && src->len >= half;
  const bool dst_small = dst && dst->len >= half;
  return (src_small ? 0 : 2) + (dst_small ? 0 : 1);
}

// A rule's address on one side, for one family: its prefix, or where its
// address types were decided (address_type.hpp), that prefix narrowed to
// each of the prefixes that have the types (none: no packet of the family).
std::vector<std::optional<Prefix>> addresses_of(const std::optional<Prefix>& prefix,
                                                const std::optional<std::vector<Prefix>>& within, Family f) {
  if (!within) return {prefix};
  std::vector<std::optional<Prefix>> out;
  for (const Prefix& w : *within) {
    if (w.family != f) continue;
    if (!prefix || prefix_covers(*prefix, w))
      out.emplace_back(w);
    else if (prefix_covers(w, *prefix))
      out.emplace_back(prefix);
  }
  return out;
}

// Two trees become one where the merged tree takes at most this many times
// the blocks (and the build work) of the two (Compiler::merge_trees).
constexpr std::uint64_t kMergeSpaceFactor = 2;

class Compiler {
 public:
  explicit Compiler(const RuleSet& set) : set_(set) { layout_.stats = &table_.stats; }

  CompiledTable run() {
    const auto start = std::chrono::steady_clock::now();
    if (set_.rules.size() > XB_MAX_RULES)
      throw RuleError(fmt::format("{}: {} rules; the filter counts at most {} (see bpf/README.md)", set_.source,
                                  set_.rules.size(), XB_MAX_RULES));
    xb_meta metas[XB_FAMILIES] = {};
    for (Family f : {Family::V4, Family::V6}) build_family(f, metas[static_cast<int>(f)]);
    lay_out(metas);
    table_.stats.build_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    return std::move(table_);
  }

 private:
  const RuleSet& set_;
  CompiledTable table_;
  detail::TableLayout layout_;

  // A rule's records, each into its tree (tree_category): one per address
  // pair its address types were decided to, port pair and TTL block.
  void add_rule(std::uint32_t index, const Rule& rule, Family f, std::vector<TreeEntry> (&by_category)[4]) {
    // an interface match or address type is decided at attach
    // (interface_match.hpp, address_type.hpp); undecided or failed, no packet
    if (rule.never_matches || names_interfaces(rule) || names_address_types(rule)) return;
    for (const auto& src : addresses_of(rule.src, rule.src_within, f))
      for (const auto& dst : addresses_of(rule.dst, rule.dst_within, f))
        add_records(index, rule, src, dst, f, by_category[tree_category(src, dst, f)]);
  }

  void add_records(std::uint32_t index, const Rule& rule, const std::optional<Prefix>& src,
                   const std::optional<Prefix>& dst, Family f, std::vector<TreeEntry>& out) {
    const auto width = detail::dim_widths(f);
    const std::vector<PortRange> any_port{PortRange{}};
    const auto& sports = rule.sport.empty() ? any_port : rule.sport;
    const auto& dports = rule.dport.empty() ? any_port : rule.dport;
    const bool has_ports = !rule.sport.empty() || !rule.dport.empty();
    const bool has_icmp = rule.icmp_type || rule.icmp_code;
    if (has_ports && has_icmp) return;  // needs a TCP/UDP and an ICMP header: matches nothing
    for (const auto& dport : dports) {
      for (const auto& sport : sports) {
        for (const auto& ttl : ttl_blocks(rule.ttl)) {
          TreeEntry e;
          e.rule = index;
          e.record = static_cast<std::uint32_t>(layout_.records.size());
          layout_.records.push_back(record(index, rule, src, dst, sport, dport, ttl));
          e.box[detail::kSrc] = prefix_range(src, width[detail::kSrc]);
          e.box[detail::kDst] = prefix_range(dst, width[detail::kDst]);
          // the key's port words carry the ICMP type and code of ICMP packets
          if (has_icmp) {
            e.box[detail::kSport] = rule.icmp_type ? Range{*rule.icmp_type, *rule.icmp_type} : Range{0, 0xffff};
            e.box[detail::kDport] = rule.icmp_code ? Range{*rule.icmp_code, *rule.icmp_code} : Range{0, 0xffff};
          } else {
            e.box[detail::kSport] = Range{sport.lo, sport.hi};
            e.box[detail::kDport] = Range{dport.lo, dport.hi};
          }
          // with the header bits in the key, only TCP flags, TTL,
          // connection states and the routing header are left outside
          // the box: every other rule matches exactly the packets in its box
          e.exact = !rule.tcp_flags && !rule.ct_states && rule.ttl.any() && !rule.rt_type0;
          for (const Range& proto : proto_boxes(rule)) {
            e.box[detail::kProto] = proto;
            out.push_back(e);
          }
        }
      }
    }
  }

  // The key's protocol word is protocol << XB_L4_BITS | what was read of
  // its header (XB_L4_*); a rule needs of it which headers its fields are
  // read from (Rule::l4_header).
  static L4Need l4_need(const Rule& rule) {
    return xb::l4_need(rule.l4_header, !rule.sport.empty() || !rule.dport.empty(), rule.tcp_flags.has_value(),
                       rule.icmp_type || rule.icmp_code);
  }

  // The rule's boxes on the protocol word: per protocol it can match, the
  // runs of the header values (XB_L4_*) it takes. Values the parser never
  // gives may join two runs into one box; no box holds a value it gives and
  // the rule does not take. A port rule with no protocol is TCP's and UDP's
  // boxes (only they carry ports): one record, listed once per leaf.
  static std::vector<Range> proto_boxes(const Rule& rule) {
    constexpr std::uint32_t kValues = 1u << XB_L4_BITS;
    const L4Need need = l4_need(rule);
    const bool ports = !rule.sport.empty() || !rule.dport.empty();
    if (!rule.proto && !ports && need.mask == 0) return {Range{0, (u128{0x100} << XB_L4_BITS) - 1}};
    std::vector<std::uint8_t> protos;
    if (rule.proto)
      protos = {*rule.proto};
    else
      protos = {XB_IPPROTO_TCP, XB_IPPROTO_UDP};
    std::vector<Range> out;
    for (const std::uint8_t p : protos) {
      const u128 base = u128{p} << XB_L4_BITS;
      std::optional<Range> run;
      std::uint32_t last_taken = 0;
      for (std::uint32_t v = 0; v < kValues; ++v) {
        const bool given = std::find(std::begin(kL4Values), std::end(kL4Values), v) != std::end(kL4Values);
        if (!given) continue;
        if ((v & need.mask) == need.value) {
          if (!run) run = Range{base | v, base | v};
          last_taken = v;
        } else if (run) {
          run->hi = base | last_taken;
          out.push_back(*run);
          run.reset();
        }
      }
      if (run) {
        run->hi = need.mask == 0 ? base | (kValues - 1) : base | last_taken;
        out.push_back(*run);
      }
    }
    return out;
  }

  // A TTL range as the fewest aligned blocks (mask, value) that cover it
  // exactly; 0-255 is one block that matches every TTL.
  struct TtlBlock {
    std::uint8_t mask = 0, value = 0;
  };
  static std::vector<TtlBlock> ttl_blocks(const TtlRange& r) {
    std::vector<TtlBlock> out;
    for (unsigned lo = r.lo; lo <= r.hi;) {
      unsigned size = 1;  // the largest aligned block at lo within the range
      while (size < 256 && lo % (size * 2) == 0 && lo + size * 2 - 1 <= r.hi) size *= 2;
      out.push_back({static_cast<std::uint8_t>(~(size - 1) & 0xff), static_cast<std::uint8_t>(lo)});
      lo += size;
    }
    return out;
  }

  static xb_rule_record record(std::uint32_t index, const Rule& rule, const std::optional<Prefix>& src,
                               const std::optional<Prefix>& dst, const PortRange& sport, const PortRange& dport,
                               const TtlBlock& ttl) {
    xb_rule_record r{};
    r.rule = index;
    r.action = static_cast<__u8>(rule.action);
    address_words(src, r.src, r.src_bits);
    address_words(dst, r.dst, r.dst_bits);
    // the key's port words: ports, or an ICMP packet's type and code
    auto port_word = [&r](int word, std::uint16_t lo, std::uint16_t hi) {
      r.port_lo[word] = lo;
      r.port_span[word] = static_cast<__u16>(hi - lo);
    };
    port_word(0, 0, 0xffff);
    port_word(1, 0, 0xffff);
    if (!rule.sport.empty()) port_word(0, sport.lo, sport.hi);
    if (!rule.dport.empty()) port_word(1, dport.lo, dport.hi);
    if (rule.icmp_type) port_word(0, *rule.icmp_type, *rule.icmp_type);
    if (rule.icmp_code) port_word(1, *rule.icmp_code, *rule.icmp_code);
    // the protocol word, proto << XB_L4_BITS | what was read of its header:
    // ports and TCP flags need the TCP/UDP header (not a later fragment),
    // ICMP type and code the ICMP header (l4_need)
    if (rule.proto) {
      r.proto_mask = 0xff << XB_L4_BITS;
      r.proto_value = static_cast<__u16>(*rule.proto << XB_L4_BITS);
    }
    const L4Need need = l4_need(rule);
    r.proto_mask |= need.mask;
    r.proto_value |= need.value;
    // the routing header's bits lie above those the trees cut: the record
    // alone checks them
    if (rule.rt_type0) {
      r.proto_mask |= XB_KEY_RH_SEEN | XB_KEY_RH_TYPE0;
      r.proto_value |= static_cast<__u16>(XB_KEY_RH_SEEN | (*rule.rt_type0 ? XB_KEY_RH_TYPE0 : 0));
    }
    if (rule.tcp_flags) {
      r.flags_ttl_mask = rule.tcp_flags->mask;
      r.flags_ttl_value = rule.tcp_flags->value;
    }
    r.ct_states = rule.ct_states;
    r.flags_ttl_mask |= static_cast<__u16>(ttl.mask << 8);
    r.flags_ttl_value |= static_cast<__u16>(ttl.value << 8);
    return r;
  }

  // One tree, built on its own layout: trees are tried, merged and kept
  // before the table is laid out (merge_trees), then appended to it.
  struct Tree {
    std::vector<TreeEntry> entries;  // sorted by rule, for merging
    detail::TableLayout layout;
    TableStats stats;
    xb_node root{};
  };

  // Builds a tree of these entries. Unlimited, it may take the whole table
  // (past that, or where a leaf overflows, the error names a rule); within
  // a budget (blocks, build work), a tree that outgrows it or overflows is
  // nothing.
  std::unique_ptr<Tree> build_tree(Family f, std::vector<TreeEntry> entries, bool limited = false,
                                   std::uint64_t block_budget = 0, std::uint64_t work_budget = 0,
                                   std::uint64_t* work_done = nullptr) const {
    auto t = std::make_unique<Tree>();
    t->entries = std::move(entries);
    t->layout.stats = &t->stats;
    t->layout.block_budget = limited ? block_budget : XB_MAX_BLOCKS - XB_FAMILIES;
    if (limited) t->layout.work_budget = work_budget;
    t->layout.narrowing_cuts = !limited;
    struct CountWork {
      const detail::TableLayout& layout;
      std::uint64_t* done;
      ~CountWork() {
        if (done) *done = layout.work;
      }
    } count{t->layout, work_done};
    try {
      t->root = detail::CutTreeBuilder(f, t->layout, set_).build(t->entries);
    } catch (const detail::OverBudget&) {
      if (!limited) throw_outgrown(t->entries.front().rule);
      return nullptr;
    } catch (const RuleError&) {
      if (!limited) throw;
      return nullptr;
    }
    return t;
  }

  [[noreturn]] void throw_outgrown(std::uint32_t rule) const {
    throw RuleError(fmt::format(
        "{}: rule {}: the table outgrows its limit of {} blocks ({} MiB) with this rule's tree (see bpf/README.md)",
        set_.rules[rule].where.str(), rule, XB_MAX_BLOCKS, std::uint64_t{XB_MAX_BLOCKS} * XB_BLOCK_SIZE >> 20));
  }

  // A packet no rule aims at walks every tree of its family, so fewer trees
  // are faster: two trees become one where the merged tree builds within
  // kMergeSpaceFactor times the blocks and the build work of the two
  // (replication is what the partition saves; a small set can afford some
  // of it). Greedy: the smallest merged tree first, until no pair fits.
  void merge_trees(Family f, std::vector<std::unique_ptr<Tree>>& trees) const {
    // all the trials together take at most kMergeSpaceFactor times the
    // partition's own build work (counted in steps; on the clock, the
    // synthetic 10k set's build went from 149 to ~600 ms, bpf/README.md)
    std::uint64_t left = 0;
    for (const auto& t : trees) left += kMergeSpaceFactor * t->layout.work;
    auto by_rule = [](const TreeEntry& a, const TreeEntry& b) { return a.rule < b.rule; };
    while (trees.size() > 1) {
      std::size_t best_i = 0, best_j = 0;
      std::unique_ptr<Tree> best;
      for (std::size_t i = 0; i < trees.size(); ++i)
        for (std::size_t j = i + 1; j < trees.size(); ++j) {
          const Tree &a = *trees[i], &b = *trees[j];
          std::vector<TreeEntry> merged;
          std::merge(a.entries.begin(), a.entries.end(), b.entries.begin(), b.entries.end(), std::back_inserter(merged),
                     by_rule);
          std::uint64_t blocks = kMergeSpaceFactor * (a.layout.blocks() + b.layout.blocks());
          if (best) blocks = std::min(blocks, best->layout.blocks() - 1);
          std::uint64_t done = 0;
          auto c = build_tree(f, std::move(merged), true, blocks,
                              std::min(left, kMergeSpaceFactor * (a.layout.work + b.layout.work)), &done);
          left -= std::min(left, done);
          if (!c) continue;
          best = std::move(c);
          best_i = i;
          best_j = j;
        }
      if (!best) return;
      trees[best_i] = std::move(best);
      trees.erase(trees.begin() + static_cast<std::ptrdiff_t>(best_j));
    }
  }

  // Moves a tree's nodes and leaves into the table; returns its root there.
  xb_node append(Tree& t) {
    const auto node_base = static_cast<std::uint32_t>(layout_.node_slots.size());
    const auto leaf_base = static_cast<std::uint32_t>(layout_.leaves.size());
    auto relocate = [&](xb_node n) {
      if (n.word != XB_NODE_LEAF)
        n.index += node_base;
      else if (n.arg != 0)
        n.index += leaf_base;
      return n;
    };
    for (const xb_node& n : t.layout.node_slots) layout_.node_slots.push_back(relocate(n));
    for (auto& leaf : t.layout.leaves) layout_.leaves.push_back(std::move(leaf));
    layout_.leaf_blocks += t.layout.leaf_blocks;
    TableStats& st = table_.stats;
    st.node_slots += t.stats.node_slots;
    st.leaf_refs += t.stats.leaf_refs;
    st.max_depth = std::max(st.max_depth, t.stats.max_depth);
    st.max_leaf = std::max(st.max_leaf, t.stats.max_leaf);
    if (XB_FAMILIES + layout_.blocks() > XB_MAX_BLOCKS) throw_outgrown(t.entries.front().rule);
    return relocate(t.root);
  }

  void build_family(Family f, xb_meta& meta) {
    std::vector<TreeEntry> by_category[4];
    for (std::uint32_t i = 0; i < set_.rules.size(); ++i) {
      const Rule& rule = set_.rules[i];
      const auto fams = rule.families();
      if (std::find(fams.begin(), fams.end(), f) == fams.end()) continue;
      add_rule(i, rule, f, by_category);
    }
    std::vector<std::unique_ptr<Tree>> trees;
    for (auto& entries : by_category)
      if (!entries.empty()) trees.push_back(build_tree(f, std::move(entries)));
    merge_trees(f, trees);
    std::vector<xb_tree_root> roots;
    roots.reserve(trees.size());
    for (auto& t : trees) roots.push_back(xb_tree_root{append(*t), t->entries.front().rule});
    std::sort(roots.begin(), roots.end(), [](const auto& a, const auto& b) { return a.min_rule < b.min_rule; });
    meta.n_trees = static_cast<__u8>(roots.size());
    std::copy(roots.begin(), roots.end(), meta.trees);
    table_.stats.trees[static_cast<int>(f)] = meta.n_trees;
  }

  // Blocks: the two metadata blocks, the node slots (8 a block), then each
  // leaf's records in consecutive blocks. Leaf ids become block indices here.
  void lay_out(xb_meta (&metas)[XB_FAMILIES]) {
    const std::size_t slots = detail::kFirstNodeSlot + layout_.node_slots.size();
    const std::size_t node_end = (slots + XB_NODES_PER_BLOCK - 1) / XB_NODES_PER_BLOCK;
    const std::size_t total = node_end + layout_.leaf_blocks;
    if (total > XB_MAX_BLOCKS)
      throw RuleError(fmt::format("{}: the compiled table needs {} blocks ({} MiB), over its limit of {} ({} MiB)",
                                  set_.source, total, total * XB_BLOCK_SIZE >> 20, XB_MAX_BLOCKS,
                                  std::uint64_t{XB_MAX_BLOCKS} * XB_BLOCK_SIZE >> 20));
    std::vector<std::uint32_t> leaf_block(layout_.leaves.size());
    auto& blocks = table_.blocks;
    blocks.assign(total, xb_block{});
    std::size_t next = node_end;
    for (std::size_t l = 0; l < layout_.leaves.size(); ++l) {
      leaf_block[l] = static_cast<std::uint32_t>(next);
      for (const std::uint32_t record : layout_.leaves[l]) blocks[next++].record = layout_.records[record];
    }
    auto fix = [&](xb_node& n) {
      if (n.word == XB_NODE_LEAF) n.index = n.arg == 0 ? 0 : leaf_block[n.index];
    };
    for (auto& meta : metas)
      for (std::uint32_t t = 0; t < meta.n_trees; ++t) fix(meta.trees[t].root);
    for (auto& n : layout_.node_slots) fix(n);

    for (int f = 0; f < XB_FAMILIES; ++f) {
      xb_meta& m = metas[f];
      m.rule_count = static_cast<__u32>(set_.rules.size());
      m.default_action = static_cast<__u8>(set_.default_action);
      m.non_ip_action = static_cast<__u8>(set_.non_ip_action);
      m.malformed_action = static_cast<__u8>(set_.malformed_action);
      m.short_l4 = set_.short_header_rules ? 1 : 0;
      m.ct_lookup = std::any_of(set_.rules.begin(), set_.rules.end(), [](const Rule& r) { return r.ct_states != 0; });
      blocks[static_cast<std::size_t>(f)].meta = m;
    }
    for (std::size_t s = 0; s < layout_.node_slots.size(); ++s) {
      const std::size_t slot = detail::kFirstNodeSlot + s;
      blocks[slot / XB_NODES_PER_BLOCK].nodes[slot % XB_NODES_PER_BLOCK] = layout_.node_slots[s];
    }
    table_.stats.records = static_cast<std::uint32_t>(layout_.records.size());
    table_.stats.leaves = static_cast<std::uint32_t>(layout_.leaves.size());
  }
};

}  // namespace

namespace {

std::mutex compilations_mutex;
std::map<std::string, std::size_t>& compilations() {
  static std::map<std::string, std::size_t> by_source;
  return by_source;
}

}  // namespace

CompiledTable compile_rules(const RuleSet& rules) {
  {
    const std::lock_guard lock(compilations_mutex);
    ++compilations()[rules.source];
  }
  return Compiler(rules).run();
}

std::size_t compilations_of(const std::string& source) {
  const std::lock_guard lock(compilations_mutex);
  const auto it = compilations().find(source);
  return it == compilations().end() ? 0 : it->second;
}

CompiledRuleSet::CompiledRuleSet(RuleSet rules) {
  CompiledTable table = compile_rules(rules);
  data_ = std::make_shared<const Data>(Data{std::move(rules), std::move(table)});
}

const Rule* CompiledRuleSet::first_stateful_rule() const {
  for (const Rule& r : data_->rules.rules)
    if (r.ct_states) return &r;
  return nullptr;
}

}  // namespace xb
