// xdpbench report: result files (run, search, sweep) as a self-contained HTML
// page, its plots drawn by Vega-Lite with the runtime inlined (no network),
// and a Markdown version of its tables.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace xb::bench {

// Writes DIR/report.html and DIR/report.md; returns the exit code.
int run_report(const std::vector<std::string>& result_paths, const std::string& out_dir);

// A result file's text as the report reads it; throws xb::Error naming path.
nlohmann::json parse_report_input(const std::string& text, const std::string& path);

// The page for these (path, result) pairs without the plotting runtime: the
// HTML body (tables, chart elements and the script that draws them) and the
// Markdown. Throws xb::Error naming the file it cannot read.
struct ReportPage {
  std::string html_body, markdown;
};
ReportPage render_report(const std::vector<std::pair<std::string, nlohmann::json>>& docs);

}  // namespace xb::bench
