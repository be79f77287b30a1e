#include "agent_channel.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent_protocol.hpp"
#include "errors.hpp"
#include "run_command.hpp"

namespace xb::bench {

using nlohmann::json;

std::string shell_quote(const std::string& word) {
  std::string q = "'";
  for (const char c : word) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

namespace {

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// The last lines of what a program said on stderr: the reason it failed.
std::string last_lines(const std::string& text, int count = 3) {
  const std::string t = trimmed(text);
  std::size_t at = t.size();
  for (int i = 0; i < count && at != std::string::npos && at > 0; ++i) at = t.rfind('\n', at - 1);
  std::string tail = at == std::string::npos ? t : t.substr(at + 1);
  for (char& c : tail)
    if (c == '\n') c = ';';
  return tail;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

AgentChannel::AgentChannel(const LabHost& host, const std::string& ssh_config) : host_(host), ssh_config_(ssh_config) {
  std::vector<std::string> argv;
  if (host_.ssh.empty()) {
    // this machine: the agent is this very binary unless the topology says
    argv = {host_.xdpbench == "xdpbench" ? std::filesystem::read_symlink("/proc/self/exe").string() : host_.xdpbench,
            "agent"};
  } else {
    // one master connection for the run: every later session (the agent,
    // cleanup) rides it without a handshake. ControlPersist: should this
    // process die, the master leaves by itself once idle.
    const std::string dir = "/run/xdpbench/ssh";
    std::filesystem::create_directories(dir);
    ::chmod(dir.c_str(), 0700);
    control_path_ = fmt::format("{}/{}-{}", dir, ::getpid(), host_.name);
    // the master forks into the background keeping its stderr: what it
    // says goes to a log file instead, or capturing it would wait forever
    log_path_ = control_path_ + ".log";
    std::vector<std::string> master =
        ssh_argv({"-f", "-N", "-E", log_path_, "-o", "ControlMaster=yes", "-o", "ControlPersist=30"});
    master.push_back(host_.ssh);
    const CommandResult r = run_command(master, {.capture = false});
    if (r.status != 0) {
      const std::string said = read_text(log_path_);
      std::filesystem::remove(log_path_);
      throw Error(fmt::format("{}: ssh failed: {}", label(), said.empty() ? "no reason given" : last_lines(said)));
    }
    master_ = true;
    // the master keeps the log open; no one reads it once it is up
    std::filesystem::remove(log_path_);
    argv = ssh_argv({"-o", "ControlMaster=no"});
    argv.push_back(host_.ssh);
    argv.push_back("--");
    argv.push_back(shell_quote(host_.xdpbench) + " agent");
  }
  RunningProgram p;
  try {
    p = start_program(argv);
  } catch (const Error& e) {
    stop();
    throw Error(fmt::format("{}: {}", label(), e.what()));
  }
  pid_ = p.pid;
  to_agent_ = p.to_stdin;
  from_agent_ = p.from_stdout;
  agent_err_ = p.from_stderr;
  // a dead agent must be an error here, not a SIGPIPE that kills us
  ::signal(SIGPIPE, SIG_IGN);
  try {
    hello_ = call("hello", {{"protocol", kAgentProtocol}, {"version", XDPBENCH_VERSION}}, 30);
  } catch (...) {
    stop();
    throw;
  }
}

AgentChannel::~AgentChannel() {
  if (to_agent_ >= 0) {
    try {
      call("bye", json::object(), 30);
    } catch (const std::exception&) {
      // gone already: its journal remains for `xdpbench cleanup`
    }
  }
  stop();
}

void AgentChannel::stop() {
  if (to_agent_ >= 0) ::close(to_agent_);  // EOF: the agent undoes and exits
  to_agent_ = -1;
  if (pid_ > 0) {
    // a little while for it to finish undoing, then no more
    for (int i = 0; i < 300; ++i) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      ::usleep(100'000);
    }
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }
  for (int* fd : {&from_agent_, &agent_err_})
    if (*fd >= 0) {
      ::close(*fd);
      *fd = -1;
    }
  if (master_) {
    std::vector<std::string> exit = ssh_argv({"-O", "exit"});
    exit.push_back(host_.ssh);
    run_command(exit);
    master_ = false;
  }
}

std::vector<std::string> AgentChannel::ssh_argv(std::initializer_list<std::string> args) const {
  std::vector<std::string> argv = {"ssh"};
  if (!ssh_config_.empty()) argv.insert(argv.end(), {"-F", ssh_config_});
  // never a prompt: keys and passwords are the ssh config's and the agent's
  argv.insert(argv.end(), {"-o", "BatchMode=yes", "-o", "ControlPath=" + control_path_});
  argv.insert(argv.end(), args);
  return argv;
}

std::string AgentChannel::label() const {
  return host_.ssh.empty() ? fmt::format("host {} (this machine)", host_.name)
                           : fmt::format("host {} ({})", host_.name, host_.ssh);
}

void AgentChannel::fail(const std::string& what) {
  // what the agent (or ssh) said last is the reason
  std::string said = last_lines(err_buf_);
  throw Error(fmt::format("{}: {}{}", label(), what, said.empty() ? "" : ": " + said));
}

std::string AgentChannel::read_line(double timeout_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  for (;;) {
    if (const auto nl = out_buf_.find('\n'); nl != std::string::npos) {
      std::string line = out_buf_.substr(0, nl);
      out_buf_.erase(0, nl + 1);
      return line;
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) fail(fmt::format("no reply from the agent in {:.0f} s", timeout_s));
    pollfd fds[2] = {{from_agent_, POLLIN, 0}, {agent_err_, POLLIN, 0}};
    if (::poll(fds, 2, static_cast<int>(left.count())) < 0 && errno != EINTR) fail(errno_message("poll", errno));
    char buf[65536];
    if (fds[1].revents & (POLLIN | POLLHUP)) {
      const ssize_t n = ::read(agent_err_, buf, sizeof buf);
      if (n > 0) err_buf_.append(buf, static_cast<std::size_t>(n));
      if (err_buf_.size() > 65536) err_buf_.erase(0, err_buf_.size() - 65536);
    }
    if (fds[0].revents & (POLLIN | POLLHUP)) {
      const ssize_t n = ::read(from_agent_, buf, sizeof buf);
      if (n > 0) {
        out_buf_.append(buf, static_cast<std::size_t>(n));
      } else if (n == 0) {
        // its stderr has the reason: drain what is left of it
        for (ssize_t m; (m = ::read(agent_err_, buf, sizeof buf)) > 0;)
          err_buf_.append(buf, static_cast<std::size_t>(m));
        fail(host_.ssh.empty() ? "the agent ended" : "the connection or the agent ended");
      }
    }
  }
}

json AgentChannel::call(const std::string& op, json args, double timeout_s) {
  if (to_agent_ < 0) fail("the agent is gone");
  args["op"] = op;
  const std::string line = args.dump() + "\n";
  for (std::size_t done = 0; done < line.size();) {
    const ssize_t n = ::write(to_agent_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(to_agent_);
      to_agent_ = -1;
      fail(fmt::format("sending '{}' to the agent failed", op));
    }
    done += static_cast<std::size_t>(n);
  }
  const std::string reply_line = read_line(timeout_s);
  json reply;
  try {
    reply = json::parse(reply_line);
  } catch (const json::exception&) {
    fail(fmt::format("the agent's reply to '{}' is not JSON: {}", op, reply_line.substr(0, 200)));
  }
  if (!reply.value("ok", false)) throw Error(fmt::format("{}: {}", label(), reply.value("error", "failed")));
  return reply;
}

}  // namespace xb::bench
