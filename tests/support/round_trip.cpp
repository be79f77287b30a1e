#include "round_trip.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <set>
#include <stdexcept>
#include <thread>

#include "address_type.hpp"
#include "local_routes.hpp"
#include "netns.hpp"
#include "oracle.hpp"
#include "oracle_headers.hpp"
#include "packet_builder.hpp"
#include "prog_runner.hpp"
#include "run_command.hpp"
#include "traffic.hpp"

namespace xb::testing {
namespace {

// Below the veth backlog (netdev_max_backlog, 1000): a batch is never cut.
constexpr std::size_t kBatch = 200;
// Packets of a batch that is off sent one by one to name them.
constexpr std::size_t kProbed = 16;

bool martian_v4(const std::uint8_t* a) {
  return a[0] == 0 || a[0] == 127 || a[0] >= 224;  // this network, loopback, multicast, class E and broadcast
}

bool dropped_before_input(const fixtures::OracleHeaders& h) {
  if (h.family == Family::V4) return martian_v4(h.src.data()) || martian_v4(h.dst.data());
  const auto loopback = [](const std::array<std::uint8_t, 16>& a) {
    for (int i = 0; i < 15; ++i)
      if (a[i]) return false;
    return a[15] <= 1;  // :: and ::1
  };
  const auto v4_mapped = [](const std::array<std::uint8_t, 16>& a) {
    for (int i = 0; i < 10; ++i)
      if (a[i]) return false;
    return a[10] == 0xff && a[11] == 0xff;
  };
  if (h.src[0] == 0xff || h.dst[0] == 0xff) return true;  // multicast
  // a link-local destination is routed only if it is the interface's own
  if (h.dst[0] == 0xfe && (h.dst[1] & 0xc0) == 0x80) return true;
  if (loopback(h.src) || loopback(h.dst) || v4_mapped(h.src) || v4_mapped(h.dst)) return true;
  switch (h.proto) {
    case 0:
    case 43:
    case 44:
    case 51:
    case 59:
    case 60:  // extension headers, no next header
      return true;
    default:
      return false;
  }
}

std::string hex(const std::vector<std::uint8_t>& f) {
  std::string s;
  for (std::size_t i = 14; i < f.size() && i < 14 + 48; ++i) s += fmt::format("{:02x}", f[i]);
  return s;
}

std::map<std::string, std::uint64_t> delta(const std::map<std::string, std::uint64_t>& before,
                                           const std::map<std::string, std::uint64_t>& after) {
  std::map<std::string, std::uint64_t> d;
  for (const auto& [k, v] : after) {
    const auto it = before.find(k);
    const std::uint64_t b = it == before.end() ? 0 : it->second;
    if (v != b) d[k] = v - b;
  }
  return d;
}

std::uint64_t sum(const std::map<std::string, std::uint64_t>& m) {
  std::uint64_t s = 0;
  for (const auto& [k, v] : m) s += v;
  return s;
}

}  // namespace

void deliver_everything_locally(const VethTopology& t) {
  const std::string ns = "ip netns exec " + t.dut_ns + " ";
  run_command(ns + "sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf." + t.dut_if + ".rp_filter=0");
  run_command(ns + "sysctl -qw net.ipv4.conf.all.accept_local=1 net.ipv4.conf." + t.dut_if + ".accept_local=1");
  run_command("ip -n " + t.dut_ns + " route add local 0.0.0.0/0 dev lo table local");
  // a rule of our own keeps the local table apart from main: merged (as
  // they are without custom rules), main's 198.18.0.0/24 outranks local's /0
  run_command("ip -n " + t.dut_ns + " rule add pref 32000 lookup main");
  run_command("ip -n " + t.dut_ns + " -6 route add local ::/0 dev lo table local");
}

void quiet_local_output(const VethTopology& t) {
  run_command("ip netns exec " + t.dut_ns +
              " nft 'add table inet xb_quiet; add chain inet xb_quiet out { type filter hook output priority -400; "
              "policy drop; }'");
}

std::vector<std::vector<std::uint8_t>> input_hook_corpus(const RuleSet& rules, std::size_t count, std::uint64_t seed,
                                                         bool header_edges) {
  const CompiledTable table = compile_rules(rules);
  std::vector<std::vector<std::uint8_t>> frames;
  for (const auto& h : fixtures::boundary_headers(rules, count, seed)) {
    if (dropped_before_input(h)) continue;
    if (!header_edges && (h.short_header || h.offset_1)) continue;
    const fixtures::PacketSpec spec = fixtures::packet_spec(h);
    if (spec.fragment != fixtures::Fragment::None) continue;
    auto frame = fixtures::build_frame(spec);
    if (classify(table, frame).rule == XB_RULE_MALFORMED) continue;
    frames.push_back(std::move(frame));
  }
  return frames;
}

std::vector<std::vector<std::uint8_t>> prerouting_corpus(const RuleSet& rules, std::size_t count, std::uint64_t seed) {
  const CompiledTable table = compile_rules(rules);
  std::vector<std::vector<std::uint8_t>> frames;
  std::size_t n = 0;
  auto add = [&](const fixtures::PacketSpec& spec) {
    auto frame = fixtures::build_frame(spec);
    if (classify(table, frame).rule != XB_RULE_MALFORMED) frames.push_back(std::move(frame));
  };
  for (const auto& h : fixtures::boundary_headers(rules, count, seed)) {
    if (dropped_before_input(h)) continue;
    const fixtures::PacketSpec spec = fixtures::packet_spec(h);
    add(spec);
    // one in eight again as a fragment: the first, or at offset 1, 2 or 185
    if (spec.fragment != fixtures::Fragment::None || spec.l4_bytes >= 0 || n++ % 8) continue;
    fixtures::PacketSpec f = spec;
    static constexpr std::uint16_t kOffsets[] = {0, 1, 2, 185};
    const std::uint16_t offset = kOffsets[(n / 8) % 4];
    f.fragment = offset ? fixtures::Fragment::Later : fixtures::Fragment::First;
    f.fragment_offset = offset;
    add(f);
  }
  return frames;
}

void give_every_address_type(const VethTopology& t) {
  const auto in_dut = [&](const std::vector<std::string>& argv) { checked_run(argv, {.netns = t.dut_ns}); };
  in_dut({"ip", "addr", "add", "203.0.113.7/28", "dev", t.dut_if});
  in_dut({"ip", "route", "add", "local", "198.51.100.0/25", "dev", "lo", "table", "local"});
  in_dut({"ip", "-6", "addr", "add", "2001:db8:5::9/64", "dev", t.dut_if, "nodad"});
  in_dut({"ip", "-6", "route", "add", "local", "2001:db8:7::/48", "dev", "lo", "table", "local"});
}

std::vector<std::vector<std::uint8_t>> address_type_corpus() {
  const std::vector<const char*> dst4 = {"198.18.0.2",     "198.18.0.255", "198.18.0.7",      "203.0.113.7",
                                         "203.0.113.15",   "203.0.113.16", "198.51.100.0",    "198.51.100.127",
                                         "198.51.100.128", "127.0.0.1",    "255.255.255.255", "224.0.0.1",
                                         "239.1.2.3",      "0.0.0.0",      "0.0.0.5",         "10.1.2.3"};
  const std::vector<const char*> src4 = {"198.18.0.1", "198.18.0.2", "203.0.113.15", "10.9.9.9", "198.51.100.9"};
  const std::vector<const char*> dst6 = {"2001:2::2",     "2001:2::5", "2001:db8:5::9", "2001:db8:7::1",
                                         "2001:db8:8::1", "ff02::1",   "ff05::1:3"};
  const std::vector<const char*> src6 = {"2001:2::1", "2001:2::2", "2001:db8:7:1::3"};
  std::vector<std::vector<std::uint8_t>> frames;
  for (const Family f : {Family::V4, Family::V6})
    for (const char* s : f == Family::V4 ? src4 : src6)
      for (const char* d : f == Family::V4 ? dst4 : dst6)
        for (const int proto : {XB_IPPROTO_TCP, XB_IPPROTO_UDP}) {
          fixtures::OracleHeaders h;
          h.family = f;
          h.src = fixtures::address(s);
          h.dst = fixtures::address(d);
          h.proto = static_cast<std::uint8_t>(proto);
          h.has_ports = true;
          h.sport = 40000;
          h.dport = 9;
          frames.push_back(fixtures::build_frame(fixtures::packet_spec(h)));
        }
  return frames;
}

std::vector<std::vector<std::uint8_t>> port_protocol_corpus() {
  std::vector<std::vector<std::uint8_t>> frames;
  const std::uint16_t ports[] = {53, 79, 80, 999, 1000, 2000, 2001, 5000, 6000};
  enum class Cut { Whole, WithPorts, WithoutPorts, LaterFragment };
  for (const Family f : {Family::V4, Family::V6})
    for (const int proto : {XB_IPPROTO_UDPLITE, XB_IPPROTO_SCTP, XB_IPPROTO_DCCP})
      for (const Cut cut : {Cut::Whole, Cut::WithPorts, Cut::WithoutPorts, Cut::LaterFragment})
        for (std::size_t i = 0; i < std::size(ports); ++i) {
          if (cut == Cut::LaterFragment && (f == Family::V6 || i > 2)) continue;
          fixtures::OracleHeaders h;
          h.family = f;
          h.src = fixtures::address(f == Family::V4 ? "198.18.0.1" : "2001:2::1");
          h.dst = fixtures::address(f == Family::V4 ? "198.18.0.2" : "2001:2::2");
          h.proto = static_cast<std::uint8_t>(proto);
          h.sport = ports[i];
          h.dport = ports[std::size(ports) - 1 - i];
          h.has_ports = cut == Cut::Whole || cut == Cut::WithPorts;
          h.short_header = cut == Cut::WithPorts || cut == Cut::WithoutPorts;
          frames.push_back(fixtures::build_frame(fixtures::packet_spec(h)));
        }
  return frames;
}

std::vector<std::vector<std::uint8_t>> routing_header_corpus() {
  std::vector<std::vector<std::uint8_t>> frames;
  const std::vector<std::vector<std::uint8_t>> layouts = {
      {}, {XB_IPPROTO_ROUTING}, {XB_IPPROTO_HOPOPTS, XB_IPPROTO_ROUTING}, {XB_IPPROTO_ROUTING, XB_IPPROTO_DSTOPTS}};
  for (const auto& layout : layouts)
    for (const int type : {0, 2, 4})
      for (const int proto : {XB_IPPROTO_TCP, XB_IPPROTO_UDP})
        for (const bool first_fragment : {false, true}) {
          if (layout.empty() && type) continue;  // no routing header: one of each
          fixtures::PacketSpec s = proto == XB_IPPROTO_TCP ? fixtures::tcp("2001:2::1", "2001:2::2", 40000, 22, 0x02)
                                                           : fixtures::udp("2001:2::1", "2001:2::2", 40000, 53);
          s.ipv6_ext = layout;
          s.routing_type = static_cast<std::uint8_t>(type);
          if (first_fragment) s.fragment = fixtures::Fragment::First;
          frames.push_back(fixtures::build_frame(s));
        }
  return frames;
}

void count_every_packet(const VethTopology& t, const std::string& hook) {
  run_command(
      fmt::format("ip netns exec {} nft 'add table inet xb_seen; add chain inet xb_seen seen {{ type filter "
                  "hook {} priority -1000; policy accept; }}; add rule inet xb_seen seen iifname {} counter'",
                  t.dut_ns, hook, t.dut_if));
}

std::uint64_t packets_seen(const VethTopology& t) {
  const std::string listing = run_command(fmt::format("ip netns exec {} nft list table inet xb_seen", t.dut_ns));
  const auto at = listing.find("counter packets ");
  if (at == std::string::npos) throw std::runtime_error(fmt::format("no counter in table inet xb_seen:\n{}", listing));
  return std::stoull(listing.substr(at + 16));
}

RoundTripResult round_trip(
    const VethTopology& t, const std::vector<std::vector<std::uint8_t>>& frames, const CompiledTable& table,
    const std::function<std::string(const Classification&, const std::vector<std::uint8_t>&)>& expected_key,
    const std::function<std::map<std::string, std::uint64_t>()>& read_counters) {
  // the filter itself first: the XDP program on every frame gives the reference's answer
  fixtures::ProgRunner xdp(ProgramKind::Xdp, table);
  for (const auto& f : frames) {
    const auto want = classify(table, f);
    const auto got = xdp.run(f, want);
    EXPECT_EQ(got, want);
    if (got != want) return {0, 0, 0, {"the XDP program disagrees with the reference model"}};
  }
  const auto& topo = t.topology();
  std::map<std::string, std::vector<const std::vector<std::uint8_t>*>> by_key;
  std::map<const std::vector<std::uint8_t>*, Classification> said;
  for (const auto& f : frames) {
    const Classification c = classify(table, f);
    said[&f] = c;
    by_key[expected_key(c, f)].push_back(&f);
  }
  RoundTripResult result;
  // sends the frames; the kernel's counts once they add up (or 2 s passed)
  auto counted = [&](const std::vector<const std::vector<std::uint8_t>*>& batch) {
    const auto before = read_counters();
    std::vector<std::vector<std::uint8_t>> copies;
    copies.reserve(batch.size());
    for (const auto* f : batch) copies.push_back(*f);
    send_frames(t.gen_ns, t.gen_if, topo.generator().mac, topo.next_hop_mac(), copies);
    std::map<std::string, std::uint64_t> d;
    for (int i = 0; i < 100; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      d = delta(before, read_counters());
      if (sum(d) >= batch.size()) break;
    }
    return d;
  };
  for (const auto& [key, all] : by_key) {
    for (std::size_t at = 0; at < all.size(); at += kBatch) {
      const std::vector<const std::vector<std::uint8_t>*> batch(all.begin() + at,
                                                                all.begin() + std::min(all.size(), at + kBatch));
      ++result.batches;
      result.packets += batch.size();
      const std::map<std::string, std::uint64_t> want{{key, batch.size()}};
      if (counted(batch) == want) continue;
      ++result.retried;
      const auto again = counted(batch);
      if (again == want) continue;
      std::string got;
      for (const auto& [k, v] : again) got += fmt::format(" {}={}", k, v);
      result.mismatches.push_back(fmt::format("the batch of {} packets the filter gives to {} was counted:{}",
                                              batch.size(), key, got.empty() ? " nothing" : got));
      // name the culprits, a bounded few: an unanswered packet costs the 2 s wait
      for (std::size_t k = 0; k < std::min<std::size_t>(batch.size(), kProbed); ++k) {
        const auto* f = batch[k];
        const auto d = counted({f});
        if (d == std::map<std::string, std::uint64_t>{{key, 1}}) continue;
        std::string one;
        for (const auto& [name, v] : d) one += fmt::format("{}{}={}", one.empty() ? "" : ", ", name, v);
        result.mismatches.push_back(fmt::format("  packet {} (rule {}): filter says {}, kernel counted {}", hex(*f),
                                                said[f].rule, key, one.empty() ? "nothing" : one));
      }
    }
  }
  return result;
}

void expect_round_trip_equal(
    const std::string& what, std::size_t rules, std::size_t keys, const VethTopology& t,
    const std::vector<std::vector<std::uint8_t>>& frames, const CompiledTable& table,
    const std::function<std::string(const Classification&, const std::vector<std::uint8_t>&)>& expected_key,
    const std::function<std::map<std::string, std::uint64_t>()>& read_counters) {
  const RoundTripResult r = round_trip(t, frames, table, expected_key, read_counters);
  std::set<std::string> hit;
  for (const auto& f : frames) hit.insert(expected_key(classify(table, f), f));
  std::cout << fmt::format(
      "{} round trip: {} rules imported, {} packets in {} batches ({} retried), {} kernel keys hit, {} mismatches\n",
      what, rules, r.packets, r.batches, r.retried, hit.size(), r.mismatches.size());
  for (const auto& m : r.mismatches) ADD_FAILURE() << m;
  EXPECT_TRUE(r.mismatches.empty());
  EXPECT_EQ(hit.size(), keys) << "every rule and policy decides some packet";
}

RuleSet with_dut_address_types(const VethTopology& t, const RuleSet& rules) {
  const NetnsScope in_netns(t.dut_ns);
  return decide_address_types(rules, read_local_routes());
}

}  // namespace xb::testing
