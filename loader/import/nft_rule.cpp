#include "nft_rule.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netdb.h>

#include <array>

#include "address_type.hpp"
#include "errors.hpp"
#include "icmp_names.hpp"
#include "nft_tcp_flags.hpp"
#include "protocol_names.hpp"

namespace xb {
namespace {

using nlohmann::json;

// Rules that expand further than this are refused rather than built.
constexpr std::size_t kMaxExpansion = 100000;

enum class Field {
  Src,
  Dst,
  Proto,
  Sport,
  Dport,
  TcpFlags,
  IcmpType,
  IcmpCode,
  Family,
  CtState,
  Iif,
  Oif,
  Ttl,
  SrcType,
  DstType,
  RtType
};

struct FieldRef {
  Field field;
  std::optional<Family> family;       // ip saddr: IPv4; icmpv6 type: IPv6
  std::optional<std::uint8_t> proto;  // tcp dport: TCP (nft adds that dependency itself)
  std::string text;                   // as nft writes it, for messages
};

class RuleReader {
 public:
  RuleReader(const NftRule& rule, const NftRuleset& ruleset, const std::vector<Family>& families)
      : rule_(rule), ruleset_(ruleset) {
    for (const auto f : families) {
      HeaderMatch m;
      m.family = f;
      base_.push_back(m);
    }
  }

  NftRuleRead read() {
    std::vector<HeaderMatch> result = base_;
    for (std::size_t i = 0; i < rule_.expr.size(); ++i) {
      const json& stmt = rule_.expr[i];
      if (!stmt.is_object() || stmt.size() != 1) error(fmt::format("statement {}: expected an object", i + 1));
      const auto first = stmt.begin();
      const std::string& kind = first.key();
      const json& body = first.value();
      if (kind == "match") {
        result = intersect(result, match(body));
      } else if (kind == "counter") {
        // counts; changes no verdict
      } else if (!verdict(kind, body)) {
        unsupported(fmt::format("the statement '{}'", kind));
      }
      if (result.size() > kMaxExpansion)
        unsupported(
            fmt::format("a rule that expands to more than {} rules (negations and sets multiply)", kMaxExpansion));
    }
    for (const auto& m : result)
      if ((!m.sport.empty() || !m.dport.empty()) && !(m.proto && carries_ports(*m.proto)))
        unsupported(
            "ports ('th' or a set's) of packets that need not be TCP, UDP, UDP-Lite, SCTP or DCCP (add meta l4proto "
            "{ tcp, udp })");
    if (reject_family_) std::erase_if(result, [&](const HeaderMatch& m) { return m.family != *reject_family_; });
    // what the rule asks of an IPv6 address's type, where it can still
    // match IPv6 (a rule for IPv4 only may ask anything)
    for (const auto& m : result)
      if (m.family == Family::V6 && !(same_in_ipv6_route_lookup(m.src_types) && same_in_ipv6_route_lookup(m.dst_types)))
        unsupported(*ipv6_types_);
    out_.rule.matches = std::move(result);
    out_.icmp_of_other_family = crossed_;
    return std::move(out_);
  }

 private:
  const NftRule& rule_;
  const NftRuleset& ruleset_;
  std::vector<HeaderMatch> base_;
  NftRuleRead out_;
  mutable bool crossed_ = false;           // an ICMP match of one family left out for the other
  std::optional<std::string> ipv6_types_;  // the fib type match IPv6's route lookup cannot tell
  std::optional<Family> reject_family_;    // reject with icmp / icmpv6: that family only

  std::string place() const {
    return fmt::format("{}: rule handle {} of chain {} {} {}", rule_.where.str(), rule_.handle, rule_.family,
                       rule_.table, rule_.chain);
  }
  [[noreturn]] void error(const std::string& what) const { throw RuleError(place() + ": " + what); }
  [[noreturn]] void unsupported(const std::string& what) const {
    throw UnsupportedRule(place() + ": " + what + " cannot be expressed by this filter");
  }

