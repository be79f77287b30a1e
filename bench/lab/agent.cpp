#include "agent.hpp"

#include <bpf/bpf.h>
#include <fmt/format.h>
#include <net/if.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <vector>

#include "agent_protocol.hpp"
#include "cpu_usage.hpp"
#include "dut_cpu_time.hpp"
#include "environment.hpp"
#include "errors.hpp"
#include "hook_catalog.hpp"
#include "hook_under_test.hpp"
#include "host_journal.hpp"
#include "latency_sink.hpp"
#include "live_frame_generator.hpp"
#include "pktgen_engine.hpp"
#include "rule_compiler.hpp"
#include "rule_set.hpp"
#include "run_command.hpp"
#include "trafgen_engine.hpp"
#include "unique_fd.hpp"

namespace xb::bench {

using nlohmann::json;

namespace {

std::string hostname() {
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  return name;
}

std::string first_line_of(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// The protocol this agent speaks: tests make one speak another
// (XDPBENCH_DEBUG_AGENT_PROTOCOL) to see the controller refuse it.
int agent_protocol() {
  const char* forced = std::getenv("XDPBENCH_DEBUG_AGENT_PROTOCOL");
  return forced ? static_cast<int>(std::strtol(forced, nullptr, 10)) : kAgentProtocol;
}

// Why a hook is not measured on a lab's DUT host, or empty. The rig
// measures there what sits on the DUT's interface; what sees the whole
// host (its management connection among it) or replaces its own firewall
// is not set up on a host the lab did not give it to.
std::string not_on_a_lab(const std::string& hook) {
  static const std::vector<std::string> at_interface = {"xdp-noop",    "xdp-drop", "xdp-parse",  "xdp-native",
                                                        "xdp-generic", "tc-cls",   "tc-act",     "tcx",
                                                        "nft-netdev",  "nft-inet", "dpdk-afxdp", "dpdk-afpacket"};
  if (std::find(at_interface.begin(), at_interface.end(), hook) != at_interface.end()) return "";
  if (hook.rfind("iptables", 0) == 0) return "would replace the raw table of the DUT host's own iptables: not on a lab";
  return "filters every interface of the DUT host (its management connection too): not on a lab";
}

// What linuxptp says of this host's clock: ptp4l's offset from its master.
std::string ptp_status() {
  if (!have_program("pmc")) return "pmc not installed (Debian package linuxptp)";
  const CommandResult r = run_command({"timeout", "2", "pmc", "-u", "-b", "0", "GET TIME_STATUS_NP"});
  const auto field = [&](const std::string& key) -> std::string {
    const auto at = r.out.find(key);
    if (at == std::string::npos) return "";
    const auto start = r.out.find_first_not_of(" \t", at + key.size());
    return r.out.substr(start, r.out.find('\n', start) - start);
  };
  const std::string offset = field("master_offset"), gm = field("gmPresent");
  if (offset.empty()) return "no ptp4l answered pmc";
  return fmt::format("ptp4l master_offset {} ns, gmPresent {}", offset, gm);
}

class Agent {
 public:
  json handle(const json& request) {
    // one member a request: the protocol's whole vocabulary in one table
    using Handler = json (Agent::*)(const json&);
    static const std::map<std::string, Handler> requests = {
        {"hello", &Agent::hello},
        {"describe", &Agent::describe},
        {"hook_unavailable", &Agent::hook_unavailable},
        {"hook_open", &Agent::hook_open},
        {"hook_reset", &Agent::hook_reset},
        {"hook_read", &Agent::hook_read},
        {"hook_tallies", &Agent::hook_tallies},
        {"hook_close", &Agent::hook_close},
        {"sink_open", &Agent::sink_open},
        {"sink_reset", &Agent::sink_reset},
        {"sink_read", &Agent::sink_read},
        {"sink_close", &Agent::sink_close},
        {"generator_open", &Agent::generator_open},
        {"generator_send", &Agent::generator_send},
        {"generator_close", &Agent::generator_close},
        {"pin_dut", &Agent::pin_dut},
        {"trial_begin", &Agent::trial_begin},
        {"trial_softirq", &Agent::trial_softirq},
        {"trial_dut_cpu", &Agent::trial_dut_cpu},
        {"nic_counters", &Agent::nic_counters},
        {"delivered", &Agent::delivered},
        {"clock_status", &Agent::clock_status},
        {"cleanup", &Agent::cleanup},
    };
    const std::string op = request.at("op").get<std::string>();
    const auto it = requests.find(op);
    if (it == requests.end()) throw Error(fmt::format("unknown request '{}'", op));
    if (op != "hello" && !greeted_) throw Error("the first request must be hello");
    json reply = (this->*it->second)(request);
    return reply.is_null() ? json::object() : reply;
  }

  // Undoes everything, in the reverse order of making it.
  void close() {
    generator_.reset();
    generator_topology_.reset();
    hooks_.clear();
    topologies_.clear();
    sinks_.clear();
    journal_.reset();
  }

 private:
  json hook_unavailable(const json& r) {
    const std::string name = r.at("hook").get<std::string>();
    const std::string lab = not_on_a_lab(name);
    return {{"why", lab.empty() ? bench::hook_unavailable(name) : lab}};
  }
  json hook_reset(const json& r) {
    hook(r).reset();
    return {};
  }
  json hook_read(const json& r) { return {{"counts", counts_to_json(hook(r).read())}}; }
  json hook_tallies(const json& r) { return {{"tallies", tallies_to_json(hook(r).rule_tallies())}}; }
  json hook_close(const json& r) {
    hooks_.erase(r.at("handle").get<int>());
    return {};
  }

  json sink_open(const json& r) {
    const std::string iface = r.at("iface").get<std::string>();
    journal().note_interface(iface);
    const int handle = next_handle_++;
    sinks_[handle] = std::make_unique<LatencySink>(local_endpoint(iface));
    return {{"handle", handle}};
  }
  json sink_reset(const json& r) {
    sink(r).reset();
    return {};
  }
  json sink_read(const json& r) { return {{"latency", sink(r).read().buckets()}}; }
  json sink_close(const json& r) {
    sinks_.erase(r.at("handle").get<int>());
    return {};
  }

  json generator_send(const json& r) {
    if (!generator_) throw Error("no generator is open");
    return {{"sent", generator_->send(r.at("max_packets").get<std::uint64_t>(), r.at("seconds").get<double>())}};
  }
  json generator_close(const json&) {
    generator_.reset();
    generator_topology_.reset();
    return {};
  }

  // --cpu: the DUT interface's receive processing in a NAPI thread pinned to
  // the CPU; its settings noted first (threaded NAPI among them), and a veth
  // has NAPI to thread only with GRO on
  json pin_dut(const json& r) {
    const std::string iface = r.at("iface").get<std::string>();
    const int cpu = r.at("cpu").get<int>();
    prepare_interface(iface);
    dut_tasks_ = pin_receive_processing("", iface, cpu);
    if (const auto k = ksoftirqd_of(cpu)) dut_tasks_.push_back(*k);
    dut_cpu_ = cpu;
    return {};
  }
  json trial_begin(const json& r) {
    cpu_usage_.emplace();
    dut_time_.reset();
    if (dut_cpu_) {
      std::vector<int> tasks = dut_tasks_;
      for (const auto& [handle, h] : hooks_)
        if (h->name() == r.at("hook").get<std::string>())
          for (const int pid : h->own_processes()) tasks.push_back(pid);
      dut_time_.emplace(tasks, *dut_cpu_);
    }
    return {};
  }
  json trial_softirq(const json&) {
    if (!cpu_usage_) throw Error("no trial begun");
    return {{"softirq_pct", cpu_usage_->softirq_pct()}};
  }
  json trial_dut_cpu(const json&) { return {{"dut_cpu_ns", dut_time_ ? json(dut_time_->ns()) : json(nullptr)}}; }

  json nic_counters(const json& r) {
    const std::string dir = "/sys/class/net/" + r.at("iface").get<std::string>() + "/statistics/";
    return {{"rx_packets", std::stoull(first_line_of(dir + "rx_packets"))},
            {"tx_packets", std::stoull(first_line_of(dir + "tx_packets"))},
            {"tx_dropped", std::stoull(first_line_of(dir + "tx_dropped"))}};
  }
  json delivered(const json&) { return {{"packets", ip_packets_delivered("")}}; }
  json clock_status(const json&) { return {{"status", ptp_status()}}; }
  json cleanup(const json&) { return {{"done", clean_dead_agents()}}; }

  json hello(const json& request) {
    const int theirs = request.at("protocol").get<int>(), ours = agent_protocol();
    if (theirs != ours)
      throw Error(
          fmt::format("the agent here speaks protocol {} (xdpbench {}), the controller {} (xdpbench {}): "
                      "run the same xdpbench on every host",
                      ours, XDPBENCH_VERSION, theirs, request.value("version", "?")));
    greeted_ = true;
    return {{"protocol", ours}, {"version", XDPBENCH_VERSION}, {"pid", ::getpid()}, {"hostname", hostname()}};
  }

  // This host's interface: its addresses, the host and the NIC.
  json describe(const json& r) {
    const Endpoint e = local_endpoint(r.at("iface").get<std::string>());
    json env = result_environment();
    env["hostname"] = hostname();
    return {{"endpoint", endpoint_to_json(e)}, {"environment", env}, {"nic", nic_description(e)}};
  }

  static Endpoint local_endpoint(const std::string& iface) {
    Endpoint e;
    e.dev = iface;
    e.ifindex = static_cast<int>(::if_nametoindex(iface.c_str()));
    if (e.ifindex == 0) throw Error(fmt::format("no interface {} on host {}", iface, hostname()));
    e.mac = first_line_of("/sys/class/net/" + iface + "/address");
    const json addrs = json::parse(checked_run({"ip", "-j", "addr", "show", "dev", iface}));
    for (const json& link : addrs)
      for (const json& a : link.value("addr_info", json::array())) {
        if (a.value("scope", "") != "global") continue;
        std::string& slot = a.value("family", "") == "inet6" ? e.ip6 : e.ip4;
        if (slot.empty()) slot = a.value("local", "");
      }
    return e;
  }

  HostJournal& journal() {
    if (!journal_) {
      journal_.emplace();
      // the kernel counts every program's run time while this is open
      stats_.reset(bpf_enable_stats(BPF_STATS_RUN_TIME));
      if (!stats_) throw Error(errno_message("enable BPF run-time statistics", errno));
      ensure_bpffs();
    }
    return *journal_;
  }

  // A veth drops frames redirected into it by XDP unless it has GRO on or
  // an XDP program of its own: set as the rig's own topologies do.
  void prepare_interface(const std::string& iface) {
    journal().note_interface(iface);
    const json driver = nic_description(local_endpoint(iface)).value("driver", json());
    if (driver == "veth") journal().set_gro(iface, true);
  }

  json hook_open(const json& r) {
    const std::string name = r.at("hook").get<std::string>(), iface = r.at("iface").get<std::string>();
    if (const std::string why = not_on_a_lab(name); !why.empty()) return {{"skipped", why}};
    prepare_interface(iface);
    TopologySpec spec;
    spec.name = r.at("topology").get<std::string>();
    spec.source = spec.name;
    spec.hosts = {{hostname(), "", ""}};
    spec.dut = hostname() + "/" + iface;
    spec.target = r.at("target").get<std::string>();
    spec.target6 = r.at("target6").get<std::string>();
    auto topo = std::make_unique<Topology>(spec, Endpoint{}, local_endpoint(iface), "");
    const CompiledRuleSet rules(parse_rules(r.at("rules").get<std::string>(), r.at("rules_source").get<std::string>()));
    // written down before it exists: a kill in between leaves no table unjournalled
    if (name == "nft-inet" || name == "nft-netdev")
      journal().note_nft_table(name == "nft-inet" ? "inet" : "netdev", "xdpbench");
    std::string why;
    const auto shift = r.at("latency_sample_shift").get<std::uint32_t>();
    // the rig's reference programs are no kernel hook's name
    auto hook = name == "xdp-drop" || name == "xdp-noop" || name == "xdp-parse"
                    ? make_hook_under_test(name, *topo, rules, journal().state_paths(), std::nullopt, shift)
                    : make_hook_or_skip(name, *topo, rules, journal().state_paths(), why, std::nullopt, shift);
    if (!hook) return {{"skipped", why}};
    for (const int pid : hook->own_processes()) journal().note_process(pid);
    const int handle = next_handle_++;
    topologies_[handle] = std::move(topo);
    hooks_[handle] = std::move(hook);
    return {{"handle", handle}};
  }

  LatencySink& sink(const json& r) {
    const auto it = sinks_.find(r.at("handle").get<int>());
    if (it == sinks_.end()) throw Error(fmt::format("no sink with handle {}", r.at("handle").dump()));
    return *it->second;
  }

  HookUnderTest& hook(const json& r) {
    const auto it = hooks_.find(r.at("handle").get<int>());
    if (it == hooks_.end()) throw Error(fmt::format("no hook with handle {}", r.at("handle").dump()));
    return *it->second;
  }

  json generator_open(const json& r) {
    generator_.reset();
    const std::string iface = r.at("iface").get<std::string>();
    journal().note_interface(iface);
    TopologySpec spec;
    spec.name = r.at("topology").get<std::string>();
    spec.source = spec.name;
    spec.hosts = {{hostname(), "", ""}};
    spec.generator = hostname() + "/" + iface;
    spec.target = r.at("target").get<std::string>();
    spec.target6 = r.at("target6").get<std::string>();
    Endpoint dut;
    dut.mac = r.at("next_hop_mac").get<std::string>();
    generator_topology_ =
        std::make_unique<Topology>(spec, local_endpoint(iface), dut, r.at("next_hop_mac").get<std::string>());
    const TrafficProfile traffic = profile_from_json(r.at("traffic"));
    const auto cpus = r.at("gen_cpus").get<std::vector<int>>();
    // one generator CPU: this thread sends, as the rig's own does
    if (cpus.size() == 1) pin_this_thread(cpus[0]);
    if (traffic.engine == "pktgen")
      generator_ = std::make_unique<PktgenEngine>(*generator_topology_, traffic);
    else if (traffic.engine == "trafgen")
      generator_ =
          std::make_unique<TrafgenEngine>(*generator_topology_, traffic, flows_from_json(r.at("flows4")), cpus);
    else
      generator_ = std::make_unique<LiveFrameGenerator>(*generator_topology_, traffic, flows_from_json(r.at("flows4")),
                                                        flows_from_json(r.at("flows6")), cpus);
    return {};
  }

  bool greeted_ = false;
  std::optional<int> dut_cpu_;
  std::vector<int> dut_tasks_;  // the DUT's NAPI threads and its core's ksoftirqd
  std::optional<CpuUsage> cpu_usage_;
  std::optional<DutCpuTime> dut_time_;
  std::optional<HostJournal> journal_;
  UniqueFd stats_;
  int next_handle_ = 1;
  std::map<int, std::unique_ptr<Topology>> topologies_;
  std::map<int, std::unique_ptr<HookUnderTest>> hooks_;
  std::map<int, std::unique_ptr<LatencySink>> sinks_;
  std::unique_ptr<Topology> generator_topology_;
  std::unique_ptr<TrafficSource> generator_;
};

}  // namespace

namespace {

void write_line(int fd, const std::string& text) {
  const std::string line = text + "\n";
  for (std::size_t done = 0; done < line.size();) {
    const ssize_t n = ::write(fd, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw Error(errno_message("write a reply to the controller", errno));
    done += static_cast<std::size_t>(n);
  }
}

void end_input(int) { ::close(STDIN_FILENO); }

}  // namespace

void install_agent_signals() {
  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGHUP, SIG_IGN);
  std::signal(SIGINT, end_input);
  std::signal(SIGTERM, end_input);
}

int run_agent(std::istream& in, int reply_fd) {
  Agent agent;
  for (std::string line; std::getline(in, line);) {
    json reply;
    bool bye = false;
    try {
      const json request = json::parse(line);
      bye = request.value("op", "") == "bye";
      reply = bye ? json::object() : agent.handle(request);
      if (reply.is_null()) reply = json::object();
      reply["ok"] = true;
    } catch (const std::exception& e) {
      reply = {{"ok", false}, {"error", e.what()}};
    }
    if (bye) agent.close();  // undone before the controller hears it is
    write_line(reply_fd, reply.dump());
    if (bye || (!reply.value("ok", false) && reply.value("error", "").find("speaks protocol") != std::string::npos))
      return 0;
  }
  agent.close();
  return 0;
}

}  // namespace xb::bench
