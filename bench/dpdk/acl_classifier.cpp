#include "acl_classifier.hpp"

#include <rte_acl.h>
#include <rte_lcore.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace xb::dpdk {
namespace {

// What rte_acl compares, built from the packet (multi-byte fields in network
// byte order, as rte_acl reads its input). rte_acl takes the first byte
// alone, then groups of four consecutive bytes, one per input index.
struct Key4 {
  std::uint8_t proto;                                      // index 0
  std::uint8_t fragment, tcp_flags, icmp_type, icmp_code;  // index 1
  std::uint8_t src[4];                                     // index 2
  std::uint8_t dst[4];                                     // index 3
  std::uint8_t sport[2], dport[2];                         // index 4
};
struct Key6 {
  std::uint8_t proto;                                      // index 0
  std::uint8_t fragment, tcp_flags, icmp_type, icmp_code;  // index 1
  std::uint8_t src[16];                                    // indexes 2-5
  std::uint8_t dst[16];                                    // indexes 6-9
  std::uint8_t sport[2], dport[2];                         // index 10
};

enum Field { kProto, kFragment, kTcpFlags, kIcmpType, kIcmpCode, kFirstAddr };

rte_acl_field_def def(std::uint8_t type, std::uint8_t size, std::uint8_t field, std::uint8_t input,
                      std::uint32_t offset) {
  return {type, size, field, input, offset};
}

template <class Key>
rte_acl_config config_for(int addr_words) {
  rte_acl_config cfg{};
  cfg.num_categories = 1;
  std::uint8_t n = 0, input = 0;
  cfg.defs[n] = def(RTE_ACL_FIELD_TYPE_BITMASK, 1, n, input, offsetof(Key, proto)), ++n;
  ++input;
  for (std::uint32_t off = 1; off <= 4; ++off) cfg.defs[n] = def(RTE_ACL_FIELD_TYPE_BITMASK, 1, n, input, off), ++n;
  for (int side = 0; side < 2; ++side)
    for (int w = 0; w < addr_words; ++w) {
      // offsets within a key of a few dozen bytes
      const auto off =
          static_cast<std::uint32_t>((side ? offsetof(Key, dst) : offsetof(Key, src)) + 4u * std::size_t(w));
      cfg.defs[n] = def(RTE_ACL_FIELD_TYPE_MASK, 4, n, ++input, off), ++n;
    }
  ++input;
  cfg.defs[n] = def(RTE_ACL_FIELD_TYPE_RANGE, 2, n, input, offsetof(Key, sport)), ++n;
  cfg.defs[n] = def(RTE_ACL_FIELD_TYPE_RANGE, 2, n, input, offsetof(Key, dport)), ++n;
  cfg.num_fields = n;
  return cfg;
}

constexpr int kMaxFields = 5 + 8 + 2;
RTE_ACL_RULE_DEF(AclRule, kMaxFields);

void set_prefix(AclRule& r, int first_field, int words, const std::optional<Prefix>& p) {
  for (int w = 0; w < words; ++w) {
    auto& f = r.field[first_field + w];
    if (!p) {
      f.value.u32 = 0;
      f.mask_range.u32 = 0;
      continue;
    }
    const int bits = std::clamp(p->len - 32 * w, 0, 32);
    const auto at = 4 * static_cast<std::size_t>(w);
    f.value.u32 =
        static_cast<std::uint32_t>(p->addr[at] << 24 | p->addr[at + 1] << 16 | p->addr[at + 2] << 8 | p->addr[at + 3]);
    f.mask_range.u32 = static_cast<std::uint32_t>(bits);
  }
}

rte_acl_ctx* build(const RuleSet& set, Family family, const char* name) {
  const int words = family == Family::V4 ? 1 : 4;
  std::vector<AclRule> out;
  const std::vector<PortRange> any = {PortRange{}};
  for (std::uint32_t i = 0; i < set.rules.size(); ++i) {
    const Rule& r = set.rules[i];
    const auto fams = r.families();
    if (std::find(fams.begin(), fams.end(), family) == fams.end()) continue;
    // headers cut short are malformed to this application (fill_l4), so
    // the rules that take only them (iptables' hotdrop) never match here
    if (r.l4_header == L4Header::Short || r.l4_header == L4Header::Tiny) continue;
    std::vector<std::uint8_t> protos;
    if (r.proto)
      protos = {*r.proto};
    else if (!r.sport.empty() || !r.dport.empty())
      protos = {XB_IPPROTO_TCP, XB_IPPROTO_UDP};
    else
      protos = {0};
    const bool needs_l4 = !r.sport.empty() || !r.dport.empty() || r.tcp_flags || r.icmp_type || r.icmp_code;
    for (const auto proto : protos)
      for (const auto& sp : r.sport.empty() ? any : r.sport)
        for (const auto& dp : r.dport.empty() ? any : r.dport) {
          AclRule a{};
          a.data.category_mask = 1;
          a.data.priority = static_cast<std::int32_t>(RTE_ACL_MAX_PRIORITY - i);  // first match wins
          a.data.userdata = i + 1;                                                // 0: no match
          a.field[kProto].value.u8 = proto;
          a.field[kProto].mask_range.u8 = r.proto || protos.size() > 1 ? 0xff : 0;
          a.field[kFragment].value.u8 = 0;  // the core gives fragments no transport fields
          a.field[kFragment].mask_range.u8 = needs_l4 ? 1 : 0;
          a.field[kTcpFlags].value.u8 = r.tcp_flags ? r.tcp_flags->value : 0;
          a.field[kTcpFlags].mask_range.u8 = r.tcp_flags ? r.tcp_flags->mask : 0;
          a.field[kIcmpType].value.u8 = r.icmp_type.value_or(0);
          a.field[kIcmpType].mask_range.u8 = r.icmp_type ? 0xff : 0;
          set_prefix(a, kFirstAddr, words, r.src);
          set_prefix(a, kFirstAddr + words, words, r.dst);
          a.field[kFirstAddr + 2 * words].value.u16 = sp.lo;
          a.field[kFirstAddr + 2 * words].mask_range.u16 = sp.hi;
          a.field[kFirstAddr + 2 * words + 1].value.u16 = dp.lo;
          a.field[kFirstAddr + 2 * words + 1].mask_range.u16 = dp.hi;
          a.field[kIcmpCode].value.u8 = r.icmp_code.value_or(0);
          a.field[kIcmpCode].mask_range.u8 = r.icmp_code ? 0xff : 0;
          out.push_back(a);
        }
  }
  rte_acl_param param{};
  param.name = name;
  param.socket_id = static_cast<int>(rte_socket_id());
  param.rule_size = sizeof(AclRule);  // the stride of the array handed over below
  param.max_rule_num = static_cast<std::uint32_t>(std::max<std::size_t>(out.size(), 1));  // sized by it: -m is small
  rte_acl_ctx* ctx = rte_acl_create(&param);
  if (!ctx) throw std::runtime_error(std::string("rte_acl_create ") + name);
  if (!out.empty() &&
      rte_acl_add_rules(ctx, reinterpret_cast<const rte_acl_rule*>(out.data()), static_cast<std::uint32_t>(out.size())))
    throw std::runtime_error(std::string("rte_acl_add_rules ") + name);
  const rte_acl_config cfg = family == Family::V4 ? config_for<Key4>(1) : config_for<Key6>(4);
  if (!out.empty() && rte_acl_build(ctx, &cfg)) throw std::runtime_error(std::string("rte_acl_build ") + name);
  return out.empty() ? (rte_acl_free(ctx), nullptr) : ctx;
}

// Transport fields at l4 (proto known), unless it is a fragment.
template <class Key>
bool fill_l4(Key& k, const std::uint8_t* p, std::uint32_t len, std::uint32_t l4) {
  if (k.fragment) return true;
  if (k.proto == XB_IPPROTO_TCP || k.proto == XB_IPPROTO_UDP) {
    if (len < l4 + (k.proto == XB_IPPROTO_TCP ? 20u : 8u)) return false;
    std::memcpy(k.sport, p + l4, 2);
    std::memcpy(k.dport, p + l4 + 2, 2);
    if (k.proto == XB_IPPROTO_TCP) k.tcp_flags = p[l4 + 13];
  } else if (k.proto == XB_IPPROTO_ICMP || k.proto == XB_IPPROTO_ICMPV6) {
    if (len < l4 + 4) return false;
    k.icmp_type = p[l4];
    k.icmp_code = p[l4 + 1];
  }
  return true;
}

}  // namespace

