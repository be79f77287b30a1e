#include "traffic_profile.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <cmath>
#include <utility>

#include "errors.hpp"
#include "text_input.hpp"

namespace xb {
const std::string& profile_default_text();
const std::string& profile_imix_text();
const std::string& profile_worst_case_text();
}  // namespace xb

namespace xb::bench {
namespace {

[[noreturn]] void fail(const std::string& source, const toml::node& node, const std::string& message) {
  throw Error(fmt::format("{}:{}:{}: {}", source, node.source().begin.line, node.source().begin.column, message));
}

}  // namespace

TrafficProfile load_traffic_profile(const std::string& name_or_path, TrafficProfile p) {
  std::string text, source = "<" + name_or_path + ">";
  if (name_or_path == "default") {
    text = profile_default_text();
  } else if (name_or_path == "imix") {
    text = profile_imix_text();
  } else if (name_or_path == "worst-case") {
    text = profile_worst_case_text();
  } else {
    if (::access(name_or_path.c_str(), R_OK) != 0)
      throw Error(
          errno_message("--profile=" + name_or_path + ": not default, imix, worst-case or a readable file", errno));
    text = read_text_input(name_or_path, "traffic profile", kMaxSpecFileBytes);
    source = name_or_path;
  }
  return parse_traffic_profile(text, source, std::move(p));
}

TrafficProfile parse_traffic_profile(const std::string& text, const std::string& source, TrafficProfile p) {
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    throw Error(fmt::format("{}:{}:{}: {}", source, e.source().begin.line, e.source().begin.column, e.description()));
  }
  for (auto&& [key, node] : root) {
    const std::string k(key.str());
    if (k == "size") {
      if (node.is_string() && node.as_string()->get() == "imix") {
        p.imix = true;
      } else if (const auto* i = node.as_integer(); i && i->get() >= 64 && i->get() <= 1518) {
        p.imix = false;
        p.frame_size = static_cast<std::uint32_t>(i->get());
      } else {
        fail(source, node, "'size' must be 64 to 1518, or \"imix\"");
      }
    } else if (k == "flows") {
      const auto* i = node.as_integer();
      if (!i || i->get() < 1 || i->get() > 4096) fail(source, node, "'flows' must be 1 to 4096");
      p.flows = static_cast<std::uint32_t>(i->get());
    } else if (k == "mix") {
      const auto* s = node.as_string();
      if (!s || (s->get() != "rules" && s->get() != "miss")) fail(source, node, "'mix' must be \"rules\" or \"miss\"");
      p.mix = s->get();
    } else if (k == "drop-share") {
      // TOML has nan and inf: a range check must fail for NaN, whose
      // comparisons are all false
      const auto v = node.value<double>();
      if (!v || !(*v >= 0 && *v <= 1)) fail(source, node, "'drop-share' must be 0 to 1");
      p.drop_share = *v;
    } else if (k == "ipv6-share") {
      const auto v = node.value<double>();
      if (!v || !(*v >= 0 && *v <= 1)) fail(source, node, "'ipv6-share' must be 0 to 1");
      p.ipv6_share = *v;
    } else if (k == "rate") {
      const auto v = node.value<double>();
      if (!v || !(*v >= 0) || std::isinf(*v)) fail(source, node, "'rate' must be packets per second (0: max)");
      p.rate_pps = *v;
    } else {
      throw Error(fmt::format("{}:{}:{}: unknown key '{}': expected size, flows, mix, drop-share, ipv6-share or rate",
                              source, key.source().begin.line, key.source().begin.column, k));
    }
  }
  return p;
}

}  // namespace xb::bench
