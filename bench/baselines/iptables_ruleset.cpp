#include "iptables_ruleset.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <sstream>
#include <stdexcept>

namespace xb::bench::baselines {
namespace {

std::string prefix(const Prefix& p) {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(p.family == Family::V4 ? AF_INET : AF_INET6, p.addr.data(), buf, sizeof(buf));
  return fmt::format("{}/{}", buf, p.len);
}

std::string port_range(const PortRange& r) {
  return r.single() ? std::to_string(r.lo) : fmt::format("{}:{}", r.lo, r.hi);
}

std::string proto_arg(std::uint8_t proto, Family f) {
  if (proto == XB_IPPROTO_TCP) return "tcp";
  if (proto == XB_IPPROTO_UDP) return "udp";
  if (proto == XB_IPPROTO_ICMP) return "icmp";
  if (proto == XB_IPPROTO_ICMPV6) return f == Family::V6 ? "ipv6-icmp" : "58";
  return std::to_string(proto);
}

std::string tcp_flag_names(std::uint8_t bits) {
  static const char* names[] = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};
  std::vector<std::string> out;
  for (int b = 0; b < 8; ++b)
    if (bits & (1u << b)) out.emplace_back(names[b]);
  return out.empty() ? "NONE" : fmt::format("{}", fmt::join(out, ","));
}

// multiport takes up to 15 ports, a range counting as two
bool fits_multiport(const std::vector<PortRange>& list) {
  std::size_t slots = 0;
  for (const auto& r : list) slots += r.single() ? 1 : 2;
  return list.size() > 1 && slots <= 15;
}

std::string multiport(const std::vector<PortRange>& list) {
  std::vector<std::string> items;
  items.reserve(list.size());
  for (const auto& r : list) items.push_back(port_range(r));
  return fmt::format("{}", fmt::join(items, ","));
}

// The lines of one plain rule for one family (several when port lists or
// the TCP-and-UDP of a protocol-less port rule spread it out).
std::vector<std::string> plain_lines(const Rule& r, Family f) {
  std::string addr;
  if (r.src) addr += " -s " + prefix(*r.src);
  if (r.dst) addr += " -d " + prefix(*r.dst);
  std::string tail;
  if (r.ct_states) {
    std::string states = ct_states_text(r.ct_states);
    for (auto& c : states) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    tail += " -m conntrack --ctstate " + states;
  }
  if (!r.ttl.any()) {
    const std::string m = f == Family::V4 ? " -m ttl --ttl-" : " -m hl --hl-";
    if (r.ttl.lo == r.ttl.hi)
      tail += fmt::format("{}eq {}", m, r.ttl.lo);
    else {
      if (r.ttl.lo > 0) tail += fmt::format("{}gt {}", m, r.ttl.lo - 1);
      if (r.ttl.hi < 255) tail += fmt::format("{}lt {}", m, r.ttl.hi + 1);
    }
  }
  if (r.tcp_flags)
    tail += fmt::format(" --tcp-flags {} {}", tcp_flag_names(r.tcp_flags->mask), tcp_flag_names(r.tcp_flags->value));
  if (r.icmp_code && !r.icmp_type)
    throw std::invalid_argument(
        fmt::format("rule {} ({}): an ICMP code without a type has no iptables form", r.name, r.where.str()));
  if (r.icmp_type) {
    const std::string type =
        r.icmp_code ? fmt::format("{}/{}", *r.icmp_type, *r.icmp_code) : std::to_string(*r.icmp_type);
    tail += f == Family::V4 ? " -m icmp --icmp-type " + type : " -m icmp6 --icmpv6-type " + type;
  }
  const std::string verdict = r.action == Action::Drop ? " -j DROP" : " -j ACCEPT";
  std::vector<std::uint8_t> protos;
  if (r.proto)
    protos = {*r.proto};
  else if (!r.sport.empty() || !r.dport.empty())
    protos = {XB_IPPROTO_TCP, XB_IPPROTO_UDP};
  if (protos.empty()) return {"-A PREROUTING" + addr + tail + verdict};
  std::vector<std::string> lines;
  const std::vector<PortRange> any = {PortRange{}};
  for (const auto proto : protos) {
    const std::string p = fmt::format(" -p {}", proto_arg(proto, f));
    const bool ports = proto == XB_IPPROTO_TCP || proto == XB_IPPROTO_UDP;
    const std::string l4 = ports ? fmt::format(" -m {}", proto_arg(proto, f)) : "";
    if (fits_multiport(r.dport) && r.sport.size() <= 1) {
      const std::string sport = r.sport.empty() ? "" : " --sport " + port_range(r.sport[0]);
      lines.push_back("-A PREROUTING" + addr + p + l4 + sport + " -m multiport --dports " + multiport(r.dport) + tail +
                      verdict);
      continue;
    }
    if (fits_multiport(r.sport) && r.dport.size() <= 1) {
      const std::string dport = r.dport.empty() ? "" : " --dport " + port_range(r.dport[0]);
      lines.push_back("-A PREROUTING" + addr + p + l4 + dport + " -m multiport --sports " + multiport(r.sport) + tail +
                      verdict);
      continue;
    }
    for (const auto& sp : r.sport.empty() ? any : r.sport)
      for (const auto& dp : r.dport.empty() ? any : r.dport) {
        std::string m = l4;
        if (!r.sport.empty()) m += " --sport " + port_range(sp);
        if (!r.dport.empty()) m += " --dport " + port_range(dp);
        lines.push_back("-A PREROUTING" + addr + p + m + tail + verdict);
      }
  }
  return lines;
}

// An ipset fits a group whose rules differ only in addresses and one
// TCP/UDP destination port: hash:net, hash:net,net, hash:net,port, hash:net,port,net.
struct SetKind {
  std::string type, match;
};

std::optional<SetKind> set_kind(const RuleGroup& g, const std::set<std::string>& available) {
  auto kind = [&](const char* type, const char* match) -> std::optional<SetKind> {
    if (!available.count(type)) return std::nullopt;
    return SetKind{type, match};
  };
  const RuleShape& s = g.shape;
  if (g.rules.size() < 2 || s.sport || s.tcp_flags || s.ct_states || !s.ttl.any() || s.icmp_type || s.icmp_code ||
      !(s.src || s.dst))
    return {};
  if (s.proto != s.dport) return {};  // a port needs its protocol, a protocol alone has no ipset key here
  for (const auto& e : g.elements) {
    if ((e.src && e.src->len == 0) || (e.dst && e.dst->len == 0)) return {};  // ipset nets start at /1
    if (s.dport && (!e.dport.single() || (e.proto != XB_IPPROTO_TCP && e.proto != XB_IPPROTO_UDP))) return {};
  }
  if (!s.dport) {
    if (s.src && s.dst) return kind("hash:net,net", "src,dst");
    return kind("hash:net", s.src ? "src" : "dst");
  }
  if (s.src && s.dst) return kind("hash:net,port,net", "src,dst,dst");
  return kind("hash:net,port", s.src ? "src,dst" : "dst,dst");
}

std::string set_element(const RuleShape& s, const ShapeElement& e) {
  std::vector<std::string> parts;
  if (s.src) parts.push_back(prefix(*e.src));
  if (s.dport) parts.push_back(fmt::format("{}:{}", e.proto == XB_IPPROTO_TCP ? "tcp" : "udp", e.dport.lo));
  if (s.dst) parts.push_back(prefix(*e.dst));
  if (!s.src && s.dport) std::swap(parts[0], parts[1]);  // hash:net,port is net first
  return fmt::format("{}", fmt::join(parts, ","));
}

}  // namespace

