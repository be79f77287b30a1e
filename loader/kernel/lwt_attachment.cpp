#include "lwt_attachment.hpp"

#include <fmt/format.h>
#include <libmnl/libmnl.h>
#include <linux/lwtunnel.h>
#include <linux/rtnetlink.h>

#include <algorithm>
#include <utility>

#include "errors.hpp"
#include "kernel_config.hpp"
#include "netns.hpp"

namespace xb {
namespace {

// Where in the route's bpf encap each LWT hook's program goes.
constexpr std::pair<Hook, int> kLwtPlaces[] = {
    {Hook::LwtIn, LWT_BPF_IN}, {Hook::LwtOut, LWT_BPF_OUT}, {Hook::LwtXmit, LWT_BPF_XMIT}};

int lwt_bpf_place(Hook hook) {
  for (const auto& [h, place] : kLwtPlaces)
    if (h == hook) return place;
  throw Error(hook_name(hook) + " is not a hook on a route");
}

// What our encap calls the program: the hook and its id, so that a route's
// program is known as ours (and whose) from the route alone.
std::string program_name(Hook hook, std::uint32_t prog_id) {
  return fmt::format("xdpfilter:{}:{}", hook_name(hook), prog_id);
}

// "...: Invalid argument (kernel: <its extended ack>)"
std::string netlink_failure(const std::string& what, int err, const std::string& why) {
  return errno_message(what, err) + (why.empty() ? "" : " (kernel: " + why + ")");
}

// Why this route cannot carry the filter; empty if it can.
std::string unfit(const RouteMessage& route) {
  if (route.type() != RTN_UNICAST)
    return fmt::format("is a {} route: the LWT hooks run on unicast routes", RouteMessage::type_name(route.type()));
  if (route.multipath()) return "has several nexthops (multipath): xdpfilter puts the filter on single-nexthop routes";
  if (const auto nh = route.nexthop_id())
    return fmt::format("uses nexthop object {}: its encap belongs to the nexthop, which xdpfilter does not change",
                       *nh);
  if (const auto encap = route.encap_type(); encap && *encap != LWTUNNEL_ENCAP_NONE) {
    for (int place : {LWT_BPF_IN, LWT_BPF_OUT, LWT_BPF_XMIT})
      if (const auto name = route.lwt_bpf_program(place); name && name->starts_with("xdpfilter:"))
        return fmt::format("already carries {}: one xdpfilter LWT hook per route; detach it first", *name);
    return fmt::format("already has an encap ({}) that xdpfilter did not put there: it is left as it is",
                       RouteMessage::encap_name(*encap));
  }
  return "";
}

}  // namespace

std::string route_label(const std::string& prefix, std::uint32_t table) {
  return table == RT_TABLE_MAIN ? "route " + prefix : fmt::format("route {} table {}", prefix, route_table_name(table));
}

std::string LwtAttachment::missing_kernel_support() {
  const auto found = kernel_option("CONFIG_LWTUNNEL_BPF");
  if (found && found->value.empty())
    return fmt::format("this kernel runs no BPF on routes (CONFIG_LWTUNNEL_BPF is not set in {})", found->source);
  return "";
}

LwtAttachment::LwtAttachment(FilterProgram program, Hook hook, const RoutePrefix& prefix, std::uint32_t table,
                             const std::string& netns)
    : program_(std::move(program)), hook_(hook) {
  const std::string label = route_label(prefix.text(), table);
  const std::string what = fmt::format("attach {} on {} ({})", hook_name(hook), label, netns_label(netns));
  const int place = lwt_bpf_place(hook);
  if (const auto missing = missing_kernel_support(); !missing.empty()) throw Error(what + ": " + missing);

  const auto routes = routes_to(prefix, table);
  if (routes.empty())
    throw Error(fmt::format("{}: there is no such route: xdpfilter puts the filter on an existing route", what));
  if (routes.size() > 1) {
    std::string metrics;
    for (const auto& r : routes) metrics += fmt::format("{}{}", metrics.empty() ? "" : ", ", r.metric().value_or(0));
    throw Error(fmt::format("{}: {} routes to that prefix (metrics {}): xdpfilter cannot tell which one is meant", what,
                            routes.size(), metrics));
  }
  const RouteMessage& route = routes.front();
  if (const auto why = unfit(route); !why.empty()) throw Error(fmt::format("{}: the route {}", what, why));

  id_.prefix = prefix.text();
  id_.table = table;
  id_.original = route.hex();
  id_.program_name = program_name(hook, program_->prog_id());
  const auto prog_fd = static_cast<std::uint32_t>(program_->prog_fd());
  std::string why;
  const int err = replace_route(
      route,
      [&](nlmsghdr* msg) {
        mnl_attr_put_u16(msg, RTA_ENCAP_TYPE, LWTUNNEL_ENCAP_BPF);
        nlattr* encap = mnl_attr_nest_start(msg, RTA_ENCAP);
        nlattr* at = mnl_attr_nest_start(msg, static_cast<std::uint16_t>(place));
        mnl_attr_put_u32(msg, LWT_BPF_PROG_FD, prog_fd);
        mnl_attr_put_strz(msg, LWT_BPF_PROG_NAME, id_.program_name.c_str());
        mnl_attr_nest_end(msg, at);
        mnl_attr_nest_end(msg, encap);
      },
      why);
  if (err) throw Error(netlink_failure(what + " (encap bpf)", err, why));
  attached_ = true;
}

LwtAttachment::LwtAttachment(LwtAttachment&& other) noexcept
    : program_(std::move(other.program_)),
      hook_(other.hook_),
      id_(std::move(other.id_)),
      attached_(std::exchange(other.attached_, false)),
      released_(other.released_) {}

LwtAttachment::~LwtAttachment() {
  if (!attached_ || released_) return;
  try {
    detach(id_, hook_, route_label(id_.prefix, id_.table));
  } catch (const Error&) {
    // the route may already be gone with its namespace
  }
}

void LwtAttachment::detach(const LwtRouteId& id, Hook hook, const std::string& where) {
  const int place = lwt_bpf_place(hook);
  bool ours = false;
  for (const auto& route : routes_to(parse_route_prefix(id.prefix), id.table))
    ours |= route.lwt_bpf_program(place) == id.program_name;
  // someone else replaced or removed it: theirs now, and our program went with it
  if (!ours) return;
  std::string why;
  if (const int err = replace_route(RouteMessage::from_hex(id.original), nullptr, why))
    throw Error(netlink_failure(fmt::format("detach {}: put the route back", where), err, why));
}

void LwtAttachment::remove_left_over(const RoutePrefix& prefix, std::uint32_t table, Hook hook,
                                     const std::vector<std::uint32_t>& prog_ids) {
  const int place = lwt_bpf_place(hook);
  for (const auto& route : routes_to(prefix, table)) {
    const auto name = route.lwt_bpf_program(place);
    const bool ours = name && std::any_of(prog_ids.begin(), prog_ids.end(),
                                          [&](std::uint32_t id) { return *name == program_name(hook, id); });
    if (!ours) continue;
    std::string why;
    if (const int err = replace_route(route.without_encap(), nullptr, why))
      throw Error(netlink_failure(fmt::format("put {} back", route_label(prefix.text(), table)), err, why));
  }
}

}  // namespace xb
