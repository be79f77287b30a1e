#include "pktgen_engine.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <cmath>
#include <regex>

#include "errors.hpp"
#include "run_command.hpp"

namespace xb::bench {

namespace {

constexpr const char* kThread = "/proc/net/pktgen/kpktgend_0";
constexpr std::uint16_t kFirstSourcePort = 1024;

}  // namespace

std::vector<Flow> template_flows(const Topology& topo, const TrafficProfile& profile) {
  Flow f;
  if (inet_pton(AF_INET, topo.generator().ip4.c_str(), f.saddr.data()) != 1 ||
      inet_pton(AF_INET, topo.spec().target.c_str(), f.daddr.data()) != 1)
    throw Error(fmt::format("--engine={}: topology {} has no IPv4 generator address and target", profile.engine,
                            topo.spec().name));
  f.dport = profile.dport;
  std::vector<Flow> flows;
  for (std::uint32_t i = 0; i < std::max<std::uint32_t>(profile.flows, 1); ++i) {
    f.sport = static_cast<std::uint16_t>(kFirstSourcePort + i % (65536 - kFirstSourcePort));
    flows.push_back(f);
  }
  return flows;
}

std::string PktgenEngine::unavailable(const TrafficProfile& p, const std::string& netns) {
  // /proc/net is the namespace's own
  if (run_command({"test", "-d", "/proc/net/pktgen"}, {.netns = netns}).status != 0)
    return "this kernel has no pktgen (CONFIG_NET_PKTGEN; Debian's kernel has it as a module: modprobe pktgen)";
  if (p.imix) return "--engine=pktgen sends one frame size: IMIX is not supported";
  if (p.ipv6_share > 0) return "--engine=pktgen sends IPv4: --ipv6-share is not supported";
  if (p.file) return "--engine=pktgen walks ranges: --traffic files are not supported";
  if (p.frame_size < 64) return fmt::format("--engine=pktgen: frame size {} is under 64", p.frame_size);
  return "";
}

PktgenEngine::PktgenEngine(const Topology& topo, const TrafficProfile& profile)
    : netns_(topo.generator().ns), dev_(topo.generator().dev) {
  if (const std::string why = unavailable(profile, netns_); !why.empty()) throw Error(why);
  const std::vector<Flow> flows = template_flows(topo, profile);
  char src[INET_ADDRSTRLEN] = {}, dst[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, flows[0].saddr.data(), src, sizeof src);
  inet_ntop(AF_INET, flows[0].daddr.data(), dst, sizeof dst);
  write(kThread, "rem_device_all");
  write(kThread, "add_device " + dev_);
  const std::string dev = "/proc/net/pktgen/" + dev_;
  for (const std::string& setting :
       {fmt::format("pkt_size {}", profile.frame_size - 4),  // the NIC adds the FCS
        std::string("clone_skb 0"),                          // new headers every packet
        profile.rate_pps > 0 ? fmt::format("ratep {}", std::llround(profile.rate_pps)) : std::string("delay 0"),
        fmt::format("src_min {}", src), fmt::format("src_max {}", src), fmt::format("dst {}", dst),
        "dst_mac " + topo.next_hop_mac(), fmt::format("udp_dst_min {}", flows[0].dport),
        fmt::format("udp_dst_max {}", flows[0].dport), fmt::format("udp_src_min {}", kFirstSourcePort),
        // walked in turn, max exclusive
        fmt::format("udp_src_max {}", kFirstSourcePort + flows.size())})
    write(dev, setting);
}

PktgenEngine::~PktgenEngine() {
  try {
    write(kThread, "rem_device_all");
  } catch (const std::exception&) {
    // its namespace or module gone: nothing left to remove
  }
}

void PktgenEngine::write(const std::string& file, const std::string& command) const {
  const CommandResult r = run_command({"sh", "-c", "echo \"$1\" > \"$2\"", "pktgen", command, file},
                                      {.netns = netns_, .merge_stderr = true});
  if (r.status != 0) throw Error(fmt::format("pktgen: '{}' > {}: {}", command, file, r.out));
}

std::uint64_t PktgenEngine::send(std::uint64_t max_packets, double seconds) {
  if (max_packets == 0 || seconds <= 0) return 0;
  const std::string dev = "/proc/net/pktgen/" + dev_;
  write(dev, fmt::format("count {}", max_packets));
  // "start" returns once the count is sent; an interrupted write stops it
  run_command({"timeout", "-s", "INT", "-k", "5", fmt::format("{:.3f}", seconds), "sh", "-c",
               "echo start > /proc/net/pktgen/pgctrl"},
              {.netns = netns_, .merge_stderr = true});
  const CommandResult r = run_command({"cat", dev}, {.netns = netns_});
  std::smatch m;
  static const std::regex sofar(R"(pkts-sofar: (\d+))");
  if (!std::regex_search(r.out, m, sofar)) throw Error(fmt::format("pktgen on {}: no count in {}", dev_, dev));
  return std::stoull(m[1].str());
}

}  // namespace xb::bench
