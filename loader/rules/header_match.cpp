#include "header_match.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <tuple>

namespace xb {
namespace {

int address_bits(Family f) { return f == Family::V4 ? 32 : 128; }

bool covers(const Prefix& outer, const Prefix& inner) { return prefix_covers(outer, inner); }

// nullopt in the outer optional: no packet; an empty inner: any address
std::optional<std::optional<Prefix>> intersect(const std::optional<Prefix>& a, const std::optional<Prefix>& b) {
  if (!a) return b;
  if (!b) return a;
  if (covers(*a, *b)) return b;
  if (covers(*b, *a)) return a;
  return std::nullopt;
}

template <typename T>
std::optional<std::optional<T>> same(const std::optional<T>& a, const std::optional<T>& b) {
  if (!a) return b;
  if (!b || *a == *b) return a;
  return std::nullopt;
}

std::vector<PortRange> merged(std::vector<PortRange> ranges) {
  std::sort(ranges.begin(), ranges.end(), [](auto& x, auto& y) { return x.lo < y.lo; });
  std::vector<PortRange> out;
  for (const auto& r : ranges) {
    if (!out.empty() && r.lo <= static_cast<unsigned>(out.back().hi) + 1)
      out.back().hi = std::max(out.back().hi, r.hi);
    else
      out.push_back(r);
  }
  return out;
}

// nullopt: no port is in both; an empty list: any port
std::optional<std::vector<PortRange>> intersect(const std::vector<PortRange>& a, const std::vector<PortRange>& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  std::vector<PortRange> out;
  for (const auto& x : a)
    for (const auto& y : b)
      if (std::max(x.lo, y.lo) <= std::min(x.hi, y.hi)) out.push_back({std::max(x.lo, y.lo), std::min(x.hi, y.hi)});
  if (out.empty()) return std::nullopt;
  return merged(out);
}

// The header values (kL4Values) a match takes, one bit each.
unsigned l4_values(const HeaderMatch& m) {
  const L4Need need =
      l4_need(m.l4_header, !m.sport.empty() || !m.dport.empty(), m.tcp_flags.has_value(), m.icmp_type || m.icmp_code);
  unsigned out = 0;
  for (std::size_t i = 0; i < std::size(kL4Values); ++i)
    if ((kL4Values[i] & need.mask) == need.value) out |= 1u << i;
  return out;
}

// The l4-header under which `m` (its other fields intersected) takes
// exactly the header values both took; nullopt when none do.
std::optional<L4Header> l4_header_of_both(HeaderMatch m, unsigned both) {
  if (both == 0) return std::nullopt;
  for (const L4Header h : {L4Header::Whole, L4Header::Ports, L4Header::Short, L4Header::Tiny}) {
    m.l4_header = h;
    if (l4_values(m) == both) return h;
  }
  return std::nullopt;  // not a set one l4-header says (no importer makes it)
}

}  // namespace

std::optional<HeaderMatch> intersect(const HeaderMatch& a, const HeaderMatch& b) {
  if (a.family != b.family) return std::nullopt;
  HeaderMatch m;
  m.family = a.family;
  const auto src = intersect(a.src, b.src), dst = intersect(a.dst, b.dst);
  const auto proto = same(a.proto, b.proto), type = same(a.icmp_type, b.icmp_type),
             code = same(a.icmp_code, b.icmp_code);
  const auto sport = intersect(a.sport, b.sport), dport = intersect(a.dport, b.dport);
  if (!src || !dst || !proto || !type || !code || !sport || !dport) return std::nullopt;
  m.src = *src;
  m.dst = *dst;
  m.proto = *proto;
  m.icmp_type = *type;
  m.icmp_code = *code;
  m.sport = *sport;
  m.dport = *dport;
  if (a.tcp_flags && b.tcp_flags) {
    const std::uint8_t common = a.tcp_flags->mask & b.tcp_flags->mask;
    if ((a.tcp_flags->value & common) != (b.tcp_flags->value & common)) return std::nullopt;
    m.tcp_flags = TcpFlagsMatch{static_cast<std::uint8_t>(a.tcp_flags->mask | b.tcp_flags->mask),
                                static_cast<std::uint8_t>(a.tcp_flags->value | b.tcp_flags->value)};
  } else {
    m.tcp_flags = a.tcp_flags ? a.tcp_flags : b.tcp_flags;
  }
  const auto l4 = l4_header_of_both(m, l4_values(a) & l4_values(b));
  if (!l4) return std::nullopt;
  m.l4_header = *l4;
  m.ttl = TtlRange{std::max(a.ttl.lo, b.ttl.lo), std::min(a.ttl.hi, b.ttl.hi)};
  if (m.ttl.lo > m.ttl.hi) return std::nullopt;
  m.ct_states = a.ct_states && b.ct_states ? a.ct_states & b.ct_states : a.ct_states | b.ct_states;
  // both sides' interface matches hold (decided at attach: no packet has
  // two input interfaces, so a contradiction just never matches)
  for (const auto* side : {&a, &b}) {
    for (const auto& i : side->iif)
      if (std::find(m.iif.begin(), m.iif.end(), i) == m.iif.end()) m.iif.push_back(i);
    for (const auto& o : side->oif)
      if (std::find(m.oif.begin(), m.oif.end(), o) == m.oif.end()) m.oif.push_back(o);
  }
  if (a.ct_states && b.ct_states && !m.ct_states) return std::nullopt;
  if (a.rt_type0 && b.rt_type0 && *a.rt_type0 != *b.rt_type0) return std::nullopt;
  m.rt_type0 = a.rt_type0 ? a.rt_type0 : b.rt_type0;
  // an address has one type: both sides' sets of types hold
  for (auto [mine, x, y] :
       {std::tuple{&m.src_types, a.src_types, b.src_types}, std::tuple{&m.dst_types, a.dst_types, b.dst_types}}) {
    *mine = x && y ? x & y : x | y;
    if (x && y && !*mine) return std::nullopt;
  }
  return m;
}

std::vector<HeaderMatch> intersect(const std::vector<HeaderMatch>& a, const std::vector<HeaderMatch>& b) {
  std::vector<HeaderMatch> out;
  for (const auto& x : a)
    for (const auto& y : b)
      if (auto m = intersect(x, y)) out.push_back(std::move(*m));
  return out;
}

std::vector<PortRange> complement(std::vector<PortRange> ranges) {
  std::vector<PortRange> out;
  unsigned next = 0;  // the lowest port not yet known to be covered
  for (const auto& r : merged(std::move(ranges))) {
    if (r.lo > next) out.push_back({static_cast<std::uint16_t>(next), static_cast<std::uint16_t>(r.lo - 1)});
    next = static_cast<unsigned>(r.hi) + 1;
  }
  if (next <= 65535) out.push_back({static_cast<std::uint16_t>(next), 65535});
  return out;
}

std::vector<Prefix> complement(const Prefix& p) {
  // the addresses that agree with p on the first i bits and differ at bit i
  std::vector<Prefix> out;
  for (int i = 0; i < p.len; ++i) {
    Prefix q = make_prefix(p.family, p.addr.data(), i + 1);
    q.addr[i / 8] ^= static_cast<std::uint8_t>(0x80 >> (i % 8));
    out.push_back(q);
  }
  return out;
}

Prefix make_prefix(Family family, const std::uint8_t* addr, int len) {
  Prefix p;
  p.family = family;
  p.len = static_cast<std::uint8_t>(len);
  std::memcpy(p.addr.data(), addr, family == Family::V4 ? 4 : 16);
  for (int i = len; i < address_bits(family); ++i) p.addr[i / 8] &= static_cast<std::uint8_t>(~(0x80 >> (i % 8)));
  return p;
}

std::optional<Prefix> parse_prefix(Family family, const std::string& text) {
  const int bits = address_bits(family);
  const int af = family == Family::V4 ? AF_INET : AF_INET6;
  const auto slash = text.find('/');
  std::array<std::uint8_t, 16> addr{};
  if (inet_pton(af, text.substr(0, slash).c_str(), addr.data()) != 1) return std::nullopt;
  int len = bits;
  if (slash != std::string::npos) {
    const std::string tail = text.substr(slash + 1);
    std::array<std::uint8_t, 16> mask{};
    if (tail.find_first_of(".:") != std::string::npos) {
      if (inet_pton(af, tail.c_str(), mask.data()) != 1) return std::nullopt;
      len = 0;
      while (len < bits && (mask[len / 8] & (0x80 >> (len % 8)))) ++len;
      for (int i = len; i < bits; ++i)
        if (mask[i / 8] & (0x80 >> (i % 8))) return std::nullopt;  // not contiguous
    } else {
      auto [p, ec] = std::from_chars(tail.data(), tail.data() + tail.size(), len);
      if (ec != std::errc() || p != tail.data() + tail.size() || tail.empty() || len < 0 || len > bits)
        return std::nullopt;
    }
  }
  return make_prefix(family, addr.data(), len);
}

std::vector<Prefix> range_prefixes(Family f, std::array<std::uint8_t, 16> lo, const std::array<std::uint8_t, 16>& hi) {
  const int bits = f == Family::V4 ? 32 : 128;
  const int bytes = bits / 8;
  auto cmp = [&](const std::array<std::uint8_t, 16>& a, const std::array<std::uint8_t, 16>& b) {
    for (int i = 0; i < bytes; ++i)
      if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
    return 0;
  };
  std::vector<Prefix> out;
  while (cmp(lo, hi) <= 0) {
    // the largest block starting at lo that ends within hi
    int len = bits;
    while (len > 0) {
      const int bit = len - 1;  // may the block grow to len - 1?
      if (lo[bit / 8] & (0x80 >> (bit % 8))) break;
      auto last = lo;
      for (int b = bit; b < bits; ++b) last[b / 8] |= static_cast<std::uint8_t>(0x80 >> (b % 8));
      if (cmp(last, hi) > 0) break;
      --len;
    }
    out.push_back(make_prefix(f, lo.data(), len));
    auto next = lo;
    for (int b = len; b < bits; ++b) next[b / 8] |= static_cast<std::uint8_t>(0x80 >> (b % 8));
    int i = bytes - 1;  // next = last + 1
    while (i >= 0 && ++next[i] == 0) --i;
    if (i < 0) break;  // wrapped past the last address
    lo = next;
  }
  return out;
}

Rule to_rule(const HeaderMatch& m, std::string name, Action action, SourceLocation where) {
  Rule r;
  r.name = std::move(name);
  r.action = action;
  r.src = m.src;
  r.dst = m.dst;
  if (!r.src && !r.dst) r.src = make_prefix(m.family, Prefix{}.addr.data(), 0);
  r.proto = m.proto;
  r.sport = m.sport;
  r.dport = m.dport;
  r.tcp_flags = m.tcp_flags;
  r.icmp_type = m.icmp_type;
  r.icmp_code = m.icmp_code;
  r.ttl = m.ttl;
  r.l4_header = m.l4_header;
  r.ct_states = m.ct_states;
  r.iif = m.iif;
  r.oif = m.oif;
  r.src_types = m.src_types;
  r.dst_types = m.dst_types;
  r.rt_type0 = m.rt_type0;
  r.where = std::move(where);
  return r;
}

}  // namespace xb
