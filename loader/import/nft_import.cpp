#include "nft_import.hpp"

#include <fmt/format.h>

#include <map>

#include "chain_inliner.hpp"
#include "errors.hpp"
#include "nft_rule.hpp"
#include "nft_ruleset_json.hpp"
#include "text_input.hpp"

namespace xb {
namespace {

std::vector<Family> table_families(const NftChain& c) {
  if (c.family == "ip") return {Family::V4};
  if (c.family == "ip6") return {Family::V6};
  if (c.family == "inet" || c.family == "netdev") return {Family::V4, Family::V6};
  throw UnsupportedRule(fmt::format("{}: chain {} {} {}: a table of family {} (the filter reads IPv4 and IPv6)",
                                    c.where.str(), c.family, c.table, c.name, c.family));
}

std::string chain_id(const NftChain& c) { return fmt::format("{}:{}:{}", c.family, c.table, c.name); }

// What a rule left out would have done, read from its verdict statement
// alone: the inliner checks that leaving it out drops nothing the kernel
// lets through.
void read_left_out_verdict(const NftRule& r, InlineRule& out) {
  using K = InlineRule::Kind;
  out.kind = K::None;
  if (!r.expr.is_array()) return;
  for (const auto& stmt : r.expr) {
    if (!stmt.is_object() || stmt.size() != 1) continue;
    const std::string& kind = stmt.begin().key();
    const auto& body = stmt.begin().value();
    if (kind == "drop" || kind == "reject") {
      out.kind = K::Drop;
    } else if (kind == "return") {
      out.kind = K::Return;
    } else if (kind == "jump" || kind == "goto") {
      out.kind = kind == "jump" ? K::Jump : K::Goto;
      out.target = body.is_object() ? body.value("target", "") : "";
      out.verdict = fmt::format("{} {}", kind, out.target);
      continue;
    } else if (kind == "accept" || kind == "queue" || kind == "vmap") {
      out.kind = K::Accept;  // or a verdict that may let the packet through
    } else {
      continue;
    }
    out.verdict = kind;
  }
}

// The base chain's table, its rules read when the inliner reaches them.
class NftSource final : public InlineSource {
 public:
  NftSource(const NftRuleset& set, const NftChain& base, const NftImportOptions& options, ImportedRules& result)
      : set_(set), base_(base), families_(table_families(base)), options_(options), result_(result) {}

  std::size_t size(const std::string& chain) override { return chain_named(chain).rules.size(); }

  const InlineRule* rule(const std::string& chain, std::size_t index) override {
    const NftRule& r = set_.rules[chain_named(chain).rules[index]];
    auto it = read_.find(&r);
    if (it == read_.end()) it = read_.emplace(&r, translate(r)).first;
    return &it->second;
  }

  InlineRule policy() const {
    InlineRule p;
    p.kind = base_.policy == "drop" ? InlineRule::Kind::Drop : InlineRule::Kind::Accept;
    p.name = base_.name + ":policy";
    p.where = base_.where;
    p.origin = fmt::format("{} {} {} policy", base_.family, base_.table, base_.name);
    return p;
  }

 private:
  const NftRuleset& set_;
  const NftChain& base_;
  std::vector<Family> families_;
  const NftImportOptions& options_;
  ImportedRules& result_;
  std::map<const NftRule*, InlineRule> read_;

  const NftChain& chain_named(const std::string& name) const { return *set_.chain(base_.family, base_.table, name); }

