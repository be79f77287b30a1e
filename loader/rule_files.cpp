#include "rule_files.hpp"

#include <cerrno>
#include <fstream>
#include <sstream>

#include "classbench_rules.hpp"
#include "errors.hpp"

namespace xb {
namespace {

std::string read_rule_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw RuleError(errno_message(path + ": cannot open rule file", errno));
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

}  // namespace

RuleSet load_rules(const std::string& spec, Action classbench_action) {
  static const std::string kClassBench = "classbench:", kToml = "toml:";
  if (starts_with(spec, kClassBench)) return load_classbench_file(spec.substr(kClassBench.size()), classbench_action);
  if (starts_with(spec, kToml)) return load_rule_file(spec.substr(kToml.size()));
  return parse_rule_text(read_rule_file(spec), spec, classbench_action);
}

RuleSet parse_rule_text(const std::string& text, const std::string& source, Action classbench_action) {
  // Read once, then sniffed: a TOML file cannot start with '@' (not a key,
  // table or comment), so the guess never takes a valid TOML file for ClassBench.
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && text[first] == '@') return parse_classbench(text, source, classbench_action);
  return parse_rules(text, source);
}

Action action_from_name(const std::string& name) {
  if (name == "drop") return Action::Drop;
  if (name == "pass") return Action::Pass;
  throw Error("'" + name + "': expected drop or pass");
}

}  // namespace xb
