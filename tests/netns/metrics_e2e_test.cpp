// The counters as Prometheus sees them, with real clients, all inside the
// test's own namespaces: the filter attached at native XDP on the DUT veth,
// real UDP traffic; `stats --format=prometheus` read by Debian's
// node_exporter (textfile collector) and `stats --format=openmetrics`;
// `xdpfilter metrics` scraped by a real Prometheus server (OpenMetrics, as
// it negotiates) and by curl; a reload keeps every rule's series monotonic.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "cli_runner.hpp"
#include "test_namespaces.hpp"
#include "traffic.hpp"

namespace xb::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const char* kRules = R"(
[[rule]]
name = "drop-9999"
action = "drop"
proto = "udp"
dport = 9999

[[rule]]
name = "count-8888"
action = "pass"
proto = "udp"
dport = 8888
)";

// the same names in another order, and one more: indices move, names stay
const char* kReloaded = R"(
[[rule]]
name = "new-7777"
action = "drop"
proto = "udp"
dport = 7777

[[rule]]
name = "count-8888"
action = "pass"
proto = "udp"
dport = 8888

[[rule]]
name = "drop-9999"
action = "drop"
proto = "udp"
dport = 9999
)";

// A program of ours in the background (`ip netns exec NS ...`), stopped by
// its pid with SIGTERM, waited for.
class Background {
 public:
  explicit Background(const std::string& command) {
    const std::string out = run_command("sh -c '" + command + " >/dev/null 2>&1 & echo $!'");
    pid_ = std::stoi(out);
  }
  ~Background() {
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 50 && ::kill(pid_, 0) == 0; ++i) std::this_thread::sleep_for(100ms);
  }

 private:
  int pid_ = -1;
};

std::string in_ns(const std::string& ns, const std::string& command) {
  return run_command("ip netns exec " + ns + " " + command);
}

// The value of the sample of `family` whose labels include rule="name".
std::uint64_t value_of(const std::string& text, const std::string& family, const std::string& rule) {
  const std::regex re(family + R"(\{[^}]*rule=")" + rule + R"("[^}]*\} ([0-9.e+]+))");
  std::smatch m;
  if (!std::regex_search(text, m, re)) return ~0ull;
  return static_cast<std::uint64_t>(std::stod(m[1]));
}

// Polls until pred holds (at most `tries` times 200 ms); the last answer.
std::string until(const std::function<std::string()>& get, const std::function<bool(const std::string&)>& pred,
                  int tries = 75) {
  std::string last;
  for (int i = 0; i < tries; ++i) {
    try {
      last = get();
      if (pred(last)) return last;
    } catch (const std::exception& e) {
      last = e.what();
    }
    std::this_thread::sleep_for(200ms);
  }
  return last;
}

