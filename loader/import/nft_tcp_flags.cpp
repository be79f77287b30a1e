#include "nft_tcp_flags.hpp"

#include <fmt/format.h>

namespace xb {
namespace {

using nlohmann::json;

std::uint8_t flag_bit(const std::string& name) {
  static const std::pair<const char*, std::uint8_t> flags[] = {{"fin", 0x01}, {"syn", 0x02}, {"rst", 0x04},
                                                               {"psh", 0x08}, {"ack", 0x10}, {"urg", 0x20},
                                                               {"ecn", 0x40}, {"cwr", 0x80}};
  for (const auto& [n, b] : flags)
    if (name == n) return b;
  return 0;
}

const json& element_value(const json& e) { return e.is_object() && e.contains("elem") ? e["elem"]["val"] : e; }

// "syn", ["fin", "syn"], {"|": [...]} or a number
std::uint8_t flags_value(const json& v) {
  if (v.is_number_unsigned()) return static_cast<std::uint8_t>(v.get<std::uint64_t>());
  if (v.is_string()) {
    const auto b = flag_bit(v.get<std::string>());
    if (!b) throw std::invalid_argument(fmt::format("{}: unknown TCP flag", v.dump()));
    return b;
  }
  if (v.is_array()) {
    std::uint8_t bits = 0;
    for (const auto& x : v) bits |= flags_value(x);
    return bits;
  }
  if (v.is_object() && v.contains("|")) return flags_value(v["|"]);
  throw std::invalid_argument(fmt::format("{}: expected TCP flags", v.dump()));
}

// not all of mask's bits as in value: one rule per bit that may differ
void some_bit_differs(std::uint8_t mask, std::uint8_t value, std::vector<TcpFlagsMatch>& out) {
  for (int b = 0; b < 8; ++b) {
    const auto bit = static_cast<std::uint8_t>(1u << b);
    if (mask & bit) out.push_back({bit, static_cast<std::uint8_t>(~value & bit)});
  }
}

}  // namespace

std::vector<TcpFlagsMatch> nft_tcp_flags(const std::string& op, const std::optional<json>& mask_json, const json& right,
                                         const std::optional<json>& elements) {
  std::vector<TcpFlagsMatch> out;
  if (mask_json) {
    const std::uint8_t mask = flags_value(*mask_json);
    if (elements) {
      if (op != "==") throw NftFlagsRefused("a negated set of TCP flags");
      for (const auto& e : *elements)
        out.push_back({mask, static_cast<std::uint8_t>(flags_value(element_value(e)) & mask)});
      return out;
    }
    const std::uint8_t value = flags_value(right) & mask;
    if (op == "==")
      out.push_back({mask, value});
    else if (op == "!=")
      some_bit_differs(mask, value, out);
    else
      throw NftFlagsRefused(fmt::format("tcp flags & ... {} (a comparison other than == or !=)", op));
    return out;
  }
  if (elements) {
    if (op != "==" && op != "in") throw NftFlagsRefused("a negated set of TCP flags");
    for (const auto& e : *elements) out.push_back({0xff, flags_value(element_value(e))});
    return out;
  }
  const std::uint8_t value = flags_value(right);
  if (op == "!") {  // none of them set: nft's form of flags & V == 0
    out.push_back({value, 0});
  } else if (op == "in") {  // any of them set
    for (int b = 0; b < 8; ++b)
      if (value & (1u << b)) out.push_back({static_cast<std::uint8_t>(1u << b), static_cast<std::uint8_t>(1u << b)});
  } else if (op == "==") {
    out.push_back({0xff, value});
  } else if (op == "!=") {
    some_bit_differs(0xff, value, out);
  } else {
    throw NftFlagsRefused(fmt::format("tcp flags {} (a comparison other than ==, != or a flag list)", op));
  }
  return out;
}

}  // namespace xb
