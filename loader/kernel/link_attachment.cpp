#include "link_attachment.hpp"

#include <bpf/bpf.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "errors.hpp"
#include "xb_kernel_ids.h"

namespace xb {
namespace {

constexpr long kCgroup2Magic = 0x63677270;
constexpr std::uint32_t kNfProtoIpv4 = 2, kNfProtoIpv6 = 10;

// BPF_LINK_CREATE's netfilter arguments (Linux 6.4), which neither Debian 12's
// UAPI headers nor its libbpf 1.1 know: the link_create layout spelled out.
struct NetfilterLinkCreate {
  std::uint32_t prog_fd;
  std::uint32_t target_fd;  // unused for netfilter
  std::uint32_t attach_type;
  std::uint32_t flags;
  std::uint32_t pf;
  std::uint32_t hooknum;
  std::int32_t priority;
  std::uint32_t nf_flags;
};

int netfilter_link_create(int prog_fd, std::uint32_t pf, std::uint32_t hooknum, int priority) {
  union {
    bpf_attr attr;
    NetfilterLinkCreate nf;
  } u;
  std::memset(&u, 0, sizeof(u));
  u.nf.prog_fd = static_cast<std::uint32_t>(prog_fd);
  u.nf.attach_type = static_cast<std::uint32_t>(XB_K_BPF_NETFILTER);
  u.nf.pf = pf;
  u.nf.hooknum = hooknum;
  u.nf.priority = priority;
  const long fd = ::syscall(__NR_bpf, BPF_LINK_CREATE, &u.attr, sizeof(u.attr));
  return fd < 0 ? -errno : static_cast<int>(fd);
}

}  // namespace

std::string netfilter_hook_name(NetfilterHook h) { return h == NetfilterHook::PreRouting ? "prerouting" : "input"; }

NetfilterHook parse_netfilter_hook(const std::string& name) {
  if (name == "prerouting") return NetfilterHook::PreRouting;
  if (name == "input") return NetfilterHook::LocalIn;
  throw Error(fmt::format("--nf-hook: '{}': expected prerouting or input", name));
}

LinkAttachment LinkAttachment::tcx(FilterProgram program, int ifindex, const std::string& ifname, Direction direction) {
  LinkAttachment a = tcx(program.prog_fd(), ifindex, ifname, direction);
  return LinkAttachment(std::move(program), std::move(a.links_));
}

LinkAttachment LinkAttachment::tcx(int prog_fd, int ifindex, const std::string& ifname, Direction direction) {
  const std::string what = fmt::format("attach tcx {} on {}", direction_name(direction), ifname);
  const int type = direction == Direction::Ingress ? XB_K_BPF_TCX_INGRESS : XB_K_BPF_TCX_EGRESS;
  if (type < 0) throw Error(what + ": this kernel has no tcx (Linux 6.6+, CONFIG_NET_XGRESS); use --hook=tc-cls");
  const int fd = bpf_link_create(prog_fd, ifindex, static_cast<bpf_attach_type>(type), nullptr);
  if (fd == -EINVAL) throw Error(what + ": refused (tcx needs Linux 6.6+ with CONFIG_NET_XGRESS); use --hook=tc-cls");
  check_errno(fd, what);
  std::vector<UniqueFd> links;
  links.emplace_back(fd);
  return LinkAttachment(std::nullopt, std::move(links));
}

LinkAttachment LinkAttachment::xdp(int prog_fd, int ifindex, const std::string& ifname) {
  LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = XDP_FLAGS_DRV_MODE);
  const int fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &opts);
  check_errno(fd, "attach at native XDP on " + ifname + " (BPF link)");
  std::vector<UniqueFd> links;
  links.emplace_back(fd);
  return LinkAttachment(std::nullopt, std::move(links));
}

LinkAttachment LinkAttachment::cgroup_skb(FilterProgram program, const std::string& cgroup_path, Direction direction) {
  const std::string what = fmt::format("attach cgroup-skb {} on {}", direction_name(direction), cgroup_path);
  UniqueFd cg(::open(cgroup_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!cg) throw Error(errno_message("--cgroup=" + cgroup_path, errno));
  struct statfs st {};
  if (::fstatfs(cg.get(), &st) || st.f_type != kCgroup2Magic)
    throw Error("--cgroup=" + cgroup_path + ": not a cgroup v2 directory (cgroup_skb needs the unified hierarchy)");
  const auto type = direction == Direction::Ingress ? BPF_CGROUP_INET_INGRESS : BPF_CGROUP_INET_EGRESS;
  const int fd = bpf_link_create(program.prog_fd(), cg.get(), type, nullptr);
  check_errno(fd, what);
  std::vector<UniqueFd> links;
  links.emplace_back(fd);
  return LinkAttachment(std::move(program), std::move(links));
}

LinkAttachment LinkAttachment::netfilter(FilterProgram program, NetfilterHook hook, int priority) {
  const std::string what = fmt::format("attach netfilter at {} priority {}", netfilter_hook_name(hook), priority);
  if (XB_K_BPF_NETFILTER < 0) throw Error(what + ": this kernel has no netfilter BPF link (Linux 6.4+)");
  std::vector<UniqueFd> links;
  for (const std::uint32_t pf : {kNfProtoIpv4, kNfProtoIpv6}) {
    const int fd = netfilter_link_create(program.prog_fd(), pf, hook == NetfilterHook::PreRouting ? 0 : 1, priority);
    // links made so far close with `links` when this throws
    check_errno(fd, fmt::format("{} for {}", what, pf == kNfProtoIpv4 ? "IPv4" : "IPv6"));
    links.emplace_back(fd);
  }
  return LinkAttachment(std::move(program), std::move(links));
}

void LinkAttachment::pin(const std::string& dir) const {
  for (std::size_t i = 0; i < links_.size(); ++i) {
    const std::string path = fmt::format("{}/link{}", dir, i);
    check_errno(bpf_obj_pin(links_[i].get(), path.c_str()), "pin " + path);
  }
}

void LinkAttachment::detach_pinned(const std::string& dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().filename().string().rfind("link", 0) != 0) continue;
    const int fd = bpf_obj_get(entry.path().c_str());
    if (fd >= 0) {
      bpf_link_detach(fd);
      ::close(fd);
    }
    ::unlink(entry.path().c_str());
  }
}

}  // namespace xb
