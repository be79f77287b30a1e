// The filter's classifier next to DPDK's rte_acl, both native, on the same
// ClassBench filter sets and the same packets: the best software classifier
// is the bar the decision trees are held to (bpf/README.md, "Next to
// rte_acl"). Per set: build time, table size (ours; rte_acl has no API for
// its own), and ns per packet on the set's trace and on uniformly random
// TCP/UDP headers, each the fastest of a few passes over distinct packets in
// turn (so caches and branch predictors see a stream, not one packet). The
// two must agree on every packet's action; a disagreement is an error.
//
// With --serial, each packet starts only when the previous one has finished
// (an lfence between them): the latency of one classification, as the rig's
// bpf_stats measures it (its clock reads around every run keep one run from
// overlapping the next), not the throughput of a stream whose independent
// lookups the CPU overlaps (bpf/README.md, "Where the rig's time goes").
//
//   xb_classifier_compare [--serial] SET...   (ClassBench filter files; SET_trace beside them)
#include <rte_eal.h>
#include <rte_errno.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "acl_classifier.hpp"
#include "classbench_rules.hpp"
#include "oracle_headers.hpp"
#include "packet_builder.hpp"
#include "reference_model.hpp"
#include "rule_compiler.hpp"

namespace {

using Frames = std::vector<std::vector<std::uint8_t>>;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kPackets = 100000;
constexpr int kPasses = 5;
bool g_serial = false;

Frames frames_of(const std::vector<xb::fixtures::OracleHeaders>& headers) {
  Frames out;
  for (std::size_t i = 0; i < headers.size() && out.size() < kPackets; ++i)
    out.push_back(xb::fixtures::build_frame(xb::fixtures::packet_spec(headers[i])));
  return out;
}

// The fastest pass's ns per packet.
template <typename Classify>
double ns_per_packet(const Frames& frames, Classify&& classify) {
  double best = 1e18;
  unsigned sink = 0;
  for (int pass = 0; pass < kPasses; ++pass) {
    const auto start = Clock::now();
    for (const auto& f : frames) {
      sink += static_cast<unsigned>(classify(f));
#if defined(__x86_64__)
      if (g_serial) _mm_lfence();  // the next packet's loads wait for this one's
#endif
    }
    best = std::min(best, std::chrono::duration<double, std::nano>(Clock::now() - start).count());
  }
  if (sink == 0xdeadbeef) std::puts("");  // keep the work
  return best / static_cast<double>(frames.size());
}

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

int compare(const std::string& path) {
  const xb::RuleSet rules = xb::load_classbench_file(path, xb::Action::Drop);
  auto start = Clock::now();
  const xb::CompiledTable table = xb::compile_rules(rules);
  const double ours_build = ms_since(start);
  start = Clock::now();
  const xb::dpdk::AclClassifier acl(rules);
  const double acl_build = ms_since(start);

  const std::string name = std::filesystem::path(path).filename();
  int disagreements = 0;
  for (const bool trace : {true, false}) {
    if (trace && !std::filesystem::exists(path + "_trace")) continue;
    const Frames frames = frames_of(trace ? xb::fixtures::read_classbench_trace(path + "_trace")
                                          : xb::fixtures::random_headers(kPackets, 11));
    for (const auto& f : frames)
      disagreements += xb::classify(table, f).action != acl.classify(f.data(), static_cast<std::uint32_t>(f.size()));
    const double ours = ns_per_packet(frames, [&](const auto& f) { return xb::classify(table, f).rule; });
    const double theirs = ns_per_packet(
        frames, [&](const auto& f) { return acl.classify(f.data(), static_cast<std::uint32_t>(f.size())); });
    std::printf("%-10s %-6s %7zu %8zu %10.1f %10.1f %12.1f %12.1f %8.2f\n", name.c_str(), trace ? "trace" : "random",
                rules.rules.size(), frames.size(), ours, theirs, ours_build, acl_build, ours / theirs);
  }
  std::printf("%-10s table %.1f KiB\n", name.c_str(), static_cast<double>(table.bytes()) / 1024);
  if (disagreements)
    std::fprintf(stderr, "%s: rte_acl and the trees disagree on %d packets\n", path.c_str(), disagreements);
  return disagreements ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  int first_set = 1;
  if (argc > 1 && std::string(argv[1]) == "--serial") {
#if !defined(__x86_64__)
    std::fprintf(stderr, "xb_classifier_compare: --serial: only on x86-64 (it needs lfence)\n");
    return 2;
#endif
    g_serial = true;
    first_set = 2;
  }
  if (argc <= first_set) {
    std::fprintf(stderr, "usage: xb_classifier_compare [--serial] CLASSBENCH_SET...\n");
    return 2;
  }
  // rte_acl allocates from DPDK's heap: an EAL without hugepages or devices
  const std::string prefix = "--file-prefix=xbcmp-" + std::to_string(::getpid());
  const char* eal[] = {
      "xb_classifier_compare",     "--no-huge",   "-m", "1024", "--no-pci", "--no-shconf", "--no-telemetry",
      "--log-level=lib.eal:error", prefix.c_str()};
  if (rte_eal_init(static_cast<int>(std::size(eal)), const_cast<char**>(eal)) < 0) {
    std::fprintf(stderr, "xb_classifier_compare: EAL init: %s\n", rte_strerror(rte_errno));
    return 1;
  }
  std::printf("%-10s %-6s %7s %8s %10s %10s %12s %12s %8s\n", "set", "pkts", "rules", "packets", "trees ns",
              "rte_acl ns", "trees build", "acl build ms", "ratio");
  int rc = 0;
  for (int i = first_set; i < argc; ++i) {
    try {
      rc |= compare(argv[i]);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "xb_classifier_compare: %s\n", e.what());
      rc = 1;
    }
  }
  rte_eal_cleanup();
  return rc;
}