  bool verdict(const std::string& kind, const json& body) {
    using K = InlineRule::Kind;
    auto& r = out_.rule;
    if (kind == "accept")
      r.kind = K::Accept;
    else if (kind == "drop")
      r.kind = K::Drop;
    else if (kind == "reject") {
      r.kind = K::Drop;
      out_.reject = true;
      // In inet and netdev tables nft makes `reject with icmp ...` depend
      // on `meta nfproto ipv4` (netdev: `meta protocol ip`), and icmpv6 on
      // IPv6, without writing the dependency back (nft -d netlink shows
      // it); icmpx and tcp reset take both families.
      const std::string type = body.is_object() ? body.value("type", "") : "";
      if (type == "icmp") reject_family_ = Family::V4;
      if (type == "icmpv6") reject_family_ = Family::V6;
    } else if (kind == "return")
      r.kind = K::Return;
    else if (kind == "continue")
      r.kind = K::None;
    else if (kind == "jump" || kind == "goto") {
      r.kind = kind == "jump" ? K::Jump : K::Goto;
      r.target = body.value("target", "");
      if (!ruleset_.chain(rule_.family, rule_.table, r.target))
        error(fmt::format("{} to chain {}, which is not in table {} {}", kind, r.target, rule_.family, rule_.table));
    } else {
      return false;
    }
    return true;
  }

  FieldRef field_of(const json& left) const {
    if (left.contains("payload")) {
      const json& p = left["payload"];
      const std::string proto = p.value("protocol", ""), field = p.value("field", "");
      const std::string text = proto + " " + field;
      // nft 1.0.7 and later: `gre ip protocol 1`, `udp dport 4789 vxlan ip
      // saddr ...` read the header inside the tunnel; without the tunnel
      // name the field would be the outer header's
      if (p.contains("tunnel")) {
        const std::string tunnel = p["tunnel"].is_string() ? p["tunnel"].get<std::string>() : p["tunnel"].dump();
        unsupported(fmt::format("{} (a header inside a {} tunnel: the filter reads the outer headers only)",
                                proto == tunnel ? text : fmt::format("{} {}", tunnel, text), tunnel));
      }
      if (p.contains("base"))
        unsupported(fmt::format("a raw payload @{},{},{}{}", p.value("base", ""), p.value("offset", 0),
                                p.value("len", 0),
                                p.value("base", "") == "ih" ? " (the inner header, after a tunnel's)" : ""));
      if (proto == "ip" && field == "saddr") return {Field::Src, Family::V4, {}, text};
      if (proto == "ip" && field == "daddr") return {Field::Dst, Family::V4, {}, text};
      if (proto == "ip6" && field == "saddr") return {Field::Src, Family::V6, {}, text};
      if (proto == "ip6" && field == "daddr") return {Field::Dst, Family::V6, {}, text};
      if (proto == "ip" && field == "protocol") return {Field::Proto, Family::V4, {}, text};
      if (proto == "ip" && field == "ttl") return {Field::Ttl, Family::V4, {}, text};
      if (proto == "ip6" && field == "hoplimit") return {Field::Ttl, Family::V6, {}, text};
      if (field == "sport" || field == "dport") {
        static const std::pair<const char*, std::uint8_t> kPortProtocols[] = {{"tcp", XB_IPPROTO_TCP},
                                                                              {"udp", XB_IPPROTO_UDP},
                                                                              {"udplite", XB_IPPROTO_UDPLITE},
                                                                              {"sctp", XB_IPPROTO_SCTP},
                                                                              {"dccp", XB_IPPROTO_DCCP}};
        for (const auto& [name, number] : kPortProtocols)
          if (proto == name) return {field == "sport" ? Field::Sport : Field::Dport, {}, number, text};
      }
      if (proto == "th" && (field == "sport" || field == "dport"))
        return {field == "sport" ? Field::Sport : Field::Dport, {}, {}, text};
      if (proto == "tcp" && field == "flags") return {Field::TcpFlags, {}, XB_IPPROTO_TCP, text};
      if (proto == "icmp" && (field == "type" || field == "code"))
        return {field == "type" ? Field::IcmpType : Field::IcmpCode, Family::V4, XB_IPPROTO_ICMP, text};
      if (proto == "icmpv6" && (field == "type" || field == "code"))
        return {field == "type" ? Field::IcmpType : Field::IcmpCode, Family::V6, XB_IPPROTO_ICMPV6, text};
      if (proto == "ip6" && field == "nexthdr")
        unsupported(
            "ip6 nexthdr (the first next-header field, not the transport after extension headers: write "
            "meta l4proto)");
      unsupported(fmt::format("the header field {}", text));
    }
    if (left.contains("meta")) {
      const std::string key = left["meta"].value("key", "");
      if (key == "l4proto") return {Field::Proto, {}, {}, "meta l4proto"};
      if (key == "nfproto" || key == "protocol") return {Field::Family, {}, {}, "meta " + key};
      // by name, or (iif, oif) by the index the name had when nft loaded
      // the rule: both decided by name when the filter is attached
      if (key == "iifname" || key == "iif") return {Field::Iif, {}, {}, "meta " + key};
      if (key == "oifname" || key == "oif") return {Field::Oif, {}, {}, "meta " + key};
      unsupported(fmt::format("meta {}", key));
    }
    if (left.contains("ct")) {
      const std::string key = left["ct"].value("key", "");
      if (key == "state" && !left["ct"].contains("dir")) return {Field::CtState, {}, {}, "ct state"};
      unsupported(fmt::format("ct {} (the filter reads a connection's state only)", key));
    }
    if (left.contains("exthdr")) {
      // rt type: IPv6's first routing header (nft_exthdr.c finds it as
      // ip6t_rt does)
      const json& x = left["exthdr"];
      const std::string text = fmt::format("{} {}", x.value("name", ""), x.value("field", ""));
      if (x.value("name", "") == "rt" && x.value("field", "") == "type" && !x.contains("offset"))
        return {Field::RtType, Family::V6, {}, text};
      unsupported(fmt::format("the extension header field {} (the filter reads a routing header's type only)", text));
    }
    if (left.contains("fib")) {
      // fib saddr/daddr type: the address's type (nft_fib_ipv4.c asks
      // inet_dev_addr_type as xt_addrtype does); with iif/oif, on that
      // interface's routes only; other results are route lookups
      const json& fib = left["fib"];
      const json flags =
          fib.contains("flags") && fib["flags"].is_array() ? fib["flags"] : json::array({fib.value("flags", "")});
      const std::string text = fmt::format("fib {} {}", flags.dump(), fib.value("result", ""));
      if (fib.value("result", "") != "type") unsupported(text + " (a route lookup)");
      if (flags.size() != 1 || (flags[0] != "saddr" && flags[0] != "daddr"))
        unsupported(text + " (an address type on one interface's routes)");
      return {flags[0] == "saddr" ? Field::SrcType : Field::DstType, {}, {}, text};
    }
    unsupported(fmt::format("the expression {}", left.dump()));
  }

