#include "protocol_names.hpp"

#include <netdb.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <string>
#include <utility>

namespace xb {
namespace {

// What iptables falls back to (xtables_chain_protos) and what this
// project's rule files have always taken, whether or not the database
// lists them ("icmpv6" is not in /etc/protocols, which says "ipv6-icmp").
constexpr std::array<std::pair<std::string_view, std::uint8_t>, 11> kBuiltIn{{{"tcp", 6},
                                                                              {"udp", 17},
                                                                              {"icmp", 1},
                                                                              {"icmpv6", 58},
                                                                              {"ipv6-icmp", 58},
                                                                              {"sctp", 132},
                                                                              {"udplite", 136},
                                                                              {"esp", 50},
                                                                              {"ah", 51},
                                                                              {"ipv6-mh", 135},
                                                                              {"mh", 135}}};

std::optional<std::uint8_t> from_database(const std::string& name) {
  protoent entry{};
  protoent* found = nullptr;
  std::array<char, 1024> buf{};
  if (getprotobyname_r(name.c_str(), &entry, buf.data(), buf.size(), &found) != 0 || !found) return std::nullopt;
  if (found->p_proto < 0 || found->p_proto > 255) return std::nullopt;
  return static_cast<std::uint8_t>(found->p_proto);
}

}  // namespace

std::optional<std::uint8_t> protocol_number(std::string_view name) {
  if (name.empty()) return std::nullopt;
  unsigned value = 0;
  const auto [ptr, ec] = std::from_chars(name.data(), name.data() + name.size(), value);
  if (ec == std::errc() && ptr == name.data() + name.size()) {
    if (value > 255) return std::nullopt;
    return static_cast<std::uint8_t>(value);
  }
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const auto& [known, number] : kBuiltIn)
    if (lower == known) return number;
  // the database's names are lower case, its aliases often upper case (GRE)
  if (auto n = from_database(lower)) return n;
  return from_database(std::string(name));
}

}  // namespace xb
