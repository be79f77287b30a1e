// What xdpfilter's commands share: where the records live, the flags that
// select an attachment (--hook, --iface, ...), the rules flags, root.
#pragma once

#include <CLI/CLI.hpp>
#include <csignal>
#include <string>
#include <vector>

#include "filter_attach.hpp"

namespace xb::cli {

// Where xdpfilter keeps its records and pins: the defaults, or where
// XDPBENCH_STATE_DIR and XDPBENCH_PIN_ROOT move them (the tests do).
const StatePaths& state_paths();

struct Selector {
  std::string hook, iface, netns, cgroup, route, table, direction;  // direction: empty, the hook's own
};
// --direction as given, else the hook's own (ingress, or egress for lwt-out and lwt-xmit)
Direction direction_of(const Selector& s, Hook hook);
void add_selector(CLI::App* cmd, Selector& s, bool required);
// The recorded attachments a selector names; with no selector, all of them.
std::vector<AttachmentRecord> select(const Selector& s);
// Exactly one, or an Error saying how many matched.
AttachmentRecord select_one(const Selector& s);

// --rules and --classbench-action, as attach, reload and check take them
struct RulesOption {
  std::string spec;
  std::string classbench_action = "drop";
};
void add_rules_option(CLI::App* cmd, RulesOption& r, bool required);
RuleSet rules_from(const RulesOption& r);

void require_root();

// Set by SIGINT and SIGTERM once a command that runs until stopped asks for them.
extern volatile std::sig_atomic_t stop_requested;
void stop_on_signals();

}  // namespace xb::cli
