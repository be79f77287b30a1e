#include "prog_runner.hpp"

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include <cerrno>
#include <stdexcept>
#include <string>

#include "errors.hpp"

namespace xb::testing {
namespace {

FilterMaps maps_with(const CompiledTable& table) {
  FilterMaps maps = FilterMaps::create();
  maps.install(table);
  return maps;
}


}  // namespace

ProgRunner::ProgRunner(ProgramKind kind, const CompiledTable& table)
    : kind_(kind), program_(FilterProgram::load(kind, maps_with(table))) {}

int ProgRunner::run_raw(std::span<const std::uint8_t> frame, std::uint32_t repeat, std::uint32_t* duration_ns) {
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(), .data_size_in = static_cast<__u32>(frame.size()),
              .repeat = static_cast<int>(repeat));
  const int err = bpf_prog_test_run_opts(program_.prog_fd(), &opts);
  if (err == -EINVAL) return err;
  check_errno(err, "BPF_PROG_TEST_RUN");
  if (duration_ns) *duration_ns = opts.duration;
  return static_cast<int>(opts.retval);
}

Action ProgRunner::action_of(int retval) const {
  if (kind_ == ProgramKind::Xdp) {
    if (retval == XDP_PASS) return Action::Pass;
    if (retval == XDP_DROP) return Action::Drop;
  } else {
    if (retval == 0) return Action::Pass;  // TC_ACT_OK
    if (retval == 2) return Action::Drop;  // TC_ACT_SHOT
  }
  throw std::runtime_error("unexpected program return code " + std::to_string(retval));
}

std::optional<Classification> ProgRunner::run(std::span<const std::uint8_t> frame,
                                              const Classification& expected) {
  const auto& maps = program_.maps();
  const std::uint64_t before = maps.read_counter(expected.rule).packets;
  const int rc = run_raw(frame);
  if (rc == -EINVAL) return std::nullopt;
  const Action action = action_of(rc);
  if (maps.read_counter(expected.rule).packets == before + 1) return Classification{action, expected.rule};

  // Slow path: find the slot that moved. Counters only grow, so compare
  // against a snapshot taken by running the frame once more.
  const CounterSnapshot snap = maps.read_counters();
  run_raw(frame);
  const CounterSnapshot after = maps.read_counters();
  for (std::uint32_t r = 0; r < after.rules.size(); ++r)
    if (after.rules[r].packets != snap.rules[r].packets) return Classification{action, r};
  if (after.no_match.packets != snap.no_match.packets) return Classification{action, XB_RULE_DEFAULT};
  if (after.non_ip.packets != snap.non_ip.packets) return Classification{action, XB_RULE_NON_IP};
  if (after.malformed.packets != snap.malformed.packets) return Classification{action, XB_RULE_MALFORMED};
  return Classification{action, 0xffffffffu};  // counted nowhere
}

}  // namespace xb::testing