  // A set's elements: @name, or an anonymous {"set": [...]}; nullopt if `right` is no set.
  std::optional<json> set_elements(const json& right) const {
    if (right.is_string() && right.get<std::string>().starts_with("@")) {
      const std::string name = right.get<std::string>().substr(1);
      const NftSet* s = ruleset_.set(rule_.family, rule_.table, name);
      if (!s) error(fmt::format("set @{} is not in table {} {}", name, rule_.family, rule_.table));
      if (s->type.is_null()) unsupported(fmt::format("the map @{} (verdict and data maps)", name));
      return s->elem;
    }
    if (right.is_object() && right.contains("set"))
      return right["set"].is_array() ? right["set"] : json::array({right["set"]});
    return std::nullopt;
  }

  static const json& element_value(const json& e) { return e.is_object() && e.contains("elem") ? e["elem"]["val"] : e; }

  std::string scalar_text(const json& v) const {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_number_unsigned()) return std::to_string(v.get<std::uint64_t>());
    error(fmt::format("{}: expected a name or a number", v.dump()));
  }

  std::array<std::uint8_t, 16> address(Family f, const std::string& s) const {
    std::array<std::uint8_t, 16> a{};
    if (inet_pton(f == Family::V4 ? AF_INET : AF_INET6, s.c_str(), a.data()) != 1)
      error(fmt::format("'{}': expected an {} address", s, f == Family::V4 ? "IPv4" : "IPv6"));
    return a;
  }

  std::uint8_t ttl(const json& v) const {
    if (v.is_number_unsigned() && v.get<std::uint64_t>() <= 255)
      return static_cast<std::uint8_t>(v.get<std::uint64_t>());
    error(fmt::format("{}: expected a TTL or hop limit 0-255", v.dump()));
  }

  std::uint16_t port(const json& v) const {
    if (v.is_number_unsigned() && v.get<std::uint64_t>() <= 65535)
      return static_cast<std::uint16_t>(v.get<std::uint64_t>());
    if (v.is_string()) {
      servent entry{}, *found = nullptr;
      std::array<char, 1024> buf{};
      if (getservbyname_r(v.get<std::string>().c_str(), nullptr, &entry, buf.data(), buf.size(), &found) == 0 && found)
        return ntohs(static_cast<std::uint16_t>(found->s_port));
    }
    error(fmt::format("{}: expected a port", v.dump()));
  }

