// The embedded default topology, veth-pair: a generator namespace and a
// device-under-test namespace joined by one veth, every name unique to this
// run (prefix xbr<pid>), torn down on destruction — on success, error and
// Ctrl-C alike. GRO is on at the DUT end so frames redirected by XDP into the
// veth are received whether or not the DUT runs XDP itself.
#pragma once

#include <string>

namespace xb::bench {

struct Endpoint {
  std::string ns, dev, ip4, mac;
  int ifindex = 0;
};

class VethPairTopology {
 public:
  VethPairTopology();
  ~VethPairTopology();
  VethPairTopology(const VethPairTopology&) = delete;
  VethPairTopology& operator=(const VethPairTopology&) = delete;

  const Endpoint& gen() const { return gen_; }
  const Endpoint& dut() const { return dut_; }

  static constexpr const char* kPrefix = "xbr";
  // Removes every namespace a killed run of ours left (names starting xbr<digits>-).
  static int cleanup_leftovers();

 private:
  void teardown();
  Endpoint gen_, dut_;
};

}  // namespace xb::bench
