#include "tc_act_attachment.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <libmnl/libmnl.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/tc_act/tc_bpf.h>

#include <cerrno>
#include <memory>
#include <vector>

#include "clsact_qdisc.hpp"
#include "errors.hpp"
#include "kernel_config.hpp"

namespace xb {
namespace {

// Our filter's place in the clsact chain: a fixed priority and handle, so
// detach finds it again without asking the kernel.
constexpr std::uint32_t kPriority = 0x7b00;
constexpr std::uint32_t kHandle = 1;

std::uint32_t parent_of(Direction d) {
  return TC_H_MAKE(TC_H_CLSACT, d == Direction::Ingress ? TC_H_MIN_INGRESS : TC_H_MIN_EGRESS);
}

// One rtnetlink request with an ACK; returns 0 or -errno.
class RtnlRequest {
 public:
  RtnlRequest(std::uint16_t type, std::uint16_t flags, int ifindex, Direction direction)
      : buf_(MNL_SOCKET_BUFFER_SIZE) {
    nlh_ = mnl_nlmsg_put_header(buf_.data());
    nlh_->nlmsg_type = type;
    nlh_->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
    nlh_->nlmsg_seq = 1;
    auto* tcm = static_cast<tcmsg*>(mnl_nlmsg_put_extra_header(nlh_, sizeof(tcmsg)));
    tcm->tcm_family = AF_UNSPEC;
    tcm->tcm_ifindex = ifindex;
    tcm->tcm_handle = kHandle;
    tcm->tcm_parent = parent_of(direction);
    tcm->tcm_info = TC_H_MAKE(kPriority << 16, htons(ETH_P_ALL));
  }
  nlmsghdr* msg() { return nlh_; }

  int send() {
    std::unique_ptr<mnl_socket, decltype(&mnl_socket_close)> nl(mnl_socket_open(NETLINK_ROUTE), mnl_socket_close);
    if (!nl || mnl_socket_bind(nl.get(), 0, MNL_SOCKET_AUTOPID) < 0) return -errno;
    if (mnl_socket_sendto(nl.get(), nlh_, nlh_->nlmsg_len) < 0) return -errno;
    std::vector<char> reply(MNL_SOCKET_BUFFER_SIZE);
    const int n = static_cast<int>(mnl_socket_recvfrom(nl.get(), reply.data(), reply.size()));
    if (n < 0) return -errno;
    if (mnl_cb_run(reply.data(), n, 1, mnl_socket_get_portid(nl.get()), nullptr, nullptr) < 0) return -errno;
    return 0;
  }

 private:
  std::vector<char> buf_;
  nlmsghdr* nlh_;
};

}  // namespace

std::string TcActAttachment::missing_kernel_support() {
  for (const auto& [option, what] :
       {std::pair{"CONFIG_NET_ACT_BPF", "act_bpf"}, std::pair{"CONFIG_NET_CLS_MATCHALL", "the matchall classifier"}}) {
    const auto found = kernel_option(option);
    if (found && found->value.empty())
      return fmt::format("this kernel has no {} ({} is not set in {})", what, option, found->source);
  }
  return "";
}

TcActAttachment::TcActAttachment(FilterProgram program, int ifindex, const std::string& ifname, Direction direction)
    : program_(std::move(program)) {
  const std::string what = fmt::format("attach tc-act {} on {}", direction_name(direction), ifname);
  if (const auto missing = missing_kernel_support(); !missing.empty()) throw Error(what + ": " + missing);
  id_.ifindex = ifindex;
  id_.direction = direction;
  id_.handle = kHandle;
  id_.priority = kPriority;

  ClsactQdisc qdisc(ifindex, direction, what);
  id_.created_qdisc = qdisc.created();

  RtnlRequest req(RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_EXCL, ifindex, direction);
  nlmsghdr* nlh = req.msg();
  mnl_attr_put_strz(nlh, TCA_KIND, "matchall");
  nlattr* options = mnl_attr_nest_start(nlh, TCA_OPTIONS);
  nlattr* actions = mnl_attr_nest_start(nlh, TCA_MATCHALL_ACT);
  nlattr* first = mnl_attr_nest_start(nlh, 1);
  mnl_attr_put_strz(nlh, TCA_ACT_KIND, "bpf");
  nlattr* act_options = mnl_attr_nest_start(nlh, TCA_ACT_OPTIONS);
  tc_act_bpf parms{};
  parms.action = TC_ACT_PIPE;  // used only if the program returned TC_ACT_UNSPEC, which ours never does
  mnl_attr_put(nlh, TCA_ACT_BPF_PARMS, sizeof(parms), &parms);
  mnl_attr_put_u32(nlh, TCA_ACT_BPF_FD, static_cast<std::uint32_t>(program_->prog_fd()));
  mnl_attr_put_strz(nlh, TCA_ACT_BPF_NAME, "xb_act_filter");
  mnl_attr_nest_end(nlh, act_options);
  mnl_attr_nest_end(nlh, first);
  mnl_attr_nest_end(nlh, actions);
  mnl_attr_nest_end(nlh, options);
  if (const int err = req.send()) throw Error(errno_message(what + " (matchall + act_bpf)", err));
  qdisc.keep();
  attached_ = true;
}

TcActAttachment::TcActAttachment(TcActAttachment&& other) noexcept
    : program_(std::move(other.program_)),
      id_(other.id_),
      attached_(std::exchange(other.attached_, false)),
      released_(other.released_) {}

TcActAttachment::~TcActAttachment() {
  if (!attached_ || released_) return;
  try {
    detach(id_, id_.created_qdisc, "ifindex " + std::to_string(id_.ifindex));
  } catch (const Error&) {
    // the interface may already be gone with its namespace
  }
}

void TcActAttachment::detach(const TcFilterId& id, bool remove_qdisc, const std::string& ifname) {
  RtnlRequest req(RTM_DELTFILTER, 0, id.ifindex, id.direction);
  mnl_attr_put_strz(req.msg(), TCA_KIND, "matchall");
  if (const int err = req.send())
    throw Error(errno_message(fmt::format("detach tc-act {} from {}", direction_name(id.direction), ifname), err));
  if (remove_qdisc) ClsactQdisc::remove(id.ifindex);
}

TcFilterId TcActAttachment::place(int ifindex, Direction direction) {
  return {ifindex, direction, kHandle, kPriority, !ClsactQdisc::exists(ifindex)};
}

bool TcActAttachment::holds(const TcFilterId& id) {
  RtnlRequest req(RTM_GETTFILTER, 0, id.ifindex, id.direction);
  mnl_attr_put_strz(req.msg(), TCA_KIND, "matchall");
  return req.send() == 0;  // the filter's own message, or ENOENT
}

void TcActAttachment::remove_left_over(const TcFilterId& id) {
  RtnlRequest req(RTM_DELTFILTER, 0, id.ifindex, id.direction);
  mnl_attr_put_strz(req.msg(), TCA_KIND, "matchall");
  req.send();  // ENOENT: killed before it attached
  if (id.created_qdisc) ClsactQdisc::remove(id.ifindex);
}

}  // namespace xb
