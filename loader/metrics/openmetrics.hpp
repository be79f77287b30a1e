// The filter's counters as Prometheus reads them: the OpenMetrics 1.0 text
// format (`application/openmetrics-text`) and the Prometheus text format
// 0.0.4 (`text/plain`, what node_exporter's textfile collector reads).
//
// One series per rule name (an imported rule expanded into several records
// is one series, as the user wrote one rule), with the name's first index;
// the counters of the tables reloads replaced are added by name, so a
// rule's series never goes down while its name stays.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace xb {

struct CounterPair {
  std::uint64_t packets = 0, bytes = 0;
};

struct RuleMetric {
  std::string name;
  std::uint32_t index = 0;
  CounterPair counts;
};

struct AttachmentMetrics {
  std::string hook, iface, target, netns, direction;  // the series' labels
  std::vector<RuleMetric> rules;
  CounterPair no_match, non_ip, malformed;
};

enum class MetricsFormat { OpenMetrics, Prometheus };

std::string format_metrics(const std::vector<AttachmentMetrics>& attachments, MetricsFormat format);

// The Content-Type of each format.
const char* metrics_content_type(MetricsFormat format);

}  // namespace xb
