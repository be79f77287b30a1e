// Runs the current thread inside a network namespace (a named one,
// /run/netns/NAME as `ip netns` makes them, or one held by a file
// descriptor) for the life of the scope, then returns it.
#pragma once

#include <string>

#include "unique_fd.hpp"

namespace xb {

class NetnsScope {
 public:
  // An empty name stays in the current namespace.
  explicit NetnsScope(const std::string& name);
  // netns_fd: an open /proc/.../ns/net
  explicit NetnsScope(int netns_fd);
  ~NetnsScope();
  NetnsScope(const NetnsScope&) = delete;
  NetnsScope& operator=(const NetnsScope&) = delete;

 private:
  void enter(int netns_fd, const std::string& what);
  UniqueFd original_;
};

// A new network namespace with no name: never in /run/netns, it lives as
// long as the returned descriptor (or something inside it) does, and dies
// with the process however it ends. The calling thread stays where it was.
UniqueFd new_anonymous_netns();

// Interface index in the current namespace; throws Error naming the
// interface and netns when it does not exist.
int interface_index(const std::string& ifname, const std::string& netns);

// "netns X" or "the host namespace", for messages.
std::string netns_label(const std::string& netns);

}  // namespace xb