  // nft reads a port where it lies, from any header that holds it. A
  // UDP-Lite, SCTP or DCCP header cut short goes to the rules (bpf/xb_abi.h
  // XB_L4_SHORT), so there that is what the rule says; TCP and UDP cut
  // short are malformed unless the rules ask for them.
  static void read_ports_as_nft(HeaderMatch& m, std::optional<std::uint8_t> proto) {
    if (proto && carries_ports(*proto) && *proto != XB_IPPROTO_TCP && *proto != XB_IPPROTO_UDP)
      m.l4_header = L4Header::Ports;
  }

  // The matches of one field having one value (a prefix or a range may be several).
  std::vector<HeaderMatch> with_value(const HeaderMatch& base, const FieldRef& f, const json& raw) const {
    const json& v = element_value(raw);
    if (f.family && base.family != *f.family) {
      crossed_ = crossed_ || f.proto == XB_IPPROTO_ICMP || f.proto == XB_IPPROTO_ICMPV6;
      return {};
    }
    HeaderMatch m = base;
    if (f.proto) m.proto = f.proto;
    switch (f.field) {
      case Field::Src:
      case Field::Dst: {
        std::vector<Prefix> prefixes;
        if (v.is_object() && v.contains("prefix")) {
          const auto a = address(base.family, v["prefix"].value("addr", ""));
          prefixes.push_back(make_prefix(base.family, a.data(), v["prefix"].value("len", 0)));
        } else if (v.is_object() && v.contains("range")) {
          prefixes = range_prefixes(base.family, address(base.family, scalar_text(v["range"][0])),
                                    address(base.family, scalar_text(v["range"][1])));
        } else {
          const auto a = address(base.family, scalar_text(v));
          prefixes.push_back(make_prefix(base.family, a.data(), base.family == Family::V4 ? 32 : 128));
        }
        std::vector<HeaderMatch> out;
        for (const auto& p : prefixes) {
          HeaderMatch x = m;
          (f.field == Field::Src ? x.src : x.dst) = p;
          out.push_back(x);
        }
        return out;
      }
      case Field::Proto: {
        const auto p = protocol_number(scalar_text(v));
        if (!p) error(fmt::format("{}: unknown protocol", v.dump()));
        if (m.proto && *m.proto != *p) return {};
        m.proto = p;
        if ((*p == XB_IPPROTO_ICMP && base.family == Family::V6) ||
            (*p == XB_IPPROTO_ICMPV6 && base.family == Family::V4)) {
          crossed_ = true;  // the filter has no rule for ICMP in IPv6 (or ICMPv6 in IPv4)
          return {};
        }
        return {m};
      }
      case Field::Ttl: {
        m.ttl = v.is_object() && v.contains("range") ? TtlRange{ttl(v["range"][0]), ttl(v["range"][1])}
                                                     : TtlRange{ttl(v), ttl(v)};
        if (m.ttl.lo > m.ttl.hi) return {};
        return {m};
      }
      case Field::Sport:
      case Field::Dport: {
        PortRange r;
        if (v.is_object() && v.contains("range"))
          r = {port(v["range"][0]), port(v["range"][1])};
        else
          r = {port(v), port(v)};
        (f.field == Field::Sport ? m.sport : m.dport) = {r};
        read_ports_as_nft(m, f.proto);
        return {m};
      }
      case Field::IcmpType: {
        const auto tc = icmp_type_code(base.family, scalar_text(v));
        if (!tc || !tc->type) error(fmt::format("{}: unknown ICMP type", v.dump()));
        m.icmp_type = tc->type;
        return {m};
      }
      case Field::IcmpCode: {
        auto code = nft_icmp_code(base.family, scalar_text(v));
        if (!code && v.is_number_unsigned() && v.get<std::uint64_t>() <= 255) code = v.get<std::uint8_t>();
        if (!code) error(fmt::format("{}: unknown ICMP code", v.dump()));
        m.icmp_code = code;
        return {m};
      }
      case Field::Family: {
        const std::string s = scalar_text(v);
        const std::optional<Family> fam = s == "ipv4" || s == "ip"    ? std::optional(Family::V4)
                                          : s == "ipv6" || s == "ip6" ? std::optional(Family::V6)
                                                                      : std::nullopt;
        if (!fam) unsupported(fmt::format("{} {} (not IP)", f.text, s));
        if (*fam != base.family) return {};
        return {m};
      }
      case Field::Iif:
      case Field::Oif: {
        (f.field == Field::Iif ? m.iif : m.oif).push_back(interface_of(f, v, false));
        return {m};
      }
      case Field::TcpFlags:
      case Field::CtState:
      case Field::SrcType:
      case Field::DstType:
      case Field::RtType:
        break;
    }
    error("internal: flags, states or address types as a value");
  }

