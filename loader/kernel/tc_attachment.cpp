#include "tc_attachment.hpp"

#include <bpf/libbpf.h>
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>

#include "clsact_qdisc.hpp"
#include "errors.hpp"

namespace xb {
namespace {

bpf_tc_attach_point attach_point(Direction d) { return d == Direction::Ingress ? BPF_TC_INGRESS : BPF_TC_EGRESS; }

// Our filter's place in the clsact chain (tc-act's is 0x7b00): fixed, so
// recovery after a kill finds it without a record. A lower number runs
// earlier than filters added without a priority (the kernel gives 0xc000 down).
constexpr std::uint32_t kPriority = 0x7b01;
constexpr std::uint32_t kHandle = 1;

}  // namespace

TcAttachment::TcAttachment(FilterProgram program, int ifindex, const std::string& ifname, Direction direction)
    : TcAttachment(program.prog_fd(), ifindex, ifname, direction) {
  program_ = std::move(program);
}

TcAttachment::TcAttachment(int prog_fd, int ifindex, const std::string& ifname, Direction direction) {
  id_.ifindex = ifindex;
  id_.direction = direction;
  const std::string what = fmt::format("attach tc-cls {} on {}", direction_name(direction), ifname);

  ClsactQdisc qdisc(ifindex, direction, what);
  id_.created_qdisc = qdisc.created();

  LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = attach_point(direction));
  LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = prog_fd, .handle = kHandle, .priority = kPriority);
  if (const int err = bpf_tc_attach(&hook, &opts)) {
    if (err == -EEXIST)
      throw Error(
          fmt::format("{}: another filter holds priority {:#x} handle {} there, the place this project's "
                      "tc-cls filters take",
                      what, kPriority, kHandle));
    throw Error(errno_message(what, err));
  }
  qdisc.keep();
  id_.handle = opts.handle;
  id_.priority = opts.priority;
  attached_ = true;
}

TcAttachment::TcAttachment(TcAttachment&& other) noexcept
    : program_(std::move(other.program_)),
      id_(other.id_),
      attached_(std::exchange(other.attached_, false)),
      released_(other.released_) {}

TcAttachment::~TcAttachment() {
  if (!attached_ || released_) return;
  try {
    detach(id_, id_.created_qdisc, "ifindex " + std::to_string(id_.ifindex));
  } catch (const Error&) {
    // the interface may already be gone with its namespace
  }
}

void TcAttachment::detach(const TcFilterId& id, bool remove_qdisc, const std::string& ifname) {
  LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = id.ifindex, .attach_point = attach_point(id.direction));
  LIBBPF_OPTS(bpf_tc_opts, opts, .handle = id.handle, .priority = id.priority);
  int err = bpf_tc_detach(&hook, &opts);
  if (err)
    throw Error(errno_message(fmt::format("detach tc-cls {} from {}", direction_name(id.direction), ifname), err));
  if (remove_qdisc) ClsactQdisc::remove(id.ifindex);
}

TcFilterId TcAttachment::place(int ifindex, Direction direction) {
  return {ifindex, direction, kHandle, kPriority, !ClsactQdisc::exists(ifindex)};
}

bool TcAttachment::holds(const TcFilterId& id, std::uint32_t prog_id) {
  LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = id.ifindex, .attach_point = attach_point(id.direction));
  LIBBPF_OPTS(bpf_tc_opts, opts, .handle = id.handle, .priority = id.priority);
  return bpf_tc_query(&hook, &opts) == 0 && opts.prog_id == prog_id;
}

void TcAttachment::remove_left_over(const TcFilterId& id, const std::vector<std::uint32_t>& prog_ids) {
  LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = id.ifindex, .attach_point = attach_point(id.direction));
  LIBBPF_OPTS(bpf_tc_opts, opts, .handle = id.handle, .priority = id.priority);
  if (bpf_tc_query(&hook, &opts) == 0 && std::find(prog_ids.begin(), prog_ids.end(), opts.prog_id) != prog_ids.end()) {
    LIBBPF_OPTS(bpf_tc_opts, ours, .handle = id.handle, .priority = id.priority);
    bpf_tc_detach(&hook, &ours);
  }
  if (id.created_qdisc) ClsactQdisc::remove(id.ifindex);
}

}  // namespace xb
