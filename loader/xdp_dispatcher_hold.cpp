#include "xdp_dispatcher_hold.hpp"

#include <bpf/bpf.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <sched.h>

#include <cerrno>
#include <cstdlib>

#include "errors.hpp"

namespace xb {
namespace {

constexpr const char* kWhat = "keep the program in the XDP dispatcher";

// Returns the calling thread to its namespace, whatever happens in between.
class ReturnToNetns {
 public:
  ReturnToNetns() : fd_(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)) {
    if (!fd_) throw Error(errno_message(std::string(kWhat) + ": open this thread's netns", errno));
  }
  ~ReturnToNetns() {
    if (::setns(fd_.get(), CLONE_NEWNET) != 0) std::abort();  // never: it is where this thread came from
  }
  ReturnToNetns(const ReturnToNetns&) = delete;
  ReturnToNetns& operator=(const ReturnToNetns&) = delete;

 private:
  UniqueFd fd_;
};

}  // namespace

XdpDispatcherHold::XdpDispatcherHold(int prog_fd) {
  ReturnToNetns back;
  if (::unshare(CLONE_NEWNET) != 0) throw Error(errno_message(std::string(kWhat) + ": new network namespace", errno));
  netns_ = UniqueFd(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!netns_) throw Error(errno_message(std::string(kWhat) + ": open the new netns", errno));
  // `ip` forks from this thread, so it runs in the new namespace
  if (std::system("ip link add xbhold0 type veth peer name xbhold1 >/dev/null 2>&1") != 0)
    throw Error(std::string(kWhat) + ": `ip link add xbhold0 type veth peer name xbhold1` failed");
  const unsigned ifindex = ::if_nametoindex("xbhold0");
  if (ifindex == 0) throw Error(errno_message(std::string(kWhat) + ": xbhold0", errno));
  LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = XDP_FLAGS_DRV_MODE);
  const int fd = bpf_link_create(prog_fd, static_cast<int>(ifindex), BPF_XDP, &opts);
  check_errno(fd, std::string(kWhat) + ": attach at native XDP on a veth (BPF link)");
  link_ = UniqueFd(fd);
}

}  // namespace xb
