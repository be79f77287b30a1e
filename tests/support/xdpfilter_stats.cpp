#include "xdpfilter_stats.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "cli_runner.hpp"
#include "test_namespaces.hpp"

namespace xb::testing {

using nlohmann::json;

json only_stats() {
  const auto r = run_xdpfilter("stats --json");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const json all = json::parse(r.out);
  EXPECT_EQ(all.size(), 1u);
  return all.at(0);
}

std::uint64_t packets_of(const json& stats, const std::string& rule_name) {
  for (const auto& r : stats.at("rules"))
    if (r.at("name") == rule_name) return r.at("packets").get<std::uint64_t>();
  ADD_FAILURE() << "no rule " << rule_name;
  return 0;
}

bool prog_gone(std::uint32_t id) {
  for (int i = 0; i < 100; ++i) {  // programs are freed after an RCU grace period
    if (run_command("bpftool prog show id " + std::to_string(id) + " 2>&1 || true").find("Error") != std::string::npos)
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace xb::testing
