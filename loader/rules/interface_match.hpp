// The interfaces a rule asks for (TOML iif/oif, iptables' -i/-o, nft's
// iifname/oifname), and a rule set decided for a hook that knows them.
//
// A hook attached to one interface knows one of a packet's interfaces for
// certain: at XDP and tc ingress the packet came in on that interface, at tc
// egress it goes out of it. So the loader decides every interface match when
// it attaches (and reloads), before compiling: a rule whose matches hold
// loses them, one whose match fails can match nothing. The per-packet path
// never looks at an interface. A hook that does not know the interface a
// rule asks for (the output interface at ingress, which routing decides
// after the hook; any interface at the hooks not tied to one) refuses the
// rule set at attach, naming the rule.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace xb {

struct Rule;
struct RuleSet;

// A name, or a prefix written with a trailing '+' (eth+: every name that
// starts with eth), negated with a leading '!', as iptables writes them.
struct InterfaceMatch {
  std::string name;  // without the '!' and the '+'
  bool prefix = false;
  bool negated = false;

  bool matches(const std::string& ifname) const;
  std::string str() const;  // as written: "!eth+"
  bool operator==(const InterfaceMatch&) const = default;
};

// "eth0", "eth+", "!lo": nullopt when it is no interface name (empty, over
// 15 characters, with '/', whitespace or a '+' inside).
std::optional<InterfaceMatch> parse_interface_match(const std::string& text);

// What a hook knows of a packet's interfaces: the one it is attached to.
struct KnownInterfaces {
  std::optional<std::string> in, out;
};

// Whether a rule names an interface.
bool names_interfaces(const Rule& rule);

// The rules decided for a hook that knows `known` (see above); `hook` names
// it in the error a rule it cannot decide gets (Error, naming the rule).
RuleSet decide_interfaces(const RuleSet& rules, const KnownInterfaces& known, const std::string& hook);

}  // namespace xb
