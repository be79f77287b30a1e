#include "iptables_rule.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netdb.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <set>

#include "address_type.hpp"
#include "errors.hpp"
#include "icmp_names.hpp"
#include "ipset_members.hpp"
#include "iptables_matches.hpp"
#include "protocol_names.hpp"

namespace xb {
namespace {

// Rules that expand further than this are refused rather than built.
constexpr std::size_t kMaxExpansion = 100000;

class RuleReader {
 public:
  RuleReader(const SaveRule& rule, const SaveTable& table, const std::map<std::string, Ipset>& sets,
             const std::string& source)
      : rule_(rule), table_(table), sets_(sets), source_(source) {
    base_.family = table.family;
  }

  IptablesRule read() {
    const auto& w = rule_.words;
    bool negate = false;
    SaveWord bang;
    for (i_ = 0; i_ < w.size(); ++i_) {
      const SaveWord& word = w[i_];
      const std::string& opt = word.text;
      if (opt == "!") {
        if (negate) error(word, "'!' twice");
        negate = true;
        bang = word;
        continue;
      }
      if (negate) negated_ = &bang;
      option(word, opt);
      negate = false;
      negated_ = nullptr;
    }
    if (negate) error(bang, "'!' negates nothing: it ends the rule");
    return finish();
  }

 private:
  const SaveRule& rule_;
  const SaveTable& table_;
  const std::map<std::string, Ipset>& sets_;
  const std::string& source_;
  std::size_t i_ = 0;
  const SaveWord* negated_ = nullptr;  // the '!' before the current option
  HeaderMatch base_;                   // the family only
  // The kernel tries a rule's IP part (-s, -d, -p) first, then its match
  // modules in the rule's order; a tcp, udp, icmp or multiport match that
  // cannot read its header drops the packet there ("hotdrop"), so the order
  // matters. Each module's factors: all of these (each one of its matches).
  enum class ModuleKind {
    Ip,
    Tcp,
    Udp,
    Sctp,
    Dccp,
    Icmp,
    Multiport,
    Set,
    Conntrack,
    Iprange,
    Ttl,
    Addrtype,
    Rt,
    Other
  };
  struct Module {
    ModuleKind kind = ModuleKind::Other;
    std::vector<std::vector<HeaderMatch>> factors;
    std::vector<SetReference> sets;
    SaveWord word;  // -m NAME's NAME, or the option that loaded it
  };
  std::vector<Module> modules_{Module{ModuleKind::Ip, {}, {}, {}}};
  std::optional<std::uint8_t> proto_;
  SaveWord proto_word_;
  std::vector<std::pair<SaveWord, std::string>> needs_proto_;  // option word, what it is
  IptablesRule out_;

  std::string at(const SaveWord& w) const { return fmt::format("{}:{}:{}", source_, rule_.line, w.column); }
  [[noreturn]] void error(const SaveWord& w, const std::string& what) const { throw RuleError(at(w) + ": " + what); }
  [[noreturn]] void unsupported(const SaveWord& w, const std::string& what) const {
    throw UnsupportedRule(at(w) + ": " + what + " cannot be expressed by this filter");
  }

  const SaveWord& value(const SaveWord& opt) {
    if (i_ + 1 >= rule_.words.size() || rule_.words[i_ + 1].text == "!")
      error(opt, fmt::format("{} needs a value", opt.text));
    return rule_.words[++i_];
  }

  void no_negation(const SaveWord& opt, const std::string& what) {
    if (negated_) unsupported(*negated_, fmt::format("'! {}' ({} negated)", opt.text, what));
  }

  HeaderMatch one() const { return base_; }

