#include "synthetic_rules.hpp"

#include <fmt/format.h>

#include <bit>
#include <random>
#include <set>
#include <sstream>

#include "address_type.hpp"

namespace xb {
namespace {

// The benchmarking ranges (RFC 2544 198.18.0.0/15, RFC 5180 2001:2::/48)
// hold the addresses the rig's traffic uses; rules also draw from wider
// space so that 100k rules do not collide.
Prefix random_prefix(std::mt19937_64& rng, Family f, std::uint8_t len) {
  Prefix p;
  p.family = f;
  p.len = len;
  if (f == Family::V4) {
    std::uint32_t a = static_cast<std::uint32_t>(rng());
    if (len >= 16 && rng() % 2) a = (a & 0x0001ffffu) | 0xc6120000u;  // 198.18.0.0/15
    for (int i = 0; i < 4; ++i) p.addr[i] = static_cast<std::uint8_t>(a >> (24 - 8 * i));
  } else {
    for (auto& b : p.addr) b = static_cast<std::uint8_t>(rng());
    if (len >= 48 && rng() % 2) {  // 2001:2::/48
      const std::uint8_t bench[6] = {0x20, 0x01, 0x00, 0x02, 0x00, 0x00};
      std::copy(std::begin(bench), std::end(bench), p.addr.begin());
    }
  }
  const int bits = f == Family::V4 ? 32 : 128;
  for (int b = len; b < bits; ++b) p.addr[b / 8] &= static_cast<std::uint8_t>(~(0x80 >> (b % 8)));
  return p;
}

struct ShapeChoice {
  int src_len, dst_len;  // -1: no address
};

// A few shapes per family, as in real rule sets: host and subnet blocks,
// service rules on one destination, source-subnet rules.
const ShapeChoice kV4Shapes[] = {{-1, 32}, {-1, 24}, {24, -1}, {16, 32}, {32, 32}, {-1, 16}, {16, -1}};
const ShapeChoice kV6Shapes[] = {{-1, 128}, {-1, 64}, {48, -1}, {64, 128}, {-1, 48}};

}  // namespace

RuleSet synthetic_rules(const SyntheticRuleOptions& o) {
  std::mt19937_64 rng(o.seed);
  RuleSet set;
  set.source = fmt::format("<synthetic count={} seed={}>", o.count, o.seed);
  set.default_action = Action::Pass;
  std::set<std::string> used;  // no two rules alike in addresses, protocol and exact port
  for (std::uint32_t i = 0; i < o.count; ++i) {
    Rule r;
    r.name = fmt::format("r{}", i);
    r.where = SourceLocation{set.source, 0, 0};
    r.action = rng() % 3 ? Action::Drop : Action::Pass;
    const Family f = rng() % 4 ? Family::V4 : Family::V6;
    int src_len, dst_len;
    if (o.random_shapes) {
      const int bits = f == Family::V4 ? 32 : 128;
      src_len = rng() % 3 ? -1 : static_cast<int>(rng() % (bits + 1));
      dst_len = rng() % 4 ? static_cast<int>(rng() % (bits + 1)) : -1;
    } else if (f == Family::V4) {
      const auto& s = kV4Shapes[rng() % std::size(kV4Shapes)];
      src_len = s.src_len;
      dst_len = s.dst_len;
    } else {
      const auto& s = kV6Shapes[rng() % std::size(kV6Shapes)];
      src_len = s.src_len;
      dst_len = s.dst_len;
    }
    if (src_len >= 0) r.src = random_prefix(rng, f, static_cast<std::uint8_t>(src_len));
    if (dst_len >= 0) r.dst = random_prefix(rng, f, static_cast<std::uint8_t>(dst_len));
    if (!r.src && !r.dst) r.dst = random_prefix(rng, f, f == Family::V4 ? 32 : 128);

    switch (rng() % 8) {
      case 0:
      case 1:
      case 2:
        r.proto = XB_IPPROTO_TCP;
        if (rng() % 2)
          r.dport = {PortRange{static_cast<std::uint16_t>(rng()), 0}};
        else {
          const auto lo = static_cast<std::uint16_t>(rng() % 60000);
          r.dport = {PortRange{lo, static_cast<std::uint16_t>(lo + rng() % 1000)}};
        }
        if (rng() % 5 == 0) r.tcp_flags = TcpFlagsMatch{0x12, 0x02};  // syn,!ack
        if (rng() % 6 == 0) r.sport = {PortRange{1024, 65535}};
        break;
      case 3:
      case 4:
      case 5:
        r.proto = XB_IPPROTO_UDP;
        if (rng() % 3) r.dport = {PortRange{static_cast<std::uint16_t>(rng()), 0}};
        if (rng() % 4 == 0) r.sport = {PortRange{static_cast<std::uint16_t>(rng() % 1024), 0}};
        break;
      case 6:
        r.proto = f == Family::V4 ? XB_IPPROTO_ICMP : XB_IPPROTO_ICMPV6;
        if (rng() % 2) r.icmp_type = static_cast<std::uint8_t>(f == Family::V4 ? 8 : 128);
        if (o.random_shapes && rng() % 3 == 0) r.icmp_code = static_cast<std::uint8_t>(rng() % 3);
        break;
      default:
        break;  // any protocol
    }
    for (auto& p : r.dport)
      if (p.hi < p.lo) p.hi = p.lo;
    for (auto& p : r.sport)
      if (p.hi < p.lo) p.hi = p.lo;
    if (o.random_shapes) {
      // random rules may overlap and repeat: that is what they test
      set.rules.push_back(std::move(r));
      continue;
    }
    // addresses, protocol, and the destination port if exact
    const bool exact_dport = r.dport.size() == 1 && r.dport[0].single();
    const std::string key = fmt::format("{}|{}|{}|{}", r.src ? r.src->str() : "", r.dst ? r.dst->str() : "",
                                        r.proto.value_or(0), exact_dport ? r.dport[0].lo : -1);
    if (!used.insert(key).second) {
      --i;  // draw again: such twins would only lengthen a leaf
      continue;
    }
    set.rules.push_back(std::move(r));
  }
  return set;
}

// A TOML basic string: imported rule names (iptables comments) may hold
// quotes, backslashes and control characters.
static std::string toml_string(const std::string& s) {
  std::string out = "\"";
  for (const unsigned char c : s) {
    if (c == '"' || c == '\\')
      out += {'\\', static_cast<char>(c)};
    else if (c < 0x20 || c == 0x7f)
      out += fmt::format("\\u{:04X}", c);
    else
      out += static_cast<char>(c);
  }
  return out + "\"";
}

std::string to_toml(const RuleSet& rules) {
  std::ostringstream out;
  auto ports = [](const std::vector<PortRange>& list) {
    std::string s = list.size() > 1 ? "[" : "";
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (i) s += ", ";
      s += list[i].single() ? std::to_string(list[i].lo) : fmt::format("\"{}-{}\"", list[i].lo, list[i].hi);
    }
    return list.size() > 1 ? s + "]" : s;
  };
  out << "[defaults]\n"
      << "action = \"" << action_name(rules.default_action) << "\"\n"
      << "non-ip = \"" << action_name(rules.non_ip_action) << "\"\n"
      << "malformed = \"" << action_name(rules.malformed_action) << "\"\n";
  if (rules.short_header_rules) out << "short-header = \"rules\"\n";
  for (const auto& r : rules.rules) {
    out << "\n[[rule]]\n";
    if (!r.name.empty()) out << "name = " << toml_string(r.name) << "\n";
    out << "action = \"" << action_name(r.action) << "\"\n";
    if (r.src) out << "src = \"" << r.src->str() << "\"\n";
    if (r.dst) out << "dst = \"" << r.dst->str() << "\"\n";
    if (r.proto) out << "proto = \"" << proto_name(*r.proto) << "\"\n";
    if (!r.sport.empty()) out << "sport = " << ports(r.sport) << "\n";
    if (!r.dport.empty()) out << "dport = " << ports(r.dport) << "\n";
    if (r.tcp_flags) {
      static const char* names[] = {"fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr"};
      std::string flags;
      for (int b = 0; b < 8; ++b) {
        if (!(r.tcp_flags->mask & (1 << b))) continue;
        if (!flags.empty()) flags += ",";
        flags += (r.tcp_flags->value & (1 << b)) ? names[b] : std::string("!") + names[b];
      }
      out << "tcp-flags = \"" << flags << "\"\n";
    }
    if (r.icmp_type) out << "icmp-type = " << int(*r.icmp_type) << "\n";
    if (r.icmp_code) out << "icmp-code = " << int(*r.icmp_code) << "\n";
    if (r.l4_header != L4Header::Whole) out << "l4-header = \"" << l4_header_name(r.l4_header) << "\"\n";
    if (!r.ttl.any()) {
      if (r.ttl.lo == r.ttl.hi)
        out << "ttl = " << int{r.ttl.lo} << "\n";
      else
        out << "ttl = \"" << int{r.ttl.lo} << "-" << int{r.ttl.hi} << "\"\n";
    }
    for (const auto& [key, matches] : {std::pair{"iif", &r.iif}, std::pair{"oif", &r.oif}}) {
      if (matches->empty()) continue;
      out << key << " = ";
      if (matches->size() == 1) {
        out << '"' << matches->front().str() << "\"\n";
        continue;
      }
      const char* sep = "[";
      for (const auto& m : *matches) {
        out << sep << '"' << m.str() << '"';
        sep = ", ";
      }
      out << "]\n";
    }
    if (r.ct_states) {
      out << "ct-state = [";
      const char* sep = "";
      for (const auto& [name, bit] : kCtStateNames)
        if (r.ct_states & bit) {
          out << sep << '"' << name << '"';
          sep = ", ";
        }
      out << "]\n";
    }
    if (r.rt_type0) out << "rt-type = " << (*r.rt_type0 ? "0" : "\"!0\"") << "\n";
    for (const auto& [key, types] : {std::pair{"src-type", r.src_types}, std::pair{"dst-type", r.dst_types}}) {
      if (!types) continue;
      // all types but one: as the parser reads "!TYPE"
      if (const auto others = static_cast<std::uint16_t>(kAllAddressTypes & ~types); std::popcount(others) == 1) {
        out << key << " = \"!" << address_types_text(others) << "\"\n";
        continue;
      }
      out << key << " = [";
      const char* sep = "";
      for (const auto& [name, type] : kAddressTypeNames)
        if ((types >> type) & 1) {
          out << sep << '"' << name << '"';
          sep = ", ";
        }
      out << "]\n";
    }
  }
  return out.str();
}

}  // namespace xb
