// The TOML rule file reader. Every error names file:line:column and what was
// expected there; nothing is returned unless the whole file is valid.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <set>
#include <sstream>

#include "address_type.hpp"
#include "errors.hpp"
#include "protocol_names.hpp"
#include "rule_set.hpp"
#include "text_input.hpp"

namespace xb {
namespace {

SourceLocation location_of(const toml::source_region& region, const std::string& file) {
  return SourceLocation{file, static_cast<std::uint32_t>(region.begin.line),
                        static_cast<std::uint32_t>(region.begin.column)};
}

[[noreturn]] void fail(const SourceLocation& where, const std::string& message) {
  throw RuleError(where.str() + ": " + message);
}

[[noreturn]] void fail(const toml::node& node, const std::string& file, const std::string& message) {
  fail(location_of(node.source(), file), message);
}

std::string trim(std::string s) {
  auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// What a rule's l4-header needs of its other fields; nullptr when it has it.
const char* l4_header_error(const Rule& r) {
  const bool ports = !r.sport.empty() || !r.dport.empty();
  const int proto = r.proto ? *r.proto : -1;
  const bool tcp_udp = proto == XB_IPPROTO_TCP || proto == XB_IPPROTO_UDP;
  switch (r.l4_header) {
    case L4Header::Whole:
      return nullptr;
    case L4Header::Ports:
      if (!ports) return "'l4-header' = \"ports\" needs 'sport' or 'dport'";
      if (r.tcp_flags) return "'l4-header' = \"ports\" reads the ports only: write the TCP flags in a rule of its own";
      return nullptr;
    case L4Header::Short:
      if (!tcp_udp && proto != XB_IPPROTO_ICMP && proto != XB_IPPROTO_ICMPV6)
        return "'l4-header' = \"short\" needs proto = \"tcp\", \"udp\", \"icmp\" or \"icmpv6\"";
      if (r.tcp_flags || r.icmp_type || r.icmp_code)
        return "'l4-header' = \"short\": a header cut short has no TCP flags or ICMP fields to match";
      return nullptr;
    case L4Header::Tiny:
      if (!tcp_udp) return "'l4-header' = \"tiny\" needs proto = \"tcp\" or \"udp\"";
      if (ports || r.tcp_flags) return "'l4-header' = \"tiny\": a header under 4 bytes has no ports or flags to match";
      return nullptr;
  }
  return nullptr;
}

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  RuleSet read(const toml::table& root) {
    RuleSet set;
    set.source = file_;
    for (auto&& [key, node] : root) {
      if (key == "defaults") {
        read_defaults(node, set);
      } else if (key == "rule") {
        const auto* rules = node.as_array();
        if (!rules) fail(node, file_, "'rule' must be an array of tables: write [[rule]]");
        for (auto&& item : *rules) set.rules.push_back(read_rule(item));
      } else {
        fail(location_of(key.source(), file_),
             fmt::format("unknown key '{}': expected [defaults] or [[rule]]", key.str()));
      }
    }
    if (set.rules.size() > XB_MAX_RULES)
      fail(SourceLocation{file_, 1, 1},
           fmt::format("{} rules, more than the {} a table holds", set.rules.size(), XB_MAX_RULES));
    return set;
  }

 private:
  std::string file_;

  const toml::table& as_table(const toml::node& node, const char* what) {
    const auto* t = node.as_table();
    if (!t) fail(node, file_, fmt::format("{} must be a table", what));
    return *t;
  }

  std::string string_of(const toml::node& node, const std::string& key) {
    const auto* s = node.as_string();
    if (!s) fail(node, file_, fmt::format("'{}' must be a string", key));
    return s->get();
  }

  Action action_of(const toml::node& node, const std::string& key) {
    const auto value = lower(string_of(node, key));
    if (value == "pass" || value == "accept" || value == "allow") return Action::Pass;
    if (value == "drop" || value == "deny") return Action::Drop;
    fail(node, file_, fmt::format("'{}' = \"{}\": expected \"pass\" or \"drop\"", key, value));
  }

  std::uint8_t byte_of(const toml::node& node, const std::string& key) {
    const auto* i = node.as_integer();
    if (!i || i->get() < 0 || i->get() > 255)
      fail(node, file_, fmt::format("'{}' must be an integer from 0 to 255", key));
    return static_cast<std::uint8_t>(i->get());
  }

  bool short_header_of(const toml::node& node) {
    const auto value = lower(string_of(node, "short-header"));
    if (value == "malformed") return false;
    if (value == "rules") return true;
    fail(node, file_, fmt::format("'short-header' = \"{}\": expected \"malformed\" or \"rules\"", value));
  }

  L4Header l4_header_of(const toml::node& node) {
    const auto value = lower(string_of(node, "l4-header"));
    for (const L4Header h : {L4Header::Whole, L4Header::Ports, L4Header::Short, L4Header::Tiny})
      if (value == l4_header_name(h)) return h;
    fail(node, file_, fmt::format("'l4-header' = \"{}\": expected \"whole\", \"ports\", \"short\" or \"tiny\"", value));
  }

  void read_defaults(const toml::node& node, RuleSet& set) {
    for (auto&& [key, value] : as_table(node, "[defaults]")) {
      if (key == "action")
        set.default_action = action_of(value, "action");
      else if (key == "non-ip")
        set.non_ip_action = action_of(value, "non-ip");
      else if (key == "malformed")
        set.malformed_action = action_of(value, "malformed");
      else if (key == "short-header")
        set.short_header_rules = short_header_of(value);
      else
        fail(location_of(key.source(), file_),
             fmt::format("unknown key '{}' in [defaults]: expected action, non-ip, malformed or short-header",
                         key.str()));
    }
  }

  Prefix prefix_of(const toml::node& node, const std::string& key) {
    const std::string text = trim(string_of(node, key));
    const auto slash = text.find('/');
    const std::string addr_text = text.substr(0, slash);
    Prefix p;
    int max_len;
    if (inet_pton(AF_INET, addr_text.c_str(), p.addr.data()) == 1) {
      p.family = Family::V4;
      max_len = 32;
    } else if (inet_pton(AF_INET6, addr_text.c_str(), p.addr.data()) == 1) {
      p.family = Family::V6;
      max_len = 128;
    } else {
      fail(node, file_,
           fmt::format("'{}' = \"{}\": expected an IPv4 or IPv6 prefix such as "
                       "198.18.0.0/15 or 2001:2::/48",
                       key, text));
    }
    int len = max_len;
    if (slash != std::string::npos) {
      const std::string len_text = text.substr(slash + 1);
      auto [ptr, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
      if (ec != std::errc() || ptr != len_text.data() + len_text.size() || len < 0 || len > max_len)
        fail(node, file_, fmt::format("'{}' = \"{}\": prefix length must be 0 to {}", key, text, max_len));
    }
    p.len = static_cast<std::uint8_t>(len);
    for (int bit = len; bit < max_len; ++bit) {
      if (p.addr[bit / 8] & (0x80 >> (bit % 8))) {
        Prefix fixed = p;
        for (int b = len; b < max_len; ++b) {
          const auto host_bit = static_cast<std::uint8_t>(0x80 >> (b % 8));
          fixed.addr[b / 8] &=
              static_cast<std::uint8_t>(~host_bit);  // ~ widens to int; the byte's mask is its low 8 bits
        }
        fail(node, file_, fmt::format("'{}' = \"{}\" has host bits set: did you mean {}?", key, text, fixed.str()));
      }
    }
    return p;
  }

  std::uint8_t proto_of(const toml::node& node) {
    if (node.is_integer()) return byte_of(node, "proto");
    if (!node.is_string()) fail(node, file_, "'proto' must be a protocol name such as \"tcp\" or a number 0-255");
    const auto name = trim(string_of(node, "proto"));
    if (const auto number = protocol_number(name)) return *number;
    fail(node, file_,
         fmt::format("'proto' = \"{}\": expected a protocol name from /etc/protocols (tcp, udp, icmp, icmpv6, gre, "
                     "esp, sctp, ...) or a number 0-255",
                     name));
  }

  PortRange port_range_of(const toml::node& node, const std::string& key) {
    auto port = [&](long long v) {
      if (v < 0 || v > 65535) fail(node, file_, fmt::format("'{}': port {} is not 0 to 65535", key, v));
      return static_cast<std::uint16_t>(v);
    };
    if (const auto* i = node.as_integer()) {
      const auto p = port(i->get());
      return {p, p};
    }
    if (!node.is_string())
      fail(node, file_, fmt::format("'{}' must be a port, a range such as \"1024-65535\", or a list of them", key));
    const std::string text = trim(string_of(node, key));
    const auto dash = text.find('-');
    auto number = [&](const std::string& s) {
      long long v = -1;
      auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      if (ec != std::errc() || ptr != s.data() + s.size() || s.empty())
        fail(node, file_, fmt::format("'{}' = \"{}\": expected a port or a range such as \"1024-65535\"", key, text));
      return port(v);
    };
    if (dash == std::string::npos) {
      const auto p = number(text);
      return {p, p};
    }
    PortRange r{number(trim(text.substr(0, dash))), number(trim(text.substr(dash + 1)))};
    if (r.lo > r.hi) fail(node, file_, fmt::format("'{}' = \"{}\": range is empty (low > high)", key, text));
    return r;
  }

  std::vector<PortRange> ports_of(const toml::node& node, const std::string& key) {
    std::vector<PortRange> out;
    if (const auto* list = node.as_array()) {
      if (list->empty()) fail(node, file_, fmt::format("'{}' is an empty list", key));
      for (auto&& item : *list) out.push_back(port_range_of(item, key));
    } else {
      out.push_back(port_range_of(node, key));
    }
    return out;
  }

  TcpFlagsMatch tcp_flags_of(const toml::node& node) {
    static const std::pair<const char*, std::uint8_t> kFlags[] = {{"fin", 0x01}, {"syn", 0x02}, {"rst", 0x04},
                                                                  {"psh", 0x08}, {"ack", 0x10}, {"urg", 0x20},
                                                                  {"ece", 0x40}, {"cwr", 0x80}};
    TcpFlagsMatch m;
    std::stringstream in(lower(string_of(node, "tcp-flags")));
    std::string item;
    while (std::getline(in, item, ',')) {
      item = trim(item);
      const bool negate = !item.empty() && item[0] == '!';
      if (negate) item = trim(item.substr(1));
      auto it = std::find_if(std::begin(kFlags), std::end(kFlags), [&](const auto& f) { return item == f.first; });
      if (it == std::end(kFlags))
        fail(node, file_,
             fmt::format("'tcp-flags': unknown flag '{}': expected fin, syn, rst, psh, "
                         "ack, urg, ece, cwr, each optionally prefixed by '!'",
                         item));
      m.mask |= it->second;
      if (!negate) m.value |= it->second;
    }
    if (!m.mask) fail(node, file_, "'tcp-flags' names no flag");
    return m;
  }

  // "established" or ["established", "related"]: the states iptables'
  // conntrack match and nftables' ct state name
  std::uint8_t ct_states_of(const toml::node& node) {
    std::uint8_t states = 0;
    auto add = [&](const toml::node& item) {
      const std::string name = trim(string_of(item, "ct-state"));
      const auto bit = ct_state_bit(name);
      if (!bit)
        fail(item, file_,
             fmt::format("'ct-state': unknown state \"{}\": expected new, established, related, invalid or untracked",
                         name));
      states |= *bit;
    };
    if (const auto* list = node.as_array()) {
      if (list->empty()) fail(node, file_, "'ct-state' is an empty list: a rule on no state matches nothing");
      for (auto&& item : *list) add(item);
    } else {
      add(node);
    }
    return states;
  }

  // "local", ["local", "broadcast"] (any of them) or "!local" (any other)
  std::uint16_t address_types_of(const toml::node& node, const std::string& key) {
    std::uint16_t types = 0;
    auto add = [&](const toml::node& item, bool may_negate) {
      std::string name = trim(string_of(item, key));
      const bool negate = may_negate && name.starts_with("!");
      if (negate) name = trim(name.substr(1));
      const auto bit = address_type_bit(name);
      if (!bit)
        fail(item, file_,
             fmt::format("'{}': unknown address type \"{}\": expected one of {}{}", key, name,
                         address_types_text(kAllAddressTypes), may_negate ? ", or \"!TYPE\" for any other" : ""));
      types |= negate ? static_cast<std::uint16_t>(kAllAddressTypes & ~*bit) : *bit;
    };
    if (const auto* list = node.as_array()) {
      if (list->empty())
        fail(node, file_, fmt::format("'{}' is an empty list: an address of no type matches nothing", key));
      for (auto&& item : *list) add(item, false);
    } else {
      add(node, true);
    }
    return types;
  }

  // 0 or "!0": IPv6's first routing header of type 0, or of another
  bool rt_type_of(const toml::node& node) {
    const char* expected =
        "'rt-type' must be 0 (a routing header of type 0, the deprecated source route) or \"!0\" (one of "
        "another type); other types are not read";
    if (const auto* i = node.as_integer()) {
      if (i->get() != 0) fail(node, file_, expected);
      return true;
    }
    if (!node.is_string() || trim(string_of(node, "rt-type")) != "!0") fail(node, file_, expected);
    return false;
  }

  // 64 or "1-63": the IPv4 TTL or IPv6 hop limit
  TtlRange ttl_of(const toml::node& node) {
    const char* expected = "'ttl' must be a TTL / hop limit 0-255 or a range such as \"1-63\"";
    if (const auto* i = node.as_integer()) {
      if (i->get() < 0 || i->get() > 255) fail(node, file_, expected);
      const auto v = static_cast<std::uint8_t>(i->get());
      return {v, v};
    }
    if (!node.is_string()) fail(node, file_, expected);
    const std::string text = trim(string_of(node, "ttl"));
    const auto dash = text.find('-');
    auto number = [&](const std::string& s) {
      int v = -1;
      auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      if (ec != std::errc() || ptr != s.data() + s.size() || s.empty() || v < 0 || v > 255) fail(node, file_, expected);
      return static_cast<std::uint8_t>(v);
    };
    if (dash == std::string::npos) {
      const auto v = number(text);
      return {v, v};
    }
    TtlRange r{number(trim(text.substr(0, dash))), number(trim(text.substr(dash + 1)))};
    if (r.lo > r.hi) fail(node, file_, fmt::format("'ttl' = \"{}\": range is empty (low > high)", text));
    return r;
  }

  // "eth0", "eth+", "!lo", or a list of them, all of which must hold
  std::vector<InterfaceMatch> interfaces_of(const toml::node& node, const std::string& key) {
    std::vector<InterfaceMatch> out;
    auto add = [&](const toml::node& item) {
      const std::string text = trim(string_of(item, key));
      const auto m = parse_interface_match(text);
      if (!m)
        fail(item, file_,
             fmt::format("'{}' = \"{}\": expected an interface name (up to 15 characters), a prefix such as "
                         "\"eth+\", or either after '!'",
                         key, text));
      out.push_back(*m);
    };
    if (const auto* list = node.as_array()) {
      if (list->empty()) fail(node, file_, fmt::format("'{}' is an empty list", key));
      for (auto&& item : *list) add(item);
    } else {
      add(node);
    }
    return out;
  }

  Rule read_rule(const toml::node& node) {
    static const std::set<std::string> kKeys = {"name",  "action",    "src",       "dst",       "proto",     "sport",
                                                "dport", "tcp-flags", "icmp-type", "icmp-code", "l4-header", "ct-state",
                                                "iif",   "oif",       "ttl",       "src-type",  "dst-type",  "rt-type"};
    const auto& table = as_table(node, "[[rule]]");
    Rule rule;
    rule.where = location_of(node.source(), file_);
    const toml::node* action = nullptr;
    const toml::node* ports_node = nullptr;
    for (auto&& [key, value] : table) {
      const std::string k(key.str());
      if (!kKeys.count(k))
        fail(location_of(key.source(), file_),
             fmt::format("unknown key '{}' in [[rule]]: expected one of name, action, src, dst, "
                         "proto, sport, dport, tcp-flags, icmp-type, icmp-code, l4-header, ct-state, iif, oif, ttl, "
                         "src-type, dst-type, rt-type",
                         k));
      if (k == "name")
        rule.name = string_of(value, k);
      else if (k == "action") {
        rule.action = action_of(value, k);
        action = &value;
      } else if (k == "src")
        rule.src = prefix_of(value, k);
      else if (k == "dst")
        rule.dst = prefix_of(value, k);
      else if (k == "proto")
        rule.proto = proto_of(value);
      else if (k == "sport") {
        rule.sport = ports_of(value, k);
        ports_node = &value;
      } else if (k == "dport") {
        rule.dport = ports_of(value, k);
        ports_node = &value;
      } else if (k == "tcp-flags")
        rule.tcp_flags = tcp_flags_of(value);
      else if (k == "icmp-type")
        rule.icmp_type = byte_of(value, k);
      else if (k == "icmp-code")
        rule.icmp_code = byte_of(value, k);
      else if (k == "l4-header")
        rule.l4_header = l4_header_of(value);
      else if (k == "ct-state")
        rule.ct_states = ct_states_of(value);
      else if (k == "ttl")
        rule.ttl = ttl_of(value);
      else if (k == "iif")
        rule.iif = interfaces_of(value, k);
      else if (k == "oif")
        rule.oif = interfaces_of(value, k);
      else if (k == "src-type")
        rule.src_types = address_types_of(value, k);
      else if (k == "dst-type")
        rule.dst_types = address_types_of(value, k);
      else if (k == "rt-type")
        rule.rt_type0 = rt_type_of(value);
    }
    if (!action) fail(rule.where, "[[rule]] has no 'action': expected action = \"pass\" or \"drop\"");
    validate(rule, table, ports_node);
    return rule;
  }

  void validate(const Rule& rule, const toml::table& table, const toml::node* ports_node) {
    auto where = [&](const char* key) {
      const auto* n = table.get(key);
      return n ? location_of(n->source(), file_) : rule.where;
    };
    if (rule.src && rule.dst && rule.src->family != rule.dst->family)
      fail(where("dst"), "'src' and 'dst' are of different address families");
    const auto fams = rule.families();
    if (ports_node && rule.proto && !carries_ports(*rule.proto))
      fail(*ports_node, file_,
           "ports need proto = \"tcp\", \"udp\", \"udplite\", \"sctp\" or \"dccp\" (or no proto: TCP and UDP)");
    if (rule.tcp_flags && rule.proto != XB_IPPROTO_TCP) fail(where("tcp-flags"), "'tcp-flags' needs proto = \"tcp\"");
    if ((rule.icmp_type || rule.icmp_code) && rule.proto != XB_IPPROTO_ICMP && rule.proto != XB_IPPROTO_ICMPV6)
      fail(where(rule.icmp_type ? "icmp-type" : "icmp-code"),
           "'icmp-type'/'icmp-code' need proto = \"icmp\" or \"icmpv6\"");
    if (fams.empty() && rule.rt_type0)
      fail(where("rt-type"), "'rt-type' reads IPv6's routing header: the rule's addresses or protocol are IPv4");
    if (fams.empty()) fail(where("proto"), "'proto' contradicts the address family: icmp is IPv4, icmpv6 is IPv6");
    if (const char* why = l4_header_error(rule)) fail(where("l4-header"), why);
  }
};

}  // namespace

RuleSet parse_rules(const std::string& text, const std::string& source_name) {
  toml::table root;
  try {
    root = toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    fail(location_of(e.source(), source_name), std::string(e.description()));
  }
  return Reader(source_name).read(root);
}

RuleSet load_rule_file(const std::string& path) { return parse_rules(read_text_input(path), path); }

RuleSet default_rule_set() { return parse_rules(default_rules_text(), "<default rules>"); }

}  // namespace xb
