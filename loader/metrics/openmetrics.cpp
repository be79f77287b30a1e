#include "openmetrics.hpp"

#include <fmt/format.h>

#include <functional>

namespace xb {
namespace {

std::string escaped(const std::string& value) {
  std::string out;
  for (const char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string labels(const AttachmentMetrics& a) {
  return fmt::format(R"(hook="{}",iface="{}",target="{}",netns="{}",direction="{}")", escaped(a.hook), escaped(a.iface),
                     escaped(a.target), escaped(a.netns), escaped(a.direction));
}

struct Family {
  const char* name;  // without _total
  const char* help;
};

}  // namespace

std::string format_metrics(const std::vector<AttachmentMetrics>& attachments, MetricsFormat format) {
  std::string out;
  const bool om = format == MetricsFormat::OpenMetrics;
  // OpenMetrics names the family without _total; the 0.0.4 format names it as its samples
  auto header = [&](const Family& f) {
    const std::string name = om ? f.name : fmt::format("{}_total", f.name);
    out += fmt::format("# TYPE {} counter\n# HELP {} {}\n", name, name, f.help);
  };
  auto family = [&](const Family& f, const std::function<void(const AttachmentMetrics&)>& samples) {
    header(f);
    for (const auto& a : attachments) samples(a);
  };
  auto sample = [&](const Family& f, const std::string& l, std::uint64_t value) {
    out += fmt::format("{}_total{{{}}} {}\n", f.name, l, value);
  };
  const Family rule_packets{"xdpfilter_rule_packets", "Packets a rule decided (first match), per rule name."};
  const Family rule_bytes{"xdpfilter_rule_bytes", "Bytes of the packets a rule decided, per rule name."};
  family(rule_packets, [&](const AttachmentMetrics& a) {
    for (const auto& r : a.rules)
      sample(rule_packets, fmt::format(R"({},rule="{}",index="{}")", labels(a), escaped(r.name), r.index),
             r.counts.packets);
  });
  family(rule_bytes, [&](const AttachmentMetrics& a) {
    for (const auto& r : a.rules)
      sample(rule_bytes, fmt::format(R"({},rule="{}",index="{}")", labels(a), escaped(r.name), r.index),
             r.counts.bytes);
  });
  struct Class {
    Family packets, bytes;
    CounterPair AttachmentMetrics::*counts;
  };
  const Class classes[] = {
      {{"xdpfilter_no_match_packets", "IP packets no rule matched (the default action decided)."},
       {"xdpfilter_no_match_bytes", "Bytes of the IP packets no rule matched."},
       &AttachmentMetrics::no_match},
      {{"xdpfilter_non_ip_packets", "Frames that are neither IPv4 nor IPv6."},
       {"xdpfilter_non_ip_bytes", "Bytes of the frames that are neither IPv4 nor IPv6."},
       &AttachmentMetrics::non_ip},
      {{"xdpfilter_malformed_packets", "Truncated or inconsistent IP packets."},
       {"xdpfilter_malformed_bytes", "Bytes of the truncated or inconsistent IP packets."},
       &AttachmentMetrics::malformed},
  };
  for (const auto& c : classes) {
    family(c.packets, [&](const AttachmentMetrics& a) { sample(c.packets, labels(a), (a.*c.counts).packets); });
    family(c.bytes, [&](const AttachmentMetrics& a) { sample(c.bytes, labels(a), (a.*c.counts).bytes); });
  }
  if (om) out += "# EOF\n";
  return out;
}

const char* metrics_content_type(MetricsFormat format) {
  return format == MetricsFormat::OpenMetrics ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
                                              : "text/plain; version=0.0.4; charset=utf-8";
}

}  // namespace xb