  void option(const SaveWord& word, const std::string& opt) {
    if (opt == "-s" || opt == "--source" || opt == "--src") return addresses(word, true);
    if (opt == "-d" || opt == "--destination" || opt == "--dst") return addresses(word, false);
    if (opt == "-p" || opt == "--protocol") return protocol(word);
    if (opt == "-m" || opt == "--match") return module(word);
    if (opt == "--sport" || opt == "--source-port") return ports(word, true, false);
    if (opt == "--dport" || opt == "--destination-port") return ports(word, false, false);
    if (opt == "--sports" || opt == "--source-ports") return ports(word, true, true);
    if (opt == "--dports" || opt == "--destination-ports") return ports(word, false, true);
    if (opt == "--ports") return either_ports(word);
    if (opt == "--tcp-flags") return tcp_flags(word);
    if (opt == "--syn") return syn(word);
    if (opt == "--icmp-type" || opt == "--icmpv6-type") return icmp(word);
    if (opt == "--match-set" || opt == "--set") return match_set(word);
    if (opt == "--ctstate" || opt == "--state") return ct_states(word);
    if (opt == "--src-range" || opt == "--dst-range") return address_range(word, opt == "--src-range");
    if (opt == "--ttl-eq" || opt == "--ttl-lt" || opt == "--ttl-gt" || opt == "--hl-eq" || opt == "--hl-lt" ||
        opt == "--hl-gt")
      return ttl(word, opt.substr(opt.size() - 2));
    if (opt == "--src-type" || opt == "--dst-type") return address_types(word, opt == "--src-type");
    if (opt == "--limit-iface-in" || opt == "--limit-iface-out")
      unsupported(word, fmt::format("{} (an address type on one interface's routes)", opt));
    if (opt == "--comment") {
      out_.comment = value(word).text;
      return;
    }
    if (opt == "-j" || opt == "--jump" || opt == "-g" || opt == "--goto") return target(word);
    if (opt == "-i" || opt == "--in-interface") return interface(word, true);
    if (opt == "-o" || opt == "--out-interface") return interface(word, false);
    if (opt == "-f" || opt == "--fragment") unsupported(word, "-f (fragments only)");
    if (opt == "--tcp-option") unsupported(word, "--tcp-option (TCP options)");
    if (opt == "--chunk-types") unsupported(word, "--chunk-types (SCTP chunks)");
    if (opt == "--rt-type") return routing_type(word);
    if (opt == "--rt-segsleft" || opt == "--rt-len" || opt == "--rt-0-res" || opt == "--rt-0-addrs" ||
        opt == "--rt-0-not-strict")
      unsupported(word, fmt::format("{} (the filter reads a routing header's type only)", opt));
    if (opt == "--dccp-types" || opt == "--dccp-option")
      unsupported(word, fmt::format("{} (DCCP packet types and options)", opt));
    if (opt == "--reject-with") {
      value(word);  // REJECT's; the filter drops, noted by the importer
      return;
    }
    if (opt.size() > 1 && opt[0] == '-') unsupported(word, fmt::format("option '{}'", opt));
    error(word, fmt::format("'{}': expected an option such as -s, -p, -m or -j", opt));
  }

  void addresses(const SaveWord& opt, bool source) {
    const SaveWord& v = value(opt);
    std::vector<HeaderMatch> alternatives;
    std::size_t start = 0;
    std::vector<std::string> items;
    for (std::size_t comma; (comma = v.text.find(',', start)) != std::string::npos; start = comma + 1)
      items.push_back(v.text.substr(start, comma - start));
    items.push_back(v.text.substr(start));
    if (negated_ && items.size() > 1) unsupported(*negated_, "a negated address list");
    for (const auto& item : items) {
      const auto p = parse_prefix(base_.family, with_prefix_length(v, item));
      if (!p)
        error(v, fmt::format("'{}': expected an {} address or prefix (hostnames are resolved by iptables when it "
                             "loads a rule: write the address)",
                             item, base_.family == Family::V4 ? "IPv4" : "IPv6"));
      const std::vector<Prefix> prefixes = negated_ ? complement(*p) : std::vector<Prefix>{*p};
      for (const auto& q : prefixes) {
        HeaderMatch m = one();
        (source ? m.src : m.dst) = q;
        alternatives.push_back(m);
      }
    }
    modules_.front().factors.push_back(std::move(alternatives));
  }

