// Attaching the filter so that it outlives this process, and finding it
// again: what the xdpfilter CLI does, as a library.
#pragma once

#include <memory>
#include <string>

#include "attachment_store.hpp"
#include "filter_maps.hpp"
#include "filter_program.hpp"
#include "hook_ops.hpp"
#include "rule_compiler.hpp"

namespace xb {

struct AttachRequest {
  Hook hook = Hook::XdpNative;
  Direction direction = Direction::Ingress;
  std::string netns;
  HookTarget target;                 // hook_target(hook, flags) makes it from the command line's flags
  std::optional<RigProbe> rig;       // the benchmark rig's variant of the program (RigProbe); users: none
  std::uint32_t table_capacity = 0;  // blocks each rule table holds (0: twice the first, see FilterMaps)
};

// Every call names where the records and pins live (StatePaths): xdpfilter's
// main reads its environment for them, the rig makes a run's own.

// Refuses a direction the hook does not have, naming the hook to use
// instead. attach_filter checks it too; the CLI checks it first, before the
// target's flags, as it always has.
void check_direction(Hook hook, Direction direction);

// Attaches the compiled rules, pins the maps (and links) and records the
// attachment. On any failure nothing is left attached, pinned or recorded.
// Not for socket-filter (see SocketGuard).
AttachmentRecord attach_filter(const StatePaths& state, const AttachRequest& request, const CompiledRuleSet& rules);

// The socket-filter hook: a socket this process opens and holds, with the
// filter on it. Recorded and pinned like the other hooks while it lives;
// destruction detaches and forgets it.
class SocketGuard {
 public:
  SocketGuard(const StatePaths& state, const AttachRequest& request, const CompiledRuleSet& rules);
  ~SocketGuard();
  SocketGuard(const SocketGuard&) = delete;
  SocketGuard& operator=(const SocketGuard&) = delete;

  const AttachmentRecord& record() const { return record_; }
  // Reads what the socket receives (the packets the filter passed) for up to
  // timeout_ms; returns how many arrived.
  std::uint64_t receive(int timeout_ms);

 private:
  struct State;
  std::unique_ptr<State> state_;
  AttachmentRecord record_;
};

// Detaches, unpins and forgets. A filter whose interface or namespace is
// already gone is just forgotten. A socket filter's owner is asked to stop.
void detach_filter(const StatePaths& state, const AttachmentRecord& selected);

// Swaps in a new rule table atomically (see FilterMaps::install).
void reload_filter(const StatePaths& state, const AttachmentRecord& selected, const CompiledRuleSet& rules);

CounterSnapshot read_filter_counters(const StatePaths& state, const AttachmentRecord& record);

// Finishes or undoes what an xdpfilter killed half way through an attach,
// reload or detach left (see state_journal.hpp); returns how many it found.
// attach, reload and detach do this first themselves.
int recover_interrupted_changes(const StatePaths& state);

// Whether the recorded program is still loaded in the kernel.
bool is_live(const AttachmentRecord& record);

}  // namespace xb
