// The filter core's packet parser and classifier, compiled natively (the
// reference model), on any bytes of any length against the embedded default
// rules. The first byte picks how the rest is read:
//   0: a frame from its Ethernet header, as XDP and tc see it;
//   1: a packet from its IP header with the EtherType in the next two bytes,
//      as socket filters, cgroup_skb and netfilter see it;
//   2: header fields (family, addresses near a rule's, protocol, ports,
//      flags, ICMP, fragment, VLAN tags, IP options, IPv6 extension headers)
//      built into a well-formed frame, whose verdict must be the independent
//      oracle's (a linear first match over the parsed rules).
// Expected: a verdict whose action is the one its rule (or default) has; no
// out-of-bounds read, whatever the length.
#include <cstdint>
#include <cstring>
#include <span>
#include <string>

#include "fuzz_check.hpp"
#include "oracle.hpp"
#include "packet_builder.hpp"
#include "reference_model.hpp"
#include "rule_compiler.hpp"

namespace {

using namespace xb;

struct Rules {
  RuleSet set = default_rule_set();
  CompiledTable table = compile_rules(set);
  fixtures::Oracle oracle{set};
};

const Rules& rules() {
  static const Rules r;
  return r;
}

// The action a verdict must carry for its rule index.
void expect_consistent(const Classification& c) {
  const RuleSet& set = rules().set;
  Action want;
  if (c.rule < set.rules.size())
    want = set.rules[c.rule].action;
  else if (c.rule == XB_RULE_DEFAULT)
    want = set.default_action;
  else if (c.rule == XB_RULE_NON_IP)
    want = set.non_ip_action;
  else if (c.rule == XB_RULE_MALFORMED)
    want = set.malformed_action;
  else
    xb::fuzz::broken("rule index " + std::to_string(c.rule) + " is neither a rule nor a default");
  if (c.action != want)
    xb::fuzz::broken("rule " + std::to_string(c.rule) + " has action " + action_name(want) + ", verdict says " +
                     action_name(c.action));
}

// Reads the fuzz input's bytes in order; zeros once they run out.
class Bytes {
 public:
  explicit Bytes(std::span<const std::uint8_t> b) : b_(b) {}
  std::uint8_t u8() { return pos_ < b_.size() ? b_[pos_++] : 0; }
  std::uint16_t u16() { return static_cast<std::uint16_t>(u8() << 8 | u8()); }

 private:
  std::span<const std::uint8_t> b_;
  std::size_t pos_ = 0;
};

// An address inside, at the edge of, or near prefix p; wholly from the
// input without one.
std::array<std::uint8_t, 16> address_near(const std::optional<Prefix>& p, Family f, Bytes& in) {
  std::array<std::uint8_t, 16> a{};
  const unsigned width = f == Family::V4 ? 4 : 16;
  // over a span, not a[i]: GCC 12 at -O3 reports a false -Wstringop-overflow on the indexed loop
  for (auto& byte : std::span(a).first(width)) byte = in.u8();
  if (!p || p->family != f) return a;
  // the prefix's bits, the input's host bits; one byte may flip a prefix bit
  const std::uint8_t flip = in.u8();
  for (unsigned bit = 0; bit < p->len; ++bit) {
    const auto m = static_cast<std::uint8_t>(0x80u >> (bit % 8));
    a[bit / 8] = static_cast<std::uint8_t>((a[bit / 8] & ~m) | (p->addr[bit / 8] & m));
  }
  if (flip < p->len) a[flip / 8] ^= static_cast<std::uint8_t>(0x80u >> (flip % 8));
  return a;
}

std::uint16_t port_near(const std::vector<PortRange>& ranges, Bytes& in) {
  const std::uint16_t raw = in.u16();
  const std::uint8_t how = in.u8();
  if (ranges.empty() || how % 4 == 0) return raw;
  const PortRange& r = ranges[how / 4 % ranges.size()];
  const int delta = static_cast<int>(raw % 3) - 1;  // just below, at, just above an end
  return static_cast<std::uint16_t>((how & 2 ? r.hi : r.lo) + delta);
}

void against_oracle(Bytes in) {
  const RuleSet& set = rules().set;
  const Rule& aim = set.rules[in.u16() % set.rules.size()];
  fixtures::OracleHeaders h;
  const auto fams = aim.families();
  h.family = fams[in.u8() % fams.size()];
  h.src = address_near(aim.src, h.family, in);
  h.dst = address_near(aim.dst, h.family, in);
  const std::uint8_t proto_choice = in.u8();
  h.proto = aim.proto && proto_choice < 192 ? *aim.proto : in.u8();
  // an IPv6 extension header type as the protocol would be walked into as
  // one (the builder writes it as the last next-header): no such packet
  if (h.family == Family::V6 &&
      (h.proto == XB_IPPROTO_HOPOPTS || h.proto == XB_IPPROTO_ROUTING || h.proto == XB_IPPROTO_FRAGMENT ||
       h.proto == XB_IPPROTO_AH || h.proto == XB_IPPROTO_DSTOPTS))
    return;
  const bool whole = in.u8() >= 16;  // else a later fragment: no L4 header
  h.has_ports = whole && fixtures::carries_ports(h.proto);
  h.has_icmp = whole && fixtures::carries_icmp(h.family, h.proto);
  if (h.has_ports) {
    h.sport = port_near(aim.sport, in);
    h.dport = port_near(aim.dport, in);
    h.tcp_flags = h.proto == XB_IPPROTO_TCP ? in.u8() : 0;
  }
  if (h.has_icmp) {
    h.icmp_type = aim.icmp_type && in.u8() < 192 ? *aim.icmp_type : in.u8();
    h.icmp_code = aim.icmp_code && in.u8() < 192 ? *aim.icmp_code : in.u8();
  }
  fixtures::PacketSpec spec = fixtures::packet_spec(h);
  // what the parser walks over without changing the headers
  const std::uint8_t shape = in.u8();
  spec.vlan_tags = shape % 3;
  if (h.family == Family::V4) {
    spec.ipv4_options = (shape / 3 % 11) * 4;
  } else {
    static constexpr std::uint8_t kExt[] = {XB_IPPROTO_HOPOPTS, XB_IPPROTO_ROUTING, XB_IPPROTO_DSTOPTS, XB_IPPROTO_AH};
    for (unsigned i = 0, n = shape / 3 % 4; i < n; ++i) spec.ipv6_ext.push_back(kExt[in.u8() % std::size(kExt)]);
  }
  spec.payload = in.u8() % 64;
  const Classification got = classify(rules().table, fixtures::build_frame(spec));
  expect_consistent(got);
  const fixtures::OracleVerdict want = rules().oracle.classify(h);
  if (got.rule != want.rule || got.action != want.action)
    xb::fuzz::broken(fixtures::describe(h) + ": classifier rule " + std::to_string(got.rule) + ", oracle rule " +
                     std::to_string(want.rule));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // the rest stays where libFuzzer put it: its end is the allocation's end,
  // so AddressSanitizer sees any read past the packet
  const std::span<const std::uint8_t> rest(data + 1, size - 1);
  switch (data[0] % 3) {
    case 0:
      expect_consistent(classify(rules().table, rest));
      break;
    case 1:
      if (rest.size() >= 2)
        expect_consistent(
            classify_l3(rules().table, static_cast<std::uint16_t>(rest[0] << 8 | rest[1]), rest.subspan(2)));
      break;
    default:
      against_oracle(Bytes(rest));
  }
  return 0;
}
