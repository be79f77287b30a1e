#include "metrics_server.hpp"

#include <fmt/format.h>
#include <httplib.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <thread>

#include "errors.hpp"
#include "filter_metrics.hpp"
#include "openmetrics.hpp"

namespace xb {

MetricsListen parse_listen(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos)
    throw Error(fmt::format("--listen={}: expected ADDR:PORT, e.g. 127.0.0.1:9715 or [::1]:9715", text));
  MetricsListen l;
  l.host = text.substr(0, colon);
  if (l.host.size() >= 2 && l.host.front() == '[' && l.host.back() == ']') l.host = l.host.substr(1, l.host.size() - 2);
  if (l.host.empty()) l.host = "127.0.0.1";
  const std::string port = text.substr(colon + 1);
  const auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), l.port);
  if (ec != std::errc() || ptr != port.data() + port.size() || l.port < 1 || l.port > 65535)
    throw Error(fmt::format("--listen={}: '{}' is not a port 1-65535", text, port));
  return l;
}

void serve_metrics(const MetricsListen& listen, const StatePaths& state,
                   const std::function<std::vector<AttachmentRecord>()>& records, double duration_s,
                   const volatile std::sig_atomic_t* stop) {
  httplib::Server server;
  server.Get("/metrics", [&](const httplib::Request& req, httplib::Response& res) {
    // as Prometheus negotiates: OpenMetrics only when asked for
    const auto accept = req.get_header_value("Accept");
    const MetricsFormat format = accept.find("application/openmetrics-text") != std::string::npos
                                     ? MetricsFormat::OpenMetrics
                                     : MetricsFormat::Prometheus;
    try {
      res.set_content(format_metrics(collect_metrics(state, records()), format), metrics_content_type(format));
    } catch (const std::exception& e) {
      res.status = 500;
      res.set_content(std::string("xdpfilter: ") + e.what() + "\n", "text/plain");
    }
  });
  if (!server.bind_to_port(listen.host, listen.port))
    throw Error(errno_message(fmt::format("--listen={}:{}: cannot listen there", listen.host, listen.port), errno));
  std::thread serving([&] { server.listen_after_bind(); });
  fmt::print("serving the counters at http://{}:{}/metrics{}\n",
             listen.host.find(':') != std::string::npos ? "[" + listen.host + "]" : listen.host, listen.port,
             duration_s > 0 ? fmt::format(" for {} s", duration_s) : std::string(" until Ctrl-C"));
  std::fflush(stdout);
  const auto start = std::chrono::steady_clock::now();
  while (!*stop &&
         (duration_s <= 0 || std::chrono::steady_clock::now() - start < std::chrono::duration<double>(duration_s)))
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  server.stop();
  serving.join();
}

}  // namespace xb
