#include "rule_compiler.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <tuple>

#include "errors.hpp"

namespace xb {

std::string CompiledTable::key_bytes(const xb_bucket_key& key) {
  return std::string(reinterpret_cast<const char*>(&key), sizeof(key));
}

namespace {

struct Shape {
  std::uint8_t src_len, dst_len, flags;
  auto operator<=>(const Shape&) const = default;
};

std::string describe(Family f, const Shape& s) {
  return fmt::format("{} /{} -> /{}{}{}", f == Family::V4 ? "IPv4" : "IPv6", s.src_len, s.dst_len,
                     s.flags & XB_TUPLE_PROTO ? ", proto" : "", s.flags & XB_TUPLE_DPORT ? ", exact dport" : "");
}

class Compiler {
 public:
  CompiledTable run(const RuleSet& set) {
    table_.meta.rule_count = static_cast<std::uint32_t>(set.rules.size());
    table_.meta.default_action = static_cast<std::uint8_t>(set.default_action);
    table_.meta.non_ip_action = static_cast<std::uint8_t>(set.non_ip_action);
    table_.meta.malformed_action = static_cast<std::uint8_t>(set.malformed_action);
    for (std::uint32_t i = 0; i < set.rules.size(); ++i) add_rule(i, set.rules[i]);
    finish_tuples();
    return std::move(table_);
  }

 private:
  CompiledTable table_;
  // per family: shape -> index into table_.meta.tuples[family] (before sorting)
  std::map<Shape, std::uint32_t> shapes_[XB_FAMILIES];

  xb_tuple& tuple_for(std::uint32_t rule_index, const Rule& rule, Family f, const Shape& shape) {
    const auto fam = static_cast<std::size_t>(f);
    auto it = shapes_[fam].find(shape);
    if (it == shapes_[fam].end()) {
      const auto n = table_.meta.n_tuples[fam];
      if (n >= XB_MAX_TUPLES)
        throw RuleError(fmt::format(
            "{}: rule {} needs a {}th distinct rule shape for {} ({}); the filter searches at most "
            "{} shapes per family (see bpf/README.md)",
            rule.where.str(), rule_index, n + 1, f == Family::V4 ? "IPv4" : "IPv6", describe(f, shape), XB_MAX_TUPLES));
      xb_tuple& t = table_.meta.tuples[fam][n];
      t.src_len = shape.src_len;
      t.dst_len = shape.dst_len;
      t.flags = shape.flags;
      t.id = static_cast<std::uint8_t>(n);
      t.min_rule = rule_index;
      table_.meta.n_tuples[fam] = n + 1;
      it = shapes_[fam].emplace(shape, n).first;
    }
    return table_.meta.tuples[fam][it->second];
  }

  void add_rule(std::uint32_t index, const Rule& rule) {
    const std::vector<PortRange> any_port{PortRange{}};
    const auto& sports = rule.sport.empty() ? any_port : rule.sport;
    const auto& dports = rule.dport.empty() ? any_port : rule.dport;
    for (Family f : rule.families()) {
      for (const auto& dport : dports) {
        for (const auto& sport : sports) {
          const bool exact_dport = !rule.dport.empty() && dport.single();
          Shape shape{
              rule.src ? rule.src->len : std::uint8_t{0}, rule.dst ? rule.dst->len : std::uint8_t{0},
              static_cast<std::uint8_t>((rule.proto ? XB_TUPLE_PROTO : 0) | (exact_dport ? XB_TUPLE_DPORT : 0))};
          const xb_tuple& tuple = tuple_for(index, rule, f, shape);

          xb_bucket_key key{};
          key.kind = XB_KEY_BUCKET;
          key.tuple_id = tuple.id;
          key.family = static_cast<std::uint8_t>(f);
          key.proto = rule.proto.value_or(0);
          if (exact_dport) key.dport = htons(dport.lo);
          if (rule.src) std::memcpy(key.src, rule.src->addr.data(), 16);
          if (rule.dst) std::memcpy(key.dst, rule.dst->addr.data(), 16);

          xb_chain_entry e{};
          e.rule = index;
          e.action = static_cast<std::uint8_t>(rule.action);
          if (!rule.sport.empty()) {
            e.match |= XB_MATCH_SPORT;
            e.sport_lo = sport.lo;
            e.sport_hi = sport.hi;
          }
          if (!rule.dport.empty() && !exact_dport) {
            e.match |= XB_MATCH_DPORT;
            e.dport_lo = dport.lo;
            e.dport_hi = dport.hi;
          }
          if (rule.tcp_flags) {
            e.match |= XB_MATCH_TCP_FLAGS;
            e.tcp_flags_mask = rule.tcp_flags->mask;
            e.tcp_flags_value = rule.tcp_flags->value;
          }
          if (rule.icmp_type) {
            e.match |= XB_MATCH_ICMP_TYPE;
            e.icmp_type = *rule.icmp_type;
          }
          if (rule.icmp_code) {
            e.match |= XB_MATCH_ICMP_CODE;
            e.icmp_code = *rule.icmp_code;
          }
          add_entry(index, rule, key, e);
        }
      }
    }
  }

  void add_entry(std::uint32_t index, const Rule& rule, const xb_bucket_key& key, const xb_chain_entry& e) {
    xb_bucket& bucket = table_.buckets[CompiledTable::key_bytes(key)];
    if (bucket.count >= XB_CHAIN_LEN)
      throw RuleError(
          fmt::format("{}: rule {} is the {}th rule (after port-list expansion) with the same addresses, "
                      "protocol and destination port as rule {}; one bucket holds {} (see bpf/README.md)",
                      rule.where.str(), index, XB_CHAIN_LEN + 1, bucket.chain[0].rule, XB_CHAIN_LEN));
    bucket.chain[bucket.count++] = e;
  }

  // Sort each family's tuples by their lowest rule so the search can stop
  // early; ids stay as assigned, keys already carry them.
  void finish_tuples() {
    for (std::size_t fam = 0; fam < XB_FAMILIES; ++fam) {
      auto* begin = table_.meta.tuples[fam];
      std::sort(begin, begin + table_.meta.n_tuples[fam],
                [](const xb_tuple& a, const xb_tuple& b) { return a.min_rule < b.min_rule; });
    }
  }
};

}  // namespace

CompiledTable compile_rules(const RuleSet& rules) { return Compiler().run(rules); }

}  // namespace xb