  // iptables-save writes a netmask as a length when its ones are
  // contiguous, else as an address (10.0.12.0/255.0.255.0), and iptables
  // reads both: a contiguous mask is its length; another matches what no
  // prefix does.
  std::string with_prefix_length(const SaveWord& v, const std::string& item) const {
    const auto slash = item.find('/');
    if (slash == std::string::npos) return item;
    const std::string mask = item.substr(slash + 1);
    if (std::all_of(mask.begin(), mask.end(), [](char c) { return c >= '0' && c <= '9'; })) return item;
    const bool v4 = base_.family == Family::V4;
    std::array<std::uint8_t, 16> bytes{};
    if (inet_pton(v4 ? AF_INET : AF_INET6, mask.c_str(), bytes.data()) != 1) return item;  // parse_prefix says why
    const unsigned bits = v4 ? 32 : 128;
    unsigned length = 0;
    while (length < bits && ((bytes[length / 8] >> (7 - length % 8)) & 1)) ++length;
    for (unsigned i = length; i < bits; ++i)
      if ((bytes[i / 8] >> (7 - i % 8)) & 1)
        unsupported(v,
                    fmt::format("'{}': a netmask whose ones are not contiguous (the filter matches prefixes)", item));
    return fmt::format("{}/{}", item.substr(0, slash), length);
  }

  void protocol(const SaveWord& opt) {
    const SaveWord& v = value(opt);
    no_negation(opt, "protocol");
    if (v.text == "all" || v.text == "0") return;  // iptables: any protocol
    const auto p = protocol_number(v.text);
    if (!p) error(v, fmt::format("'{}': expected a protocol name (from /etc/protocols) or number", v.text));
    if ((*p == XB_IPPROTO_ICMP && base_.family == Family::V6) ||
        (*p == XB_IPPROTO_ICMPV6 && base_.family == Family::V4))
      unsupported(v, fmt::format("-p {} in {} (ICMP is read in IPv4, ICMPv6 in IPv6)", v.text,
                                 base_.family == Family::V4 ? "iptables" : "ip6tables"));
    proto_ = *p;
    proto_word_ = v;
    HeaderMatch m = one();
    m.proto = *p;
    modules_.front().factors.push_back({m});
  }

  static ModuleKind module_kind(const std::string& name) {
    if (name == "tcp") return ModuleKind::Tcp;
    if (name == "udp") return ModuleKind::Udp;
    if (name == "sctp") return ModuleKind::Sctp;
    if (name == "dccp") return ModuleKind::Dccp;
    if (name == "icmp" || name == "icmp6" || name == "icmpv6") return ModuleKind::Icmp;
    if (name == "multiport") return ModuleKind::Multiport;
    if (name == "conntrack" || name == "state") return ModuleKind::Conntrack;
    if (name == "iprange") return ModuleKind::Iprange;
    if (name == "ttl" || name == "hl") return ModuleKind::Ttl;
    if (name == "addrtype") return ModuleKind::Addrtype;
    if (name == "rt") return ModuleKind::Rt;
    if (name == "set") return ModuleKind::Set;
    return ModuleKind::Other;
  }

  // The module an option belongs to: the last one of its kind (-m NAME),
  // else the one iptables loads for it where it stands (--dport after -p tcp).
  Module& module_of(ModuleKind kind) {
    for (auto it = modules_.rbegin(); it != modules_.rend(); ++it)
      if (it->kind == kind) return *it;
    modules_.push_back(Module{kind, {}, {}, rule_.words[i_]});
    return modules_.back();
  }
  Module& ports_module() {
    for (auto it = modules_.rbegin(); it != modules_.rend(); ++it)
      if (port_module(it->kind)) return *it;
    // the match iptables loads for -p PROTO --dport
    switch (proto_.value_or(XB_IPPROTO_TCP)) {
      case XB_IPPROTO_UDP:
        return module_of(ModuleKind::Udp);
      case XB_IPPROTO_SCTP:
        return module_of(ModuleKind::Sctp);
      case XB_IPPROTO_DCCP:
        return module_of(ModuleKind::Dccp);
      default:
        return module_of(ModuleKind::Tcp);
    }
  }
  // the matches of one protocol's ports (xt_tcpudp.c, xt_sctp.c, xt_dccp.c)
  static bool port_module(ModuleKind k) {
    return k == ModuleKind::Tcp || k == ModuleKind::Udp || k == ModuleKind::Sctp || k == ModuleKind::Dccp;
  }

