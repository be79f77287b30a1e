// Traffic profiles (profiles/*.toml, `xdpbench --profile=FILE`) on any bytes.
// Expected: an error naming file:line:column, or a profile within the
// ranges the generator takes (drop-share -1: the base's "as the rules
// fall").
#include <cmath>
#include <cstdint>
#include <string>

#include "errors.hpp"
#include "fuzz_check.hpp"
#include "traffic_profile.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  constexpr const char* kSource = "fuzz.profile";
  try {
    const xb::bench::TrafficProfile p = xb::bench::parse_traffic_profile(
        std::string(reinterpret_cast<const char*>(data), size), kSource, xb::bench::TrafficProfile{});
    if ((!p.imix && (p.frame_size < 64 || p.frame_size > 1518)) || p.flows < 1 || p.flows > 4096 ||
        !(p.drop_share == -1 || (p.drop_share >= 0 && p.drop_share <= 1)) ||
        !(p.ipv6_share >= 0 && p.ipv6_share <= 1) || !(p.rate_pps >= 0 && std::isfinite(p.rate_pps)))
      xb::fuzz::broken("a profile out of range was accepted");
  } catch (const xb::Error& e) {
    xb::fuzz::expect_error_names(e.what(), kSource);
  }
  return 0;
}
