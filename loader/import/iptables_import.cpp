#include "iptables_import.hpp"

#include <fmt/format.h>

#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "chain_inliner.hpp"
#include "errors.hpp"
#include "header_match.hpp"
#include "iptables_rule.hpp"
#include "iptables_save.hpp"
#include "text_input.hpp"

namespace xb {
namespace {

std::string family_tool(Family f) { return f == Family::V4 ? "iptables" : "ip6tables"; }

// What a rule left out would have done, read from its target alone (the
// rule was refused before its target, maybe): the inliner checks that
// leaving it out drops nothing the kernel lets through.
void read_left_out_verdict(const SaveRule& saved, const SaveTable& table, InlineRule& out) {
  using K = InlineRule::Kind;
  // targets that decide nothing: the packet goes on to the next rule
  static const std::set<std::string> kGoesOn = {"LOG",      "NFLOG",     "ULOG",   "MARK",    "CONNMARK", "CT",
                                                "NOTRACK",  "TRACE",     "TCPMSS", "DSCP",    "TOS",      "TTL",
                                                "HL",       "CLASSIFY",  "AUDIT",  "SET",     "SECMARK",  "CONNSECMARK",
                                                "CHECKSUM", "IDLETIMER", "LED",    "RATEEST", "TEE"};
  for (std::size_t i = 0; i + 1 < saved.words.size(); ++i) {
    const std::string& opt = saved.words[i].text;
    if (opt != "-j" && opt != "--jump" && opt != "-g" && opt != "--goto") continue;
    const std::string& name = saved.words[i + 1].text;
    out.verdict = fmt::format("{} {}", opt, name);
    const SaveChain* chain = table.chain(name);
    if (name == "DROP" || name == "REJECT")
      out.kind = K::Drop;
    else if (name == "RETURN")
      out.kind = K::Return;
    else if (kGoesOn.contains(name))
      out.kind = K::None;
    else if (chain && chain->policy == "-") {
      out.kind = opt == "-g" || opt == "--goto" ? K::Goto : K::Jump;
      out.target = name;
    } else {
      out.kind = K::Accept;  // ACCEPT, or a verdict that may let the packet through (NFQUEUE, ...)
    }
    return;
  }
  out.kind = K::None;
}

// One family's table, its rules read when the inliner reaches them.
class IptablesSource final : public InlineSource {
 public:
  IptablesSource(const SaveFile& file, const SaveTable& table, std::string name_prefix,
                 const IptablesImportOptions& options, ImportedRules& result)
      : file_(file), table_(table), prefix_(std::move(name_prefix)), options_(options), result_(result) {}

  std::size_t size(const std::string& chain) override { return table_.chain(chain)->rules.size(); }

  const InlineRule* rule(const std::string& chain_name, std::size_t index) override {
    const SaveRule& saved = table_.chain(chain_name)->rules[index];
    auto it = read_.find(&saved);
    if (it == read_.end()) it = read_.emplace(&saved, translate(chain_name, index, saved)).first;
    return &it->second;
  }

  // The policy of the chain, as the rule that gives it.
  InlineRule policy(const SaveChain& top) const {
    InlineRule p;
    p.kind = top.policy == "DROP" ? InlineRule::Kind::Drop : InlineRule::Kind::Accept;
    p.name = prefix_ + top.name + ":policy";
    p.where = {file_.source, top.line, 1};
    p.origin = key(top.name, "policy");
    return p;
  }

 private:
  const SaveFile& file_;
  const SaveTable& table_;
  std::string prefix_;
  const IptablesImportOptions& options_;
  ImportedRules& result_;
  std::map<const SaveRule*, InlineRule> read_;

  std::string key(const std::string& chain, const std::string& what) const {
    return fmt::format("{} {}:{}", table_.family == Family::V4 ? "ip4" : "ip6", chain, what);
  }

