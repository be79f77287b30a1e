#include "iptables_import.hpp"

#include <fmt/format.h>

#include <map>

#include "errors.hpp"
#include "header_match.hpp"
#include "iptables_rule.hpp"
#include "iptables_save.hpp"
#include "text_input.hpp"

namespace xb {
namespace {

// Deeper than iptables allows; reached only by a loop of jumps.
constexpr std::size_t kMaxJumpDepth = 64;

std::string family_tool(Family f) { return f == Family::V4 ? "iptables" : "ip6tables"; }

// The chain of one family, walked into rules.
class ChainWalker {
 public:
  ChainWalker(const SaveFile& file, const SaveTable& table, const SaveChain& top, bool name_family,
              const IptablesImportOptions& options, ImportedRules& result)
      : file_(file),
        table_(table),
        top_(top),
        policy_(top.policy == "DROP" ? Action::Drop : Action::Pass),
        name_prefix_(name_family ? (table.family == Family::V4 ? "ip4:" : "ip6:") : ""),
        options_(options),
        result_(result) {}

  Action policy() const { return policy_; }

  std::vector<Rule> walk() {
    HeaderMatch any;
    any.family = table_.family;
    walk_chain(top_, 0, {any}, {});
    return std::move(out_);
  }

  // The rule that gives the policy to every packet of the family.
  Rule policy_rule() const {
    HeaderMatch any;
    any.family = table_.family;
    return to_rule(any, name_prefix_ + top_.name + ":policy", policy_, {file_.source, top_.line, 1});
  }

 private:
  struct Frame {
    const SaveChain* chain;
    std::size_t next;
  };

  const SaveFile& file_;
  const SaveTable& table_;
  const SaveChain& top_;
  Action policy_;
  std::string name_prefix_;
  const IptablesImportOptions& options_;
  ImportedRules& result_;
  std::map<const SaveRule*, std::optional<IptablesRule>> read_;  // nullopt: skipped
  std::vector<Rule> out_;

  const std::optional<IptablesRule>& rule(const SaveRule& r) {
    auto it = read_.find(&r);
    if (it != read_.end()) return it->second;
    std::optional<IptablesRule> read;
    try {
      read = read_iptables_rule(r, table_, file_.sets, file_.source);
      const auto& t = read->target;
      if (t.kind == IptablesTarget::Kind::Reject)
        result_.notes.push_back(
            fmt::format("{}:{}:{}: REJECT is imported as drop: the filter drops, it sends no "
                        "ICMP error or TCP reset",
                        file_.source, r.line, t.word.column));
      if (t.kind == IptablesTarget::Kind::None)
        result_.notes.push_back(
            fmt::format("{}:{}:1: the rule has no target (it only counts): nothing to import", file_.source, r.line));
    } catch (const UnsupportedRule& e) {
      if (!options_.skip_unsupported) throw;
      result_.skipped.push_back(e.what());
    }
    return read_.emplace(&r, std::move(read)).first->second;
  }

  std::string name_of(const SaveChain& chain, std::size_t index, const IptablesRule& r) const {
    return r.comment.empty() ? fmt::format("{}{}:{}", name_prefix_, chain.name, index + 1) : r.comment;
  }

  void emit(const std::vector<HeaderMatch>& matches, const std::string& name, Action action, SourceLocation where) {
    for (const auto& m : matches) {
      out_.push_back(to_rule(m, name, action, where));
      if (out_.size() > XB_MAX_RULES)
        throw RuleError(fmt::format("{}: the chain inlines into more than {} rules", where.str(), XB_MAX_RULES));
    }
  }

  const SaveChain& chain_named(const std::string& name) const { return *table_.chain(name); }

  void walk_chain(const SaveChain& chain, std::size_t from, const std::vector<HeaderMatch>& ctx,
                  const std::vector<Frame>& stack) {
    if (stack.size() > kMaxJumpDepth)
      throw RuleError(
          fmt::format("{}:{}:1: chains jump deeper than {} (a loop?)", file_.source, chain.line, kMaxJumpDepth));
    using K = IptablesTarget::Kind;
    for (std::size_t i = from; i < chain.rules.size(); ++i) {
      const SaveRule& saved = chain.rules[i];
      const auto& r = rule(saved);
      if (!r) continue;
      const auto m = intersect(ctx, r->matches);
      if (m.empty()) continue;
      const SourceLocation where{file_.source, saved.line, 1};
      switch (r->target.kind) {
        case K::None:
          break;
        case K::Accept:
          emit(m, name_of(chain, i, *r), Action::Pass, where);
          break;
        case K::Drop:
        case K::Reject:
          emit(m, name_of(chain, i, *r), Action::Drop, where);
          break;
        case K::Jump: {
          auto deeper = stack;
          deeper.push_back({&chain, i + 1});
          walk_chain(chain_named(r->target.chain), 0, m, deeper);
          break;
        }
        case K::Goto:
          walk_chain(chain_named(r->target.chain), 0, m, stack);
          go_on(m, stack);
          break;
        case K::Return:
          go_on(m, stack);
          break;
      }
    }
  }