  // -m iprange --src-range/--dst-range LO-HI: the prefixes that cover it
  // exactly ('!': those around it); LO > HI matches nothing, as in xt_iprange
  void address_range(const SaveWord& opt, bool source) {
    const bool negate = negated_ != nullptr;
    const SaveWord& v = value(opt);
    const bool v4 = base_.family == Family::V4;
    const std::size_t bytes = v4 ? 4 : 16;
    const auto dash = v.text.find('-');
    std::array<std::uint8_t, 16> lo{}, hi{};
    if (dash == std::string::npos ||
        inet_pton(v4 ? AF_INET : AF_INET6, v.text.substr(0, dash).c_str(), lo.data()) != 1 ||
        inet_pton(v4 ? AF_INET : AF_INET6, v.text.substr(dash + 1).c_str(), hi.data()) != 1)
      error(v, fmt::format("'{}': expected a range of {} addresses such as {}", v.text, v4 ? "IPv4" : "IPv6",
                           v4 ? "192.0.2.1-192.0.2.9" : "2001:db8::1-2001:db8::9"));
    const auto before = [&](std::array<std::uint8_t, 16> a) {  // a - 1; a is not all zeros
      for (std::size_t i = bytes; i-- > 0;)
        if (a[i]--) break;
      return a;
    };
    const auto after = [&](std::array<std::uint8_t, 16> a) {  // a + 1; a is not all ones
      for (std::size_t i = bytes; i-- > 0;)
        if (++a[i]) break;
      return a;
    };
    const std::array<std::uint8_t, 16> zero{};
    std::array<std::uint8_t, 16> ones{};
    std::fill_n(ones.begin(), bytes, 0xff);
    std::vector<std::pair<std::array<std::uint8_t, 16>, std::array<std::uint8_t, 16>>> ranges;
    if (!negate) {
      if (lo <= hi) ranges.emplace_back(lo, hi);
    } else if (lo > hi) {
      ranges.emplace_back(zero, ones);
    } else {
      if (lo != zero) ranges.emplace_back(zero, before(lo));
      if (hi != ones) ranges.emplace_back(after(hi), ones);
    }
    std::vector<HeaderMatch> alternatives;
    for (const auto& [a, b] : ranges)
      for (const auto& p : range_prefixes(base_.family, a, b)) {
        HeaderMatch m = one();
        (source ? m.src : m.dst) = p;
        alternatives.push_back(m);
      }
    module_of(ModuleKind::Iprange).factors.push_back(std::move(alternatives));
  }

  // -m ttl --ttl-eq/lt/gt N, -m hl --hl-eq/lt/gt N (xt_ttl.c, xt_hl.c):
  // the TTL or hop limit range; '! --ttl-eq' the values around it
  void ttl(const SaveWord& opt, const std::string& mode) {
    const bool negate = negated_ != nullptr;
    if (negate && mode != "eq") unsupported(*negated_, fmt::format("'! {}' (only -eq negates)", opt.text));
    const SaveWord& v = value(opt);
    unsigned n = 0;
    auto [p, ec] = std::from_chars(v.text.data(), v.text.data() + v.text.size(), n);
    if (ec != std::errc() || p != v.text.data() + v.text.size() || n > 255)
      error(v, fmt::format("'{}': expected a TTL or hop limit 0-255", v.text));
    const auto at = static_cast<std::uint8_t>(n);
    std::vector<TtlRange> ranges;
    if (mode == "eq" && !negate) ranges.push_back({at, at});
    if (mode == "eq" && negate) {
      if (at > 0) ranges.push_back({0, static_cast<std::uint8_t>(at - 1)});
      if (at < 255) ranges.push_back({static_cast<std::uint8_t>(at + 1), 255});
    }
    if (mode == "lt" && at > 0) ranges.push_back({0, static_cast<std::uint8_t>(at - 1)});
    if (mode == "gt" && at < 255) ranges.push_back({static_cast<std::uint8_t>(at + 1), 255});
    std::vector<HeaderMatch> alternatives;
    for (const auto& r : ranges) {
      HeaderMatch m = one();
      m.ttl = r;
      alternatives.push_back(m);
    }
    module_of(ModuleKind::Ttl).factors.push_back(std::move(alternatives));
  }

