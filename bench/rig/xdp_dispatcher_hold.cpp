#include "xdp_dispatcher_hold.hpp"

#include <bpf/bpf.h>
#include <linux/if_link.h>
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
  LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = XDP_FLAGS_DRV_MODE);
  const int fd = bpf_link_create(prog_fd, static_cast<int>(ifindex), BPF_XDP, &opts);
  check_errno(fd, what + ": attach at native XDP on a veth (BPF link)");
  link_ = UniqueFd(fd);
}

}  // namespace xb::bench
