// `xdpbench report` on stored results of real runs (tests/data), rendered in
// headless Chromium (Debian's chromium): the page's plots must draw (Vega
// renders each to an SVG) and its tables must hold every hook.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "cli_runner.hpp"
#include "test_namespaces.hpp"

namespace xb::testing {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

TEST(XdpbenchReport, RendersInHeadlessChromium) {
  const fs::path out = fs::temp_directory_path() / unique_name("xbreport");
  const std::string data = XDPBENCH_TEST_DATA;
  const CliResult r =
      run_cli(XDPBENCH_PATH, "report " + data + "/run-all.json " + data + "/sweep.json --out=" + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string md = slurp(out / "report.md");
  for (const char* hook : {"xdp-noop", "xdp-native", "tc-cls", "nft-netdev", "iptables-legacy", "dpdk-afxdp"})
    EXPECT_NE(md.find(std::string("| ") + hook + " |"), std::string::npos) << hook;
  EXPECT_NE(md.find("## Rule-count scaling"), std::string::npos);
  EXPECT_NE(md.find("## Environment"), std::string::npos);

  const std::string html = slurp(out / "report.html");
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org"));  // nothing fetched: the runtime is inline
  const std::size_t charts = count(html, "class=\"chart\"");
  EXPECT_GE(charts, 3u);

  // --dump-dom prints the page after its scripts ran
  const std::string dom_path = (out / "dom.html").string();
  const std::string cmd =
      "chromium --headless --no-sandbox --disable-gpu --virtual-time-budget=30000 --dump-dom file://" +
      (out / "report.html").string() + " >" + dom_path + " 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  const std::string dom = slurp(dom_path);
  // Vega-Embed renders each chart as an <svg class="marks">
  EXPECT_EQ(count(dom, "class=\"marks\""), charts) << dom.substr(0, 2000);
  EXPECT_NE(dom.find("rx rate per hook"), std::string::npos);
  EXPECT_NE(dom.find("rx rate against the number of rules"), std::string::npos);
  fs::remove_all(out);
}

}  // namespace
}  // namespace xb::testing
