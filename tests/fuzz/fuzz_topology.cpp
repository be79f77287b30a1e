// Topology files (topologies/*.toml, `xdpbench --topology=FILE`) on any
// bytes: read only, never built (building makes namespaces). Expected: an
// error naming file:line:column, or a spec whose roles name its veth ends.
#include <cstdint>
#include <string>

#include "errors.hpp"
#include "fuzz_check.hpp"
#include "topology.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  constexpr const char* kSource = "fuzz.topology";
  try {
    const xb::bench::TopologySpec spec =
        xb::bench::parse_topology(std::string(reinterpret_cast<const char*>(data), size), kSource);
    if (spec.generator.empty() || spec.dut.empty() || spec.target.empty())
      xb::fuzz::broken("a topology without a generator, a DUT or a target was accepted");
  } catch (const xb::Error& e) {
    xb::fuzz::expect_error_names(e.what(), kSource);
  }
  return 0;
}
