#include "hooks.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "errors.hpp"

namespace xb {
namespace {

struct HookInfo {
  Hook hook;
  const char* name;
  ProgramKind kind;
  bool egress;
  bool ingress = true;
};
constexpr HookInfo kHooks[] = {
    {Hook::XdpNative, "xdp-native", ProgramKind::Xdp, false},
    {Hook::XdpGeneric, "xdp-generic", ProgramKind::Xdp, false},
    {Hook::TcCls, "tc-cls", ProgramKind::Tc, true},
    {Hook::TcAct, "tc-act", ProgramKind::TcAct, true},
    {Hook::Tcx, "tcx", ProgramKind::Tc, true},
    {Hook::SocketFilter, "socket-filter", ProgramKind::Socket, false},
    {Hook::CgroupSkb, "cgroup-skb", ProgramKind::Cgroup, true},
    {Hook::Netfilter, "netfilter", ProgramKind::Netfilter, false},
    // lwt-in runs on packets the route receives (input routes: forwarded or
    // delivered), lwt-out and lwt-xmit on packets it sends
    {Hook::LwtIn, "lwt-in", ProgramKind::LwtIn, false},
    {Hook::LwtOut, "lwt-out", ProgramKind::LwtOut, true, false},
    {Hook::LwtXmit, "lwt-xmit", ProgramKind::LwtXmit, true, false},
};

static_assert(std::size(kHooks) == kHookCount, "every hook has its names here");

const HookInfo& info(Hook h) {
  for (const auto& e : kHooks)
    if (e.hook == h) return e;
  throw Error("unknown hook");
}

}  // namespace

std::string hook_name(Hook h) { return info(h).name; }

std::vector<std::string> hook_names() {
  std::vector<std::string> out;
  for (const auto& e : kHooks) out.emplace_back(e.name);
  return out;
}

std::vector<Hook> all_hooks() {
  std::vector<Hook> out;
  for (const auto& e : kHooks) out.push_back(e.hook);
  return out;
}

std::optional<Hook> find_hook(const std::string& name) {
  for (const auto& e : kHooks)
    if (name == e.name) return e.hook;
  return std::nullopt;
}

Hook parse_hook(const std::string& name) {
  if (const auto h = find_hook(name)) return *h;
  throw Error(fmt::format("--hook: unknown hook '{}': expected one of {}", name, fmt::join(hook_names(), ", ")));
}

ProgramKind program_kind(Hook h) { return info(h).kind; }

std::string program_kind_name(ProgramKind k) {
  switch (k) {
    case ProgramKind::Xdp:
      return "xdp";
    case ProgramKind::Tc:
      return "tc";
    case ProgramKind::TcAct:
      return "tc-act";
    case ProgramKind::Socket:
      return "socket";
    case ProgramKind::Cgroup:
      return "cgroup";
    case ProgramKind::Netfilter:
      return "netfilter";
    case ProgramKind::LwtIn:
      return "lwt-in";
    case ProgramKind::LwtOut:
      return "lwt-out";
    case ProgramKind::LwtXmit:
      return "lwt-xmit";
  }
  return "?";
}

bool is_xdp(Hook h) { return program_kind(h) == ProgramKind::Xdp; }

bool sees_l2(ProgramKind k) { return k == ProgramKind::Xdp || k == ProgramKind::Tc || k == ProgramKind::TcAct; }

bool has_egress(Hook h) { return info(h).egress; }

bool has_ingress(Hook h) { return info(h).ingress; }

bool is_lwt(Hook h) { return h == Hook::LwtIn || h == Hook::LwtOut || h == Hook::LwtXmit; }

Direction default_direction(Hook h) { return has_ingress(h) ? Direction::Ingress : Direction::Egress; }

std::string direction_name(Direction d) { return d == Direction::Ingress ? "ingress" : "egress"; }

Direction parse_direction(const std::string& name) {
  if (name == "ingress") return Direction::Ingress;
  if (name == "egress") return Direction::Egress;
  throw Error(fmt::format("--direction: '{}': expected ingress or egress", name));
}

}  // namespace xb
