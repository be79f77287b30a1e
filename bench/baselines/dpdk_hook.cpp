// dpdk-afxdp and dpdk-afpacket: the DPDK application (bench/dpdk) on the DUT
// interface through the net_af_xdp or net_af_packet PMD, its poll loop on
// the DUT's CPU where --cpu pins one (else the last CPU), run as a child
// process in the DUT's namespace and asked for its counts over a pipe.
#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "baseline_hooks.hpp"
#include "errors.hpp"
#include "kernel_config.hpp"
#include "run_command.hpp"
#include "synthetic_rules.hpp"
#include "temp_file.hpp"

namespace xb::bench::baselines {
namespace {

std::string application_path() {
  if (const char* p = std::getenv("XDPBENCH_DPDK_FILTER")) return p;
#ifdef XB_DPDK_FILTER_PATH
  return XB_DPDK_FILTER_PATH;
#else
  return "";
#endif
}

std::string vdev_of(const std::string& hook, const std::string& dev) {
  if (hook == "dpdk-afpacket") return fmt::format("net_af_packet0,iface={},qpairs=1", dev);
  return fmt::format("net_af_xdp0,iface={},start_queue=0,queue_count=1", dev);
}

// The application as a child: its stdin and stdout are our command pipe.
class DpdkApplication {
 public:
  DpdkApplication(const std::string& ns, const std::vector<std::string>& argv) {
    // a write to an application that died must fail with EPIPE, not kill us
    std::signal(SIGPIPE, SIG_IGN);
    const RunningProgram p = start_program(argv, {.netns = ns});
    pid_ = p.pid;
    to_ = p.to_stdin;
    from_ = p.from_stdout;
    errors_ = p.from_stderr;
    ::fcntl(errors_, F_SETFL, O_NONBLOCK);
  }

  ~DpdkApplication() {
    if (pid_ <= 0) return;
    (void)!::write(to_, "quit\n", 5);
    ::close(to_);  // end of input also stops it
    // the application closes its port (and the PMD removes its XDP program)
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      ::usleep(20000);
    }
    ::close(from_);
    ::close(errors_);
  }

  // One line from the application, waiting at most `timeout`.
  std::string read_line(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (const auto nl = buffer_.find('\n'); nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return line;
      }
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd p{from_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0)
        throw Error("the DPDK application did not answer in time" + stderr_tail());
      char buf[65536];
      const ssize_t n = ::read(from_, buf, sizeof(buf));
      if (n <= 0) throw Error("the DPDK application exited" + stderr_tail());
      buffer_.append(buf, static_cast<std::size_t>(n));
    }
  }

  std::string command(const std::string& line) {
    const std::string l = line + "\n";
    if (::write(to_, l.data(), l.size()) != static_cast<ssize_t>(l.size()))
      throw Error("the DPDK application is gone" + stderr_tail());
    return read_line(std::chrono::seconds(10));
  }

  pid_t pid() const { return pid_; }

  std::string stderr_tail() {
    char buf[8192];
    const ssize_t n = ::read(errors_, buf, sizeof(buf));
    if (n <= 0) return "";
    std::string s(buf, static_cast<std::size_t>(n));
    while (!s.empty() && s.back() == '\n') s.pop_back();
    return ": " + s;
  }

 private:
  pid_t pid_ = -1;
  int to_ = -1, from_ = -1, errors_ = -1;
  std::string buffer_;
};

class DpdkHook final : public HookUnderTest {
 public:
  DpdkHook(const std::string& hook, const Topology& topo, const RuleSet& rules, std::optional<int> dut_cpu)
      : HookUnderTest(hook),
        rules_file_(to_toml(rules), ".toml"),
        file_prefix_(fmt::format("xdpbench-{}-{}", ::getpid(), next_instance++)) {
    // the poll loop (the worker lcore) on the DUT's core, beside its NAPI
    // thread, so that core's busy time is all the DUT's work; the main lcore
    // only answers our commands
    const int cpus = static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN));
    const int worker = dut_cpu.value_or(cpus - 1), main = worker == 0 ? 1 : 0;
    std::vector<std::string> argv = {
        application_path(), "-l", fmt::format("{},{}", std::min(main, worker), std::max(main, worker)), "--main-lcore",
        std::to_string(main), "--no-huge", "-m", "256",
        // no hugepages, no shared files: nothing of it outlives it
        "--no-shconf", "--file-prefix=" + file_prefix_, "--no-pci", "--no-telemetry", "--log-level=lib.eal:error",
        "--vdev", vdev_of(hook, topo.dut().dev), "--", rules_file_.path()};
    if (hook == "dpdk-afxdp-acl") argv.push_back("acl");  // DPDK's own classifier
    app_.emplace(topo.dut().ns, argv);
    // EAL and the PMD talk on stdout before the application is ready
    std::string said;
    try {
      for (std::string line; (line = app_->read_line(std::chrono::seconds(30))) != "ready";) said += line + "\n";
    } catch (const Error& e) {
      app_.reset();
      std::error_code ec;
      std::filesystem::remove_all("/var/run/dpdk/" + file_prefix_, ec);
      throw Error(fmt::format("{} on {} (netns {}): {}\n{}", hook, topo.dut().dev, topo.dut().ns, e.what(), said));
    }
  }

  ~DpdkHook() override {
    app_.reset();
    std::error_code ec;
    std::filesystem::remove_all("/var/run/dpdk/" + file_prefix_, ec);  // EAL's runtime directory
  }

  void reset() override {
    if (app_->command("reset") != "ok") throw Error(name() + ": the DPDK application did not reset");
  }

  std::vector<int> own_processes() const override { return {app_->pid()}; }

  HookCounts read() const override {
    const auto j = nlohmann::json::parse(app_->command("read"));
    HookCounts c;
    c.seen = j.at("rx");
    c.dropped = j.at("dropped");
    c.passed = j.at("passed");
    c.run_time_ns = static_cast<std::uint64_t>(j.at("busy_ns").get<double>());
    c.has_run_time = true;
    c.delivers_passed = true;
    c.own_input_queue = true;
    c.latency = LatencyHistogram(j.at("latency").get<std::vector<std::uint64_t>>());
    return c;
  }

 private:
  static inline int next_instance = 0;
  TempFile rules_file_;
  std::string file_prefix_;
  mutable std::optional<DpdkApplication> app_;
};

}  // namespace

std::unique_ptr<HookUnderTest> make_dpdk_hook(const std::string& hook, const Topology& topo, const RuleSet& rules,
                                              std::optional<int> dut_cpu) {
  return std::make_unique<DpdkHook>(hook, topo, rules, dut_cpu);
}

std::string dpdk_unavailable(const std::string& hook) {
  const std::string app = application_path();
  if (app.empty()) return "xdpbench was built without DPDK (Debian package libdpdk-dev)";
  if (::access(app.c_str(), X_OK) != 0) return "the DPDK application is missing: " + app;
  if (::sysconf(_SC_NPROCESSORS_ONLN) < 2) return "needs two CPUs: one for its poll loop";
  const char* option = hook == "dpdk-afpacket" ? "CONFIG_PACKET" : "CONFIG_XDP_SOCKETS";
  if (const auto o = kernel_option(option); o && o->value.empty())
    return fmt::format("the kernel lacks {} ({})", option, o->source);
  return "";
}

}  // namespace xb::bench::baselines
