#include "classbench_trace.hpp"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "errors.hpp"

namespace xb::packets {
namespace {

std::array<std::uint8_t, 16> ipv4(std::uint32_t host_order) {
  return {static_cast<std::uint8_t>(host_order >> 24), static_cast<std::uint8_t>(host_order >> 16),
          static_cast<std::uint8_t>(host_order >> 8), static_cast<std::uint8_t>(host_order)};
}

}  // namespace

std::vector<ClassBenchTuple> read_classbench_trace(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(errno_message(path + ": cannot open trace", errno));
  std::vector<ClassBenchTuple> out;
  std::string line;
  for (std::size_t line_no = 1; std::getline(in, line); ++line_no) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::istringstream fields(line);
    std::uint64_t src, dst, sport, dport, proto, flags, rule;
    if (!(fields >> src >> dst >> sport >> dport >> proto >> flags >> rule) || src > 0xffffffffu || dst > 0xffffffffu ||
        sport > 65535 || dport > 65535 || proto > 255 || rule > 0xffffffffu)
      throw Error(fmt::format("{}:{}: expected SRC DST SPORT DPORT PROTO FLAGS RULE (addresses as 32-bit integers)",
                              path, line_no));
    out.push_back({static_cast<std::uint32_t>(src), static_cast<std::uint32_t>(dst), static_cast<std::uint16_t>(sport),
                   static_cast<std::uint16_t>(dport), static_cast<std::uint8_t>(proto),
                   static_cast<std::uint32_t>(rule)});
  }
  return out;
}

PacketSpec classbench_packet(const ClassBenchTuple& t, std::size_t payload) {
  PacketSpec s;
  s.family = Family::V4;
  s.src = ipv4(t.src);
  s.dst = ipv4(t.dst);
  s.proto = t.proto;
  s.sport = t.sport;
  s.dport = t.dport;
  s.tcp_flags = kAck;
  s.icmp_type = 8;
  s.icmp_code = 0;
  s.payload = payload;
  return s;
}

}  // namespace xb::packets