  // -m addrtype --src-type/--dst-type TYPE,... (xt_addrtype.c): the
  // address's type among these ('!': among the others), decided at attach
  // (address_type.hpp). In IPv6 the kernel reads a list as all of its types
  // at once and knows only some: one of local, anycast or multicast is
  // translated, the rest refused.
  void address_types(const SaveWord& opt, bool source) {
    const bool negate = negated_ != nullptr;
    const SaveWord& v = value(opt);
    std::uint16_t types = 0;
    int count = 0;
    std::size_t start = 0;
    for (;;) {
      const auto comma = v.text.find(',', start);
      const std::string name = v.text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      const auto bit = address_type_bit(name);
      if (!bit)
        error(v, fmt::format("'{}': expected address types among {}", name, address_types_text(kAllAddressTypes)));
      types |= *bit;
      ++count;
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    if (base_.family == Family::V6) {
      const std::uint16_t known =
          *address_type_bit("local") | *address_type_bit("anycast") | *address_type_bit("multicast");
      if (count > 1 || !(types & known))
        unsupported(
            v, fmt::format("{} {} in ip6tables (one of LOCAL, ANYCAST, MULTICAST is translated)", opt.text, v.text));
    }
    if (negate) types = kAllAddressTypes & ~types;
    HeaderMatch m = one();
    (source ? m.src_types : m.dst_types) = types;
    module_of(ModuleKind::Addrtype).factors.push_back(types ? std::vector<HeaderMatch>{m} : std::vector<HeaderMatch>{});
  }

  // -m rt --rt-type 0 (ip6t_rt.c): the first routing header is of type 0
  // ('!': a routing header of another type); no routing header, no match
  void routing_type(const SaveWord& opt) {
    const bool negate = negated_ != nullptr;
    const SaveWord& v = value(opt);
    if (v.text != "0")
      unsupported(v, fmt::format("--rt-type {} (the filter reads whether a routing header is of type 0)", v.text));
    HeaderMatch m = one();
    m.rt_type0 = !negate;
    module_of(ModuleKind::Rt).factors.push_back({m});
  }

  // -i NAME, -o NAME ("eth+" a prefix; '!' any other): part of the rule's
  // IP match, decided when the filter is attached (interface_match.hpp)
  void interface(const SaveWord& opt, bool in) {
    const bool negate = negated_ != nullptr;
    const SaveWord& v = value(opt);
    auto m = v.text.starts_with("!") ? std::nullopt : parse_interface_match(v.text);
    if (!m) error(v, fmt::format("'{}': expected an interface name, or a prefix such as eth+", v.text));
    m->negated = negate;
    HeaderMatch h = one();
    (in ? h.iif : h.oif).push_back(*m);
    modules_.front().factors.push_back({h});
  }

  // -m conntrack --ctstate LIST, -m state --state LIST: the packet's state
  // among these (xt_conntrack.c; a reply's is its original's); '!' the others
  void ct_states(const SaveWord& opt) {
    const bool negate = negated_ != nullptr;
    const SaveWord& v = value(opt);
    std::uint8_t states = 0;
    std::size_t start = 0;
    for (;;) {
      const auto comma = v.text.find(',', start);
      const std::string name = v.text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (name == "SNAT" || name == "DNAT")
        unsupported(v, fmt::format("{} {} (the NAT done to a connection)", opt.text, name));
      const auto bit = ct_state_bit(name);
      if (!bit)
        error(v, fmt::format("'{}': expected states among INVALID, NEW, ESTABLISHED, RELATED, UNTRACKED", name));
      states |= *bit;
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    if (negate) states = XB_CT_ALL & ~states;
    HeaderMatch m = one();
    m.ct_states = states;
    // every state negated: no packet
    module_of(ModuleKind::Conntrack)
        .factors.push_back(states ? std::vector<HeaderMatch>{m} : std::vector<HeaderMatch>{});
  }

  void module(const SaveWord& opt) {
    const SaveWord& v = value(opt);
    if (iptables_match_supported(v.text)) {
      modules_.push_back(Module{module_kind(v.text), {}, {}, v});
      return;
    }
    if (const auto why = iptables_match_refusal(v.text)) unsupported(v, fmt::format("-m {}: {}", v.text, *why));
    unsupported(v, fmt::format("-m {} (a match module the importer does not translate)", v.text));
  }

  PortRange port_range(const SaveWord& v, const std::string& text) {
    auto port = [&](const std::string& s, std::uint16_t if_empty) -> std::uint16_t {
      if (s.empty()) return if_empty;
      unsigned n = 0;
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
      if (ec == std::errc() && p == s.data() + s.size()) {
        if (n > 65535) error(v, fmt::format("port {} is not 0 to 65535", s));
        return static_cast<std::uint16_t>(n);
      }
      servent entry{}, *found = nullptr;
      std::array<char, 1024> buf{};
      const char* proto = proto_ == XB_IPPROTO_UDP    ? "udp"
                          : proto_ == XB_IPPROTO_SCTP ? "sctp"
                          : proto_ == XB_IPPROTO_DCCP ? "dccp"
                                                      : "tcp";
      if (getservbyname_r(s.c_str(), proto, &entry, buf.data(), buf.size(), &found) == 0 && found)
        return ntohs(static_cast<std::uint16_t>(found->s_port));
      error(v, fmt::format("'{}': expected a port number or a service name from /etc/services", s));
    };
    const auto colon = text.find(':');
    if (colon == std::string::npos) {
      const auto p = port(text, 0);
      return {p, p};
    }
    PortRange r{port(text.substr(0, colon), 0), port(text.substr(colon + 1), 65535)};
    if (r.lo > r.hi) error(v, fmt::format("'{}': the range is empty (low > high)", text));
    return r;
  }

  std::vector<PortRange> port_list(const SaveWord& v, bool list) {
    std::vector<PortRange> out;
    std::size_t start = 0;
    for (std::size_t comma; list && (comma = v.text.find(',', start)) != std::string::npos; start = comma + 1)
      out.push_back(port_range(v, v.text.substr(start, comma - start)));
    out.push_back(port_range(v, v.text.substr(start)));
    return out;
  }

  void ports(const SaveWord& opt, bool source, bool list) {
    const SaveWord& v = value(opt);
    auto ranges = port_list(v, list);
    if (negated_) ranges = complement(ranges);
    needs_proto_.push_back({opt, "ports"});
    HeaderMatch m = one();
    (source ? m.sport : m.dport) = ranges;
    // multiport reads the ports of any header that holds them (4 bytes);
    // the tcp and udp matches need the whole header
    if (list) m.l4_header = L4Header::Ports;
    Module& mod = list ? module_of(ModuleKind::Multiport) : ports_module();
    mod.factors.push_back(ranges.empty() ? std::vector<HeaderMatch>{} : std::vector<HeaderMatch>{m});
  }

  // multiport --ports: the source port or the destination port
  void either_ports(const SaveWord& opt) {
    const SaveWord& v = value(opt);
    no_negation(opt, "either-side ports");
    const auto ranges = port_list(v, true);
    needs_proto_.push_back({opt, "ports"});
    HeaderMatch s = one(), d = one();
    s.sport = ranges;
    d.dport = ranges;
    s.l4_header = d.l4_header = L4Header::Ports;
    module_of(ModuleKind::Multiport).factors.push_back({s, d});
  }

  std::uint8_t flag_bits(const SaveWord& v) {
    static const std::pair<const char*, std::uint8_t> kFlags[] = {{"FIN", 0x01}, {"SYN", 0x02}, {"RST", 0x04},
                                                                  {"PSH", 0x08}, {"ACK", 0x10}, {"URG", 0x20},
                                                                  {"ALL", 0x3f}, {"NONE", 0x00}};
    std::uint8_t bits = 0;
    std::size_t start = 0;
    const std::string& t = v.text;
    while (start <= t.size()) {
      const auto comma = t.find(',', start);
      const std::string name = t.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      bool found = false;
      for (const auto& [n, b] : kFlags)
        if (name == n) {
          bits |= b;
          found = true;
        }
      if (!found) error(v, fmt::format("'{}': expected TCP flags among SYN,ACK,FIN,RST,URG,PSH,ALL,NONE", name));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    return bits;
  }

  void flags_match(const SaveWord& opt, std::uint8_t mask, std::uint8_t value) {
    needs_proto_.push_back({opt, "TCP flags"});
    std::vector<HeaderMatch> alternatives;
    if (!negated_) {
      HeaderMatch m = one();
      m.tcp_flags = TcpFlagsMatch{mask, static_cast<std::uint8_t>(value & mask)};
      alternatives.push_back(m);
    } else {
      // not all of them as given: one of them otherwise
      for (int b = 0; b < 8; ++b) {
        const std::uint8_t bit = static_cast<std::uint8_t>(1u << b);
        if (!(mask & bit)) continue;
        HeaderMatch m = one();
        m.tcp_flags = TcpFlagsMatch{bit, static_cast<std::uint8_t>(~value & bit)};
        alternatives.push_back(m);
      }
    }
    module_of(ModuleKind::Tcp).factors.push_back(std::move(alternatives));
  }

  void tcp_flags(const SaveWord& opt) {
    const std::uint8_t mask = flag_bits(value(opt));
    const std::uint8_t comp = flag_bits(value(opt));
    flags_match(opt, mask, comp);
  }

  // --syn is --tcp-flags SYN,RST,ACK,FIN SYN
  void syn(const SaveWord& opt) { flags_match(opt, 0x17, 0x02); }

  void icmp(const SaveWord& opt) {
    const SaveWord& v = value(opt);
    no_negation(opt, "ICMP type");
    const bool v6 = opt.text == "--icmpv6-type";
    if (v6 != (base_.family == Family::V6))
      error(opt, fmt::format("{} in {}", opt.text, base_.family == Family::V4 ? "iptables" : "ip6tables"));
    const auto tc = icmp_type_code(base_.family, v.text);
    if (!tc) error(v, fmt::format("'{}': expected an ICMP{} type name, TYPE or TYPE/CODE", v.text, v6 ? "v6" : ""));
    // any type still needs the whole ICMP header (and no later fragment),
    // which no rule field says without a type
    if (!tc->type) unsupported(v, fmt::format("{} {} (every ICMP packet with a whole header)", opt.text, v.text));
    needs_proto_.push_back({opt, v6 ? "ICMPv6 type" : "ICMP type"});
    HeaderMatch m = one();
    m.icmp_type = tc->type;
    m.icmp_code = tc->code;
    module_of(ModuleKind::Icmp).factors.push_back({m});
  }

  void match_set(const SaveWord& opt) {
    no_negation(opt, "ipset match");
    const SaveWord& name = value(opt);
    const SaveWord& flags = value(opt);
    const auto set = sets_.find(name.text);
    if (set == sets_.end())
      error(name, fmt::format("ipset {} is not in the file: put `ipset save` before the rules", name.text));
    SetReference ref{&set->second, {}, at(name)};
    std::size_t start = 0;
    while (true) {
      const auto comma = flags.text.find(',', start);
      const std::string f = flags.text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (f != "src" && f != "dst") error(flags, fmt::format("'{}': expected src or dst flags, e.g. src,dst", f));
      ref.from_source.push_back(f == "src");
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    module_of(ModuleKind::Set).sets.push_back(std::move(ref));
  }

  void target(const SaveWord& opt) {
    const SaveWord& v = value(opt);
    no_negation(opt, "target");
    using K = IptablesTarget::Kind;
    IptablesTarget& t = out_.target;
    t.word = v;
    const bool go = opt.text == "-g" || opt.text == "--goto";
    if (v.text == "ACCEPT" || v.text == "DROP" || v.text == "REJECT" || v.text == "RETURN") {
      if (go) error(v, fmt::format("-g {}: goto needs a user chain", v.text));
      t.kind = v.text == "ACCEPT" ? K::Accept : v.text == "DROP" ? K::Drop : v.text == "REJECT" ? K::Reject : K::Return;
      return;
    }
    const SaveChain* chain = table_.chain(v.text);
    if (chain && chain->policy == "-") {
      t.kind = go ? K::Goto : K::Jump;
      t.chain = v.text;
      return;
    }
    if (chain) error(v, fmt::format("{} is a built-in chain: rules cannot jump to it", v.text));
    unsupported(v, fmt::format("-j {} (a target other than ACCEPT, DROP, REJECT, RETURN or a user chain)", v.text));
  }

  IptablesRule finish() {
    for (const auto& [opt, what] : needs_proto_) {
      const bool icmp_opt = what.rfind("ICMP", 0) == 0;
      if (icmp_opt) {
        const std::uint8_t want = base_.family == Family::V4 ? XB_IPPROTO_ICMP : XB_IPPROTO_ICMPV6;
        if (proto_ != want) error(opt, fmt::format("{} needs -p {}", opt.text, want == 1 ? "icmp" : "ipv6-icmp"));
        continue;
      }
      if (!proto_) error(opt, fmt::format("{} needs -p tcp or -p udp", opt.text));
      if (what == "TCP flags" && proto_ != XB_IPPROTO_TCP) error(opt, fmt::format("{} needs -p tcp", opt.text));
      if (!carries_ports(*proto_))
        unsupported(proto_word_, fmt::format("ports of protocol {} (the filter reads TCP, UDP, UDP-Lite, SCTP and "
                                             "DCCP ports)",
                                             proto_word_.text));
    }
    auto too_many = [&](std::size_t n) {
      if (n > kMaxExpansion)
        throw UnsupportedRule(
            fmt::format("{}:{}:1: the rule expands to more than {} rules (negations, address lists "
                        "and ipsets multiply)",
                        source_, rule_.line, kMaxExpansion));
    };
    // the packets that get this far, and those a match that cannot read
    // its header drops (xt_tcpudp.c, xt_sctp.c, xt_dccp.c, xt_multiport.c,
    // icmp_match): TCP under 20 bytes or at IPv4 fragment offset 1, UDP and
    // ICMP under 8 bytes, SCTP and DCCP under 12, multiport under 4. A later
    // module never sees them.
    std::vector<HeaderMatch> result{base_};
    for (auto& mod : modules_) {
      // iptables refuses these without an option; nothing says what they would match
      if (mod.factors.empty() && mod.kind == ModuleKind::Icmp)
        error(mod.word, fmt::format("-m {} needs {} (iptables refuses it without)", mod.word.text,
                                    base_.family == Family::V4 ? "--icmp-type" : "--icmpv6-type"));
      if (mod.factors.empty() && mod.kind == ModuleKind::Multiport)
        error(mod.word, "-m multiport needs --sports, --dports or --ports (iptables refuses it without)");
      for (const auto& ref : mod.sets) mod.factors.push_back(ipset_matches(ref, base_.family, proto_, source_));
      const bool reads_header =
          port_module(mod.kind) || mod.kind == ModuleKind::Icmp || mod.kind == ModuleKind::Multiport;
      if (reads_header && proto_) {
        HeaderMatch cut = one();
        cut.proto = proto_;
        cut.l4_header = mod.kind == ModuleKind::Multiport ? L4Header::Tiny : L4Header::Short;
        for (auto& h : intersect(result, {cut})) out_.hotdrop.push_back(std::move(h));
        too_many(out_.hotdrop.size());
        // a tcp, udp, sctp or dccp match with no option still needs its whole header
        if (mod.factors.empty() && port_module(mod.kind)) {
          HeaderMatch whole = one();
          whole.sport = {PortRange{}};
          mod.factors.push_back({whole});
        }
      }
      for (const auto& f : mod.factors) {
        result = intersect(result, f);
        too_many(result.size());
      }
    }
    out_.matches = std::move(result);
    return std::move(out_);
  }
};

}  // namespace

IptablesRule read_iptables_rule(const SaveRule& rule, const SaveTable& table, const std::map<std::string, Ipset>& sets,
                                const std::string& source) {
  return RuleReader(rule, table, sets, source).read();
}

}  // namespace xb
