#include "netns_command.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "errors.hpp"

namespace xb::bench::baselines {

CommandResult run_in_netns(const std::string& ns, const std::vector<std::string>& argv) {
  std::vector<std::string> full = {"ip", "netns", "exec", ns};
  full.insert(full.end(), argv.begin(), argv.end());
  return run_program(full);
}

CommandResult run_program(const std::vector<std::string>& argv) {
  std::vector<std::string> full = argv;
  std::vector<char*> args;
  for (auto& a : full) args.push_back(a.data());
  args.push_back(nullptr);
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) || ::pipe2(err, O_CLOEXEC)) throw Error(errno_message("pipe", errno));
  const pid_t pid = ::fork();
  if (pid < 0) throw Error(errno_message("fork", errno));
  if (pid == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(err[1], STDERR_FILENO);
    const int devnull = ::open("/dev/null", O_RDONLY);
    ::dup2(devnull, STDIN_FILENO);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(out[1]);
  ::close(err[1]);
  CommandResult r;
  // both pipes at once: a tool that fills one while we wait on the other would hang
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  int open = 2;
  while (open > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[65536];
      const ssize_t n = ::read(fds[i].fd, buf, sizeof(buf));
      if (n > 0) {
        (i == 0 ? r.out : r.err).append(buf, static_cast<std::size_t>(n));
      } else {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open;
      }
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string checked_run_in_netns(const std::string& ns, const std::vector<std::string>& argv) {
  const CommandResult r = run_in_netns(ns, argv);
  if (r.status != 0) {
    std::string err = r.err.empty() ? r.out : r.err;
    while (!err.empty() && err.back() == '\n') err.pop_back();
    if (err.size() > 2000) err = err.substr(0, 2000) + "...";
    throw Error(fmt::format("{} (in netns {}) failed{}: {}", fmt::join(argv, " "), ns,
                            r.status == 127 ? " (not installed?)" : fmt::format(" with status {}", r.status), err));
  }
  return r.out;
}

TempFile::TempFile(const std::string& text, const std::string& suffix) {
  std::string templ = (std::filesystem::temp_directory_path() / ("xdpbench-XXXXXX" + suffix)).string();
  const int fd = ::mkstemps(templ.data(), static_cast<int>(suffix.size()));
  if (fd < 0) throw Error(errno_message("create a temporary file", errno));
  ::close(fd);
  path_ = templ;
  std::ofstream(path_) << text;
}

TempFile::~TempFile() { ::unlink(path_.c_str()); }

bool have_program(const std::string& name) {
  std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
  path += ":/usr/sbin:/sbin";
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find(':', start), path.size());
    const std::string dir = path.substr(start, end - start);
    if (!dir.empty() && ::access((dir + "/" + name).c_str(), X_OK) == 0) return true;
    start = end + 1;
  }
  return false;
}

}  // namespace xb::bench::baselines
