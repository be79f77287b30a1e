// xdpfilter detach and reload: the changes to what is attached, each
// finishing first what a killed xdpfilter left half done.
#include <fmt/format.h>

#include <memory>

#include "cli_common.hpp"
#include "command.hpp"
#include "errors.hpp"

namespace xb::cli {

RunCommand define_detach(CLI::App& cmd) {
  struct Options {
    Selector selector;
    bool all = false;
  };
  auto o = std::make_shared<Options>();
  add_selector(&cmd, o->selector, false);
  cmd.add_flag("--all", o->all, "every filter of ours, everywhere");
  return [o] {
    require_root();
    const Selector& s = o->selector;
    const bool any_selector =
        !s.hook.empty() || !s.iface.empty() || !s.netns.empty() || !s.cgroup.empty() || !s.route.empty();
    if (!o->all && !any_selector)
      throw Error("detach: name a filter with --hook/--iface/--netns/--cgroup/--route, or use --all");
    recover_interrupted_changes(state_paths());  // what a killed xdpfilter left half done first
    const auto records = o->all ? AttachmentStore(state_paths()).list() : std::vector{select_one(s)};
    for (const auto& rec : records) {
      detach_filter(state_paths(), rec);
      fmt::print("detached {}\n", rec.where());
    }
    return 0;
  };
}

RunCommand define_reload(CLI::App& cmd) {
  struct Options {
    Selector selector;
    RulesOption rules;
  };
  auto o = std::make_shared<Options>();
  add_selector(&cmd, o->selector, false);
  add_rules_option(&cmd, o->rules, true);
  return [o] {
    RuleSet parsed = rules_from(o->rules);
    require_root();
    const CompiledRuleSet rules(std::move(parsed));
    const auto rec = select_one(o->selector);
    reload_filter(state_paths(), rec, rules);
    fmt::print("reloaded {} with {} rules from {}\n", rec.where(), rules.rules().rules.size(), rules.source());
    return 0;
  };
}

}  // namespace xb::cli