  // Where the packets of `m` go from here: the rules after each jump on
  // the stack, then the policy. What is emitted decides every packet of m.
  void go_on(const std::vector<HeaderMatch>& m, std::vector<Frame> stack) {
    while (!stack.empty()) {
      const Frame top = stack.back();
      stack.pop_back();
      walk_chain(*top.chain, top.next, m, stack);
    }
    emit(m, name_prefix_ + top_.name + ":policy", policy_, {file_.source, top_.line, 1});
  }
};

std::pair<std::string, std::string> chosen_chain(const SaveFile& file, const IptablesImportOptions& o) {
  if (!o.chain.empty()) return {o.table.empty() ? "filter" : o.table, o.chain};
  if (!o.table.empty()) {
    if (o.table == "filter") return {"filter", "INPUT"};
    if (o.table == "raw" || o.table == "mangle") return {o.table, "PREROUTING"};
    throw Error(fmt::format("--table={}: name the chain too (--chain)", o.table));
  }
  for (const auto& t : file.tables)
    if (t.name == "raw")
      if (const auto* c = t.chain("PREROUTING"); c && !c->rules.empty()) return {"raw", "PREROUTING"};
  return {"filter", "INPUT"};
}

}  // namespace

ImportedRules import_iptables(const std::string& text, const std::string& source,
                              const IptablesImportOptions& options) {
  const SaveFile file = parse_iptables_save(text, source, options.family);
  const auto [table_name, chain_name] = chosen_chain(file, options);
  ImportedRules result;
  result.rules.source = source;

  struct Imported {
    Family family;
    Action policy;
    Rule policy_rule;
  };
  std::vector<Imported> families;
  const bool both = file.table(table_name, Family::V4) && file.table(table_name, Family::V6);
  for (const Family f : {Family::V4, Family::V6}) {
    const SaveTable* table = file.table(table_name, f);
    if (!table) continue;
    const SaveChain* chain = table->chain(chain_name);
    if (!chain)
      throw RuleError(fmt::format("{}:{}:1: table {} ({}) has no chain {}", source, table->line, table_name,
                                  family_tool(f), chain_name));
    if (chain->policy == "-")
      throw Error(fmt::format("{}:{}:1: {} is a user chain: import a built-in chain (it has the policy)", source,
                              chain->line, chain_name));
    ChainWalker walker(file, *table, *chain, both, options, result);
    auto rules = walker.walk();
    result.rules.rules.insert(result.rules.rules.end(), rules.begin(), rules.end());
    families.push_back({f, walker.policy(), walker.policy_rule()});
  }
  if (families.empty())
    throw RuleError(fmt::format("{}: no table {} with chain {} (choose one with --table and --chain)", source,
                                table_name, chain_name));

  // One default action; a family whose policy differs, or that the file
  // does not have (its packets pass the kernel), gets a rule of its own.
  result.rules.default_action = families.front().policy;
  for (const auto& f : families)
    if (f.policy != result.rules.default_action) result.rules.rules.push_back(f.policy_rule);
  if (families.size() == 1 && result.rules.default_action == Action::Drop) {
    const Family other = families.front().family == Family::V4 ? Family::V6 : Family::V4;
    HeaderMatch any;
    any.family = other;
    result.rules.rules.push_back(
        to_rule(any, fmt::format("{}:not-imported", family_tool(other)), Action::Pass, {source, 0, 0}));
    result.notes.push_back(fmt::format("{}: the file has no {} {} {}: {} packets pass (as the kernel passes them)",
                                       source, family_tool(other), table_name, chain_name,
                                       other == Family::V4 ? "IPv4" : "IPv6"));
  }
  if (table_name == "filter" && chain_name == "INPUT")
    result.notes.push_back(
        fmt::format("{}: filter INPUT sees only the packets for this host; attached at a packet "
                    "hook, the rules see every packet of the interface",
                    source));
  if (result.rules.rules.size() > XB_MAX_RULES)
    throw RuleError(fmt::format("{}: {} rules after inlining, more than the {} a table holds", source,
                                result.rules.rules.size(), XB_MAX_RULES));
  return result;
}

ImportedRules import_iptables_file(const std::string& path, const IptablesImportOptions& options) {
  return import_iptables(read_text_input(path), input_name(path), options);
}

std::string import_comment(const ImportedRules& imported, const std::string& what) {
  std::string out = fmt::format("# {}: {} rules\n", what, imported.rules.rules.size());
  for (const auto& n : imported.notes) out += "# note: " + n + "\n";
  for (const auto& s : imported.skipped) out += "# skipped: " + s + "\n";
  return out;
}

}  // namespace xb
