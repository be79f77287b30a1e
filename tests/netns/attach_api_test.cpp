// The attach library itself, hook family by hook family, as the kernel's
// selftests check their attach APIs (prog_tests/xdp_attach.c): attach
// through attach_filter (or SocketGuard), check the kernel runs the
// recorded program there, detach, check nothing of ours is left: no record,
// no pin, the program unloaded. The other tests reach the library only
// through the xdpfilter binary.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <ostream>
#include <thread>

#include "cgroup_scope.hpp"
#include "errors.hpp"
#include "filter_attach.hpp"
#include "netns.hpp"
#include "rule_files.hpp"
#include "test_namespaces.hpp"

namespace xb {
namespace {

bool program_loaded(std::uint32_t prog_id) {
  const int fd = bpf_prog_get_fd_by_id(prog_id);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

// A detached program is freed once its last reference goes, after an RCU
// grace period (and liveness, for most hooks, is whether the program is
// loaded): wait for it, bounded, rather than race it.
template <class Condition>
bool within(std::chrono::milliseconds limit, Condition done) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

struct AttachCase {
  const char* hook;
  Direction direction;
  friend void PrintTo(const AttachCase& c, std::ostream* os) { *os << c.hook << " " << direction_name(c.direction); }
};

std::string case_name(const ::testing::TestParamInfo<AttachCase>& info) {
  std::string name = std::string(info.param.hook) + "_" + direction_name(info.param.direction);
  for (char& c : name)
    if (c == '-') c = '_';
  return name;
}

class AttachApi : public ::testing::TestWithParam<AttachCase> {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  }

  AttachRequest request(Hook hook, Direction direction) const {
    AttachRequest req;
    req.hook = hook;
    req.direction = direction;
    req.netns = topo_.dut_ns;
    TargetFlags flags;
    flags.iface = topo_.dut_if;
    flags.cgroup = cgroup_.path();
    if (is_lwt(hook)) flags.route = "198.19.0.0/24";  // the other hooks refuse --route
    req.target = hook_target(hook, flags);
    return req;
  }

  // The checks every hook shares once its filter is attached, then after detach.
  void expect_attached(const AttachmentRecord& record) const {
    EXPECT_NE(record.prog_id, 0u);
    EXPECT_TRUE(program_loaded(record.prog_id)) << record.where();
    EXPECT_TRUE(is_live(record)) << record.where();
    EXPECT_TRUE(AttachmentStore(state_).find(record.id())) << record.where() << ": not recorded";
    EXPECT_TRUE(std::filesystem::exists(AttachmentStore(state_).pin_dir(record)))
        << record.where() << ": maps not pinned";
  }
  void expect_nothing_left(const AttachmentRecord& record) const {
    EXPECT_TRUE(AttachmentStore(state_).list().empty()) << record.where() << ": a record is left";
    EXPECT_FALSE(std::filesystem::exists(state_.pin_root)) << record.where() << ": pins are left";
    if (is_xdp(record.hook)) {
      // Nothing on the interface. The program itself stays loaded while
      // this process lives: libxdp's calls leave descriptors of it open in
      // the process that attached and detached (seen: three; a known leak,
      // left for now). The CLI's tests check it is gone once xdpfilter exits.
      EXPECT_EQ(xdp_program_on(record), 0u) << record.where();
      return;
    }
    EXPECT_TRUE(within(std::chrono::seconds(5), [&] { return !is_live(record); })) << record.where();
    EXPECT_TRUE(within(std::chrono::seconds(5), [&] { return !program_loaded(record.prog_id); }))
        << record.where() << ": program still loaded";
  }

  // The id of the XDP program the record's interface runs (0: none).
  std::uint32_t xdp_program_on(const AttachmentRecord& record) const {
    NetnsScope in_netns(record.netns);
    std::uint32_t id = 0;
    const int ifindex = std::get<InterfaceTarget>(record.target).ifindex;
    if (bpf_xdp_query_id(ifindex, 0, &id) != 0) return 0;
    return id;
  }

  testing::VethTopology topo_;
  testing::TestCgroup cgroup_;
  testing::ScratchAttachments scratch_{"xbapi"};  // whatever a failed check left is detached
  const StatePaths& state_ = scratch_.paths();
  CompiledRuleSet rules_{default_rule_set()};
};

TEST_P(AttachApi, AttachesTheRecordedProgramAndDetachesLeavingNothing) {
  const Hook hook = parse_hook(GetParam().hook);
  const AttachRequest req = request(hook, GetParam().direction);
  if (is_lwt(hook))  // a route of the DUT's own for the filter to sit on, through the generator
    testing::run_command("ip -n " + topo_.dut_ns + " route add 198.19.0.0/24 via " + testing::VethTopology::kGenAddr);
  if (hook_ops(hook).held_by_process) {
    AttachmentRecord record;
    {
      SocketGuard guard(state_, req, rules_);
      record = guard.record();
      expect_attached(record);
    }  // the guard's end detaches
    expect_nothing_left(record);
    return;
  }
  const AttachmentRecord record = attach_filter(state_, req, rules_);
  expect_attached(record);
  // the same place twice is refused, and the first stays
  EXPECT_THROW(attach_filter(state_, req, rules_), Error);
  EXPECT_TRUE(is_live(record));
  detach_filter(state_, record);
  expect_nothing_left(record);
}

// A request whose target is not the hook's kind (none, or another
// family's) is refused with an Error before anything changes.
TEST_P(AttachApi, RefusesATargetThatIsNotTheHooks) {
  const Hook hook = parse_hook(GetParam().hook);
  AttachRequest req = request(hook, GetParam().direction);
  const HookTarget others_kind = std::holds_alternative<InterfaceTarget>(req.target)
                                     ? HookTarget(CgroupTarget{cgroup_.path()})
                                     : HookTarget(InterfaceTarget{topo_.dut_if, 0});
  for (const HookTarget& wrong : {HookTarget{}, others_kind}) {
    req.target = wrong;
    if (hook_ops(hook).held_by_process)
      EXPECT_THROW(SocketGuard(state_, req, rules_), Error) << GetParam().hook;
    else
      EXPECT_THROW(attach_filter(state_, req, rules_), Error) << GetParam().hook;
    EXPECT_TRUE(AttachmentStore(state_).list().empty());
  }
}

// One case a hook family, both directions where the family has two (tc-act
// needs act_bpf: its own tests run it where the kernel has it).
INSTANTIATE_TEST_SUITE_P(
    Families, AttachApi,
    ::testing::Values(AttachCase{"xdp-native", Direction::Ingress}, AttachCase{"xdp-generic", Direction::Ingress},
                      AttachCase{"tc-cls", Direction::Ingress}, AttachCase{"tc-cls", Direction::Egress},
                      AttachCase{"tcx", Direction::Ingress}, AttachCase{"tcx", Direction::Egress},
                      AttachCase{"cgroup-skb", Direction::Ingress}, AttachCase{"cgroup-skb", Direction::Egress},
                      AttachCase{"netfilter", Direction::Ingress}, AttachCase{"lwt-in", Direction::Ingress},
                      AttachCase{"lwt-xmit", Direction::Egress}, AttachCase{"socket-filter", Direction::Ingress}),
    case_name);

}  // namespace
}  // namespace xb
