// The differential test at scale (tests/support/differential_at_scale.cpp)
// on a sample: the million's mix, smaller and without the 10,000-rule set,
// in the default run.
#include <gtest/gtest.h>

#include "differential_at_scale.hpp"
#include "test_params.hpp"

namespace xb {
namespace {

using testing::differential_at_scale;
using testing::kind_param_name;

const auto kKinds = ::testing::ValuesIn(testing::kProgramKinds);

class ProgRunSample : public ::testing::TestWithParam<ProgramKind> {};
TEST_P(ProgRunSample, AgainstReferenceAndOracle) { differential_at_scale(GetParam(), 40'000, false); }
INSTANTIATE_TEST_SUITE_P(Programs, ProgRunSample, kKinds, kind_param_name);

}  // namespace
}  // namespace xb
