// The round trip of an imported rule set: the same packets judged by the
// filter (the imported rules) and by the kernel's own iptables or nftables
// holding the original, in a private namespace, compared packet by packet
// on the verdict and on which original rule decided.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "reference_model.hpp"
#include "rule_set.hpp"
#include "test_namespaces.hpp"

namespace xb::testing {

// The DUT of t delivers every address to itself (a local route for all of
// IPv4 and IPv6, local sources accepted, no reverse-path filter), so the
// input hook sees every packet of a corpus.
void deliver_everything_locally(const VethTopology& t);

// Drops everything the DUT sends from then on (in an nftables table of its
// own at the output hook, before any other): its TCP resets, ICMP errors
// and echo replies go to addresses that are all local now and would come
// back in as packets nobody sent.
void quiet_local_output(const VethTopology& t);

// Packets aimed at the edges of `rules` (fixtures::boundary_headers) that
// reach the kernel's input hook as they are: no later fragments (reassembly
// comes first), no martian or multicast addresses, no IPv6 extension-header
// protocols, nothing the filter calls malformed; without header_edges no
// transport header cut short either.
std::vector<std::vector<std::uint8_t>> input_hook_corpus(const RuleSet& rules, std::size_t count, std::uint64_t seed,
                                                         bool header_edges = true);

// Packets aimed at the edges of `rules` as the prerouting hook sees them:
// as input_hook_corpus, and fragments (the first, later ones at offsets 1,
// 2 and 185: nothing reassembles them before prerouting) and transport
// headers cut short, which boundary_headers aims at rules that read them.
std::vector<std::vector<std::uint8_t>> prerouting_corpus(const RuleSet& rules, std::size_t count, std::uint64_t seed);

// Gives the DUT of t addresses of every type its local routing table
// knows: a second IPv4 and IPv6 address, an AnyIP range of each family (a
// local route of a whole prefix); with its veth's, their subnet
// broadcasts and loopback.
void give_every_address_type(const VethTopology& t);

// TCP and UDP packets from and to addresses of every type the DUT has
// after give_every_address_type: its own, the AnyIP ranges' edges, subnet
// and limited broadcasts, 0.0.0.0 and 0.0.0.5, multicast, loopback and
// plain unicast.
std::vector<std::vector<std::uint8_t>> address_type_corpus();

// UDP-Lite, SCTP and DCCP packets of both families with ports at and
// around 53, 80, 1000-2000 and 5000/6000: whole headers, headers cut short
// with their ports and without, and IPv4 later fragments.
std::vector<std::vector<std::uint8_t>> port_protocol_corpus();

// IPv6 TCP and UDP packets without a routing header and with one of type
// 0, 2 or 4, alone, after a hop-by-hop header, before destination options,
// and in a first fragment.
std::vector<std::vector<std::uint8_t>> routing_header_corpus();

// Counts every packet the DUT's hook (nftables' "input" or "prerouting")
// sees from its veth, before any other chain: what the rules' counters
// do not count was dropped where no counter counts it (iptables' hotdrop).
void count_every_packet(const VethTopology& t, const std::string& hook);
std::uint64_t packets_seen(const VethTopology& t);

struct RoundTripResult {
  std::uint64_t packets = 0, batches = 0, retried = 0;
  std::vector<std::string> mismatches;  // batches off, and the packets of them that are: what each side said
};

// First the filter's XDP program judges every frame as the reference model
// does (else a mismatch, and no kernel run). expected_key: the kernel counter that must count a packet the filter
// classified so ("ip4 INPUT:3", "ip6 INPUT:policy"); read_counters: every
// deciding counter of the kernel, by key. Packets are sent in batches of
// one expected key; a batch whose counts are off is sent once more (a stray
// packet of the stack's own), then is a mismatch, and up to 16 of its
// packets are sent one by one to name the culprits.
RoundTripResult round_trip(
    const VethTopology& t, const std::vector<std::vector<std::uint8_t>>& frames, const CompiledTable& table,
    const std::function<std::string(const Classification&, const std::vector<std::uint8_t>&)>& expected_key,
    const std::function<std::map<std::string, std::uint64_t>()>& read_counters);

// round_trip, judged: prints one line naming `what` (the rules imported,
// the packets, the batches, the kernel keys the filter's verdicts name),
// fails on every mismatch, and expects `keys` distinct keys, every rule and
// policy of the test deciding some packet.
void expect_round_trip_equal(
    const std::string& what, std::size_t rules, std::size_t keys, const VethTopology& t,
    const std::vector<std::vector<std::uint8_t>>& frames, const CompiledTable& table,
    const std::function<std::string(const Classification&, const std::vector<std::uint8_t>&)>& expected_key,
    const std::function<std::map<std::string, std::uint64_t>()>& read_counters);

// The rules with their address types decided from the DUT's local routing
// table, as attaching the filter there decides them (address_type.hpp).
RuleSet with_dut_address_types(const VethTopology& t, const RuleSet& rules);

}  // namespace xb::testing
