#include "rule_set.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

namespace xb {

std::string SourceLocation::str() const {
  // rules made in code have no line
  return line ? fmt::format("{}:{}:{}", file, line, column) : file;
}

std::string Prefix::str() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(family == Family::V4 ? AF_INET : AF_INET6, addr.data(), buf, sizeof(buf));
  return fmt::format("{}/{}", buf, len);
}

bool prefix_covers(const Prefix& outer, const Prefix& inner) {
  if (outer.family != inner.family || outer.len > inner.len) return false;
  const auto bit = [](const Prefix& p, int i) { return (p.addr[i / 8] >> (7 - i % 8)) & 1; };
  for (int i = 0; i < outer.len; ++i)
    if (bit(outer, i) != bit(inner, i)) return false;
  return true;
}

std::vector<Family> Rule::families() const {
  std::optional<Family> f;
  if (src) f = src->family;
  if (dst) f = dst->family;
  if (proto == XB_IPPROTO_ICMP) {
    if ((f && *f != Family::V4) || rt_type0) return {};
    return {Family::V4};
  }
  if (proto == XB_IPPROTO_ICMPV6 || rt_type0) {
    if (f && *f != Family::V6) return {};
    return {Family::V6};
  }
  if (f) return {*f};
  return {Family::V4, Family::V6};
}

std::string rule_label(const RuleSet& set, std::size_t index) {
  const std::string& name = set.rules.at(index).name;
  return name.empty() ? fmt::format("#{}", index) : name;
}

std::string action_name(Action a) { return a == Action::Drop ? "drop" : "pass"; }

L4Need l4_need(L4Header h, bool ports, bool tcp_flags, bool icmp) {
  switch (h) {
    case L4Header::Ports:
      return {XB_L4_PORTS, XB_L4_PORTS};
    case L4Header::Short:
      return ports ? L4Need{XB_L4_PORTS | XB_L4_SHORT, XB_L4_PORTS | XB_L4_SHORT} : L4Need{XB_L4_SHORT, XB_L4_SHORT};
    case L4Header::Tiny:
      return {XB_L4_TINY, XB_L4_TINY};
    case L4Header::Whole:
      break;
  }
  // ports and TCP flags need the whole TCP/UDP header, ICMP type and code the whole ICMP header
  if (ports || tcp_flags) return {XB_L4_PORTS | XB_L4_SHORT, XB_L4_PORTS};
  if (icmp) return {XB_L4_ICMP, XB_L4_ICMP};
  return {};
}

std::optional<std::uint8_t> ct_state_bit(const std::string& name) {
  std::string lower;
  for (const unsigned char c : name) lower += static_cast<char>(std::tolower(c));
  for (const auto& [n, bit] : kCtStateNames)
    if (lower == n) return bit;
  return std::nullopt;
}

std::string ct_states_text(std::uint8_t states) {
  std::string out;
  for (const auto& [n, bit] : kCtStateNames)
    if (states & bit) {
      if (!out.empty()) out += ',';
      out += n;
    }
  return out;
}

std::string l4_header_name(L4Header h) {
  switch (h) {
    case L4Header::Ports:
      return "ports";
    case L4Header::Short:
      return "short";
    case L4Header::Tiny:
      return "tiny";
    case L4Header::Whole:
      break;
  }
  return "whole";
}

std::string proto_name(std::uint8_t proto) {
  switch (proto) {
    case XB_IPPROTO_TCP:
      return "tcp";
    case XB_IPPROTO_UDP:
      return "udp";
    case XB_IPPROTO_ICMP:
      return "icmp";
    case XB_IPPROTO_ICMPV6:
      return "icmpv6";
    default:
      return std::to_string(proto);
  }
}

}  // namespace xb
