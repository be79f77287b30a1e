#include "cli_runner.hpp"

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "test_namespaces.hpp"

namespace xb::testing {

CliResult run_xdpfilter(const std::string& args, const std::string& prefix) {
  return run_cli(XDPFILTER_PATH, args, prefix);
}

CliResult run_cli(const std::string& binary, const std::string& args, const std::string& prefix) {
  const std::string out_path = "/tmp/" + unique_name("xbcli") + ".out";
  const std::string err_path = out_path + ".err";
  const std::string cmd = prefix + " " + binary + " " + args + " >" + out_path + " 2>" + err_path;
  const int status = std::system(cmd.c_str());
  auto slurp = [](const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    std::remove(path.c_str());
    return s.str();
  };
  CliResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out_path);
  r.err = slurp(err_path);
  return r;
}

}  // namespace xb::testing

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

namespace xb::testing {

BackgroundXdpfilter::BackgroundXdpfilter(const std::string& args) : out_path_("/tmp/" + unique_name("xbbg") + ".out") {
  const std::string cmd = "exec " XDPFILTER_PATH " " + args + " >" + out_path_ + " 2>&1";
  pid_ = ::fork();
  if (pid_ == 0) {
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
}

std::string BackgroundXdpfilter::wait(int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (pid_ > 0) {
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::ifstream in(out_path_);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

BackgroundXdpfilter::~BackgroundXdpfilter() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  std::remove(out_path_.c_str());
}

}  // namespace xb::testing
