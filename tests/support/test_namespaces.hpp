// Network namespaces and veth pairs made for one test, with names unique to
// this process, removed when the test ends (also when it fails).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "attachment_store.hpp"
#include "topology.hpp"

namespace xb::testing {

// Runs a shell command; throws with its output when it fails.
std::string run_command(const std::string& command);

// A unique short name: prefix + pid + counter (interface names fit in 15).
std::string unique_name(const std::string& prefix);

// IPv6 link-local traffic (neighbour and multicast chatter when links come
// up) that a topology's settings do not always silence: how many packets
// more than were sent a hook or a sink may count.
inline constexpr std::uint64_t kStrayPackets = 4;

// The rig's veth-pair topology (topologies/veth-pair.toml) under names
// unique to one test: gen (198.18.0.1/24, 2001:2::1/64) <-> dut
// (198.18.0.2/24, 2001:2::2/64).
class VethTopology {
 public:
  VethTopology();
  ~VethTopology();

  std::string gen_ns, dut_ns;
  std::string gen_if, dut_if;
  static constexpr const char* kGenAddr = "198.18.0.1";
  static constexpr const char* kDutAddr = "198.18.0.2";
  const bench::Topology& topology() const { return *topology_; }

 private:
  std::unique_ptr<bench::Topology> topology_;
};

// Per-test XDPBENCH_STATE_DIR and XDPBENCH_PIN_ROOT, so tests running side
// by side never see each other's attachments. Restores the environment.
class IsolatedStore {
 public:
  IsolatedStore();
  ~IsolatedStore();
  std::string state_dir, pin_root;
};

// The same for the tests that call the attach library themselves: a record
// directory and pin root of the test's own (StatePaths). Destruction
// detaches whatever a failed check left recorded there and removes both, so
// nothing outlives the test.
class ScratchAttachments {
 public:
  explicit ScratchAttachments(const std::string& prefix);
  ~ScratchAttachments();
  ScratchAttachments(const ScratchAttachments&) = delete;
  ScratchAttachments& operator=(const ScratchAttachments&) = delete;
  const StatePaths& paths() const { return paths_; }

 private:
  std::string dir_;
  StatePaths paths_;
};

}  // namespace xb::testing
