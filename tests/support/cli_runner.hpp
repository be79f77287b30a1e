// Runs the xdpfilter (or xdpbench) binary as a user would, capturing exit code, stdout
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
// The same for any program (xdpbench): `prefix binary args` through the shell.
CliResult run_cli(const std::string& binary, const std::string& args, const std::string& prefix = "");

}  // namespace xb::testing

namespace xb::testing {

// xdpfilter running in the background (the socket-filter hook stays in the
// foreground of its own process). Stopped with SIGTERM on destruction.
class BackgroundXdpfilter {
 public:
  explicit BackgroundXdpfilter(const std::string& args);
  ~BackgroundXdpfilter();
  // Waits for it to exit (at most timeout_ms); returns its stdout.
  std::string wait(int timeout_ms);

 private:
  int pid_ = -1;
  std::string out_path_;
};

}  // namespace xb::testing
