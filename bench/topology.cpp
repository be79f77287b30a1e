#include "topology.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <stdexcept>

#include "errors.hpp"
#include "netns.hpp"

namespace xb::bench {
namespace {

std::string sh(const std::string& command) {
  std::string output;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe) throw Error("cannot run: " + command);
  std::array<char, 256> buf{};
  while (std::fgets(buf.data(), buf.size(), pipe)) output += buf.data();
  if (::pclose(pipe) != 0) throw Error("topology: `" + command + "` failed: " + output);
  return output;
}

std::string mac_of(const Endpoint& e) {
  std::string mac = sh(fmt::format("ip netns exec {} cat /sys/class/net/{}/address", e.ns, e.dev));
  return mac.substr(0, 17);
}

}  // namespace

VethPairTopology::VethPairTopology() {
  const std::string run = fmt::format("{}{}", kPrefix, ::getpid());
  gen_ = {run + "-gen", "gen0", "198.18.0.1", "", 0};
  dut_ = {run + "-dut", "dut0", "198.18.0.2", "", 0};
  try {
    sh("ip netns add " + gen_.ns);
    sh("ip netns add " + dut_.ns);
    sh(fmt::format("ip link add {} netns {} type veth peer name {} netns {}", gen_.dev, gen_.ns, dut_.dev, dut_.ns));
    for (Endpoint* e : {&gen_, &dut_}) {
      sh(fmt::format("ip -n {} addr add {}/24 dev {}", e->ns, e->ip4, e->dev));
      sh(fmt::format("ip -n {} link set {} up", e->ns, e->dev));
      sh(fmt::format("ip -n {} link set lo up", e->ns));
      e->mac = mac_of(*e);
      NetnsScope in(e->ns);
      e->ifindex = interface_index(e->dev, e->ns);
    }
    sh(fmt::format("ip netns exec {} ethtool -K {} gro on", dut_.ns, dut_.dev));
    sh(fmt::format("ip -n {} neigh replace {} lladdr {} dev {} nud permanent", gen_.ns, dut_.ip4, dut_.mac, gen_.dev));
    sh(fmt::format("ip -n {} neigh replace {} lladdr {} dev {} nud permanent", dut_.ns, gen_.ip4, gen_.mac, dut_.dev));
  } catch (...) {
    teardown();
    throw;
  }
}

VethPairTopology::~VethPairTopology() { teardown(); }

void VethPairTopology::teardown() {
  for (const auto& ns : {gen_.ns, dut_.ns})
    if (!ns.empty() && std::system(("ip netns del " + ns + " 2>/dev/null").c_str()) != 0) {
      // never made: nothing to remove
    }
}

int VethPairTopology::cleanup_leftovers() {
  int removed = 0;
  const std::regex ours(std::string(kPrefix) + "[0-9]+-(gen|dut|sink)");
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/run/netns", ec)) {
    const std::string name = entry.path().filename();
    if (!std::regex_match(name, ours)) continue;
    if (std::system(("ip netns del " + name).c_str()) == 0) ++removed;
  }
  return removed;
}

}  // namespace xb::bench
