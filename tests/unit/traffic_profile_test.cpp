// Traffic profiles: the embedded ones, a file, and errors that name the place.
#include "traffic_profile.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "errors.hpp"

namespace xb::bench {
namespace {

TEST(TrafficProfile, EmbeddedProfiles) {
  EXPECT_TRUE(load_traffic_profile("imix", {}).imix);
  EXPECT_EQ(load_traffic_profile("worst-case", {}).mix, "miss");
  const TrafficProfile d = load_traffic_profile("default", {});
  EXPECT_EQ(d.frame_size, 64u);
  EXPECT_EQ(d.flows, 256u);
  EXPECT_EQ(d.mix, "rules");
}

TEST(TrafficProfile, FileValuesAndErrors) {
  const std::string path = "/tmp/xb-profile-test.toml";
  std::ofstream(path) << "size = 512\nflows = 32\ndrop-share = 0.5\nrate = 1000\n";
  const TrafficProfile p = load_traffic_profile(path, {});
  EXPECT_EQ(p.frame_size, 512u);
  EXPECT_EQ(p.flows, 32u);
  EXPECT_DOUBLE_EQ(p.drop_share, 0.5);
  EXPECT_DOUBLE_EQ(p.rate_pps, 1000);
  std::ofstream(path) << "size = 64\nburst = 3\n";
  try {
    load_traffic_profile(path, {});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              path + ":2:1: unknown key 'burst': expected size, flows, mix, drop-share, ipv6-share or rate");
  }
  std::remove(path.c_str());
}

// TOML has nan and inf; a NaN rate or share once passed the range checks
// (found by tests/fuzz/fuzz_profile: corpus/fuzz_profile/regress-rate-nan.toml).
TEST(TrafficProfile, RefusesNanAndInfinity) {
  const std::pair<const char*, const char*> cases[] = {
      {"rate = nan", "p:1:8: 'rate' must be packets per second (0: max)"},
      {"rate = inf", "p:1:8: 'rate' must be packets per second (0: max)"},
      {"drop-share = nan", "p:1:14: 'drop-share' must be 0 to 1"},
      {"ipv6-share = -nan", "p:1:14: 'ipv6-share' must be 0 to 1"},
  };
  for (const auto& [text, message] : cases) {
    try {
      parse_traffic_profile(text, "p", {});
      ADD_FAILURE() << text << ": no error";
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()), message) << text;
    }
  }
}

}  // namespace
}  // namespace xb::bench
