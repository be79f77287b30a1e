// The metrics text: its shape, label escaping, and (where Debian's
// prometheus package is installed, as scripts/install-deps.sh does) what
// promtool's parser and linter say of it.
#include "openmetrics.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace xb {
namespace {

std::vector<AttachmentMetrics> sample() {
  AttachmentMetrics a{"xdp-native", "veth1", "veth1", "lab", "ingress", {}, {}, {}, {}};
  a.rules.push_back({"ssh \"mgmt\"\\net", 0, {12, 840}});
  a.rules.push_back({"INPUT:3", 2, {0, 0}});
  a.no_match = {5, 300};
  a.non_ip = {1, 60};
  return {a};
}

// promtool check metrics reads the text on stdin; its exit code and output.
std::pair<int, std::string> promtool(const std::string& text) {
  const std::string path = ::testing::TempDir() + "/xb-metrics.txt";
  std::ofstream(path) << text;
  FILE* p = ::popen(("promtool check metrics < " + path + " 2>&1").c_str(), "r");
  std::string out;
  char buf[256];
  while (p && std::fgets(buf, sizeof buf, p)) out += buf;
  const int status = p ? ::pclose(p) : -1;
  std::remove(path.c_str());
  return {status, out};
}

TEST(OpenMetrics, FamiliesSamplesAndEof) {
  const std::string om = format_metrics(sample(), MetricsFormat::OpenMetrics);
  EXPECT_NE(om.find("# TYPE xdpfilter_rule_packets counter\n"), std::string::npos);
  EXPECT_NE(om.find("xdpfilter_rule_packets_total{hook=\"xdp-native\",iface=\"veth1\",target=\"veth1\",netns=\"lab\","
                    "direction=\"ingress\",rule=\"ssh \\\"mgmt\\\"\\\\net\",index=\"0\"} 12\n"),
            std::string::npos)
      << om;
  EXPECT_NE(om.find("xdpfilter_no_match_bytes_total{"), std::string::npos);
  EXPECT_EQ(om.substr(om.size() - 6), "# EOF\n");
  const std::string prom = format_metrics(sample(), MetricsFormat::Prometheus);
  EXPECT_NE(prom.find("# TYPE xdpfilter_rule_packets_total counter\n"), std::string::npos);
  EXPECT_EQ(prom.find("# EOF"), std::string::npos);
}

TEST(OpenMetrics, PromtoolParsesAndLintsTheTextFormat) {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "promtool (Debian's prometheus package) is not installed";
  // promtool 2.42 reads the 0.0.4 format only; the OpenMetrics text is
  // parsed by Prometheus itself scraping `xdpfilter metrics` (metrics_e2e_test)
  const auto [status, out] = promtool(format_metrics(sample(), MetricsFormat::Prometheus));
  EXPECT_EQ(status, 0) << out;
  EXPECT_EQ(out, "") << out;
  // and it does catch a broken text: the check is not a formality
  EXPECT_NE(promtool("xdpfilter_rule_packets_total{rule=\"x} 1\n").first, 0);
}

}  // namespace
}  // namespace xb
