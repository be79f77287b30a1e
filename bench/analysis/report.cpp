#include "report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "errors.hpp"
#include "result_file.hpp"

namespace xb {
// bench/report/node_modules, embedded by CMake (bench/analysis/CMakeLists.txt)
const std::string& vega_js();
const std::string& vega_lite_js();
const std::string& vega_embed_js();
}  // namespace xb

namespace xb::bench {
namespace {

using nlohmann::json;

// What every result (run, search, sweep) has, checked before any section reads it.
json checked_input(json doc, const std::string& path) {
  if (!doc.is_object() || !doc.contains("command") || !doc.contains("results"))
    throw Error(path + ": not an xdpbench result file (no \"command\" or \"results\")");
  return doc;
}

json load(const std::string& path) { return checked_input(read_json_file(path), path); }

std::string html_escape(const std::string& s) {
  std::string out;
  for (const char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// A member of nested objects, or null where one is missing or not an object:
// const json's operator[] reads past the end on a missing key.
const json& field(const json& v, const char* key) {
  static const json kNull;
  if (!v.is_object()) return kNull;
  const auto it = v.find(key);
  return it == v.end() ? kNull : *it;
}
template <typename... Keys>
const json& field(const json& v, const char* key, const char* next, Keys... rest) {
  return field(field(v, key), next, rest...);
}

// A result of another shape (another schema, a hand edit) gets an error
// naming its file, not the JSON library's exception.
template <typename Fn>
void reading(const std::string& path, Fn&& fn) {
  try {
    fn();
  } catch (const json::exception& e) {
    throw Error(fmt::format("{}: not a result this xdpbench reads: {}", path, e.what()));
  }
}

std::string num(const json& v, int digits = 3) {
  if (!v.is_number()) return "-";
  return fmt::format("{:.{}f}", v.get<double>(), digits);
}

// A table both as HTML and as Markdown.
struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;

  std::string html() const {
    std::string s = "<table><tr>";
    for (const auto& h : header) s += "<th>" + html_escape(h) + "</th>";
    s += "</tr>\n";
    for (const auto& r : rows) {
      s += "<tr>";
      for (const auto& c : r) s += "<td>" + html_escape(c) + "</td>";
      s += "</tr>\n";
    }
    return s + "</table>\n";
  }
  std::string markdown() const {
    std::string s = "| " + fmt::format("{}", fmt::join(header, " | ")) + " |\n|";
    for (std::size_t i = 0; i < header.size(); ++i) s += i ? "---:|" : "---|";
    s += "\n";
    for (const auto& r : rows) s += "| " + fmt::format("{}", fmt::join(r, " | ")) + " |\n";
    return s;
  }
};

struct Page {
  std::string html, md;
  std::vector<std::pair<std::string, json>> charts;  // element id, Vega-Lite spec

  void heading(const std::string& text) {
    html += "<h2>" + html_escape(text) + "</h2>\n";
    md += "\n## " + text + "\n\n";
  }
  void para(const std::string& text) {
    html += "<p>" + html_escape(text) + "</p>\n";
    md += text + "\n\n";
  }
  void table(const Table& t) {
    html += t.html();
    md += t.markdown() + "\n";
  }
  void chart(const json& spec) {
    const std::string id = fmt::format("chart{}", charts.size());
    html += fmt::format("<div class=\"chart\" id=\"{}\"></div>\n", id);
    charts.push_back({id, spec});
  }
};

json vl(const std::string& title, json data, json mark, json encoding) {
  return {{"$schema", "https://vega.github.io/schema/vega-lite/v5.json"},
          {"title", title},
          {"width", 640},
          {"height", 280},
          {"data", {{"values", std::move(data)}}},
          {"mark", std::move(mark)},
          {"encoding", std::move(encoding)}};
}

// "dut0 (veth, firmware -, queues rx 1 tx 1)", or "?" for a result that does not say.
std::string dut_nic_text(const json& nic) {
  if (!nic.is_object()) return "?";
  const auto text = [](const json& v) { return v.is_string() ? v.get<std::string>() : v.is_null() ? "-" : v.dump(); };
  const json q = nic.value("queues", json());
  return fmt::format("{} ({}, firmware {}, queues {})", text(nic.value("interface", json())),
                     text(nic.value("driver", json())), text(nic.value("firmware", json())),
                     q.is_object() ? fmt::format("rx {} tx {} combined {}", text(q.value("rx", json())),
                                                 text(q.value("tx", json())), text(q.value("combined", json())))
                                   : "-");
}

void environment_section(Page& page, const std::vector<std::pair<std::string, json>>& docs) {
  page.heading("Environment");
  Table t{{"result file", "command", "kernel", "CPU", "CPUs", "git revision", "xdpbench", "topology", "rules",
           "rule set digest", "frame size", "traffic", "DUT NIC", "generator"},
          {}};
  for (const auto& [path, doc] : docs)
    reading(path, [&, &path = path, &doc = doc] {
      const json env = doc.value("environment", json::object());
      const json cfg = doc.value("config", json::object());
      t.rows.push_back(
          {std::filesystem::path(path).filename().string(), doc.value("command", "?"), env.value("kernel", "?"),
           env.value("cpu_model", "?"), env.contains("cpus_online") ? env["cpus_online"].dump() : "?",
           env.value("git_revision", "?"), env.value("xdpbench_version", "?"), cfg.value("topology", "?"),
           cfg.contains("rules") ? fmt::format("{} ({})", cfg["rules"].dump(), cfg.value("rules_source", "?"))
                                 : "synthetic, per point",
           cfg.value("rules_digest", "-"), cfg.contains("frame_size") ? cfg["frame_size"].dump() : "?",
           cfg.contains("traffic_file") && cfg["traffic_file"].is_object()
               ? fmt::format("{} frames of {} ({})", cfg["traffic_file"].value("frames", 0),
                             cfg["traffic_file"].value("path", "?"), cfg["traffic_file"].value("format", "?"))
           : cfg.contains("mix") ? fmt::format("{} mix, {} flows, IPv6 share {}", cfg.value("mix", "?"),
                                               cfg.contains("flows") ? cfg["flows"].dump() : "?",
                                               cfg.contains("ipv6_share") ? cfg["ipv6_share"].dump() : "0")
                                 : "?",
           dut_nic_text(env.value("dut_nic", json())), env.value("generator", "?")});
    });
  page.table(t);
}

// "median (min-max)" of a spread object; "-" where the figure is null or absent.
std::string cost(const json& spread) {
  if (!spread.is_object()) return "-";
  return fmt::format("{} ({}-{})", num(field(spread, "median"), 1), num(field(spread, "min"), 1),
                     num(field(spread, "max"), 1));
}

void run_section(Page& page, const std::string& path, const json& doc) {
  const RunResult run = read_run_result(doc, path);
  page.heading("Rate and latency per hook (" + std::filesystem::path(path).filename().string() + ")");
  const json& cfg = run.config;
  page.para(fmt::format(
      "{} trials of {} s per hook, interleaved with xdp-noop; medians with min-max. Ratios are to xdp-noop (the "
      "rig's own limit) and to xdp-native from the same run.",
      cfg.contains("repeat") ? cfg["repeat"].dump() : "?",
      cfg.contains("duration_s") ? cfg["duration_s"].dump() : "?"));
  Table t{{"hook", "kind", "rx Mpps", "min-max", "vs xdp-noop", "vs xdp-native", "prog ns/pkt (min-max)",
           "DUT CPU ns/pkt (min-max)", "generator-bound", "drop Mpps", "loss %", "hook latency p50/p99/p99.9 us"},
          {}};
  json bars = json::array(), cdf = json::array();
  // the generator's ceiling first (results made before it was measured have none)
  std::vector<const HookResult*> entries;
  if (run.generator_ceiling) entries.push_back(&*run.generator_ceiling);
  for (const auto& r : run.results) entries.push_back(&r);
  std::vector<std::string> bound;
  for (const HookResult* r : entries) {
    const std::string& hook = r->hook;
    const json& s = r->summary;
    const bool ceiling = r == entries.front() && run.generator_ceiling;
    const std::string kind = ceiling                                     ? "generator ceiling"
                             : s.value("baseline", false)                ? "baseline"
                             : hook == "xdp-noop" || hook == "xdp-parse" ? "reference"
                                                                         : "xdpbench";
    const json lat = s.value("hook_latency_us", json());
    // older results do not say: unknown, not "no"
    const json gb = s.value("generator_bound", json());
    if (!ceiling && gb == true)
      bound.push_back(hook + ": " +
                      (s.value("generator_bound_why", json()).is_string() ? s["generator_bound_why"].get<std::string>()
                                                                          : std::string("?")));
    t.rows.push_back({hook, kind, num(field(s, "rx_mpps", "median")),
                      fmt::format("{}-{}", num(field(s, "rx_mpps", "min")), num(field(s, "rx_mpps", "max"))),
                      num(field(s, "rx_ratio_to_noop"), 2), num(s.value("rx_ratio_to_native", json()), 2),
                      cost(s.value("ns_per_pkt", json())), cost(s.value("dut_cpu_ns_per_pkt", json())),
                      ceiling           ? "-"
                      : gb.is_boolean() ? (gb == true ? "yes" : "no")
                                        : "?",
                      num(field(s, "drop_mpps", "median")), num(field(s, "loss_pct", "median"), 2),
                      lat.is_object()
                          ? fmt::format("{}/{}/{}", num(field(lat, "p50", "median"), 1),
                                        num(field(lat, "p99", "median"), 1), num(field(lat, "p99.9", "median"), 1))
                          : "-"});
    bars.push_back({{"hook", hook},
                    {"kind", kind},
                    {"median", field(s, "rx_mpps", "median")},
                    {"min", field(s, "rx_mpps", "min")},
                    {"max", field(s, "rx_mpps", "max")}});
    for (const auto& point : s.value("hook_latency_cdf", json::array()))
      cdf.push_back({{"hook", hook}, {"latency_us", point.at(0).get<double>() / 1e3}, {"fraction", point.at(1)}});
  }
  page.table(t);
  page.para(
      "prog ns/pkt: the hook's program alone (bpf_stats; a DPDK baseline's loop by its TSC). DUT CPU ns/pkt: the "
      "CPU time of the DUT's work on its own core (its NAPI threads, that core's ksoftirqd, a DPDK application) per "
      "packet the hook handled, the veth receive path and the stack around the hook included (a DPDK poll loop is "
      "busy whether packets come or not).");
  const json cpus = cfg.value("cpus", json());
  if (!cpus.is_array())
    page.para(cfg.contains("cpus")
                  ? "DUT CPU ns/pkt is absent: the run did not pin the DUT's receive work to a core of its own "
                    "(--cpu=GEN,DUT); without it the generator's core also does the DUT's work."
                  : "DUT CPU ns/pkt is absent: the result predates it.");
  if (run.generator_ceiling)
    page.para(
        fmt::format("generator ceiling: {}, the same traffic into an XDP program at the DUT that drops every "
                    "frame at once. Generator-bound (compare ns/pkt, not rates): {}.",
                    run.generator_ceiling->hook, bound.empty() ? "none" : fmt::format("{}", fmt::join(bound, "; "))));
  for (const auto& [hook, why] : run.skipped) page.para("skipped: " + hook + ": " + why);
  json order = json::array();
  for (const auto& b : bars) order.push_back(b["hook"]);
  json rate = {{"$schema", "https://vega.github.io/schema/vega-lite/v5.json"},
               {"title", "rx rate per hook: median, min-max"},
               {"width", 640},
               {"data", {{"values", bars}}},
               {"encoding", {{"y", {{"field", "hook"}, {"type", "nominal"}, {"sort", order}, {"title", nullptr}}}}},
               {"layer",
                {{{"mark", "bar"},
                  {"encoding",
                   {{"x", {{"field", "median"}, {"type", "quantitative"}, {"title", "Mpps"}}},
                    {"color", {{"field", "kind"}, {"type", "nominal"}}}}}},
                 {{"mark", {{"type", "rule"}, {"color", "black"}}},
                  {"encoding", {{"x", {{"field", "min"}, {"type", "quantitative"}}}, {"x2", {{"field", "max"}}}}}}}}};
  page.chart(rate);
  if (!cdf.empty())
    page.chart(vl("one-way latency from the generator to the hook: CDF", cdf,
                  {{"type", "line"}, {"interpolate", "step-after"}},
                  {{"x",
                    {{"field", "latency_us"},
                     {"type", "quantitative"},
                     {"scale", {{"type", "log"}}},
                     {"title", "latency (us, log scale)"}}},
                   {"y", {{"field", "fraction"}, {"type", "quantitative"}, {"title", "share of packets"}}},
                   {"color", {{"field", "hook"}, {"type", "nominal"}}}}));
}

void search_section(Page& page, const std::string& path, const json& doc) {
  const double loss = doc.value("loss_tolerance_pct", 0.0);
  page.heading(fmt::format("{} throughput per frame size ({})", loss == 0 ? "NDR" : fmt::format("PDR ({}% loss)", loss),
                           std::filesystem::path(path).filename().string()));
  Table t{{"hook", "frame size", "Mpps", "Gbit/s", "final loss %", "search steps"}, {}};
  json points = json::array();
  for (const auto& r : doc.at("results")) {
    const json& f = r.at("final_trial");
    const double offered = f.value("offered", 0.0);
    const double final_loss =
        offered > 0 ? std::max(0.0, 100 * (offered - f.value("dropped", 0.0) - f.value("delivered", 0.0)) / offered)
                    : 0;
    t.rows.push_back({r.at("hook"), r.at("frame_size").dump(), num(field(r, "throughput_mpps")),
                      num(field(r, "throughput_gbps")), num(json(final_loss), 2), r.at("search_steps").dump()});
    points.push_back(
        {{"hook", field(r, "hook")}, {"frame_size", field(r, "frame_size")}, {"mpps", field(r, "throughput_mpps")}});
  }
  page.table(t);
  page.chart(vl("throughput against frame size", points, {{"type", "line"}, {"point", true}},
                {{"x", {{"field", "frame_size"}, {"type", "quantitative"}, {"title", "frame size (bytes)"}}},
                 {"y", {{"field", "mpps"}, {"type", "quantitative"}, {"title", "Mpps"}}},
                 {"color", {{"field", "hook"}, {"type", "nominal"}}}}));
}

void sweep_section(Page& page, const std::string& path, const json& doc) {
  page.heading("Rule-count scaling (" + std::filesystem::path(path).filename().string() + ")");
  Table t{{"rules", "hook", "rx Mpps", "min-max", "vs xdp-noop", "vs xdp-native", "ns/pkt"}, {}};
  json points = json::array();
  for (const auto& r : doc.at("results")) {
    const json ns = r.value("ns_per_pkt", json());
    t.rows.push_back({r.at("rules").dump(), r.at("hook"), num(field(r, "rx_mpps", "median")),
                      fmt::format("{}-{}", num(field(r, "rx_mpps", "min")), num(field(r, "rx_mpps", "max"))),
                      num(field(r, "rx_ratio_to_noop"), 2), num(r.value("rx_ratio_to_native", json()), 2),
                      ns.is_object() ? num(field(ns, "median"), 1) : "-"});
    points.push_back(
        {{"hook", field(r, "hook")}, {"rules", field(r, "rules")}, {"mpps", field(r, "rx_mpps", "median")}});
  }
  page.table(t);
  page.chart(vl(
      "rx rate against the number of rules", points, {{"type", "line"}, {"point", true}},
      {{"x",
        {{"field", "rules"}, {"type", "quantitative"}, {"scale", {{"type", "log"}}}, {"title", "rules (log scale)"}}},
       {"y",
        {{"field", "mpps"}, {"type", "quantitative"}, {"scale", {{"type", "log"}}}, {"title", "Mpps (log scale)"}}},
       {"color", {{"field", "hook"}, {"type", "nominal"}}}}));
}

// A <script> body must not contain "</script": the runtime is minified JS,
// where it could only appear inside a string.
std::string script(const std::string& js) {
  std::string out;
  out.reserve(js.size());
  for (std::size_t i = 0; i < js.size(); ++i) {
    if (js.compare(i, 8, "</script") == 0) {
      out += "<\\/script";
      i += 7;
    } else {
      out += js[i];
    }
  }
  return "<script>" + out + "</script>\n";
}

}  // namespace

json parse_report_input(const std::string& text, const std::string& path) {
  return checked_input(parse_json_text(text, path), path);
}

ReportPage render_report(const std::vector<std::pair<std::string, json>>& docs) {
  Page page;
  page.md = "# xdpbench report\n";
  environment_section(page, docs);
  for (const auto& [path, doc] : docs)
    reading(path, [&, &path = path, &doc = doc] {
      const std::string command = doc.value("command", "");
      if (command == "run")
        run_section(page, path, doc);
      else if (command == "search")
        search_section(page, path, doc);
      else if (command == "sweep")
        sweep_section(page, path, doc);
      else
        throw Error(fmt::format("{}: a \"{}\" result; report takes run, search and sweep results", path, command));
    });
  page.md += "\nThe plots are in report.html.\n";
  page.html += "<script>\n";
  for (const auto& [id, spec] : page.charts)
    page.html += fmt::format("vegaEmbed('#{}', {}, {{actions: false, renderer: 'svg'}});\n", id, spec.dump());
  page.html += "</script>\n";
  return {std::move(page.html), std::move(page.md)};
}

int run_report(const std::vector<std::string>& paths, const std::string& out_dir) {
  if (paths.empty()) throw Error("report: name at least one result file");
  std::vector<std::pair<std::string, json>> docs;
  docs.reserve(paths.size());
  for (const auto& p : paths) docs.push_back({p, load(p)});
  const ReportPage page = render_report(docs);

  const std::string html =
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>xdpbench report</title>\n"
      "<style>body{font-family:sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse;margin:1em 0}"
      "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}"
      ".chart{margin:1em 0}</style>\n" +
      script(vega_js()) + script(vega_lite_js()) + script(vega_embed_js()) +
      "</head><body>\n<h1>xdpbench report</h1>\n" + page.html_body + "</body></html>\n";

  std::filesystem::create_directories(out_dir);
  const auto html_path = std::filesystem::path(out_dir) / "report.html";
  const auto md_path = std::filesystem::path(out_dir) / "report.md";
  std::ofstream(html_path) << html;
  std::ofstream(md_path) << page.markdown;
  fmt::print("wrote {} and {}\n", html_path.string(), md_path.string());
  return 0;
}

}  // namespace xb::bench
