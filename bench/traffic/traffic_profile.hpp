// The generator's traffic: a profile (frame size or IMIX, flows, mix, drop
// share, rate), named (profiles/*.toml) or from a file; or the frames of a
// file replayed (traffic_file.hpp). Profile errors name file:line:column.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace xb::bench {

struct TrafficFile;

struct TrafficProfile {
  std::uint32_t frame_size = 64;  // on the wire, FCS included (60 bytes of frame data)
  bool imix = false;              // instead: simple IMIX, 7:4:1 of 64, 594 and 1518 bytes
  double ipv6_share = 0;          // share of IPv6 packets (0-1); the topology needs target6
  std::uint32_t flows = 256;      // distinct flows
  std::string mix = "rules";      // rules: flows aimed at the rule set; miss: flows no rule matches
  double drop_share = -1;         // rules mix: share of dropped flows; < 0: as the rule set falls
  std::uint16_t dport = 9;        // miss mix: discard
  double rate_pps = 0;            // 0: as fast as the generator's cores send
  // what sends it (--engine): xdpbench's live frames, or netsniff-ng's trafgen
  std::string engine = "xdpbench";
  // --traffic: these frames, cycled in order, instead of the template and
  // its flows (size, flows, mix and shares above then do not apply)
  std::shared_ptr<const TrafficFile> file;
};

// Values the profile does not set stay as in `p`.
TrafficProfile load_traffic_profile(const std::string& name_or_path, TrafficProfile p);
// A profile's text; source names it in errors.
TrafficProfile parse_traffic_profile(const std::string& text, const std::string& source, TrafficProfile p);

}  // namespace xb::bench
