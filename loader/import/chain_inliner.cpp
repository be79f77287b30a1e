#include "chain_inliner.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "errors.hpp"

namespace xb {
namespace {

// Deeper than iptables or nftables allow; reached only by a loop of jumps.
constexpr std::size_t kMaxJumpDepth = 64;

class Inliner {
 public:
  Inliner(InlineSource& source, const InlineRule& policy) : source_(source), policy_(policy) {}

  InlinedRules run(const std::string& top, const HeaderMatch& any) {
    walk(top, 0, {any}, {});
    return std::move(out_);
  }

 private:
  struct Frame {
    std::string chain;
    std::size_t next;
  };

  InlineSource& source_;
  const InlineRule& policy_;
  InlinedRules out_;
  bool trial_ = false;  // a trial walk (below): rules left out are checked by the real one

  void emit(const std::vector<HeaderMatch>& matches, const InlineRule& r, Action action) {
    for (const auto& m : matches) {
      out_.rules.push_back(to_rule(m, r.name, action, r.where));
      out_.origins.push_back(r.origin);
      if (out_.rules.size() > XB_MAX_RULES)
        throw RuleError(fmt::format("{}: the chains inline into more than {} rules", r.where.str(), XB_MAX_RULES));
    }
  }

  void walk(const std::string& chain, std::size_t from, const std::vector<HeaderMatch>& ctx,
            const std::vector<Frame>& stack) {
    if (stack.size() > kMaxJumpDepth)
      throw RuleError(fmt::format("chain {}: chains jump deeper than {} (a loop?)", chain, kMaxJumpDepth));
    using K = InlineRule::Kind;
    const std::size_t n = source_.size(chain);
    for (std::size_t i = from; i < n; ++i) {
      const InlineRule* r = source_.rule(chain, i);
      if (!r) continue;
      if (!r->skipped.empty()) {
        if (!trial_) check_left_out(chain, i, *r, ctx, stack);
        continue;
      }
      if (!r->hotdrop.empty()) {
        InlineRule dropped = *r;
        dropped.name += " (hotdrop)";
        emit(intersect(ctx, r->hotdrop), dropped, Action::Drop);
      }
      const auto m = intersect(ctx, r->matches);
      if (m.empty()) continue;
      switch (r->kind) {
        case K::None:
          break;
        case K::Accept:
          emit(m, *r, Action::Pass);
          break;
        case K::Drop:
          emit(m, *r, Action::Drop);
          break;
        case K::Jump: {
          auto deeper = stack;
          deeper.push_back({chain, i + 1});
          walk(r->target, 0, m, deeper);
          break;
        }
        case K::Goto:
          walk(r->target, 0, m, stack);
          if (!falls_through(chain, i + 1, m, stack)) go_on(m, stack);
          break;
        case K::Return:
          if (!falls_through(chain, i + 1, m, stack)) go_on(m, stack);
          break;
      }
    }
  }

  // Whether the packets of `m` going on after the jump on the stack is the
  // same as their falling through the rest of this chain: no rule left in
  // it can match them (as with a chain's last rule, an unconditional
  // RETURN), and there is a jump to go back to. Then nothing is copied.
  bool falls_through(const std::string& chain, std::size_t from, const std::vector<HeaderMatch>& m,
                     const std::vector<Frame>& stack) {
    if (stack.empty()) return false;
    const std::size_t n = source_.size(chain);
    for (std::size_t i = from; i < n; ++i) {
      const InlineRule* r = source_.rule(chain, i);
      if (r && (!intersect(m, r->matches).empty() || !intersect(m, r->hotdrop).empty())) return false;
    }
    return true;
  }

  // Where the packets of `m` go from here: the rules after each jump on
  // the stack, then the policy. What is emitted decides every packet of m.
  void go_on(const std::vector<HeaderMatch>& m, std::vector<Frame> stack) {
    while (!stack.empty()) {
      const Frame top = stack.back();
      stack.pop_back();
      if (top.chain.empty()) return;  // a trial's end (below)
      walk(top.chain, top.next, m, stack);
    }
    emit(m, policy_, policy_.kind == InlineRule::Kind::Drop ? Action::Drop : Action::Pass);
  }

  // The names of the rules that give packets of `ctx` the verdict `action`
  // when they enter `chain` at `from`: a trial walk, nothing emitted. With
  // `whole`, down to the policy; else up to where they would leave the
  // chain (its end, a RETURN, a goto's end), which is the same with or
  // without the rule left out.
  std::vector<std::string> deciding(const std::string& chain, std::size_t from, const std::vector<HeaderMatch>& ctx,
                                    const std::vector<Frame>& stack, bool whole, Action action) {
    Inliner trial(source_, policy_);
    trial.trial_ = true;
    const std::vector<Frame> trial_stack = whole ? stack : std::vector<Frame>{Frame{"", 0}};
    trial.walk(chain, from, ctx, trial_stack);
    if (whole) trial.go_on(ctx, trial_stack);
    std::vector<std::string> names;
    for (const Rule& r : trial.out_.rules)
      if (r.action == action && std::find(names.begin(), names.end(), r.name) == names.end()) names.push_back(r.name);
    return names;
  }

  // A rule left out lets its packets (some of ctx) on to the rules after
  // it. Where those would drop what the rule accepts, or returns to rules
  // that may accept it, or where the chain it jumps to would accept what
  // the rules after drop, leaving it out drops packets the kernel lets
  // through: refused, naming those rules. A drop left out only lets through
  // what the kernel drops (the skipped list says so); a rule without a
  // verdict changes nothing.
  void check_left_out(const std::string& chain, std::size_t i, const InlineRule& r, const std::vector<HeaderMatch>& ctx,
                      const std::vector<Frame>& stack) {
    using K = InlineRule::Kind;
    std::vector<std::string> dropping, passing;
    switch (r.kind) {
      case K::None:
      case K::Drop:
        return;
      case K::Accept:
        dropping = deciding(chain, i + 1, ctx, stack, true, Action::Drop);
        break;
      case K::Return:
        dropping = deciding(chain, i + 1, ctx, stack, false, Action::Drop);
        break;
      case K::Goto:
        dropping = deciding(chain, i + 1, ctx, stack, false, Action::Drop);
        [[fallthrough]];
      case K::Jump:
        passing = deciding(r.target, 0, ctx, stack, false, Action::Pass);
        break;
    }
    auto listed = [](const std::vector<std::string>& names) {
      std::string s;
      for (std::size_t k = 0; k < names.size() && k < 3; ++k) s += fmt::format("{}{}", k ? ", " : "", names[k]);
      if (names.size() > 3) s += fmt::format(" and {} more", names.size() - 3);
      return s;
    };
    std::string why;
    if (!dropping.empty())
      why = fmt::format("without it, what its {} takes would meet {}, which drop{}", r.verdict, listed(dropping),
                        dropping.size() == 1 ? "s" : "");
    else if (!passing.empty())
      why = fmt::format("without it, what its {} takes would miss {}, which accept{}", r.verdict, listed(passing),
                        passing.size() == 1 ? "s" : "");
    else
      return;
    throw UnsupportedRule(fmt::format("{}; --skip-unsupported does not leave it out: {}", r.skipped, why));
  }
};

}  // namespace

InlinedRules inline_chain(InlineSource& source, const std::string& top, const HeaderMatch& any,
                          const InlineRule& policy) {
  return Inliner(source, policy).run(top, any);
}

}  // namespace xb
