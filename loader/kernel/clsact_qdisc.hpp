// The clsact qdisc tc filters and actions hang on: made if the interface has
// none, and removed again only if we made it — on a failed attach here, on
// detach by the caller's choice.
#pragma once

#include <string>

#include "hooks.hpp"

namespace xb {

class ClsactQdisc {
 public:
  // In the current netns. `what` prefixes errors ("attach tc-cls ingress on veth0").
  ClsactQdisc(int ifindex, Direction direction, const std::string& what);
  ~ClsactQdisc();  // removes the qdisc if we made it and keep() was not called
  ClsactQdisc(const ClsactQdisc&) = delete;
  ClsactQdisc& operator=(const ClsactQdisc&) = delete;

  bool created() const { return created_; }
  void keep() { kept_ = true; }

  static void remove(int ifindex);
  // Whether the interface has a clsact (or ingress) qdisc, in the current netns.
  static bool exists(int ifindex);

 private:
  int ifindex_;
  bool created_ = false;
  bool kept_ = false;
};

}  // namespace xb
