// The controller's line to one host's agent: the system's OpenSSH client,
// one master connection per host for the run (ControlMaster), and through it
// `xdpbench agent` on the host, spoken to in JSON lines (agent_protocol.hpp).
// How the host is reached (keys, ports, jump hosts) is the user's ssh
// config's business, or --ssh-config's: xdpbench handles no key or password
// (BatchMode: ssh never asks). A host without ssh is this machine: the
// agent is run here directly.
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <string>

#include "topology.hpp"

namespace xb::bench {

class AgentChannel {
 public:
  // Connects, starts the agent and says hello; throws Error naming the host
  // and what failed (unreachable, authentication, no xdpbench there, another
  // protocol version).
  AgentChannel(const LabHost& host, const std::string& ssh_config);
  // Says goodbye (the agent undoes what it did), then closes the master.
  ~AgentChannel();
  AgentChannel(const AgentChannel&) = delete;
  AgentChannel& operator=(const AgentChannel&) = delete;

  // One request and its reply; throws Error with the agent's error, or when
  // no reply comes within timeout_s.
  nlohmann::json call(const std::string& op, nlohmann::json args = nlohmann::json::object(), double timeout_s = 60);
  const LabHost& host() const { return host_; }
  // "host dut (root@dut.lab)": for messages.
  std::string label() const;
  // What the agent said of itself in its hello: version, pid, hostname.
  const nlohmann::json& hello() const { return hello_; }

 private:
  std::vector<std::string> ssh_argv(std::initializer_list<std::string> args) const;
  std::string read_line(double timeout_s);
  [[noreturn]] void fail(const std::string& what);
  void stop();

  LabHost host_;
  std::string ssh_config_, control_path_, log_path_;
  bool master_ = false;
  pid_t pid_ = -1;
  int to_agent_ = -1, from_agent_ = -1, agent_err_ = -1;
  std::string out_buf_, err_buf_;
  nlohmann::json hello_;
};

// A word for a POSIX shell: ssh hands the remote command to the user's shell.
std::string shell_quote(const std::string& word);

}  // namespace xb::bench
