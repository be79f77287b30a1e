#include "lab_connection.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <map>
#include <optional>

#include "agent_channel.hpp"
#include "agent_protocol.hpp"
#include "errors.hpp"
#include "synthetic_rules.hpp"

namespace xb::bench {

using nlohmann::json;

namespace {

// A generator on the generator host, held by its agent.
class RemoteGenerator final : public TrafficSource {
 public:
  RemoteGenerator(AgentChannel& agent, json open) : agent_(agent) { agent_.call("generator_open", std::move(open)); }
  ~RemoteGenerator() override {
    try {
      agent_.call("generator_close");
    } catch (const std::exception&) {
      // the agent closes it when it ends
    }
  }
  std::uint64_t send(std::uint64_t max_packets, double seconds) override {
    return agent_.call("generator_send", {{"max_packets", max_packets}, {"seconds", seconds}}, seconds + 60)
        .at("sent")
        .get<std::uint64_t>();
  }

 private:
  AgentChannel& agent_;
};

// A hook on the DUT host, held by its agent under a handle.
class RemoteHook final : public HookUnderTest {
 public:
  RemoteHook(const std::string& name, AgentChannel& agent, int handle, bool same_clock)
      : HookUnderTest(name), agent_(agent), handle_(handle), same_clock_(same_clock) {}
  ~RemoteHook() override {
    try {
      agent_.call("hook_close", {{"handle", handle_}});
    } catch (const std::exception&) {
      // the agent takes it off when it ends
    }
  }
  void reset() override { agent_.call("hook_reset", {{"handle", handle_}}); }
  HookCounts read() const override {
    HookCounts c = counts_from_json(agent_.call("hook_read", {{"handle", handle_}}).at("counts"));
    // the generator stamps with its host's clock, the hook reads its own:
    // one-way latency only where one clock does both
    if (!same_clock_) c.latency = LatencyHistogram();
    return c;
  }
  std::vector<RuleTally> rule_tallies() const override {
    return tallies_from_json(agent_.call("hook_tallies", {{"handle", handle_}}).at("tallies"));
  }

 private:
  AgentChannel& agent_;
  int handle_;
  bool same_clock_;
};

// The sink program on the generator host's sink interface, held by its agent.
class RemoteSink final : public PacketSink {
 public:
  RemoteSink(AgentChannel& agent, const std::string& iface) : agent_(agent) {
    handle_ = agent_.call("sink_open", {{"iface", iface}}).at("handle").get<int>();
  }
  ~RemoteSink() override {
    try {
      agent_.call("sink_close", {{"handle", handle_}});
    } catch (const std::exception&) {
      // the agent takes it off when it ends
    }
  }
  void reset() override { agent_.call("sink_reset", {{"handle", handle_}}); }
  LatencyHistogram read() const override {
    return LatencyHistogram(
        agent_.call("sink_read", {{"handle", handle_}}).at("latency").get<std::vector<std::uint64_t>>());
  }

 private:
  AgentChannel& agent_;
  int handle_ = 0;
};

class SshLab final : public LabHosts {
 public:
  SshLab(const TopologySpec& spec, const std::string& ssh_config) : spec_(spec) {
    const auto [gen_host, gen_dev] = split_role(spec.generator);
    const auto [dut_host, dut_dev] = split_role(spec.dut);
    gen_ = &agent(gen_host, ssh_config);
    dut_ = &agent(dut_host, ssh_config);
    const json gen = gen_->call("describe", {{"iface", gen_dev}});
    const json dut = dut_->call("describe", {{"iface", dut_dev}});
    gen_end_ = endpoint_from_json(gen.at("endpoint"));
    dut_end_ = endpoint_from_json(dut.at("endpoint"));
    if (!spec.sink.empty()) {
      // on the generator's host (the topology insists): one clock stamps and reads
      sink_dev_ = split_role(spec.sink).second;
      sink_end_ = endpoint_from_json(gen_->call("describe", {{"iface", sink_dev_}}).at("endpoint"));
    }
    dut_env_ = dut.at("environment");
    dut_env_["dut_nic"] = dut.at("nic");
    // the generator's host is part of where a figure was measured too
    json gen_host_env = gen.at("environment");
    gen_host_env["nic"] = gen.at("nic");
    dut_env_["generator_host"] = gen_host_env;
    // one clock stamps and reads only on one host
    same_clock_ = gen_ == dut_;
  }

  std::unique_ptr<Topology> topology() override {
    return std::make_unique<Topology>(spec_, gen_end_, dut_end_, dut_end_.mac, sink_end_);
  }
  std::unique_ptr<PacketSink> sink() override {
    if (!sink_end_) return nullptr;
    return std::make_unique<RemoteSink>(*gen_, sink_dev_);
  }
  json dut_environment() override { return dut_env_; }
  std::string generator_place() const override { return gen_->label(); }

