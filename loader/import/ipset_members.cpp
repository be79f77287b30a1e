#include "ipset_members.hpp"

#include <fmt/format.h>

#include <charconv>

#include "errors.hpp"
#include "icmp_names.hpp"
#include "protocol_names.hpp"

namespace xb {
namespace {

enum class Dim { Address, Port };

// The dimensions of the set types a header match can express.
std::optional<std::vector<Dim>> dimensions(const std::string& type) {
  using D = std::vector<Dim>;
  if (type == "hash:ip" || type == "hash:net" || type == "bitmap:ip") return D{Dim::Address};
  if (type == "hash:ip,port" || type == "hash:net,port") return D{Dim::Address, Dim::Port};
  if (type == "hash:ip,port,ip" || type == "hash:ip,port,net" || type == "hash:net,port,net")
    return D{Dim::Address, Dim::Port, Dim::Address};
  if (type == "hash:net,net") return D{Dim::Address, Dim::Address};
  if (type == "bitmap:port") return D{Dim::Port};
  return std::nullopt;
}

std::optional<std::uint16_t> port_number(std::string_view s) {
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty() || v > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(v);
}

class MemberReader {
 public:
  MemberReader(const SetReference& ref, Family family, std::optional<std::uint8_t> rule_proto, std::string source)
      : ref_(ref), set_(*ref.set), family_(family), rule_proto_(rule_proto), source_(std::move(source)) {}

  std::vector<HeaderMatch> read() {
    const auto dims = dimensions(set_.type);
    if (!dims)
      throw UnsupportedRule(
          fmt::format("{}: ipset {} is of type {}: only hash:ip, hash:net, bitmap:ip, hash:ip,port, "
                      "hash:net,port, hash:ip,port,ip, hash:ip,port,net, hash:net,port,net, "
                      "hash:net,net and bitmap:port sets can be expressed",
                      ref_.where, set_.name, set_.type));
    if (ref_.from_source.size() != dims->size())
      throw UnsupportedRule(
          fmt::format("{}: ipset {} ({}) has {} dimensions and the rule gives {} src/dst flags: give "
                      "one flag per dimension",
                      ref_.where, set_.name, set_.type, dims->size(), ref_.from_source.size()));
    if (set_.family != family_ && (*dims)[0] == Dim::Address)
      throw RuleError(fmt::format("{}: ipset {} is of the other address family", ref_.where, set_.name));
    if (set_.type == "bitmap:port" && rule_proto_ != XB_IPPROTO_TCP && rule_proto_ != XB_IPPROTO_UDP)
      throw UnsupportedRule(
          fmt::format("{}: ipset {} (bitmap:port) matches the ports of SCTP, UDP-Lite and DCCP too, "
                      "which the filter does not read: add -p tcp or -p udp to the rule",
                      ref_.where, set_.name));
    std::vector<HeaderMatch> out;
    for (const auto& entry : set_.entries) out.push_back(member(entry, *dims));
    return out;
  }

 private:
  const SetReference& ref_;
  const Ipset& set_;
  Family family_;
  std::optional<std::uint8_t> rule_proto_;
  std::string source_;

  std::string at(const IpsetEntry& e, std::uint32_t column) const {
    return fmt::format("{}:{}:{}", source_, e.line, column);
  }

  HeaderMatch member(const IpsetEntry& e, const std::vector<Dim>& dims) {
    for (std::size_t i = 1; i < e.words.size(); ++i) {
      const auto& w = e.words[i].text;
      if (w == "nomatch")
        throw UnsupportedRule(fmt::format("{}: a nomatch member of ipset {} (an exception inside a wider member)",
                                          at(e, e.words[i].column), set_.name));
      if (w == "skbmark" || w == "skbprio" || w == "skbqueue")
        throw UnsupportedRule(
            fmt::format("{}: ipset member option '{}' (packet metadata)", at(e, e.words[i].column), w));
    }
    const SaveWord& element = e.words[0];
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (std::size_t comma; (comma = element.text.find(',', start)) != std::string::npos; start = comma + 1)
      parts.push_back(element.text.substr(start, comma - start));
    parts.push_back(element.text.substr(start));
    if (parts.size() != dims.size())
      throw RuleError(fmt::format("{}: '{}': ipset {} ({}) members have {} parts", at(e, element.column), element.text,
                                  set_.name, set_.type, dims.size()));
    HeaderMatch m;
    m.family = family_;
    for (std::size_t d = 0; d < dims.size(); ++d) {
      const bool src = ref_.from_source[d];
      if (dims[d] == Dim::Address) {
        const auto p = parse_prefix(set_.family, parts[d]);
        if (!p)
          throw RuleError(fmt::format("{}: '{}': expected an address or prefix of ipset {}", at(e, element.column),
                                      parts[d], set_.name));
        (src ? m.src : m.dst) = p;
      } else {
        port_part(e, parts[d], src, m);
      }
    }
    return m;
  }

  // "80", "tcp:80", "udp:1000-2000", "icmp:8/0", "gre:0"
  void port_part(const IpsetEntry& e, const std::string& text, bool src, HeaderMatch& m) {
    const auto colon = text.find(':');
    const std::string proto_text = colon == std::string::npos ? "tcp" : text.substr(0, colon);
    const std::string port_text = colon == std::string::npos ? text : text.substr(colon + 1);
    const auto proto = protocol_number(proto_text);
    const std::string where = at(e, e.words[0].column);
    if (!proto) throw RuleError(fmt::format("{}: '{}': unknown protocol in ipset {}", where, text, set_.name));
    if (set_.type == "bitmap:port") {
      m.proto = rule_proto_;
    } else {
      m.proto = proto;
    }
    if (*proto == XB_IPPROTO_ICMP || *proto == XB_IPPROTO_ICMPV6) {
      const auto tc = icmp_type_code(*proto == XB_IPPROTO_ICMP ? Family::V4 : Family::V6, port_text);
      if (!tc || !tc->type) throw RuleError(fmt::format("{}: '{}': expected an ICMP type/code", where, text));
      if ((*proto == XB_IPPROTO_ICMP) != (family_ == Family::V4))
        throw UnsupportedRule(fmt::format("{}: '{}': ICMP of the other address family", where, text));
      m.icmp_type = tc->type;
      m.icmp_code = tc->code;
      return;
    }
    if (*proto != XB_IPPROTO_TCP && *proto != XB_IPPROTO_UDP) {
      if (port_text != "0")
        throw UnsupportedRule(
            fmt::format("{}: '{}': ports of protocol {} (the filter reads TCP and UDP ports)", where, text, *proto));
      return;  // the protocol alone
    }
    const auto dash = port_text.find('-');
    const auto lo = port_number(port_text.substr(0, dash));
    const auto hi = dash == std::string::npos ? lo : port_number(port_text.substr(dash + 1));
    if (!lo || !hi || *lo > *hi) throw RuleError(fmt::format("{}: '{}': expected a port or PORT-PORT", where, text));
    (src ? m.sport : m.dport) = {PortRange{*lo, *hi}};
  }
};

}  // namespace

std::vector<HeaderMatch> ipset_matches(const SetReference& ref, Family family, std::optional<std::uint8_t> rule_proto,
                                       const std::string& source) {
  return MemberReader(ref, family, rule_proto, source).read();
}

}  // namespace xb
