// The rule set as the user wrote it: an ordered list of rules, first match
// wins, plus the verdicts for packets no rule decides.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "xb_abi.h"

namespace xb {

enum class Action : std::uint8_t { Pass = XB_PASS, Drop = XB_DROP };
enum class Family : std::uint8_t { V4 = XB_FAMILY_V4, V6 = XB_FAMILY_V6 };

struct SourceLocation {
  std::string file;
  std::uint32_t line = 0;
  std::uint32_t column = 0;
  std::string str() const;  // "file:line:column"
};

struct Prefix {
  Family family = Family::V4;
  std::array<std::uint8_t, 16> addr{};  // network byte order, host bits zero
  std::uint8_t len = 0;
  std::string str() const;
};

struct PortRange {
  std::uint16_t lo = 0;
  std::uint16_t hi = 65535;
  bool single() const { return lo == hi; }
};

struct TcpFlagsMatch {
  std::uint8_t mask = 0;   // flags looked at
  std::uint8_t value = 0;  // required values of those flags
  bool operator==(const TcpFlagsMatch&) const = default;
};

struct Rule {
  std::string name;
  Action action = Action::Drop;
  std::optional<Prefix> src;
  std::optional<Prefix> dst;
  std::optional<std::uint8_t> proto;
  std::vector<PortRange> sport;  // empty: any
  std::vector<PortRange> dport;  // empty: any
  std::optional<TcpFlagsMatch> tcp_flags;
  std::optional<std::uint8_t> icmp_type;
  std::optional<std::uint8_t> icmp_code;
  SourceLocation where;

  // The families this rule can match: one if it names an address or an
  // ICMP flavour, both otherwise.
  std::vector<Family> families() const;
};

struct RuleSet {
  Action default_action = Action::Pass;
  Action non_ip_action = Action::Pass;
  Action malformed_action = Action::Drop;
  std::vector<Rule> rules;
  std::string source;  // file name, or "<default>"
};

// Reads a TOML rule file. Throws RuleError naming file:line:column.
RuleSet load_rule_file(const std::string& path);
RuleSet parse_rules(const std::string& text, const std::string& source_name);

// The embedded default rule set (about 1,000 rules; rules/default.toml).
RuleSet default_rule_set();
const std::string& default_rules_text();

std::string action_name(Action a);
std::string proto_name(std::uint8_t proto);

}  // namespace xb
