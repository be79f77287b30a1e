// What several hook families share: an interface as the target, the usual
// "hook direction on interface (netns)" place, liveness by program id.
// Internal to loader/hooks/.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hook_ops.hpp"

namespace xb::hook_family {

// --iface, required; --route and --table refused (they are the lwt hooks').
HookTarget interface_target(Hook hook, const TargetFlags& flags);
void refuse_route_flags(Hook hook, const TargetFlags& flags);
// Resolves the interface's index in the current netns.
void resolve_interface(HookSite& site);
const InterfaceTarget& interface_of(const HookSite& site);

std::string interface_text(const HookSite& site);
std::string interface_where(const HookSite& site);  // "tc-cls ingress on veth0 (netns x)"
void save_interface(const HookSite& site, nlohmann::json& out);
void read_interface(const nlohmann::json& in, HookSite& site);

// Whether program prog_id is still loaded.
bool program_loaded(const HookSite& site);
// Nothing to do (a hook whose attach leaves nothing a later process must take off).
void nothing_to_detach(const HookSite& site, const std::function<std::vector<HookSite>()>& others);
void nothing_to_undo(const HookSite& site, const std::vector<std::uint32_t>& programs);
void nothing_to_prepare(HookSite& site);

// "host namespace" or "netns x", as the places are written.
std::string ns_text(const std::string& netns);

}  // namespace xb::hook_family
