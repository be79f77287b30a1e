// The differential test at scale (differential_at_scale.cpp), here so that
// the sample in the default run (tests/progrun/) and the million packets of
// the long tier (tests/long/) run the same code.
#pragma once

#include <cstddef>

#include "hooks.hpp"

namespace xb::testing {

// One hook, `total` packets spread over the rule sets; the 10,000-rule
// ClassBench set only with with_10k_rules (building it is most of a sample's time).
void differential_at_scale(ProgramKind kind, std::size_t total, bool with_10k_rules);

}  // namespace xb::testing