AclClassifier::AclClassifier(const RuleSet& rules) : rules_(rules) {
  v4_ = build(rules, Family::V4, "xb_acl_v4");
  v6_ = build(rules, Family::V6, "xb_acl_v6");
}

AclClassifier::~AclClassifier() {
  if (v4_) rte_acl_free(v4_);
  if (v6_) rte_acl_free(v6_);
}

Action AclClassifier::classify(const std::uint8_t* p, std::uint32_t len) const {
  if (len < 14) return rules_.malformed_action;
  const std::uint16_t type = static_cast<std::uint16_t>(p[12] << 8 | p[13]);
  std::uint32_t match = 0;
  if (type == 0x0800) {
    if (len < 34) return rules_.malformed_action;
    const std::uint32_t ihl = (p[14] & 0x0fu) * 4;
    if (ihl < 20 || len < 14 + ihl) return rules_.malformed_action;
    Key4 k{};
    k.proto = p[23];
    k.fragment = (p[20] & 0x3f) || p[21];  // more fragments, or an offset
    std::memcpy(k.src, p + 26, 4);
    std::memcpy(k.dst, p + 30, 4);
    if (!fill_l4(k, p, len, 14 + ihl)) return rules_.malformed_action;
    const std::uint8_t* data = reinterpret_cast<const std::uint8_t*>(&k);
    if (v4_) rte_acl_classify(v4_, &data, &match, 1, 1);
  } else if (type == 0x86dd) {
    if (len < 54) return rules_.malformed_action;
    Key6 k{};
    std::memcpy(k.src, p + 22, 16);
    std::memcpy(k.dst, p + 38, 16);
    std::uint8_t next = p[20];
    std::uint32_t off = 54;
    for (int n = 0; n < 8 && (next == 0 || next == 43 || next == 44 || next == 51 || next == 60); ++n) {
      if (len < off + 8) return rules_.malformed_action;
      if (next == 44) k.fragment = 1;
      const std::uint32_t hdr = next == 51 ? (p[off + 1] + 2u) * 4 : next == 44 ? 8u : (p[off + 1] + 1u) * 8;
      next = p[off];
      off += hdr;
    }
    k.proto = next;
    if (!fill_l4(k, p, len, off)) return rules_.malformed_action;
    const std::uint8_t* data = reinterpret_cast<const std::uint8_t*>(&k);
    if (v6_) rte_acl_classify(v6_, &data, &match, 1, 1);
  } else {
    return rules_.non_ip_action;
  }
  return match ? rules_.rules[match - 1].action : rules_.default_action;
}

}  // namespace xb::dpdk
