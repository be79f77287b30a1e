#include "clsact_qdisc.hpp"

#include <bpf/libbpf.h>
#include <libmnl/libmnl.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include <cerrno>
#include <memory>
#include <vector>

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

bool ClsactQdisc::exists(int ifindex) {
  // RTM_GETQDISC for handle ffff: (clsact's and ingress's) answers with the
  // qdisc or ENOENT; asked of the kernel rather than of `tc qdisc show`
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = RTM_GETQDISC;
  nlh->nlmsg_flags = NLM_F_REQUEST;
  nlh->nlmsg_seq = 1;
  auto* tcm = static_cast<tcmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(tcmsg)));
  tcm->tcm_family = AF_UNSPEC;
  tcm->tcm_ifindex = ifindex;
  tcm->tcm_handle = TC_H_MAKE(TC_H_CLSACT, 0);
  std::unique_ptr<mnl_socket, decltype(&mnl_socket_close)> nl(mnl_socket_open(NETLINK_ROUTE), mnl_socket_close);
  if (!nl || mnl_socket_bind(nl.get(), 0, MNL_SOCKET_AUTOPID) < 0 ||
      mnl_socket_sendto(nl.get(), nlh, nlh->nlmsg_len) < 0)
    throw Error(errno_message("ask for the clsact qdisc of ifindex " + std::to_string(ifindex), errno));
  std::vector<char> reply(MNL_SOCKET_BUFFER_SIZE);
  const auto n = mnl_socket_recvfrom(nl.get(), reply.data(), reply.size());
  if (n < 0) throw Error(errno_message("ask for the clsact qdisc of ifindex " + std::to_string(ifindex), errno));
  if (mnl_cb_run(reply.data(), static_cast<std::size_t>(n), 1, mnl_socket_get_portid(nl.get()), nullptr, nullptr) >= 0)
    return true;
  if (errno == ENOENT || errno == EINVAL) return false;
  throw Error(errno_message("ask for the clsact qdisc of ifindex " + std::to_string(ifindex), errno));
}

}  // namespace xb
