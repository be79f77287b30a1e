#include "netns.hpp"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>

#include <cerrno>

#include "errors.hpp"

namespace xb {

NetnsScope::NetnsScope(const std::string& name) {
  if (name.empty()) return;
  if (name.find('/') != std::string::npos) throw Error("--netns: '" + name + "' is not a namespace name");
  const std::string path = "/run/netns/" + name;
  UniqueFd target(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!target) throw Error(errno_message("netns '" + name + "' (" + path + ")", errno));
  enter(target.get(), "netns '" + name + "'");
}

NetnsScope::NetnsScope(int netns_fd) { enter(netns_fd, "a network namespace"); }

void NetnsScope::enter(int netns_fd, const std::string& what) {
  original_.reset(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!original_) throw Error(errno_message("open current netns", errno));
  if (::setns(netns_fd, CLONE_NEWNET)) throw Error(errno_message("enter " + what, errno));
}

UniqueFd new_anonymous_netns() {
  UniqueFd here(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!here) throw Error(errno_message("open current netns", errno));
  const NetnsScope back(here.get());  // returns this thread here, whatever happens
  if (::unshare(CLONE_NEWNET)) throw Error(errno_message("make a network namespace", errno));
  UniqueFd made(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!made) throw Error(errno_message("open the new netns", errno));
  return made;
}

NetnsScope::~NetnsScope() {
  if (original_) ::setns(original_.get(), CLONE_NEWNET);
}

std::string netns_label(const std::string& netns) { return netns.empty() ? "the host namespace" : "netns " + netns; }

int interface_index(const std::string& ifname, const std::string& netns) {
  const unsigned idx = ::if_nametoindex(ifname.c_str());
  if (!idx) throw Error("interface '" + ifname + "' not found in " + netns_label(netns));
  return static_cast<int>(idx);
}

}  // namespace xb