  std::vector<HeaderMatch> flags_match(const json& body) const {
    const json& left = body["left"];
    std::vector<TcpFlagsMatch> alternatives;
    try {
      alternatives =
          nft_tcp_flags(body.value("op", "=="), left.contains("&") ? std::optional<json>(left["&"][1]) : std::nullopt,
                        body["right"], set_elements(body["right"]));
    } catch (const NftFlagsRefused& e) {
      unsupported(e.what());
    } catch (const std::invalid_argument& e) {
      error(e.what());
    }
    std::vector<HeaderMatch> out;
    for (const auto& b : base_)
      for (const auto& a : alternatives) {
        HeaderMatch m = b;
        m.proto = XB_IPPROTO_TCP;
        m.tcp_flags = a;
        out.push_back(m);
      }
    return out;
  }

  std::vector<HeaderMatch> match(const json& body) {
    if (!body.contains("left") || !body.contains("right")) error("a match without left and right");
    const json& left = body["left"];
    const std::string op = body.value("op", "==");
    if (left.contains("&")) {
      if (!left["&"].is_array() || left["&"].size() != 2 || field_of(left["&"][0]).field != Field::TcpFlags)
        unsupported(fmt::format("a masked expression {}", left.dump()));
      return flags_match(body);
    }
    if (left.contains("concat")) return concat_match(left["concat"], body["right"], op);
    const FieldRef f = field_of(left);
    if (f.field == Field::TcpFlags) return flags_match(body);
    if (f.field == Field::CtState) return ct_state_match(body["right"], op);
    if (f.field == Field::SrcType || f.field == Field::DstType) return address_type_match(f, body["right"], op);
    if (f.field == Field::RtType) return routing_type_match(f, body["right"], op);
    const auto set = set_elements(body["right"]);
    const json values = set ? *set : json::array({body["right"]});
    std::vector<HeaderMatch> out;
    if (op == "==" || op == "in") {
      for (const auto& b : base_)
        for (const auto& v : values)
          for (auto& m : with_value(b, f, v)) out.push_back(std::move(m));
      return out;
    }
    if (f.field == Field::Sport || f.field == Field::Dport) return port_comparison(f, values, op);
    if (f.field == Field::Ttl) return ttl_comparison(f, values, op);
    if (op == "!=" && (f.field == Field::Iif || f.field == Field::Oif)) {
      // none of them: every one negated, all holding
      for (auto m : base_) {
        for (const auto& v : values)
          (f.field == Field::Iif ? m.iif : m.oif).push_back(interface_of(f, element_value(v), true));
        out.push_back(m);
      }
      return out;
    }
    if (op == "!=" && !set && (f.field == Field::Src || f.field == Field::Dst)) {
      for (const auto& b : base_)
        for (const auto& m : with_value(b, f, body["right"])) {
          const auto& p = f.field == Field::Src ? m.src : m.dst;
          for (const auto& q : complement(*p)) {
            HeaderMatch x = m;
            (f.field == Field::Src ? x.src : x.dst) = q;
            out.push_back(x);
          }
        }
      return out;
    }
    unsupported(fmt::format("{} {} {} (negated or compared)", f.text, op, set ? "a set" : body["right"].dump()));
  }

  // An interface name; nft's wildcard "eth*" is iptables' "eth+".
  InterfaceMatch interface_of(const FieldRef& f, const json& v, bool negated) const {
    std::string text = scalar_text(v);
    if (text.ends_with("*") && !text.ends_with("\\*")) text.back() = '+';
    // a leading '!' is part of an nft name, not a negation (nft negates with !=)
    auto m = text.starts_with("!") ? std::nullopt : parse_interface_match(text);
    if (!m) error(fmt::format("{} {}: expected an interface name", f.text, v.dump()));
    m->negated = negated;
    return *m;
  }

