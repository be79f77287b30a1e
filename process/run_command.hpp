// Running other programs: argv straight to posix_spawn, never a shell, so no
// argument is ever re-split or expanded. Every place that runs a tool (ip,
// nft, iptables-restore, git, a DPDK application, another xdpbench) goes
// through here.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace xb {

struct CommandOptions {
  std::string netns{};        // run inside this network namespace (`ip netns exec`); empty: ours
  std::string input{};        // written to its stdin (small: a line or two); else stdin is /dev/null
  bool capture = true;        // its stdout and stderr into the result; false: to /dev/null
  bool merge_stderr = false;  // stderr into `out`, in order with stdout (as 2>&1)
};

struct CommandResult {
  int status = -1;  // exit status; 127 when the program is not there; -1 when killed
  std::string out, err;
};

CommandResult run_command(const std::vector<std::string>& argv, const CommandOptions& options = {});

// The same, throwing xb::Error with the command, where it ran and its stderr
// unless it exits 0; returns its stdout.
std::string checked_run(const std::vector<std::string>& argv, const CommandOptions& options = {});

// The command line as a person would type it, for messages.
std::string command_line(const std::vector<std::string>& argv);

// A program left running (an application the rig talks to): its stdin,
// stdout and stderr are pipes of ours, the ends here close on exec.
struct RunningProgram {
  pid_t pid = -1;
  int to_stdin = -1, from_stdout = -1, from_stderr = -1;
};
RunningProgram start_program(const std::vector<std::string>& argv, const CommandOptions& options = {});

// Whether an executable of that name is on PATH (or /usr/sbin, /sbin).
bool have_program(const std::string& name);

}  // namespace xb
