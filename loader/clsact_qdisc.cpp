#include "clsact_qdisc.hpp"

#include <bpf/libbpf.h>

#include <cerrno>

#include "errors.hpp"

namespace xb {

ClsactQdisc::ClsactQdisc(int ifindex, Direction direction, const std::string& what) : ifindex_(ifindex) {
  LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
              .attach_point = direction == Direction::Ingress ? BPF_TC_INGRESS : BPF_TC_EGRESS);
  const int err = bpf_tc_hook_create(&hook);
  if (err && err != -EEXIST) throw Error(errno_message(what + ": create clsact qdisc", err));
  created_ = err == 0;
}

ClsactQdisc::~ClsactQdisc() {
  if (created_ && !kept_) remove(ifindex_);
}

void ClsactQdisc::remove(int ifindex) {
  // both attach points together name the whole qdisc
  LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
              .attach_point = static_cast<bpf_tc_attach_point>(BPF_TC_INGRESS | BPF_TC_EGRESS));
  bpf_tc_hook_destroy(&hook);
}

}  // namespace xb
