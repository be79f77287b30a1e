#include "test_namespaces.hpp"

#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "errors.hpp"
#include "filter_attach.hpp"

namespace xb::testing {

std::string run_command(const std::string& command) {
  std::string output;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe) throw std::runtime_error("popen failed: " + command);
  std::array<char, 512> buf{};
  while (std::fgets(buf.data(), buf.size(), pipe)) output += buf.data();
  const int status = ::pclose(pipe);
  if (status != 0)
    throw std::runtime_error("command failed (" + std::to_string(status) + "): " + command + "\n" + output);
  return output;
}

std::string unique_name(const std::string& prefix) {
  static std::atomic<int> counter{0};
  return prefix + std::to_string(::getpid() % 100000) + "x" + std::to_string(counter++);
}

VethTopology::VethTopology()
    : topology_(std::make_unique<bench::Topology>(bench::load_topology("veth-pair"), unique_name("xbt") + "-")) {
  gen_ns = topology_->generator().ns;
  dut_ns = topology_->dut().ns;
  gen_if = topology_->generator().dev;
  dut_if = topology_->dut().dev;
}

VethTopology::~VethTopology() = default;

IsolatedStore::IsolatedStore()
    : state_dir("/tmp/" + unique_name("xbstate")), pin_root("/sys/fs/bpf/" + unique_name("xbpins")) {
  ::setenv("XDPBENCH_STATE_DIR", state_dir.c_str(), 1);
  ::setenv("XDPBENCH_PIN_ROOT", pin_root.c_str(), 1);
}

ScratchAttachments::ScratchAttachments(const std::string& prefix)
    : dir_(std::filesystem::temp_directory_path() / unique_name(prefix)) {
  paths_.state_dir = dir_ + "/state";
  paths_.pin_root = "/sys/fs/bpf/" + unique_name(prefix);
}

ScratchAttachments::~ScratchAttachments() {
  for (const auto& r : AttachmentStore(paths_).list()) try {
      detach_filter(paths_, r);
    } catch (const Error&) {
    }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
  std::filesystem::remove_all(paths_.pin_root, ec);
}

IsolatedStore::~IsolatedStore() {
  std::error_code ec;
  std::filesystem::remove_all(state_dir, ec);
  std::filesystem::remove_all(pin_root, ec);
  ::unsetenv("XDPBENCH_STATE_DIR");
  ::unsetenv("XDPBENCH_PIN_ROOT");
}

}  // namespace xb::testing
