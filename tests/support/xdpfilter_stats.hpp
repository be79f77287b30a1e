// What the end-to-end tests read back from an attached filter: its counters
// as `xdpfilter stats --json` gives them, and whether the kernel has freed
// a detached program.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace xb::testing {

// The stats of the one attachment there is (a test's IsolatedStore holds only
// its own); fails the test if xdpfilter fails or there are more.
nlohmann::json only_stats();

// The packets the rule named rule_name counted; fails the test if there is no such rule.
std::uint64_t packets_of(const nlohmann::json& stats, const std::string& rule_name);

// Whether program id is gone from the kernel, waiting up to 2 s for it.
bool prog_gone(std::uint32_t id);

}  // namespace xb::testing
