// What the parameterised suites run over, and their parameters' names as
// gtest takes them in a test's name.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <string>

#include "hooks.hpp"
#include "prog_runner.hpp"  // PrintTo(ProgramKind): what ctest names a case by

namespace xb::testing {

// Every hook's program.
inline constexpr std::array kProgramKinds = {ProgramKind::Xdp,    ProgramKind::Tc,     ProgramKind::TcAct,
                                             ProgramKind::Socket, ProgramKind::Cgroup, ProgramKind::Netfilter,
                                             ProgramKind::LwtIn,  ProgramKind::LwtOut, ProgramKind::LwtXmit};

// A hook's or program's name ("xdp-native") as gtest takes it in a test's
// name, where a '-' may not stand.
inline std::string gtest_name(std::string name) {
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

// For suites over hook names.
inline std::string hook_param_name(const ::testing::TestParamInfo<std::string>& info) { return gtest_name(info.param); }

// For suites over kProgramKinds.
inline std::string kind_param_name(const ::testing::TestParamInfo<ProgramKind>& info) {
  return gtest_name(program_kind_name(info.param));
}

}  // namespace xb::testing
