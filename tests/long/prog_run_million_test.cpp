// The differential test at scale (tests/support/differential_at_scale.cpp),
// a million packets per hook: minutes, so a tier of its own (label "long",
// not in the default CI run).
#include <gtest/gtest.h>

#include "differential_at_scale.hpp"
#include "test_params.hpp"

namespace xb {
namespace {

using testing::differential_at_scale;
using testing::kind_param_name;

const auto kKinds = ::testing::ValuesIn(testing::kProgramKinds);

class ProgRunMillion : public ::testing::TestWithParam<ProgramKind> {};
TEST_P(ProgRunMillion, AgainstReferenceAndOracle) { differential_at_scale(GetParam(), 1'000'000, true); }
INSTANTIATE_TEST_SUITE_P(Programs, ProgRunMillion, kKinds, kind_param_name);

}  // namespace
}  // namespace xb