  // ct state: a packet has one state, so `ct state established,related`
  // (a mask: any of them), `ct state { new, untracked }` (a set: one of
  // them) and `ct state established` all ask for the packet's among these;
  // != for the others (nft_ct.c, as xt_conntrack: a reply's state is its
  // original's)
  std::vector<HeaderMatch> ct_state_match(const json& right, const std::string& op) const {
    const auto set = set_elements(right);
    const json values = set ? *set : right.is_array() ? right : json::array({right});
    std::uint8_t states = 0;
    for (const auto& v : values) {
      const auto bit = v.is_string() ? ct_state_bit(v.get<std::string>()) : std::nullopt;
      if (!bit) error(fmt::format("ct state {}: expected new, established, related, invalid or untracked", v.dump()));
      states |= *bit;
    }
    if (op == "!=")
      states = XB_CT_ALL & ~states;
    else if (op != "==" && op != "in")
      unsupported(fmt::format("ct state {} {} (an unknown comparison)", op, right.dump()));
    std::vector<HeaderMatch> out;
    if (!states) return out;  // every state negated: no packet
    for (const auto& b : base_) {
      HeaderMatch m = b;
      m.ct_states = states;
      out.push_back(m);
    }
    return out;
  }

  // fib saddr/daddr type: the address's type among these (a set: one of
  // them), != the others; decided at attach (address_type.hpp). In IPv6
  // nft asks the route lookup, which agrees with the local table on local,
  // anycast and multicast only: a rule that tells other types apart is
  // refused where it can match IPv6 (read() checks, once the rule's other
  // matches have said which families it takes).
  std::vector<HeaderMatch> address_type_match(const FieldRef& f, const json& right, const std::string& op) {
    const auto set = set_elements(right);
    const json values = set ? *set : json::array({right});
    std::uint16_t types = 0;
    for (const auto& v : values) {
      const json& e = element_value(v);
      const auto bit = e.is_string() ? address_type_bit(e.get<std::string>()) : std::nullopt;
      if (!bit)
        error(fmt::format("{} {}: expected address types among {}", f.text, e.dump(),
                          address_types_text(kAllAddressTypes)));
      types |= *bit;
    }
    if (op == "!=")
      types = kAllAddressTypes & ~types;
    else if (op != "==" && op != "in")
      unsupported(fmt::format("{} {} {} (an unknown comparison)", f.text, op, right.dump()));
    std::vector<HeaderMatch> out;
    if (!types) return out;  // every type negated: no packet
    if (!same_in_ipv6_route_lookup(types))
      ipv6_types_ = fmt::format(
          "{} {} {} in IPv6 (the route lookup tells local, anycast and multicast apart from the rest, no more)", f.text,
          op, right.dump());
    for (const auto& b : base_) {
      HeaderMatch m = b;
      (f.field == Field::SrcType ? m.src_types : m.dst_types) = types;
      out.push_back(m);
    }
    return out;
  }

  // rt type 0: a routing header of type 0; != 0: one of another type; no
  // routing header matches neither (nft breaks where the header is not)
  std::vector<HeaderMatch> routing_type_match(const FieldRef& f, const json& right, const std::string& op) const {
    if (!right.is_number_unsigned() || right.get<std::uint64_t>() != 0 || (op != "==" && op != "!="))
      unsupported(
          fmt::format("{} {} {} (the filter reads whether a routing header is of type 0)", f.text, op, right.dump()));
    std::vector<HeaderMatch> out;
    for (const auto& b : base_) {
      if (b.family != Family::V6) continue;
      HeaderMatch m = b;
      m.rt_type0 = op == "==";
      out.push_back(m);
    }
    return out;
  }

