#include "xdp_dispatcher_hold.hpp"

#include <net/if.h>

#include <cerrno>

#include "errors.hpp"
#include "netns.hpp"
#include "run_command.hpp"

namespace xb::bench {

XdpDispatcherHold::XdpDispatcherHold(int prog_fd) {
  const std::string what = "keep the program in the XDP dispatcher";
  netns_ = new_anonymous_netns();
  const NetnsScope inside(netns_.get());
  // `ip` is forked from this thread, so it runs in the new namespace
  const auto made = run_command({"ip", "link", "add", "xbhold0", "type", "veth", "peer", "name", "xbhold1"});
  if (made.status != 0) throw Error(what + ": `ip link add xbhold0 type veth peer name xbhold1`: " + made.err);
  const unsigned ifindex = ::if_nametoindex("xbhold0");
  if (ifindex == 0) throw Error(errno_message(what + ": xbhold0", errno));
  try {
    link_.emplace(LinkAttachment::xdp(prog_fd, static_cast<int>(ifindex), "xbhold0"));
  } catch (const Error& e) {
    throw Error(what + ": " + e.what());
  }
}

}  // namespace xb::bench
