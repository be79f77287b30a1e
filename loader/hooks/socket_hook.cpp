// socket-filter: the filter on a socket this process opens and holds (a
// packet socket on an interface, or a UDP socket on a port). It is attached
// only while that process lives; a later process detaches it by asking the
// process to stop (filter_attach.cpp), and recovery has nothing to undo:
// the socket went with its killed process.
#include <fmt/format.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <optional>

#include "errors.hpp"
#include "family_helpers.hpp"
#include "netns.hpp"
#include "socket_filter.hpp"

namespace xb {
namespace {
using namespace hook_family;

class PlacedSocket final : public PlacedFilter {
 public:
  PlacedSocket(UniqueFd socket, SocketFilterAttachment a) : socket_(std::move(socket)), a_(std::move(a)) {}
  const FilterProgram& program() const override { return a_.program(); }
  int receive_fd() const override { return socket_.get(); }

 private:
  UniqueFd socket_;  // destroyed after the attachment (SO_DETACH_BPF needs it open)
  SocketFilterAttachment a_;
};

const SocketTarget& socket_of(const HookSite& site) { return std::get<SocketTarget>(site.target); }

HookTarget socket_target(Hook hook, const TargetFlags& flags) {
  refuse_route_flags(hook, flags);
  if (!flags.udp_port && flags.iface.empty()) throw Error("--iface is required for --hook=" + hook_name(hook));
  // a UDP socket is bound on every interface; an --iface given with it is
  // kept in the record (detach and stats select by it), as it always was
  return SocketTarget{flags.iface, 0, flags.udp_port};
}

void prepare(HookSite& site) {
  auto& t = std::get<SocketTarget>(site.target);
  if (!t.udp_port) t.ifindex = interface_index(t.ifname, site.netns);
  site.hold = SocketHold{};  // the journal's record, until the attach names this process
}

std::unique_ptr<PlacedFilter> attach(HookSite& site, FilterMaps maps, const std::optional<RigProbe>& rig) {
  const auto& t = socket_of(site);
  // the socket stays in the namespace it is made in (the transaction's)
  UniqueFd socket = t.udp_port ? open_udp_socket(t.udp_port) : open_packet_socket(t.ifindex, t.ifname);
  SocketFilterAttachment a(FilterProgram::load(ProgramKind::Socket, std::move(maps), rig), socket.get());
  site.prog_id = a.program().prog_id();
  site.hold = SocketHold{static_cast<int>(::getpid())};
  return std::make_unique<PlacedSocket>(std::move(socket), std::move(a));
}

std::string target_text(const HookSite& site) {
  const auto& t = socket_of(site);
  return t.udp_port ? "udp:" + std::to_string(t.udp_port) : t.ifname;
}

std::string where(const HookSite& site) {
  const auto& t = socket_of(site);
  return t.udp_port ? fmt::format("socket-filter on UDP port {} ({})", t.udp_port, ns_text(site.netns))
                    : fmt::format("socket-filter on a packet socket on {} ({})", t.ifname, ns_text(site.netns));
}

void save(const HookSite& site, nlohmann::json& out) {
  const auto& t = socket_of(site);
  out["ifname"] = t.ifname;
  out["ifindex"] = t.ifindex;
  out["udp_port"] = t.udp_port;
  out["owner_pid"] = std::get<SocketHold>(site.hold).owner_pid;
}

void read(const nlohmann::json& in, HookSite& site) {
  site.target = SocketTarget{in.at("ifname").get<std::string>(), in.at("ifindex").get<int>(),
                             in.at("udp_port").get<std::uint16_t>()};
  site.hold = SocketHold{in.at("owner_pid").get<int>()};
}

}  // namespace

template <>
const HookOps& entry_of<Hook::SocketFilter>() {
  static const HookOps ops = {
      Hook::SocketFilter, socket_target, prepare, attach, nothing_to_detach,       nothing_to_undo, program_loaded,
      target_text,        where,         save,    read,   /*held_by_process=*/true};
  return ops;
}

}  // namespace xb
