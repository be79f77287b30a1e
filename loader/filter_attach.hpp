// Attaching the filter so that it outlives this process, and finding it
// again: what the xdpfilter CLI does, as a library.
#pragma once

#include <string>

#include "attachment_store.hpp"
#include "filter_maps.hpp"
#include "rule_set.hpp"

namespace xb {

struct AttachRequest {
  Hook hook = Hook::XdpNative;
  Direction direction = Direction::Ingress;
  std::string netns;
  std::string ifname;
};

// Compiles the rules, attaches, pins the maps and records the attachment.
// On any failure nothing is left attached, pinned or recorded.
AttachmentRecord attach_filter(const AttachRequest& request, const RuleSet& rules);

// Detaches, unpins and forgets. A filter whose interface or namespace is
// already gone is just forgotten.
void detach_filter(const AttachmentRecord& record);

// Swaps in a new rule table atomically (see FilterMaps::install).
void reload_filter(const AttachmentRecord& record, const RuleSet& rules);

CounterSnapshot read_filter_counters(const AttachmentRecord& record);

// Whether the recorded program is still loaded in the kernel.
bool is_live(const AttachmentRecord& record);

}  // namespace xb
