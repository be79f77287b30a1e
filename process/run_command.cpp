#include "run_command.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "errors.hpp"

extern char** environ;

namespace xb {
namespace {

std::vector<std::string> full_argv(const std::vector<std::string>& argv, const CommandOptions& o) {
  if (argv.empty()) throw Error("run a command: no program given");
  if (o.netns.empty()) return argv;
  std::vector<std::string> full = {"ip", "netns", "exec", o.netns};
  full.insert(full.end(), argv.begin(), argv.end());
  return full;
}

struct Pipe {
  int read = -1, write = -1;
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw Error(errno_message("pipe", errno));
    read = fds[0];
    write = fds[1];
  }
  ~Pipe() {
    close_read();
    close_write();
  }
  void close_read() {
    if (read >= 0) ::close(read);
    read = -1;
  }
  void close_write() {
    if (write >= 0) ::close(write);
    write = -1;
  }
  int release_read() { return std::exchange(read, -1); }
  int release_write() { return std::exchange(write, -1); }
};

class FileActions {
 public:
  FileActions() { posix_spawn_file_actions_init(&actions_); }
  ~FileActions() { posix_spawn_file_actions_destroy(&actions_); }
  void dup(int fd, int to) { posix_spawn_file_actions_adddup2(&actions_, fd, to); }
  void null(int to, int flags) { posix_spawn_file_actions_addopen(&actions_, to, "/dev/null", flags, 0); }
  const posix_spawn_file_actions_t* get() const { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
};

// posix_spawnp reports a program it cannot execute as an error of its own:
// -1 then, and the caller says what exit status 127 would have said.
pid_t spawn(const std::vector<std::string>& argv, const FileActions& actions, int& error) {
  std::vector<std::string> copy = argv;
  std::vector<char*> args;
  args.reserve(copy.size() + 1);
  for (auto& a : copy) args.push_back(a.data());
  args.push_back(nullptr);
  pid_t pid = -1;
  error = ::posix_spawnp(&pid, args[0], actions.get(), nullptr, args.data(), environ);
  return error == 0 ? pid : -1;
}

int wait_status(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

std::string command_line(const std::vector<std::string>& argv) { return fmt::format("{}", fmt::join(argv, " ")); }

CommandResult run_command(const std::vector<std::string>& argv, const CommandOptions& o) {
  const std::vector<std::string> full = full_argv(argv, o);
  Pipe out, err, in;
  FileActions actions;
  if (o.input.empty())
    actions.null(STDIN_FILENO, O_RDONLY);
  else
    actions.dup(in.read, STDIN_FILENO);
  if (o.capture) {
    actions.dup(out.write, STDOUT_FILENO);
    actions.dup(o.merge_stderr ? out.write : err.write, STDERR_FILENO);
  } else {
    actions.null(STDOUT_FILENO, O_WRONLY);
    actions.null(STDERR_FILENO, O_WRONLY);
  }
  CommandResult r;
  int error = 0;
  const pid_t pid = spawn(full, actions, error);
  if (pid < 0) {
    r.status = 127;
    r.err = fmt::format("{}: {}", full[0], std::strerror(error));
    return r;
  }
  out.close_write();
  err.close_write();
  in.close_read();
  // small by contract: fits the pipe, so written before reading
  if (!o.input.empty() && ::write(in.write, o.input.data(), o.input.size()) < 0 && errno != EPIPE) {
    // the program did not read it: its status says so
  }
  in.close_write();
  // both pipes at once: a tool that fills one while we wait on the other would hang
  pollfd fds[2] = {{out.read, POLLIN, 0}, {err.read, POLLIN, 0}};
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
      } else if (n == 0 || errno != EINTR) {
        fds[i].fd = -1;
        --open;
      }
    }
  }
  r.status = wait_status(pid);
  return r;
}

std::string checked_run(const std::vector<std::string>& argv, const CommandOptions& o) {
  const CommandResult r = run_command(argv, o);
  if (r.status != 0) {
    std::string err = r.err.empty() ? r.out : r.err;
    while (!err.empty() && err.back() == '\n') err.pop_back();
    if (err.size() > 2000) err = err.substr(0, 2000) + "...";
    throw Error(fmt::format("{}{} failed{}: {}", command_line(argv),
                            o.netns.empty() ? "" : " (in netns " + o.netns + ")",
                            r.status == 127 ? " (not installed?)" : fmt::format(" with status {}", r.status), err));
  }
  return r.out;
}

RunningProgram start_program(const std::vector<std::string>& argv, const CommandOptions& o) {
  const std::vector<std::string> full = full_argv(argv, o);
  Pipe in, out, err;
  FileActions actions;
  actions.dup(in.read, STDIN_FILENO);
  actions.dup(out.write, STDOUT_FILENO);
  actions.dup(err.write, STDERR_FILENO);
  int error = 0;
  const pid_t pid = spawn(full, actions, error);
  if (pid < 0) throw Error(errno_message("start " + command_line(full), error));
  return {pid, in.release_write(), out.release_read(), err.release_read()};
}

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

}  // namespace xb