IptablesRuleset translate_to_iptables(const RuleSet& rules, const IptablesOptions& options) {
  const std::string& set_prefix = options.set_prefix;
  IptablesRuleset out;
  // raw PREROUTING runs before conntrack (-300 < -200): a conntrack match
  // there finds no entry and says INVALID, so stateful rules go to mangle
  if (std::any_of(rules.rules.begin(), rules.rules.end(), [](const Rule& r) { return r.ct_states != 0; }))
    out.table = "mangle";
  std::vector<std::string> v4 = {"*" + out.table, ":PREROUTING ACCEPT [0:0]"}, v6 = v4;
  const GroupPlan plan = plan_groups(rules);
  for (std::size_t g = 0; g < plan.groups.size(); ++g) {
    const RuleGroup& group = plan.groups[g];
    const std::size_t counted = out.counted.size();
    out.counted.push_back({fmt::format("g{}", g), group.shape.action, group.rules});
    const auto emit = [&](Family f, const std::string& line) {
      (f == Family::V4 ? v4 : v6).push_back(line);
      (f == Family::V4 ? out.v4_lines : out.v6_lines).push_back(counted);
    };
    if (const auto kind = set_kind(group, options.ipset_types)) {
      const Family f = *group.shape.family;
      const std::string name = fmt::format("{}-g{}", set_prefix, g);
      out.set_names.push_back(name);
      out.ipset += fmt::format("create {} {} family {} maxelem {}\n", name, kind->type,
                               f == Family::V4 ? "inet" : "inet6", std::max<std::size_t>(65536, group.elements.size()));
      for (const auto& e : group.elements) out.ipset += fmt::format("add {} {}\n", name, set_element(group.shape, e));
      emit(f, fmt::format("-A PREROUTING -m set --match-set {} {} -j {}", name, kind->match,
                          group.shape.action == Action::Drop ? "DROP" : "ACCEPT"));
      continue;
    }
    for (const auto i : group.rules)
      for (const auto f : rules.rules[i].families())
        for (const auto& line : plain_lines(rules.rules[i], f)) emit(f, line);
  }
  out.counted.push_back({"default", rules.default_action, {XB_RULE_DEFAULT}});
  const std::string fallthrough =
      rules.default_action == Action::Drop ? "-A PREROUTING -j DROP" : "-A PREROUTING -j ACCEPT";
  for (const auto f : {Family::V4, Family::V6}) {
    (f == Family::V4 ? v4 : v6).push_back(fallthrough);
    (f == Family::V4 ? out.v4_lines : out.v6_lines).push_back(out.counted.size() - 1);
  }
  v4.push_back("COMMIT");
  v6.push_back("COMMIT");
  out.v4 = fmt::format("{}\n", fmt::join(v4, "\n"));
  out.v6 = fmt::format("{}\n", fmt::join(v6, "\n"));
  return out;
}

std::vector<std::uint64_t> iptables_counters(const IptablesRuleset& ruleset, const std::string& v4_save,
                                             const std::string& v6_save) {
  std::vector<std::uint64_t> out(ruleset.counted.size(), 0);
  const auto add = [&](const std::string& save, const std::vector<std::size_t>& lines, const char* family) {
    std::istringstream in(save);
    std::size_t n = 0;
    for (std::string line; std::getline(in, line);) {
      // "[packets:bytes] -A PREROUTING ..."
      if (line.empty() || line[0] != '[' || line.find("] -A PREROUTING") == std::string::npos) continue;
      if (n >= lines.size()) break;
      out[lines[n++]] += std::stoull(line.substr(1, line.find(':') - 1));
    }
    if (n != lines.size())
      throw std::runtime_error(fmt::format("{}-save listed {} rules in {} PREROUTING, {} were loaded", family, n,
                                           ruleset.table, lines.size()));
  };
  add(v4_save, ruleset.v4_lines, "iptables");
  add(v6_save, ruleset.v6_lines, "ip6tables");
  return out;
}

}  // namespace xb::bench::baselines
