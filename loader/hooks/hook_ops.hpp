// The hooks table: what each hook does, one entry per hook, each defined in
// the file of its family (xdp_hooks.cpp, tc_hooks.cpp, link_hooks.cpp,
// lwt_hooks.cpp, socket_hook.cpp). The attach transaction
// (filter_attach.cpp), recovery, liveness and the record's serialisation
// call a hook only through its entry, never through a switch on the hook.
// Adding a hook: its BPF entry, a Hook enumerator with its names
// (hooks.cpp), its entry in a family file, and a test parameter. A hook
// without an entry does not build (entry_of<H> is then undefined at link).
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "filter_program.hpp"
#include "hook_site.hpp"

namespace xb {

// The command line's (and the rig's) flags that name a target; each hook
// takes the ones it needs and refuses what cannot be its target.
struct TargetFlags {
  std::string iface;
  std::string cgroup;
  std::string nf_hook = "prerouting";
  int nf_priority = 0;
  std::uint16_t udp_port = 0;
  std::string route;
  std::string table;
};

// A filter this process has attached and still owns: destruction takes it
// off unless released to outlive the process.
class PlacedFilter {
 public:
  virtual ~PlacedFilter() = default;
  virtual const FilterProgram& program() const = 0;
  // Pins what keeps the filter attached (a link hook's links) under dir.
  virtual void pin(const std::string& /*dir*/) const {}
  virtual void release() {}
  // A socket of this process that receives what the filter passes (socket-filter), else -1.
  virtual int receive_fd() const { return -1; }
};

// How a hook learns a packet's connection state, for rules that name states.
enum class ConnectionState : std::uint8_t {
  Unknown,   // it cannot (no conntrack kfunc for its program type): such rules are refused
  LookedUp,  // it asks conntrack's table before conntrack sees the packet (bpf/xb_ct.bpf.h)
  Judged,    // conntrack has judged the packet already: the kernel's own answer
};

struct HookOps {
  Hook hook;
  // The target the flags name for this hook, checked and canonical; throws
  // Error naming the missing or misplaced flag.
  HookTarget (*target_from)(Hook hook, const TargetFlags& flags);
  // In the target's netns, before anything changes: what the kernel says of
  // the target (an interface's index, the place tc's filter will take).
  void (*prepare)(HookSite& site);
  // Loads a filter program of the hook's kind on `maps` and attaches it,
  // in the target's netns; fills site.prog_id and site.hold.
  std::unique_ptr<PlacedFilter> (*attach)(HookSite& site, FilterMaps maps, const std::optional<RigProbe>& rig);
  // Takes the recorded filter off, in its netns (a link hook's pinned
  // links go with the transaction's unpin). `others` lists the other
  // filters of ours, which may share what this one set up (tc's clsact
  // qdisc); only a hook that needs them asks (the store is read then).
  void (*detach)(const HookSite& site, const std::function<std::vector<HookSite>()>& others);
  // Takes off what an attach killed before its record was written left:
  // whatever at the target runs one of `programs` (that attach's).
  void (*undo)(const HookSite& site, const std::vector<std::uint32_t>& programs);
  // Whether the kernel still runs the recorded filter there (in its netns).
  bool (*is_live)(const HookSite& site);
  // The target as one word (the interface, cgroup, netfilter hook, route,
  // udp:PORT), and the whole place for messages.
  std::string (*target_text)(const HookSite& site);
  std::string (*where)(const HookSite& site);
  // The target and the hold in the record's JSON, and back.
  void (*save)(const HookSite& site, nlohmann::json& out);
  void (*read)(const nlohmann::json& in, HookSite& site);
  // Held by a process of its own (socket-filter): attached only while that
  // process lives, so detached by asking it to stop.
  bool held_by_process = false;
  ConnectionState connection_state = ConnectionState::Unknown;
};

// Hook H's entry, defined (specialised) in its family's file.
template <Hook H>
const HookOps& entry_of();
template <>
const HookOps& entry_of<Hook::XdpNative>();  // xdp_hooks.cpp
template <>
const HookOps& entry_of<Hook::XdpGeneric>();
template <>
const HookOps& entry_of<Hook::TcCls>();  // tc_hooks.cpp
template <>
const HookOps& entry_of<Hook::TcAct>();
template <>
const HookOps& entry_of<Hook::Tcx>();  // link_hooks.cpp
template <>
const HookOps& entry_of<Hook::SocketFilter>();  // socket_hook.cpp
template <>
const HookOps& entry_of<Hook::CgroupSkb>();  // link_hooks.cpp
template <>
const HookOps& entry_of<Hook::Netfilter>();
template <>
const HookOps& entry_of<Hook::LwtIn>();  // lwt_hooks.cpp
template <>
const HookOps& entry_of<Hook::LwtOut>();
template <>
const HookOps& entry_of<Hook::LwtXmit>();

const HookOps& hook_ops(Hook hook);

// The target `flags` name for `hook` (see HookOps::target_from).
HookTarget hook_target(Hook hook, const TargetFlags& flags);

}  // namespace xb