  InlineRule translate(const NftRule& r) {
    NftRuleRead read;
    try {
      read = read_nft_rule(r, set_, families_);
    } catch (const UnsupportedRule& e) {
      if (!options_.skip_unsupported) throw;
      result_.skipped.push_back(e.what());
      InlineRule out;
      out.name = r.comment.empty() ? fmt::format("{}:h{}", r.chain, r.handle) : r.comment;
      out.where = r.where;
      out.skipped = e.what();
      read_left_out_verdict(r, out);
      return out;
    }
    if (read.reject)
      result_.notes.push_back(
          fmt::format("{}: rule handle {}: reject is imported as drop: the filter drops, it sends "
                      "no ICMP error or TCP reset",
                      r.where.str(), r.handle));
    if (read.icmp_of_other_family)
      result_.notes.push_back(
          fmt::format("{}: rule handle {}: in nftables its ICMP match also matches IPv6 packets "
                      "carrying ICMP (protocol 1) and ICMPv6 match IPv4 packets carrying protocol "
                      "58; the filter reads ICMP in IPv4 and ICMPv6 in IPv6 only, so it judges "
                      "such packets as if this rule did not match them",
                      r.where.str(), r.handle));
    InlineRule out = std::move(read.rule);
    out.name = r.comment.empty() ? fmt::format("{}:h{}", r.chain, r.handle) : r.comment;
    out.where = r.where;
    out.origin = fmt::format("{} {} {} handle {}", r.family, r.table, r.chain, r.handle);
    return out;
  }
};

bool inbound_hook(const NftChain& c) {
  return c.hook && c.type == "filter" && (*c.hook == "prerouting" || *c.hook == "input" || *c.hook == "ingress");
}

const NftChain& chosen_chain(const NftRuleset& set, const std::string& wanted) {
  std::vector<const NftChain*> found;
  for (const auto& c : set.chains) {
    if (!c.hook) continue;
    if (wanted.empty() ? inbound_hook(c) : (wanted == chain_id(c) || wanted == c.name)) found.push_back(&c);
  }
  if (found.size() == 1) return *found.front();
  std::string names;
  for (const auto& c : set.chains)
    if (c.hook) names += fmt::format("{}{} (hook {})", names.empty() ? "" : ", ", chain_id(c), *c.hook);
  if (found.empty())
    throw RuleError(fmt::format("{}: no base chain {}; the base chains: {}", set.source,
                                wanted.empty() ? "of type filter at prerouting, input or ingress" : wanted,
                                names.empty() ? "none" : names));
  throw RuleError(fmt::format("{}: several base chains {}: choose one with --chain=FAMILY:TABLE:CHAIN ({})", set.source,
                              wanted.empty() ? "at prerouting, input or ingress" : "are " + wanted, names));
}

}  // namespace

ImportedRules import_nft(const std::string& text, const std::string& source, const NftImportOptions& options) {
  const NftRuleset set = parse_nft_ruleset(text, source);
  const NftChain& base = chosen_chain(set, options.chain);
  ImportedRules result;
  result.rules.source = source;
  NftSource rules(set, base, options, result);
  const InlineRule policy = rules.policy();
  const Action action = policy.kind == InlineRule::Kind::Drop ? Action::Drop : Action::Pass;
  result.rules.default_action = action;
  const auto families = table_families(base);
  for (const Family f : families) {
    HeaderMatch any;
    any.family = f;
    auto inlined = inline_chain(rules, base.name, any, policy);
    result.rules.rules.insert(result.rules.rules.end(), inlined.rules.begin(), inlined.rules.end());
    result.origins.insert(result.origins.end(), inlined.origins.begin(), inlined.origins.end());
  }
  if (families.size() == 1 && action == Action::Drop) {
    // the other family never reaches this table: the kernel passes it
    HeaderMatch any;
    any.family = families.front() == Family::V4 ? Family::V6 : Family::V4;
    const std::string other = any.family == Family::V4 ? "IPv4" : "IPv6";
    result.rules.rules.push_back(to_rule(any, fmt::format("{}:not-in-table", other), Action::Pass, base.where));
    result.origins.push_back(other + " not in the table");
    result.notes.push_back(
        fmt::format("{}: table {} {} is for one family: {} packets pass (as the kernel passes "
                    "them)",
                    base.where.str(), base.family, base.table, other));
  }
  if (base.family == "netdev") {
    result.rules.non_ip_action = action;
    result.notes.push_back(
        fmt::format("{}: a netdev chain also judges non-IP frames: they get the policy", base.where.str()));
  }
  for (const auto& c : set.chains)
    if (&c != &base && c.hook && base.hook && *c.hook == *base.hook && c.type == "filter")
      result.notes.push_back(fmt::format("{}: base chain {} at the same hook also judges packets; it is not imported",
                                         c.where.str(), chain_id(c)));
  if (*base.hook == "input")
    result.notes.push_back(
        fmt::format("{}: an input chain sees only the packets for this host; attached at a "
                    "packet hook, the rules see every packet of the interface",
                    base.where.str()));
  return result;
}

ImportedRules import_nft_file(const std::string& path, const NftImportOptions& options) {
  return import_nft(read_text_input(path), input_name(path), options);
}

}  // namespace xb
