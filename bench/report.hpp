// xdpbench report: result files (run, search, sweep) as a self-contained HTML
// page, its plots drawn by Vega-Lite with the runtime inlined (no network),
// and a Markdown version of its tables.
#pragma once

#include <string>
#include <vector>

namespace xb::bench {

// Writes DIR/report.html and DIR/report.md; returns the exit code.
int run_report(const std::vector<std::string>& result_paths, const std::string& out_dir);

}  // namespace xb::bench
