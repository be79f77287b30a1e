#include "agent_protocol.hpp"

#include <algorithm>

namespace xb::bench {

using nlohmann::json;

json flow_to_json(const Flow& f) {
  return {{"family", f.family == Family::V4 ? 4 : 6},
          {"saddr", f.saddr},
          {"daddr", f.daddr},
          {"sport", f.sport},
          {"dport", f.dport},
          {"action", f.expected.action == Action::Drop ? "drop" : "pass"},
          {"rule", f.expected.rule}};
}

Flow flow_from_json(const json& j) {
  Flow f;
  f.family = j.at("family").get<int>() == 4 ? Family::V4 : Family::V6;
  f.saddr = j.at("saddr").get<std::array<std::uint8_t, 16>>();
  f.daddr = j.at("daddr").get<std::array<std::uint8_t, 16>>();
  f.sport = j.at("sport").get<std::uint16_t>();
  f.dport = j.at("dport").get<std::uint16_t>();
  f.expected.action = j.at("action").get<std::string>() == "drop" ? Action::Drop : Action::Pass;
  f.expected.rule = j.at("rule").get<std::uint32_t>();
  return f;
}

json flows_to_json(const std::vector<Flow>& flows) {
  json out = json::array();
  for (const Flow& f : flows) out.push_back(flow_to_json(f));
  return out;
}

std::vector<Flow> flows_from_json(const json& j) {
  std::vector<Flow> out;
  for (const json& f : j) out.push_back(flow_from_json(f));
  return out;
}

json profile_to_json(const TrafficProfile& p) {
  return {{"frame_size", p.frame_size}, {"imix", p.imix},         {"ipv6_share", p.ipv6_share},
          {"flows", p.flows},           {"mix", p.mix},           {"drop_share", p.drop_share},
          {"dport", p.dport},           {"rate_pps", p.rate_pps}, {"engine", p.engine}};
}

TrafficProfile profile_from_json(const json& j) {
  TrafficProfile p;
  p.frame_size = j.at("frame_size").get<std::uint32_t>();
  p.imix = j.at("imix").get<bool>();
  p.ipv6_share = j.at("ipv6_share").get<double>();
  p.flows = j.at("flows").get<std::uint32_t>();
  p.mix = j.at("mix").get<std::string>();
  p.drop_share = j.at("drop_share").get<double>();
  p.dport = j.at("dport").get<std::uint16_t>();
  p.rate_pps = j.at("rate_pps").get<double>();
  p.engine = j.at("engine").get<std::string>();
  return p;
}

json counts_to_json(const HookCounts& c) {
  return {{"seen", c.seen},
          {"dropped", c.dropped},
          {"passed", c.passed},
          {"run_time_ns", c.run_time_ns},
          {"has_run_time", c.has_run_time},
          {"has_verdicts", c.has_verdicts},
          {"delivers_passed", c.delivers_passed},
          {"own_input_queue", c.own_input_queue},
          {"latency", c.latency.buckets()}};
}

HookCounts counts_from_json(const json& j) {
  HookCounts c;
  c.seen = j.at("seen").get<std::uint64_t>();
  c.dropped = j.at("dropped").get<std::uint64_t>();
  c.passed = j.at("passed").get<std::uint64_t>();
  c.run_time_ns = j.at("run_time_ns").get<std::uint64_t>();
  c.has_run_time = j.at("has_run_time").get<bool>();
  c.has_verdicts = j.at("has_verdicts").get<bool>();
  c.delivers_passed = j.at("delivers_passed").get<bool>();
  c.own_input_queue = j.at("own_input_queue").get<bool>();
  c.latency = LatencyHistogram(j.at("latency").get<std::vector<std::uint64_t>>());
  return c;
}

json tallies_to_json(const std::vector<RuleTally>& tallies) {
  json out = json::array();
  for (const RuleTally& t : tallies) out.push_back({{"rules", t.rules}, {"packets", t.packets}});
  return out;
}

std::vector<RuleTally> tallies_from_json(const json& j) {
  std::vector<RuleTally> out;
  for (const json& t : j)
    out.push_back({t.at("rules").get<std::vector<std::uint32_t>>(), t.at("packets").get<std::uint64_t>()});
  return out;
}

json endpoint_to_json(const Endpoint& e) {
  return {{"dev", e.dev}, {"mac", e.mac}, {"ip4", e.ip4}, {"ip6", e.ip6}, {"ifindex", e.ifindex}};
}

Endpoint endpoint_from_json(const json& j) {
  Endpoint e;
  e.dev = j.at("dev").get<std::string>();
  e.mac = j.at("mac").get<std::string>();
  e.ip4 = j.at("ip4").get<std::string>();
  e.ip6 = j.at("ip6").get<std::string>();
  e.ifindex = j.at("ifindex").get<int>();
  return e;
}

}  // namespace xb::bench
