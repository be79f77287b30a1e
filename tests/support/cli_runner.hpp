// Runs the xdpfilter binary as a user would, capturing exit code, stdout
// and stderr.
#pragma once

#include <string>

namespace xb::testing {

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// args are appended to the xdpfilter path; `prefix` goes before it (e.g. setpriv ...)
CliResult run_xdpfilter(const std::string& args, const std::string& prefix = "");

}  // namespace xb::testing
