// xdp-native and xdp-generic: the filter through libxdp's dispatcher on an
// interface, in driver mode or in the skb path (net/core/dev.c).
#include <nlohmann/json.hpp>
#include <optional>

#include "family_helpers.hpp"
#include "xdp_attachment.hpp"

namespace xb {
namespace {
using namespace hook_family;

class PlacedXdp final : public PlacedFilter {
 public:
  explicit PlacedXdp(XdpAttachment a) : a_(std::move(a)) {}
  const FilterProgram& program() const override { return a_.program(); }
  void release() override { a_.release(); }

 private:
  XdpAttachment a_;
};

std::unique_ptr<PlacedFilter> attach(HookSite& site, FilterMaps maps, const std::optional<RigProbe>& rig) {
  const auto& t = interface_of(site);
  // opened, not loaded: libxdp loads it as one of its dispatcher's programs
  XdpAttachment a(FilterProgram::open(program_kind(site.hook), std::move(maps), rig), t.ifindex, t.ifname,
                  site.hook == Hook::XdpNative);
  site.prog_id = a.prog_id();
  site.hold = XdpHold{a.dispatched()};
  return std::make_unique<PlacedXdp>(std::move(a));
}

void detach(const HookSite& site, const std::function<std::vector<HookSite>()>&) {
  XdpAttachment::detach(interface_of(site).ifindex, site.prog_id, interface_of(site).ifname);
}

void undo(const HookSite& site, const std::vector<std::uint32_t>& programs) {
  for (const std::uint32_t prog_id : programs)
    XdpAttachment::detach(interface_of(site).ifindex, prog_id, interface_of(site).ifname);
}

void save(const HookSite& site, nlohmann::json& out) {
  save_interface(site, out);
  out["xdp_dispatched"] = std::get<XdpHold>(site.hold).dispatched;
}

void read(const nlohmann::json& in, HookSite& site) {
  read_interface(in, site);
  site.hold = XdpHold{in.at("xdp_dispatched").get<bool>()};
}

void prepare(HookSite& site) {
  resolve_interface(site);
  site.hold = XdpHold{};  // the journal's record, until the attach says whether it is dispatched
}

constexpr HookOps xdp_ops(Hook hook) {
  return {hook,
          interface_target,
          prepare,
          attach,
          detach,
          undo,
          program_loaded,
          interface_text,
          interface_where,
          save,
          read,
          /*held_by_process=*/false,
          ConnectionState::LookedUp};
}

}  // namespace

template <>
const HookOps& entry_of<Hook::XdpNative>() {
  static const HookOps ops = xdp_ops(Hook::XdpNative);
  return ops;
}
template <>
const HookOps& entry_of<Hook::XdpGeneric>() {
  static const HookOps ops = xdp_ops(Hook::XdpGeneric);
  return ops;
}

}  // namespace xb
