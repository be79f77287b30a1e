#include "tc_attachment.hpp"

#include <bpf/libbpf.h>
#include <fmt/format.h>

#include <cerrno>

#include "clsact_qdisc.hpp"
#include "errors.hpp"

namespace xb {
namespace {

bpf_tc_attach_point attach_point(Direction d) { return d == Direction::Ingress ? BPF_TC_INGRESS : BPF_TC_EGRESS; }

}  // namespace

TcAttachment::TcAttachment(FilterProgram program, int ifindex, const std::string& ifname, Direction direction)
    : program_(std::move(program)) {
  id_.ifindex = ifindex;
  id_.direction = direction;
  const std::string what = fmt::format("attach tc-cls {} on {}", direction_name(direction), ifname);

  ClsactQdisc qdisc(ifindex, direction, what);
  id_.created_qdisc = qdisc.created();

  LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = attach_point(direction));
  LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = program_->prog_fd());
  if (const int err = bpf_tc_attach(&hook, &opts)) throw Error(errno_message(what, err));
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

}  // namespace xb
