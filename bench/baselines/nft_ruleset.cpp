#include "nft_ruleset.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace xb::bench::baselines {
namespace {

std::string address(const Prefix& p) {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(p.family == Family::V4 ? AF_INET : AF_INET6, p.addr.data(), buf, sizeof(buf));
  const bool host = p.len == (p.family == Family::V4 ? 32 : 128);
  return host ? std::string(buf) : fmt::format("{}/{}", buf, p.len);
}

std::string ports(const PortRange& r) { return r.single() ? std::to_string(r.lo) : fmt::format("{}-{}", r.lo, r.hi); }

const char* ip_of(const RuleShape& s) { return s.family == Family::V6 ? "ip6" : "ip"; }

// The key's expressions and element types, in one order for both.
struct KeyPart {
  std::string expr, type;
};

std::vector<KeyPart> key_parts(const RuleShape& s) {
  const bool v6 = s.family == Family::V6;
  std::vector<KeyPart> parts;
  if (s.src) parts.push_back({fmt::format("{} saddr", ip_of(s)), v6 ? "ipv6_addr" : "ipv4_addr"});
  if (s.dst) parts.push_back({fmt::format("{} daddr", ip_of(s)), v6 ? "ipv6_addr" : "ipv4_addr"});
  if (s.proto) parts.push_back({"meta l4proto", "inet_proto"});
  if (s.sport) parts.push_back({"th sport", "inet_service"});
  if (s.dport) parts.push_back({"th dport", "inet_service"});
  return parts;
}

std::string element(const RuleShape& s, const ShapeElement& e) {
  std::vector<std::string> values;
  if (s.src) values.push_back(address(*e.src));
  if (s.dst) values.push_back(address(*e.dst));
  if (s.proto) values.push_back(std::to_string(e.proto));
  if (s.sport) values.push_back(ports(e.sport));
  if (s.dport) values.push_back(ports(e.dport));
  return fmt::format("{}", fmt::join(values, " . "));
}

// TCP flags, ICMP type/code, TTL and connection states: shared by the whole group, matched outside the set.
std::string shared_matches(const RuleShape& s) {
  std::string m;
  if (s.tcp_flags) m += fmt::format("tcp flags & 0x{:x} == 0x{:x} ", s.tcp_flags->mask, s.tcp_flags->value);
  const char* icmp = s.family == Family::V6 ? "icmpv6" : "icmp";
  if (s.icmp_type) m += fmt::format("{} type {} ", icmp, *s.icmp_type);
  if (s.icmp_code) m += fmt::format("{} code {} ", icmp, *s.icmp_code);
  if (s.ct_states) m += fmt::format("ct state {{ {} }} ", ct_states_text(s.ct_states));
  if (!s.ttl.any()) {
    // ip ttl restricts to IPv4, ip6 hoplimit to IPv6: a shape of both families has no one field
    if (!s.family) throw std::invalid_argument("a TTL / hop limit rule of both families has no one nft field");
    m += fmt::format("{} {}-{} ", s.family == Family::V6 ? "ip6 hoplimit" : "ip ttl", s.ttl.lo, s.ttl.hi);
  }
  return m;
}

const char* verdict(Action a) { return a == Action::Drop ? "drop" : "accept"; }

}  // namespace

