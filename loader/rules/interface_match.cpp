#include "interface_match.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "errors.hpp"
#include "rule_set.hpp"

namespace xb {

bool InterfaceMatch::matches(const std::string& ifname) const {
  const bool same = prefix ? ifname.starts_with(name) : ifname == name;
  return same != negated;
}

std::string InterfaceMatch::str() const { return (negated ? "!" : "") + name + (prefix ? "+" : ""); }

std::optional<InterfaceMatch> parse_interface_match(const std::string& text) {
  InterfaceMatch m;
  std::string s = text;
  if (s.starts_with("!")) {
    m.negated = true;
    s.erase(0, 1);
  }
  if (s.ends_with("+")) {
    m.prefix = true;
    s.pop_back();
  }
  // IFNAMSIZ - 1; iptables' "eth+" may also be a bare "+" (every interface)
  const bool bad_char = std::any_of(s.begin(), s.end(), [](unsigned char c) {
    return c == '/' || c == '+' || c == '!' || std::isspace(c) || c < 0x20;
  });
  if ((s.empty() && !m.prefix) || s.size() > 15 || bad_char) return std::nullopt;
  m.name = s;
  return m;
}

bool names_interfaces(const Rule& rule) { return !rule.iif.empty() || !rule.oif.empty(); }

RuleSet decide_interfaces(const RuleSet& rules, const KnownInterfaces& known, const std::string& hook) {
  RuleSet out = rules;
  for (std::size_t i = 0; i < out.rules.size(); ++i) {
    Rule& r = out.rules[i];
    const auto decide = [&](std::vector<InterfaceMatch>& matches, const std::optional<std::string>& ifname,
                            const char* key, const char* why) {
      if (matches.empty()) return;
      if (!ifname)
        throw Error(fmt::format("{} does not know a packet's {} ({}): rule '{}' at {} names {} = \"{}\"", hook,
                                key == std::string("iif") ? "input interface" : "output interface", why,
                                rule_label(out, i), r.where.str(), key, matches.front().str()));
      for (const auto& m : matches) r.never_matches |= !m.matches(*ifname);
      matches.clear();
    };
    decide(r.iif, known.in, "iif", known.out ? "it sees packets leaving one interface" : "it is tied to no interface");
    decide(r.oif, known.out, "oif", known.in ? "routing picks it after the hook" : "it is tied to no interface");
  }
  return out;
}

}  // namespace xb
