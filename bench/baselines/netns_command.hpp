// Running the baselines' own tools (nft, iptables-restore, ipset) inside a
// namespace of the rig: `ip netns exec`, no shell, output captured.
#pragma once

#include <string>
#include <vector>

namespace xb::bench::baselines {

struct CommandResult {
  int status = -1;  // exit status, or -1 when it did not run or was killed
  std::string out, err;
};

CommandResult run_in_netns(const std::string& ns, const std::vector<std::string>& argv);
// A program in our own namespace.
CommandResult run_program(const std::vector<std::string>& argv);
// The same, throwing xb::Error with the command and its stderr unless it exits 0.
std::string checked_run_in_netns(const std::string& ns, const std::vector<std::string>& argv);

// A file of text in a private temporary directory, removed with the object:
// how rule sets of 100k lines reach nft -f and iptables-restore.
class TempFile {
 public:
  explicit TempFile(const std::string& text, const std::string& suffix = "");
  ~TempFile();
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Whether an executable of that name is on PATH (or /usr/sbin, /sbin).
bool have_program(const std::string& name);

}  // namespace xb::bench::baselines
