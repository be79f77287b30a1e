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

inline std::string kind_param_name(const ::testing::TestParamInfo<ProgramKind>& info) {
  std::string n = program_kind_name(info.param);
  std::replace(n.begin(), n.end(), '-', '_');
  return n;
}

}  // namespace xb::testing