  InlineRule translate(const std::string& chain, std::size_t index, const SaveRule& saved) {
    InlineRule out;
    out.name = fmt::format("{}{}:{}", prefix_, chain, index + 1);
    out.where = {file_.source, saved.line, 1};
    out.origin = key(chain, std::to_string(index + 1));
    IptablesRule r;
    try {
      r = read_iptables_rule(saved, table_, file_.sets, file_.source);
    } catch (const UnsupportedRule& e) {
      if (!options_.skip_unsupported) throw;
      result_.skipped.push_back(e.what());
      out.skipped = e.what();
      read_left_out_verdict(saved, table_, out);
      return out;
    }
    using K = IptablesTarget::Kind;
    using IK = InlineRule::Kind;
    out.matches = std::move(r.matches);
    out.hotdrop = std::move(r.hotdrop);
    if (!r.comment.empty()) out.name = r.comment;
    out.target = r.target.chain;
    switch (r.target.kind) {
      case K::None:
        result_.notes.push_back(fmt::format(
            "{}:{}:1: the rule has no target (it only counts): {}", file_.source, saved.line,
            out.hotdrop.empty() ? "nothing to import" : "only what its header match drops on the spot is imported"));
        out.kind = IK::None;
        break;
      case K::Accept:
        out.kind = IK::Accept;
        break;
      case K::Reject:
        result_.notes.push_back(
            fmt::format("{}:{}:{}: REJECT is imported as drop: the filter drops, it sends no "
                        "ICMP error or TCP reset",
                        file_.source, saved.line, r.target.word.column));
        out.kind = IK::Drop;
        break;
      case K::Drop:
        out.kind = IK::Drop;
        break;
      case K::Return:
        out.kind = IK::Return;
        break;
      case K::Jump:
        out.kind = IK::Jump;
        break;
      case K::Goto:
        out.kind = IK::Goto;
        break;
    }
    return out;
  }
};

// Whether a built-in chain judges packets (it has rules, or a policy
// other than ACCEPT, in either family), as the messages say it.
std::optional<std::string> judging(const SaveFile& file, const std::string& table, const std::string& chain) {
  std::size_t rules = 0;
  std::string policy;
  for (const auto& t : file.tables)
    if (const auto* c = t.name == table ? t.chain(chain) : nullptr) {
      rules += c->rules.size();
      if (c->policy != "ACCEPT" && c->policy != "-") policy = c->policy;
    }
  if (rules == 0 && policy.empty()) return std::nullopt;
  return fmt::format("{} {} ({} rule{}{})", table, chain, rules, rules == 1 ? "" : "s",
                     policy.empty() ? "" : ", policy " + policy);
}

std::pair<std::string, std::string> chosen_chain(const SaveFile& file, const IptablesImportOptions& o) {
  if (!o.chain.empty()) return {o.table.empty() ? "filter" : o.table, o.chain};
  if (!o.table.empty()) {
    if (o.table == "filter") return {"filter", "INPUT"};
    if (o.table == "raw" || o.table == "mangle") return {o.table, "PREROUTING"};
    throw Error(fmt::format("--table={}: name the chain too (--chain)", o.table));
  }
  // Both judge what comes in (raw first); importing one alone as if it were
  // the whole would drop the other's verdicts without a word (firewalld's
  // raw PREROUTING only jumps to its empty chains; its filter INPUT is the
  // firewall), so the user chooses, as for nftables' base chains.
  const auto raw = judging(file, "raw", "PREROUTING");
  const auto input = judging(file, "filter", "INPUT");
  if (raw && input)
    throw RuleError(
        fmt::format("{}: several chains judge incoming packets: {}, {}: choose one with --table and --chain",
                    file.source, *raw, *input));
  return raw ? std::pair<std::string, std::string>{"raw", "PREROUTING"}
             : std::pair<std::string, std::string>{"filter", "INPUT"};
}

}  // namespace

ImportedRules import_iptables(const std::string& text, const std::string& source,
                              const IptablesImportOptions& options) {
  const SaveFile file = parse_iptables_save(text, source, options.family);
  const auto [table_name, chain_name] = chosen_chain(file, options);
  ImportedRules result;
  result.rules.source = source;
  // a header cut short is judged by the rules, as the kernel judges it:
  // rules on addresses and protocol take it, the hotdrop rules drop it
  result.rules.short_header_rules = true;

  struct Imported {
    Family family;
    Action policy;
    Rule policy_rule;
    std::string policy_origin;
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
    if (table->nft_backend)
      result.notes.push_back(fmt::format(
          "{}:{}:1: written by {}-nft-save: iptables-nft runs tcp and udp matches as nftables expressions, "
          "which drop nothing on the spot and read what they can of a header cut short or of a later fragment; "
          "the rules follow the kernel's own matches (iptables-legacy) there",
          source, table->line, family_tool(f)));
    IptablesSource rules(file, *table, both ? (f == Family::V4 ? "ip4:" : "ip6:") : "", options, result);
    HeaderMatch any;
    any.family = f;
    const InlineRule policy = rules.policy(*chain);
    auto inlined = inline_chain(rules, chain_name, any, policy);
    result.rules.rules.insert(result.rules.rules.end(), inlined.rules.begin(), inlined.rules.end());
    result.origins.insert(result.origins.end(), inlined.origins.begin(), inlined.origins.end());
    const Action action = policy.kind == InlineRule::Kind::Drop ? Action::Drop : Action::Pass;
    families.push_back({f, action, to_rule(any, policy.name, action, policy.where), policy.origin});
  }
  if (families.empty())
    throw RuleError(fmt::format("{}: no table {} with chain {} (choose one with --table and --chain)", source,
                                table_name, chain_name));

  // One default action; a family whose policy differs, or that the file
  // does not have (its packets pass the kernel), gets a rule of its own.
  result.rules.default_action = families.front().policy;
  for (const auto& f : families)
    if (f.policy != result.rules.default_action) {
      result.rules.rules.push_back(f.policy_rule);
      result.origins.push_back(f.policy_origin);
    }
  if (families.size() == 1 && result.rules.default_action == Action::Drop) {
    const Family other = families.front().family == Family::V4 ? Family::V6 : Family::V4;
    HeaderMatch any;
    any.family = other;
    result.rules.rules.push_back(
        to_rule(any, fmt::format("{}:not-imported", family_tool(other)), Action::Pass, {source, 0, 0}));
    result.origins.push_back(fmt::format("{} not in the file", family_tool(other)));
    result.notes.push_back(fmt::format("{}: the file has no {} {} {}: {} packets pass (as the kernel passes them)",
                                       source, family_tool(other), table_name, chain_name,
                                       other == Family::V4 ? "IPv4" : "IPv6"));
  }
  for (const auto& [table, chain] : {std::pair<std::string, std::string>{"raw", "PREROUTING"}, {"filter", "INPUT"}})
    if (std::tie(table, chain) != std::tie(table_name, chain_name))
      if (const auto other = judging(file, table, chain))
        result.notes.push_back(fmt::format("{}: {} also judges incoming packets; it is not imported", source, *other));
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

}  // namespace xb
