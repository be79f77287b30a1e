// Named traffic profiles (profiles/*.toml, or a file): frame size or IMIX,
// flows, mix, drop share, rate. Errors name file:line:column.
#pragma once

#include <string>

#include "live_frame_generator.hpp"

namespace xb::bench {

// Values the profile does not set stay as in `base`.
TrafficProfile load_traffic_profile(const std::string& name_or_path, TrafficProfile base);
// A profile's text; source names it in errors.
TrafficProfile parse_traffic_profile(const std::string& text, const std::string& source, TrafficProfile base);

}  // namespace xb::bench
