#include "hooks.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "errors.hpp"

namespace xb {
namespace {

struct HookName {
  Hook hook;
  const char* name;
};
constexpr HookName kHooks[] = {
    {Hook::XdpNative, "xdp-native"},
    {Hook::XdpGeneric, "xdp-generic"},
    {Hook::TcCls, "tc-cls"},
};

}  // namespace

std::string hook_name(Hook h) {
  for (const auto& e : kHooks)
    if (e.hook == h) return e.name;
  return "?";
}

std::vector<std::string> hook_names() {
  std::vector<std::string> out;
  for (const auto& e : kHooks) out.emplace_back(e.name);
  return out;
}

Hook parse_hook(const std::string& name) {
  for (const auto& e : kHooks)
    if (name == e.name) return e.hook;
  throw Error(fmt::format("--hook: unknown hook '{}': expected one of {}", name,
                          fmt::join(hook_names(), ", ")));
}

bool is_xdp(Hook h) { return h == Hook::XdpNative || h == Hook::XdpGeneric; }

std::string direction_name(Direction d) { return d == Direction::Ingress ? "ingress" : "egress"; }

Direction parse_direction(const std::string& name) {
  if (name == "ingress") return Direction::Ingress;
  if (name == "egress") return Direction::Egress;
  throw Error(fmt::format("--direction: '{}': expected ingress or egress", name));
}

}  // namespace xb