TEST(Metrics, PrometheusNodeExporterAndReload) {
  for (const char* tool : {"promtool", "prometheus", "prometheus-node-exporter", "curl"})
    if (std::system((std::string("command -v ") + tool + " >/dev/null 2>&1").c_str()) != 0)
      GTEST_SKIP() << tool << " is not installed (scripts/install-deps.sh installs it)";
  IsolatedStore store;
  VethTopology t;
  run_command("ip -n " + t.dut_ns + " link set lo up");
  const std::string dir = "/tmp/" + unique_name("xbmetrics");
  std::filesystem::create_directories(dir + "/textfile");
  std::ofstream(dir + "/rules.toml") << kRules;
  std::ofstream(dir + "/reloaded.toml") << kReloaded;
  const std::string sel = " --hook=xdp-native --iface=" + t.dut_if + " --netns=" + t.dut_ns;
  ASSERT_EQ(run_xdpfilter("attach" + sel + " --rules=" + dir + "/rules.toml").exit_code, 0);

  send_udp(t.gen_ns, VethTopology::kDutAddr, 9999, 50);
  send_udp(t.gen_ns, VethTopology::kDutAddr, 8888, 30);
  std::this_thread::sleep_for(300ms);

  // (a) the textfile collector's format, linted by promtool, read by node_exporter
  const auto prom = run_xdpfilter("stats --format=prometheus");
  ASSERT_EQ(prom.exit_code, 0) << prom.err;
  EXPECT_EQ(value_of(prom.out, "xdpfilter_rule_packets_total", "drop-9999"), 50u) << prom.out;
  EXPECT_EQ(value_of(prom.out, "xdpfilter_rule_packets_total", "count-8888"), 30u);
  std::ofstream(dir + "/textfile/xdpfilter.prom") << prom.out;
  EXPECT_EQ(run_command("promtool check metrics < " + dir + "/textfile/xdpfilter.prom"), "");
  const auto om = run_xdpfilter("stats --format=openmetrics");
  ASSERT_EQ(om.exit_code, 0);
  EXPECT_NE(om.out.find("# EOF\n"), std::string::npos);
  {
    Background exporter("ip netns exec " + t.dut_ns +
                        " prometheus-node-exporter --collector.disable-defaults --collector.textfile "
                        "--collector.textfile.directory=" +
                        dir + "/textfile --web.listen-address=127.0.0.1:9100");
    const std::string scraped =
        until([&] { return in_ns(t.dut_ns, "curl -sf http://127.0.0.1:9100/metrics"); },
              [](const std::string& s) { return s.find("xdpfilter_rule") != std::string::npos; });
    EXPECT_EQ(value_of(scraped, "xdpfilter_rule_packets_total", "drop-9999"), 50u) << scraped;
    EXPECT_NE(scraped.find("node_textfile_scrape_error 0"), std::string::npos) << scraped;
  }

  // (b) the endpoint, scraped by Prometheus (it asks for OpenMetrics) and by curl
  // nsenter, not ip netns exec: that one mounts a sysfs of its own, without
  // the bpffs where the counters are pinned
  Background server("nsenter --net=/run/netns/" + t.dut_ns + " " + XDPFILTER_PATH + " metrics --listen=127.0.0.1:9715");
  std::ofstream(dir + "/prometheus.yml") << "global: {scrape_interval: 1s, scrape_timeout: 1s}\n"
                                            "scrape_configs:\n"
                                            "  - job_name: xdpfilter\n"
                                            "    static_configs: [{targets: ['127.0.0.1:9715']}]\n";
  Background prometheus("ip netns exec " + t.dut_ns + " prometheus --config.file=" + dir +
                        "/prometheus.yml --storage.tsdb.path=" + dir + "/tsdb --web.listen-address=127.0.0.1:9090");
  const std::string negotiated = until(
      [&] {
        return in_ns(t.dut_ns,
                     "curl -sf -H 'Accept: application/openmetrics-text;version=1.0.0' http://127.0.0.1:9715/metrics");
      },
      [](const std::string& s) { return s.find("# EOF") != std::string::npos; });
  EXPECT_EQ(value_of(negotiated, "xdpfilter_rule_packets_total", "drop-9999"), 50u) << negotiated;
  const std::string plain = in_ns(t.dut_ns, "curl -sf http://127.0.0.1:9715/metrics");
  EXPECT_EQ(plain.find("# EOF"), std::string::npos);
  auto query = [&](const std::string& q) {
    return in_ns(t.dut_ns, "curl -sf 'http://127.0.0.1:9090/api/v1/query?query=" + q + "'");
  };
  auto prometheus_value = [](const std::string& answer) -> std::uint64_t {
    const json j = json::parse(answer);
    const auto& result = j.at("data").at("result");
    if (result.empty()) return ~0ull;
    return std::stoull(result[0].at("value")[1].get<std::string>());
  };
  const std::string targets =
      until([&] { return in_ns(t.dut_ns, "curl -sf http://127.0.0.1:9090/api/v1/targets"); },
            [](const std::string& s) { return s.find("\"health\":\"up\"") != std::string::npos; });
  EXPECT_NE(targets.find("\"health\":\"up\""), std::string::npos) << targets;
  EXPECT_NE(targets.find("\"lastError\":\"\""), std::string::npos) << targets;
  const std::string q = "xdpfilter_rule_packets_total%7Brule=%22drop-9999%22%7D";
  std::string answer = until([&] { return query(q); },
                             [&](const std::string& s) { return s.find("\"result\":[{") != std::string::npos; });
  EXPECT_EQ(prometheus_value(answer), 50u) << answer;

  // a reload: the names stay, their indices move; every series keeps counting
  ASSERT_EQ(run_xdpfilter("reload" + sel + " --rules=" + dir + "/reloaded.toml").exit_code, 0);
  send_udp(t.gen_ns, VethTopology::kDutAddr, 9999, 10);
  std::this_thread::sleep_for(300ms);
  const auto after = run_xdpfilter("stats --format=prometheus");
  EXPECT_EQ(value_of(after.out, "xdpfilter_rule_packets_total", "drop-9999"), 60u) << after.out;
  EXPECT_EQ(value_of(after.out, "xdpfilter_rule_packets_total", "count-8888"), 30u);
  EXPECT_EQ(value_of(after.out, "xdpfilter_rule_packets_total", "new-7777"), 0u);
  EXPECT_NE(after.out.find("rule=\"drop-9999\",index=\"2\""), std::string::npos);
  answer = until([&] { return query(q); }, [&](const std::string& s) { return s.find("\"60\"") != std::string::npos; });
  EXPECT_EQ(prometheus_value(answer), 60u) << answer;
  // Prometheus saw no counter reset on the series
  const std::string resets = query("resets(xdpfilter_rule_packets_total%7Brule=%22drop-9999%22%7D%5B5m%5D)");
  EXPECT_EQ(prometheus_value(resets), 0u) << resets;

  EXPECT_EQ(run_xdpfilter("detach" + sel).exit_code, 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace xb::testing
