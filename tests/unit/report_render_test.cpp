// `xdpbench report` on result files of unexpected shapes: missing members
// become dashes, members of the wrong type an error naming the file. A sweep
// result without a median once read past the end of its JSON object (found
// by tests/fuzz/fuzz_results: corpus/fuzz_results/regress-sweep-missing-median.json).
#include <gtest/gtest.h>

#include "errors.hpp"
#include "report.hpp"

namespace xb::bench {
namespace {

using nlohmann::json;

ReportPage render(const std::string& text) { return render_report({{"r.json", parse_report_input(text, "r.json")}}); }

TEST(ReportRender, MissingMembersAreDashes) {
  const ReportPage page = render(R"({"command": "sweep", "results": [{"hook": "xdp-native", "rules": 10,
                                      "rx_mpps": {"min": 1}, "ns_per_pkt": {}}]})");
  EXPECT_NE(page.markdown.find("| 10 | xdp-native | - | 1.000-- | - | - | - |"), std::string::npos) << page.markdown;
  EXPECT_NO_THROW(render(R"({"command": "run", "results": [{"hook": "tc-cls", "summary": {}}]})"));
  EXPECT_NO_THROW(render(R"({"command": "search", "results": [{"hook": "tc-cls", "frame_size": 64,
                              "final_trial": {}, "search_steps": 3}]})"));
}

TEST(ReportRender, WrongTypesNameTheFile) {
  const std::string cases[] = {
      R"({"command": "run", "results": [{"hook": 5, "summary": {}}]})",
      R"({"command": "run", "results": [{"hook": "h", "summary": {"hook_latency_cdf": [[1]]}}]})",
      R"({"command": "run", "environment": [], "results": []})",
      R"({"command": 7, "results": []})",
      R"({"command": "search", "results": [{"hook": "h", "frame_size": 64, "search_steps": 1}]})",
  };
  for (const auto& text : cases) {
    try {
      render(text);
      ADD_FAILURE() << text << ": no error";
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).rfind("r.json: ", 0), 0u) << e.what();
    }
  }
  EXPECT_THROW(parse_report_input("{\"command\": 1e999}", "r.json"), Error);
}

}  // namespace
}  // namespace xb::bench
