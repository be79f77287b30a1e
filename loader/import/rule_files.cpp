#include "rule_files.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>

#include "classbench_rules.hpp"
#include "errors.hpp"
#include "iptables_import.hpp"
#include "nft_import.hpp"
#include "text_input.hpp"

namespace xb {
namespace {

bool starts_with(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

// The first line that is neither blank nor a '#' comment, without leading blanks.
std::string first_content_line(const std::string& text) {
  std::size_t at = 0;
  while (at < text.size()) {
    const auto end = std::min(text.find('\n', at), text.size());
    const auto first = text.find_first_not_of(" \t\r", at);
    if (first < end && text[first] != '#') return text.substr(first, end - first);
    at = end + 1;
  }
  return "";
}

RuleSet imported(ImportedRules result) {
  // on the fly, what an import would write as comments goes to stderr
  for (const auto& n : result.notes) fmt::print(stderr, "note: {}\n", n);
  return std::move(result.rules);
}

}  // namespace

RuleSet load_rules(const std::string& spec, Action classbench_action) {
  static const std::string kClassBench = "classbench:", kToml = "toml:", kIptables = "iptables:", kNft = "nft:";
  if (starts_with(spec, kClassBench)) return load_classbench_file(spec.substr(kClassBench.size()), classbench_action);
  if (starts_with(spec, kToml)) return load_rule_file(spec.substr(kToml.size()));
  if (starts_with(spec, kIptables)) return imported(import_iptables_file(spec.substr(kIptables.size())));
  if (starts_with(spec, kNft)) return imported(import_nft_file(spec.substr(kNft.size())));
  return parse_rule_text(read_text_input(spec), spec, classbench_action);
}

RuleSet parse_rule_text(const std::string& text, const std::string& source, Action classbench_action) {
  // Read once, then sniffed: a TOML file cannot start with '@' (not a key,
  // table or comment), nor a line with '*' (an iptables-save table),
  // "create " (an ipset save line) or '{' (nft -j's JSON), so the guess
  // never takes a valid TOML file for another format.
  const std::string first = first_content_line(text);
  if (starts_with(first, "@")) return parse_classbench(text, source, classbench_action);
  if (starts_with(first, "*") || starts_with(first, "create ")) return imported(import_iptables(text, source));
  if (starts_with(first, "{")) return imported(import_nft(text, source));
  return parse_rules(text, source);
}

Action action_from_name(const std::string& name) {
  if (name == "drop") return Action::Drop;
  if (name == "pass") return Action::Pass;
  throw Error("'" + name + "': expected drop or pass");
}

}  // namespace xb
