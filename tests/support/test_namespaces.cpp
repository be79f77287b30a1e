#include "test_namespaces.hpp"

#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace xb::testing {

std::string run_command(const std::string& command) {
  std::string output;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe) throw std::runtime_error("popen failed: " + command);
  std::array<char, 512> buf{};
  while (std::fgets(buf.data(), buf.size(), pipe)) output += buf.data();
  const int status = ::pclose(pipe);
  if (status != 0) throw std::runtime_error("command failed (" + std::to_string(status) + "): " + command + "\n" + output);
  return output;
}

std::string unique_name(const std::string& prefix) {
  static std::atomic<int> counter{0};
  return prefix + std::to_string(::getpid() % 100000) + "x" + std::to_string(counter++);
}

VethTopology::VethTopology()
    : gen_ns(unique_name("xbt-g")), dut_ns(unique_name("xbt-d")), gen_if(unique_name("xg")), dut_if(unique_name("xd")) {
  try {
    run_command("ip netns add " + gen_ns);
    run_command("ip netns add " + dut_ns);
    run_command("ip link add " + gen_if + " netns " + gen_ns + " type veth peer name " + dut_if + " netns " + dut_ns);
    for (const auto& [ns, dev, v4, v6] :
         {std::tuple{gen_ns, gen_if, std::string(kGenAddr), std::string("2001:2::1")},
          std::tuple{dut_ns, dut_if, std::string(kDutAddr), std::string("2001:2::2")}}) {
      run_command("ip -n " + ns + " addr add " + v4 + "/24 dev " + dev);
      run_command("ip -n " + ns + " addr add " + v6 + "/64 dev " + dev + " nodad");
      run_command("ip -n " + ns + " link set " + dev + " up");
      run_command("ip -n " + ns + " link set lo up");
    }
    // static neighbours: no ARP in the way of counted traffic
    const std::string gen_mac = run_command("ip netns exec " + gen_ns + " cat /sys/class/net/" + gen_if + "/address");
    const std::string dut_mac = run_command("ip netns exec " + dut_ns + " cat /sys/class/net/" + dut_if + "/address");
    run_command("ip -n " + gen_ns + " neigh replace " + kDutAddr + " lladdr " + dut_mac.substr(0, 17) +
                " dev " + gen_if + " nud permanent");
    run_command("ip -n " + dut_ns + " neigh replace " + kGenAddr + " lladdr " + gen_mac.substr(0, 17) +
                " dev " + dut_if + " nud permanent");
  } catch (...) {
    teardown();
    throw;
  }
}

VethTopology::~VethTopology() { teardown(); }

void VethTopology::teardown() {
  // deleting a namespace deletes its veth end, and with it the peer
  for (const auto& ns : {gen_ns, dut_ns})
    if (std::system(("ip netns del " + ns + " 2>/dev/null").c_str()) != 0) {
      // not created (setup failed before it): nothing to remove
    }
}

IsolatedStore::IsolatedStore()
    : state_dir("/tmp/" + unique_name("xbstate")), pin_root("/sys/fs/bpf/" + unique_name("xbpins")) {
  ::setenv("XDPBENCH_STATE_DIR", state_dir.c_str(), 1);
  ::setenv("XDPBENCH_PIN_ROOT", pin_root.c_str(), 1);
}

IsolatedStore::~IsolatedStore() {
  std::error_code ec;
  std::filesystem::remove_all(state_dir, ec);
  std::filesystem::remove_all(pin_root, ec);
  ::unsetenv("XDPBENCH_STATE_DIR");
  ::unsetenv("XDPBENCH_PIN_ROOT");
}

}  // namespace xb::testing