  std::unique_ptr<TrafficSource> generator(const TrafficProfile& traffic, const std::vector<Flow>& flows4,
                                           const std::vector<Flow>& flows6, const std::vector<int>& gen_cpus) override {
    return std::make_unique<RemoteGenerator>(*gen_, json{{"iface", gen_end_.dev},
                                                         {"next_hop_mac", dut_end_.mac},
                                                         {"topology", spec_.name},
                                                         {"target", spec_.target},
                                                         {"target6", spec_.target6},
                                                         {"traffic", profile_to_json(traffic)},
                                                         {"flows4", flows_to_json(flows4)},
                                                         {"flows6", flows_to_json(flows6)},
                                                         {"gen_cpus", gen_cpus}});
  }

  std::unique_ptr<HookUnderTest> hook(const std::string& name, const CompiledRuleSet& rules, std::string& why_skipped,
                                      std::uint32_t latency_sample_shift) override {
    const json reply = dut_->call("hook_open",
                                  {{"hook", name},
                                   {"iface", dut_end_.dev},
                                   {"topology", spec_.name},
                                   {"target", spec_.target},
                                   {"target6", spec_.target6},
                                   {"rules", to_toml(rules.rules())},
                                   {"rules_source", rules.source()},
                                   {"latency_sample_shift", latency_sample_shift}},
                                  300);
    if (reply.contains("skipped")) {
      why_skipped = reply.at("skipped").get<std::string>();
      return nullptr;
    }
    return std::make_unique<RemoteHook>(name, *dut_, reply.at("handle").get<int>(), same_clock_);
  }

  std::string hook_unavailable(const std::string& name) override {
    const std::string why = dut_->call("hook_unavailable", {{"hook", name}}).at("why").get<std::string>();
    return why.empty() ? why : fmt::format("host {}: {}", dut_->host().name, why);
  }

  void pin_dut(int cpu) override { dut_->call("pin_dut", {{"iface", dut_end_.dev}, {"cpu", cpu}}); }
  void begin_trial(const std::string& hook) override { dut_->call("trial_begin", {{"hook", hook}}); }
  double softirq_pct() override { return dut_->call("trial_softirq").at("softirq_pct").get<double>(); }
  std::optional<double> dut_cpu_ns() override {
    const json ns = dut_->call("trial_dut_cpu").at("dut_cpu_ns");
    return ns.is_null() ? std::nullopt : std::optional<double>(ns.get<double>());
  }

  NicCounts nic_counts() override {
    const json gen = gen_->call("nic_counters", {{"iface", gen_end_.dev}});
    const json dut = dut_->call("nic_counters", {{"iface", dut_end_.dev}});
    return {gen.at("tx_packets").get<std::uint64_t>(), gen.at("tx_dropped").get<std::uint64_t>(),
            dut.at("rx_packets").get<std::uint64_t>()};
  }

  std::string two_clocks() override {
    if (same_clock_) return "";
    const auto status = [](AgentChannel& a) {
      return fmt::format("host {}: {}", a.host().name, a.call("clock_status").at("status").get<std::string>());
    };
    return fmt::format(
        "the generator on host {} stamps with its clock, the DUT on host {} reads its own (bpf_ktime_get_ns: each "
        "host's monotonic clock, which no synchronization makes agree), so no one-way latency to the hook is "
        "measured across hosts{}; linuxptp: {}; {}",
        gen_->host().name, dut_->host().name,
        sink_end_ ? fmt::format(" (to the sink on {} it is: one clock)", gen_->host().name) : "", status(*gen_),
        status(*dut_));
  }

  std::uint64_t delivered() override { return dut_->call("delivered").at("packets").get<std::uint64_t>(); }

 private:
  AgentChannel& agent(const std::string& host_name, const std::string& ssh_config) {
    if (auto it = agents_.find(host_name); it != agents_.end()) return *it->second;
    const LabHost* host = nullptr;
    for (const auto& h : spec_.hosts)
      if (h.name == host_name) host = &h;
    if (!host) throw Error(fmt::format("{}: no [[host]] named '{}'", spec_.source, host_name));
    return *agents_.emplace(host_name, std::make_unique<AgentChannel>(*host, ssh_config)).first->second;
  }

  TopologySpec spec_;
  std::map<std::string, std::unique_ptr<AgentChannel>> agents_;
  AgentChannel *gen_ = nullptr, *dut_ = nullptr;
  Endpoint gen_end_, dut_end_;
  std::optional<Endpoint> sink_end_;
  std::string sink_dev_;
  json dut_env_;
  bool same_clock_ = false;
};

}  // namespace

std::unique_ptr<LabHosts> connect_lab(const TopologySpec& spec, const std::string& ssh_config) {
  return std::make_unique<SshLab>(spec, ssh_config);
}

std::vector<std::string> clean_lab(const TopologySpec& spec, const std::string& ssh_config) {
  std::vector<std::string> done;
  std::vector<std::string> unreachable;
  for (const auto& host : spec.hosts) {
    try {
      AgentChannel agent(host, ssh_config);
      const json reply = agent.call("cleanup", json::object(), 300);
      for (const json& line : reply.at("done"))
        done.push_back(fmt::format("{}: {}", host.name, line.get<std::string>()));
    } catch (const Error& e) {
      unreachable.push_back(e.what());
    }
  }
  if (!unreachable.empty())
    throw Error(fmt::format("cleanup did not reach every host ({} undone elsewhere): {}", done.size(),
                            fmt::join(unreachable, "; ")));
  return done;
}

}  // namespace xb::bench
