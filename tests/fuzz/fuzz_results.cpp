// Result files as `xdpbench gate` and `xdpbench report` read them, on any
// bytes: the gate compares the file with itself (the statistics run on
// whatever trials it holds) and the report renders it. Expected: an error
// naming the file, or a verdict and a page; never a crash, an exception of
// the JSON library escaping, or a read outside the document.
#include <cstdint>
#include <string>

#include "errors.hpp"
#include "fuzz_check.hpp"
#include "gate.hpp"
#include "report.hpp"

namespace {

constexpr const char* kSource = "fuzz.json";

void gate(const std::string& text) {
  using namespace xb::bench;
  try {
    const RunResult doc = parse_result_file(text, kSource);
    const GateOptions options;
    const GateReport report = compare_results(doc, doc, options);
    gate_text(report, options);
    gate_markdown(report, options);
    for (const GateRow& row : report.rows)
      if (row.verdict == "regression") xb::fuzz::broken("a result is a regression against itself");
  } catch (const xb::Error& e) {
    xb::fuzz::expect_error_names(e.what(), kSource);
  }
}

void report(const std::string& text) {
  using namespace xb::bench;
  try {
    render_report({{kSource, parse_report_input(text, kSource)}});
  } catch (const xb::Error& e) {
    xb::fuzz::expect_error_names(e.what(), kSource);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  gate(text);
  report(text);
  return 0;
}