NftRuleset translate_to_nft(const RuleSet& rules, NftHookPoint hook, const std::string& device,
                            const std::string& table_name, bool device_only) {
  // netdev ingress runs before conntrack: ct state there finds no entry
  if (hook == NftHookPoint::NetdevIngress)
    for (const Rule& r : rules.rules)
      if (r.ct_states)
        throw std::invalid_argument(
            fmt::format("rule {} ({}) names connection states, which netdev ingress runs before "
                        "conntrack knows: use nft-inet",
                        r.name, r.where.str()));
  NftRuleset out;
  out.table = fmt::format("{} {}", hook == NftHookPoint::NetdevIngress ? "netdev" : "inet", table_name);
  const GroupPlan plan = plan_groups(rules);
  std::string sets, chain;
  if (device_only && hook == NftHookPoint::InetPrerouting)
    chain += fmt::format("    iifname != \"{}\" accept\n", device);
  if (hook == NftHookPoint::NetdevIngress) {
    // the inet family never sees what is not IP; the netdev hook sees everything
    out.counted.push_back({"non-ip", rules.non_ip_action, {XB_RULE_NON_IP}});
    chain +=
        fmt::format("    meta protocol != {{ ip, ip6 }} counter {} comment \"non-ip\"\n", verdict(rules.non_ip_action));
  }
  for (std::size_t g = 0; g < plan.groups.size(); ++g) {
    const RuleGroup& group = plan.groups[g];
    const RuleShape& s = group.shape;
    const auto parts = key_parts(s);
    const std::string comment = fmt::format("g{}", g);
    out.counted.push_back({comment, s.action, group.rules});
    std::string match;
    if (parts.empty()) {
      // nothing to look up: protocol-less rules with only shared matches
    } else if (group.elements.size() == 1) {
      const ShapeElement& e = group.elements.front();
      if (s.src) match += fmt::format("{} saddr {} ", ip_of(s), address(*e.src));
      if (s.dst) match += fmt::format("{} daddr {} ", ip_of(s), address(*e.dst));
      if (s.proto) match += fmt::format("meta l4proto {} ", e.proto);
      if (s.sport) match += fmt::format("th sport {} ", ports(e.sport));
      if (s.dport) match += fmt::format("th dport {} ", ports(e.dport));
    } else {
      std::vector<std::string> exprs, types, elements;
      for (const auto& p : parts) {
        exprs.push_back(p.expr);
        types.push_back(p.type);
      }
      for (const auto& e : group.elements) elements.push_back(element(s, e));
      sets +=
          fmt::format("  set {} {{\n    type {};{}\n    elements = {{ {} }}\n  }}\n", comment, fmt::join(types, " . "),
                      group.ranges ? " flags interval;" : "", fmt::join(elements, ",\n      "));
      match += fmt::format("{} @{} ", fmt::join(exprs, " . "), comment);
    }
    // a family-specific shape with nothing family-specific in its key
    if (s.family && !s.src && !s.dst && !s.icmp_type && !s.icmp_code)
      match = (hook == NftHookPoint::NetdevIngress
                   ? fmt::format("meta protocol {} ", ip_of(s))
                   : fmt::format("meta nfproto {} ", s.family == Family::V6 ? "ipv6" : "ipv4")) +
              match;
    chain += fmt::format("    {}{}counter {} comment \"{}\"\n", match, shared_matches(s), verdict(s.action), comment);
  }
  out.counted.push_back({"default", rules.default_action, {XB_RULE_DEFAULT}});
  chain += fmt::format("    counter {} comment \"default\"\n", verdict(rules.default_action));
  const std::string hook_line =
      hook == NftHookPoint::NetdevIngress
          ? fmt::format("type filter hook ingress device \"{}\" priority filter; policy accept;", device)
          : std::string("type filter hook prerouting priority filter; policy accept;");
  // "add table" + "delete table" + the table: replaces a leftover atomically
  out.script =
      fmt::format("add table {0}\ndelete table {0}\ntable {0} {{\n{1}  chain filter {{\n    {2}\n{3}  }}\n}}\n",
                  out.table, sets, hook_line, chain);
  return out;
}

std::vector<std::uint64_t> nft_counters(const NftRuleset& ruleset, const std::string& json_listing) {
  std::map<std::string, std::uint64_t> by_comment;
  const auto doc = nlohmann::json::parse(json_listing);
  for (const auto& item : doc.at("nftables")) {
    if (!item.contains("rule")) continue;
    const auto& rule = item["rule"];
    if (!rule.contains("comment")) continue;
    for (const auto& expr : rule.at("expr"))
      if (expr.contains("counter")) by_comment[rule["comment"].get<std::string>()] = expr["counter"].at("packets");
  }
  std::vector<std::uint64_t> out;
  for (const auto& c : ruleset.counted) {
    const auto it = by_comment.find(c.comment);
    if (it == by_comment.end()) throw std::runtime_error("nft listing has no counter for rule \"" + c.comment + "\"");
    out.push_back(it->second);
  }
  return out;
}

}  // namespace xb::bench::baselines