  // ip ttl / ip6 hoplimit compared: != (one value or range: what is around
  // it), <, <=, >, >= one value
  std::vector<HeaderMatch> ttl_comparison(const FieldRef& f, const json& values, const std::string& op) const {
    std::vector<TtlRange> ranges;
    if (values.size() != 1) unsupported(fmt::format("{} {} a set", f.text, op));
    const json& v = element_value(values[0]);
    const TtlRange r = v.is_object() && v.contains("range") ? TtlRange{ttl(v["range"][0]), ttl(v["range"][1])}
                                                            : TtlRange{ttl(v), ttl(v)};
    if (op == "!=") {
      if (r.lo > 0) ranges.push_back({0, static_cast<std::uint8_t>(r.lo - 1)});
      if (r.hi < 255) ranges.push_back({static_cast<std::uint8_t>(r.hi + 1), 255});
    } else if (r.lo != r.hi) {
      unsupported(fmt::format("{} {} a range", f.text, op));
    } else if (op == "<" && r.lo > 0) {
      ranges.push_back({0, static_cast<std::uint8_t>(r.lo - 1)});
    } else if (op == "<=") {
      ranges.push_back({0, r.lo});
    } else if (op == ">" && r.lo < 255) {
      ranges.push_back({static_cast<std::uint8_t>(r.lo + 1), 255});
    } else if (op == ">=") {
      ranges.push_back({r.lo, 255});
    } else if (op != "<" && op != ">") {
      unsupported(fmt::format("{} {} (an unknown comparison)", f.text, op));
    }
    std::vector<HeaderMatch> out;
    for (const auto& b : base_) {
      if (f.family && b.family != *f.family) continue;
      for (const auto& t : ranges) {
        HeaderMatch m = b;
        m.ttl = t;
        out.push_back(m);
      }
    }
    return out;
  }

  std::vector<HeaderMatch> port_comparison(const FieldRef& f, const json& values, const std::string& op) {
    std::vector<PortRange> ranges;
    for (const auto& v : values) {
      HeaderMatch probe;
      probe.family = base_.front().family;
      const auto ms = with_value(probe, FieldRef{f.field, {}, f.proto, f.text}, v);
      const auto& r = f.field == Field::Sport ? ms.at(0).sport.at(0) : ms.at(0).dport.at(0);
      ranges.push_back(r);
    }
    std::vector<PortRange> result;
    if (op == "!=") {
      result = complement(ranges);
    } else if (ranges.size() == 1 && ranges[0].single()) {
      const unsigned p = ranges[0].lo;
      if (op == "<" && p > 0)
        result = {{0, static_cast<std::uint16_t>(p - 1)}};
      else if (op == "<=")
        result = {{0, static_cast<std::uint16_t>(p)}};
      else if (op == ">" && p < 65535)
        result = {{static_cast<std::uint16_t>(p + 1), 65535}};
      else if (op == ">=")
        result = {{static_cast<std::uint16_t>(p), 65535}};
      else if (op != "<" && op != ">")
        unsupported(fmt::format("{} {} (an unknown comparison)", f.text, op));
    } else {
      unsupported(fmt::format("{} {} a set", f.text, op));
    }
    std::vector<HeaderMatch> out;
    if (result.empty()) return out;
    for (const auto& b : base_) {
      HeaderMatch m = b;
      if (f.proto) m.proto = f.proto;
      (f.field == Field::Sport ? m.sport : m.dport) = result;
      read_ports_as_nft(m, f.proto);
      out.push_back(m);
    }
    return out;
  }

  std::vector<HeaderMatch> concat_match(const json& fields, const json& right, const std::string& op) {
    if (op != "==" && op != "in") unsupported("a negated concatenation");
    std::vector<FieldRef> refs;
    for (const auto& f : fields) {
      refs.push_back(field_of(f));
      if (refs.back().field == Field::TcpFlags || refs.back().field == Field::CtState ||
          refs.back().field == Field::SrcType || refs.back().field == Field::DstType ||
          refs.back().field == Field::RtType || refs.back().field == Field::Iif || refs.back().field == Field::Oif ||
          refs.back().field == Field::Ttl)
        unsupported(refs.back().text + " in a concatenation");
    }
    const auto set = set_elements(right);
    const json elements = set ? *set : json::array({right});
    std::vector<HeaderMatch> out;
    for (const auto& b : base_)
      for (const auto& raw : elements) {
        const json& e = element_value(raw);
        if (!e.is_object() || !e.contains("concat") || e["concat"].size() != refs.size())
          error(fmt::format("{}: expected a concatenation of {} values", e.dump(), refs.size()));
        std::vector<HeaderMatch> partial{b};
        for (std::size_t i = 0; i < refs.size(); ++i) {
          std::vector<HeaderMatch> next;
          for (const auto& p : partial)
            for (auto& m : with_value(p, refs[i], e["concat"][i])) next.push_back(std::move(m));
          partial = std::move(next);
        }
        out.insert(out.end(), partial.begin(), partial.end());
      }
    return out;
  }
};

}  // namespace

NftRuleRead read_nft_rule(const NftRule& rule, const NftRuleset& ruleset, const std::vector<Family>& families) {
  return RuleReader(rule, ruleset, families).read();
}

}  // namespace xb
