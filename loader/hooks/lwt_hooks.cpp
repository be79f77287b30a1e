// lwt-in, lwt-out and lwt-xmit: the filter as the bpf encap of an existing
// route (lwt_attachment.hpp), which is put back as it was on detach.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "errors.hpp"
#include "family_helpers.hpp"

namespace xb {
namespace {
using namespace hook_family;

class PlacedLwt final : public PlacedFilter {
 public:
  explicit PlacedLwt(LwtAttachment a) : a_(std::move(a)) {}
  const FilterProgram& program() const override { return a_.program(); }
  void release() override { a_.release(); }

 private:
  LwtAttachment a_;
};

const LwtRouteId& lwt_of(const HookSite& site) { return std::get<LwtRouteId>(site.hold); }

HookTarget route_target(Hook hook, const TargetFlags& flags) {
  if (flags.route.empty()) throw Error("--route is required for --hook=" + hook_name(hook));
  return RouteTarget{parse_route_prefix(flags.route).text(), parse_route_table(flags.table)};
}

void prepare(HookSite& site) {
  // the route as it is now is read by the attach; until then the hold names the route
  site.hold = LwtRouteId{std::get<RouteTarget>(site.target).prefix, std::get<RouteTarget>(site.target).table, "", ""};
}

std::unique_ptr<PlacedFilter> attach(HookSite& site, FilterMaps maps, const std::optional<RigProbe>& rig) {
  const auto& t = std::get<RouteTarget>(site.target);
  LwtAttachment a(FilterProgram::load(program_kind(site.hook), std::move(maps), rig), site.hook,
                  parse_route_prefix(t.prefix), t.table, site.netns);
  site.hold = a.id();
  site.prog_id = a.program().prog_id();
  return std::make_unique<PlacedLwt>(std::move(a));
}

std::string where(const HookSite& site) {
  return fmt::format("{} on {} ({})", hook_name(site.hook),
                     route_label(std::get<RouteTarget>(site.target).prefix, std::get<RouteTarget>(site.target).table),
                     ns_text(site.netns));
}

void detach(const HookSite& site, const std::function<std::vector<HookSite>()>&) {
  LwtAttachment::detach(lwt_of(site), site.hook, where(site));
}

void undo(const HookSite& site, const std::vector<std::uint32_t>& programs) {
  LwtAttachment::remove_left_over(parse_route_prefix(std::get<RouteTarget>(site.target).prefix),
                                  std::get<RouteTarget>(site.target).table, site.hook, programs);
}

std::string route_text(const HookSite& site) {
  const auto& t = std::get<RouteTarget>(site.target);
  return t.table == kMainRouteTable ? t.prefix : t.prefix + "@" + route_table_name(t.table);
}

void save(const HookSite& site, nlohmann::json& out) {
  const auto& id = lwt_of(site);
  out["lwt"] = {{"route", std::get<RouteTarget>(site.target).prefix},
                {"table", std::get<RouteTarget>(site.target).table},
                {"original_route", id.original},
                {"program_name", id.program_name}};
}

void read(const nlohmann::json& in, HookSite& site) {
  const auto& j = in.at("lwt");
  LwtRouteId id;
  id.prefix = j.at("route").get<std::string>();
  id.table = j.at("table").get<std::uint32_t>();
  id.original = j.at("original_route").get<std::string>();
  id.program_name = j.at("program_name").get<std::string>();
  site.target = RouteTarget{id.prefix, id.table};
  site.hold = id;
}

constexpr HookOps lwt_ops(Hook hook) {
  return {hook, route_target, prepare, attach, detach, undo, program_loaded, route_text, where, save, read};
}

}  // namespace

template <>
const HookOps& entry_of<Hook::LwtIn>() {
  static const HookOps ops = lwt_ops(Hook::LwtIn);
  return ops;
}
template <>
const HookOps& entry_of<Hook::LwtOut>() {
  static const HookOps ops = lwt_ops(Hook::LwtOut);
  return ops;
}
template <>
const HookOps& entry_of<Hook::LwtXmit>() {
  static const HookOps ops = lwt_ops(Hook::LwtXmit);
  return ops;
}

}  // namespace xb
