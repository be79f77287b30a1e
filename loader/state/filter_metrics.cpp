#include "filter_metrics.hpp"

#include <fmt/format.h>

#include <map>

#include "errors.hpp"
#include "filter_attach.hpp"
#include "hooks.hpp"

namespace xb {
namespace {

CounterPair plus(const RuleCounter& now, const std::map<std::string, std::array<std::uint64_t, 2>>& retired,
                 const std::string& name) {
  CounterPair c{now.packets, now.bytes};
  if (const auto it = retired.find(name); it != retired.end()) {
    c.packets += it->second[0];
    c.bytes += it->second[1];
  }
  return c;
}

}  // namespace

std::vector<AttachmentMetrics> collect_metrics(const StatePaths& state, const std::vector<AttachmentRecord>& records) {
  std::vector<AttachmentMetrics> out;
  for (const auto& r : records) {
    CounterSnapshot snap;
    try {
      snap = read_filter_counters(state, r);
    } catch (const Error&) {
      continue;  // detached since the list was read
    }
    AttachmentMetrics m{
        hook_name(r.hook), r.interface(), r.target_name(), r.netns, direction_name(r.direction), {}, {}, {}, {}};
    // one series per name: the running table's records of that name summed
    std::map<std::string, std::size_t> series;
    for (std::size_t i = 0; i < snap.rules.size(); ++i) {
      // fmt, not `"#" + std::to_string(i)`: GCC 12 at -O3 reports a false -Wrestrict in that operator+
      const std::string name = i < r.rule_names.size() ? r.rule_names[i] : fmt::format("#{}", i);
      auto [it, fresh] = series.emplace(name, m.rules.size());
      if (fresh) m.rules.push_back({name, static_cast<std::uint32_t>(i), plus({}, r.retired_counts, name)});
      auto& counts = m.rules[it->second].counts;
      counts.packets += snap.rules[i].packets;
      counts.bytes += snap.rules[i].bytes;
    }
    m.no_match = plus(snap.no_match, r.retired_counts, "(no match)");
    m.non_ip = plus(snap.non_ip, r.retired_counts, "(non-IP)");
    m.malformed = plus(snap.malformed, r.retired_counts, "(malformed)");
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace xb
