// `xdpfilter metrics --listen=ADDR:PORT`: the counters served at /metrics
// for Prometheus to scrape (cpp-httplib), OpenMetrics when the scraper asks
// for it (Accept: application/openmetrics-text), else the 0.0.4 text format.
#pragma once

#include <csignal>
#include <functional>
#include <string>
#include <vector>

#include "attachment_store.hpp"

namespace xb {

struct MetricsListen {
  std::string host;  // as given: 127.0.0.1, ::1, 0.0.0.0, ...
  int port = 0;
};

// "ADDR:PORT", "[V6ADDR]:PORT" or ":PORT" (localhost); throws Error naming --listen.
MetricsListen parse_listen(const std::string& text);

// Serves until *stop is set (a signal handler's flag) or duration_s passed
// (0: no limit). records: the attachments to show, read at each scrape.
// Throws Error when the address cannot be bound, before serving anything.
void serve_metrics(const MetricsListen& listen, const StatePaths& state,
                   const std::function<std::vector<AttachmentRecord>()>& records, double duration_s,
                   const volatile std::sig_atomic_t* stop);

}  // namespace xb
