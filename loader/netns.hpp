// Runs the current thread inside a named network namespace (/run/netns/NAME,
// as `ip netns` makes them) for the life of the scope, then returns it.
#pragma once

#include <string>

#include "unique_fd.hpp"

namespace xb {

class NetnsScope {
 public:
  // An empty name stays in the current namespace.
  explicit NetnsScope(const std::string& name);
  ~NetnsScope();
  NetnsScope(const NetnsScope&) = delete;
  NetnsScope& operator=(const NetnsScope&) = delete;

 private:
  UniqueFd original_;
};

// Interface index in the current namespace; throws Error naming the
// interface and netns when it does not exist.
int interface_index(const std::string& ifname, const std::string& netns);

// "netns X" or "the host namespace", for messages.
std::string netns_label(const std::string& netns);

}  // namespace xb
