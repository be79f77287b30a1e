#include "hook_ops.hpp"

#include <array>
#include <utility>

#include "errors.hpp"

namespace xb {
namespace {

// Hook's enumerators run from 0 to kHookCount - 1: every one gets its
// entry, in order, so a hook added without one fails the build (at link).
using EntryOf = const HookOps& (*)();
constexpr auto kHookTable = []<std::size_t... I>(std::index_sequence<I...>) {
  return std::array<EntryOf, kHookCount>{&entry_of<static_cast<Hook>(I)>...};
}
(std::make_index_sequence<kHookCount>{});

}  // namespace

const HookOps& hook_ops(Hook hook) {
  const auto i = static_cast<std::size_t>(hook);
  if (i >= kHookTable.size()) throw Error("unknown hook");
  return kHookTable[i]();
}

HookTarget hook_target(Hook hook, const TargetFlags& flags) {
  if (!hook_ops(hook).target_from) return {};
  return hook_ops(hook).target_from(hook, flags);
}

std::string HookSite::interface() const {
  if (const auto* t = std::get_if<InterfaceTarget>(&target)) return t->ifname;
  if (const auto* t = std::get_if<SocketTarget>(&target)) return t->ifname;
  return "";
}

}  // namespace xb
