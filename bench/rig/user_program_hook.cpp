#include "user_program_hook.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fmt/format.h>

#include <optional>
#include <vector>

#include "errors.hpp"
#include "link_attachment.hpp"
#include "netns.hpp"
#include "tc_attachment.hpp"
#include "xdp_program_attachment.hpp"

namespace xb::bench {
namespace {

bool is_xdp_hook(const std::string& hook) { return hook == "xdp-native" || hook == "xdp-generic"; }

// The last lines of the verifier's log: where it gave up and why.
std::string log_tail(const std::string& log, std::size_t lines = 12) {
  std::size_t end = log.find_last_not_of("\n\0 ");
  if (end == std::string::npos) return "(the kernel gave no log)";
  std::size_t start = end + 1;
  for (std::size_t n = 0; n < lines && start > 0; ++n) {
    const auto nl = log.rfind('\n', start - 1 > 0 ? start - 2 : 0);
    start = nl == std::string::npos ? 0 : nl + 1;
    if (nl == std::string::npos) break;
  }
  return log.substr(start, end + 1 - start);
}

// The user's object with only the chosen program loaded.
class LoadedObject {
 public:
  LoadedObject(const UserProgram& up, const std::string& hook) : log_(1 << 20, '\0') {
    object_ = bpf_object__open_file(up.path.c_str(), nullptr);
    if (!object_) throw Error(errno_message("--prog " + up.path + ": cannot open the BPF object", errno));
    bpf_program* p = nullptr;
    bpf_object__for_each_program(p, object_) {
      const bool chosen = !program_ && (up.section.empty() || up.section == bpf_program__section_name(p) ||
                                        up.section == bpf_program__name(p));
      if (chosen) program_ = p;
      bpf_program__set_autoload(p, chosen);
    }
    if (!program_) {
      bpf_object__close(object_);
      throw Error(up.section.empty()
                      ? fmt::format("--prog {}: the object has no program", up.path)
                      : fmt::format("--prog {}: no program in section or named \"{}\"", up.path, up.section));
    }
    const bpf_prog_type want = is_xdp_hook(hook) ? BPF_PROG_TYPE_XDP : BPF_PROG_TYPE_SCHED_CLS;
    const bpf_prog_type have = bpf_program__type(program_);
    if (have == BPF_PROG_TYPE_UNSPEC) {
      bpf_program__set_type(program_, want);  // a section name libbpf does not know: take the hook's
    } else if (have != want) {
      const std::string what = fmt::format("{}:{}", up.path, bpf_program__section_name(program_));
      bpf_object__close(object_);
      throw Error(fmt::format("--prog {} is a {} program; --hook={} needs {}", what, libbpf_bpf_prog_type_str(have),
                              hook, libbpf_bpf_prog_type_str(want)));
    }
    bpf_program__set_log_buf(program_, log_.data(), log_.size());
    bpf_program__set_log_level(program_, 1);
    if (const int err = bpf_object__load(object_)) {
      const std::string why = log_tail(log_.substr(0, log_.find('\0')));
      bpf_object__close(object_);
      throw Error(fmt::format("--prog {}: the kernel refused it ({}); the verifier said:\n{}", up.label(),
                              errno_message("load", -err), why));
    }
  }
  ~LoadedObject() { bpf_object__close(object_); }
  LoadedObject(const LoadedObject&) = delete;
  LoadedObject& operator=(const LoadedObject&) = delete;
  int fd() const { return bpf_program__fd(program_); }

 private:
  std::string log_;
  bpf_object* object_ = nullptr;
  bpf_program* program_ = nullptr;
};

struct RunStats {
  std::uint64_t count = 0, ns = 0;
};

RunStats run_stats(int prog_fd) {
  bpf_prog_info info{};
  __u32 len = sizeof(info);
  if (bpf_obj_get_info_by_fd(prog_fd, &info, &len)) return {};
  return {info.run_cnt, info.run_time_ns};
}

class UserProgramHook final : public HookUnderTest {
 public:
  UserProgramHook(const UserProgram& up, const std::string& hook, const Topology& topo)
      : HookUnderTest(hook), object_(up, hook), ns_(topo.dut().ns) {
    // through the loader's attachments, as the filter's: the caller (this
    // hook) keeps the program; each takes off exactly what it put there
    const std::string where = fmt::format("--prog {} at {} on {} (netns {})", up.label(), hook, topo.dut().dev, ns_);
    const int ifindex = topo.dut().ifindex;
    if (is_xdp_hook(hook)) {
      xdp_.emplace(object_.fd(), ifindex, ns_, hook == "xdp-native" ? XdpMode::Native : XdpMode::Generic,
                   /*replace=*/false, where);
      return;
    }
    const NetnsScope in(ns_);
    try {
      if (hook == "tcx")
        tcx_.emplace(LinkAttachment::tcx(object_.fd(), ifindex, topo.dut().dev, Direction::Ingress));
      else  // tc-cls: clsact, direct action; the qdisc goes with it if it made it
        tc_.emplace(object_.fd(), ifindex, topo.dut().dev, Direction::Ingress);
    } catch (const Error& e) {
      throw Error(fmt::format("{}: {}", where, e.what()));
    }
  }

  ~UserProgramHook() override {
    try {
      const NetnsScope in(ns_);  // tc and tcx take their program off in the current netns
      tc_.reset();
      tcx_.reset();
    } catch (const Error&) {
      // the namespace is gone, and the interface with what was on it
    }
  }

  void reset() override { base_ = run_stats(object_.fd()); }

  HookCounts read() const override {
    const RunStats now = run_stats(object_.fd());
    HookCounts c;
    c.seen = now.count - base_.count;
    c.run_time_ns = now.ns - base_.ns;
    c.has_run_time = true;
    c.has_verdicts = false;
    return c;
  }

 private:
  LoadedObject object_;  // outlives its attachments (declared before them)
  std::string ns_;
  std::optional<XdpProgramAttachment> xdp_;
  std::optional<TcAttachment> tc_;
  std::optional<LinkAttachment> tcx_;
  RunStats base_;
};

}  // namespace

bool user_program_fits(const std::string& hook) { return is_xdp_hook(hook) || hook == "tc-cls" || hook == "tcx"; }

void check_user_program(const UserProgram& program, const std::string& hook) {
  if (!user_program_fits(hook))
    throw Error(
        fmt::format("--prog: --hook={} does not take a user program; xdp-native, xdp-generic, tc-cls or tcx do", hook));
  LoadedObject check(program, hook);
}

std::unique_ptr<HookUnderTest> make_user_program_hook(const UserProgram& program, const std::string& hook,
                                                      const Topology& topo) {
  return std::make_unique<UserProgramHook>(program, hook, topo);
}

}  // namespace xb::bench
