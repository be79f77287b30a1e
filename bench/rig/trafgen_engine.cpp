#include "trafgen_engine.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>

#include "errors.hpp"
#include "pktgen_engine.hpp"
#include "run_command.hpp"

namespace xb::bench {

namespace {

constexpr std::uint32_t kHeaders = 14 + 20 + 8;  // Ethernet, IPv4, UDP

std::string ipv4(const std::array<std::uint8_t, 16>& a) { return fmt::format("{}.{}.{}.{}", a[0], a[1], a[2], a[3]); }

}  // namespace

std::string trafgen_config(const std::string& dst_mac, const std::string& src_mac, const std::vector<Flow>& flows,
                           std::uint32_t frame_size) {
  // frame_size counts the FCS, which the NIC adds
  const std::uint32_t payload = frame_size - 4 - kHeaders;
  std::string out = "/* written by xdpbench: one packet per flow, sent in order and cycled */\n";
  for (const Flow& f : flows)
    out += fmt::format("{{ eth(da={}, sa={}), ipv4(saddr={}, daddr={}, ttl=64), udp(sp={}, dp={}), fill(0x00, {}) }}\n",
                       dst_mac, src_mac, ipv4(f.saddr), ipv4(f.daddr), f.sport, f.dport, payload);
  return out;
}

std::string TrafgenEngine::unavailable(const TrafficProfile& p) {
  if (!have_program("trafgen")) return "trafgen is not installed (Debian package netsniff-ng)";
  if (p.imix) return "--engine=trafgen sends one frame size: IMIX is not supported";
  if (p.ipv6_share > 0) return "--engine=trafgen sends IPv4 flows: --ipv6-share is not supported";
  if (p.file) return "--engine=trafgen sends the run's flows: --traffic files are not supported";
  if (p.frame_size < 64) return fmt::format("--engine=trafgen: frame size {} is under 64", p.frame_size);
  return "";
}

TrafgenEngine::TrafgenEngine(const Topology& topo, const TrafficProfile& profile, const std::vector<Flow>& flows4,
                             const std::vector<int>& cpus)
    : netns_(topo.generator().ns), dev_(topo.generator().dev), rate_pps_(profile.rate_pps), cpus_(cpus) {
  if (const std::string why = unavailable(profile); !why.empty()) throw Error(why);
  // no rule set aimed at yet: the topology's own flow, its source port walked
  const std::vector<Flow> flows = flows4.empty() ? template_flows(topo, profile) : flows4;
  config_path_ = fmt::format("{}/xdpbench-trafgen-{}.cfg", std::filesystem::temp_directory_path().string(), ::getpid());
  std::ofstream out(config_path_);
  out << trafgen_config(topo.next_hop_mac(), topo.generator().mac, flows, profile.frame_size);
  if (!out) throw Error(errno_message("write " + config_path_, errno));
}

TrafgenEngine::~TrafgenEngine() {
  std::error_code ec;
  std::filesystem::remove(config_path_, ec);
}

std::uint64_t TrafgenEngine::send(std::uint64_t max_packets, double seconds) {
  if (max_packets == 0 || seconds <= 0) return 0;
  // bounded twice: trafgen stops at --num, the timeout at the time (SIGINT:
  // trafgen stops and reports what it sent)
  std::vector<std::string> argv = {"timeout", "-s", "INT", "-k", "5", fmt::format("{:.3f}", seconds)};
  if (!cpus_.empty()) argv.insert(argv.end(), {"taskset", "-c", fmt::format("{}", fmt::join(cpus_, ","))});
  argv.insert(argv.end(), {"trafgen", "--dev", dev_, "--conf", config_path_, "--num", std::to_string(max_packets),
                           "--cpus", std::to_string(std::max<std::size_t>(cpus_.size(), 1)), "--no-sock-mem", "-q"});
  if (rate_pps_ > 0) argv.insert(argv.end(), {"--rate", fmt::format("{}pps", std::llround(rate_pps_))});
  const CommandResult r = run_command(argv, {.netns = netns_, .merge_stderr = true});
  // "  1000000 packets outgoing": its own count, summed over its processes
  std::uint64_t sent = 0;
  bool said = false;
  static const std::regex line(R"((\d+) packets outgoing)");
  for (std::sregex_iterator it(r.out.begin(), r.out.end(), line), end; it != end; ++it) {
    sent += std::stoull((*it)[1].str());
    said = true;
  }
  if (!said) throw Error(fmt::format("trafgen on {} failed (exit {}): {}", dev_, r.status, r.out.substr(0, 400)));
  return sent;
}

}  // namespace xb::bench
