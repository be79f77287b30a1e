// tc-cls and tc-act: the filter on the clsact qdisc of an interface, as a
// cls_bpf classifier in direct-action mode or as act_bpf behind matchall.
// Both sit at a fixed place (priority, handle) known before the attach, so
// the journal names it and a killed attach's filter is found again.
#include <nlohmann/json.hpp>

#include "family_helpers.hpp"
#include "netns.hpp"
#include "tc_act_attachment.hpp"
#include "tc_attachment.hpp"

namespace xb {
namespace {
using namespace hook_family;

template <class Attachment>
class PlacedTc final : public PlacedFilter {
 public:
  explicit PlacedTc(Attachment a) : a_(std::move(a)) {}
  const FilterProgram& program() const override { return a_.program(); }
  void release() override { a_.release(); }

 private:
  Attachment a_;
};

const TcFilterId& tc_of(const HookSite& site) { return std::get<TcFilterId>(site.hold); }

// cls_bpf and act_bpf differ in how they attach, not in what is recorded
template <class Attachment>
void prepare(HookSite& site) {
  resolve_interface(site);
  site.hold = Attachment::place(interface_of(site).ifindex, site.direction);
}

template <class Attachment>
std::unique_ptr<PlacedFilter> attach(HookSite& site, FilterMaps maps, const std::optional<RigProbe>& rig) {
  const auto& t = interface_of(site);
  Attachment a(FilterProgram::load(program_kind(site.hook), std::move(maps), rig), t.ifindex, t.ifname, site.direction);
  site.hold = a.id();
  site.prog_id = a.program().prog_id();
  return std::make_unique<PlacedTc<Attachment>>(std::move(a));
}

template <class Attachment>
void detach(const HookSite& site, const std::function<std::vector<HookSite>()>& others) {
  // the clsact qdisc goes only if we made it and no other filter of ours uses it
  bool shared = false;
  for (const auto& other : others())
    shared |= std::holds_alternative<TcFilterId>(other.hold) && other.netns == site.netns &&
              other.interface() == site.interface();
  Attachment::detach(tc_of(site), tc_of(site).created_qdisc && !shared, interface_of(site).ifname);
}

void undo_cls(const HookSite& site, const std::vector<std::uint32_t>& programs) {
  TcAttachment::remove_left_over(tc_of(site), programs);
}

void undo_act(const HookSite& site, const std::vector<std::uint32_t>&) {
  TcActAttachment::remove_left_over(tc_of(site));  // the matchall at our fixed priority is ours
}

// From where the filter sits, not from the program's id: the program
// outlives its filter until RCU frees it.
bool is_live_cls(const HookSite& site) { return TcAttachment::holds(tc_of(site), site.prog_id); }
bool is_live_act(const HookSite& site) { return TcActAttachment::holds(tc_of(site)); }

void save(const HookSite& site, nlohmann::json& out) {
  save_interface(site, out);
  const auto& tc = tc_of(site);
  out["tc"] = {{"handle", tc.handle}, {"priority", tc.priority}, {"created_qdisc", tc.created_qdisc}};
}

void read(const nlohmann::json& in, HookSite& site) {
  read_interface(in, site);
  TcFilterId tc;
  tc.ifindex = interface_of(site).ifindex;
  tc.direction = site.direction;
  tc.handle = in.at("tc").at("handle").get<std::uint32_t>();
  tc.priority = in.at("tc").at("priority").get<std::uint32_t>();
  tc.created_qdisc = in.at("tc").at("created_qdisc").get<bool>();
  site.hold = tc;
}

}  // namespace

template <>
const HookOps& entry_of<Hook::TcCls>() {
  static const HookOps ops = {Hook::TcCls,
                              interface_target,
                              prepare<TcAttachment>,
                              attach<TcAttachment>,
                              detach<TcAttachment>,
                              undo_cls,
                              is_live_cls,
                              interface_text,
                              interface_where,
                              save,
                              read,
                              /*held_by_process=*/false,
                              ConnectionState::LookedUp};
  return ops;
}
template <>
const HookOps& entry_of<Hook::TcAct>() {
  static const HookOps ops = {
      Hook::TcAct, interface_target, prepare<TcActAttachment>, attach<TcActAttachment>, detach<TcActAttachment>,
      undo_act,    is_live_act,      interface_text,           interface_where,         save,
      read};
  return ops;
}

}  // namespace xb
