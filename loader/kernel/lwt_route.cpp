#include "lwt_route.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <libmnl/libmnl.h>
#include <linux/lwtunnel.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "errors.hpp"

namespace xb {
namespace {

constexpr std::size_t kRtmsgSize = NLMSG_ALIGN(sizeof(rtmsg));

// Calls fn for each attribute in [data, data + len).
template <class Fn>
void for_each_attribute(const std::uint8_t* data, std::size_t len, Fn&& fn) {
  auto* attr = reinterpret_cast<const nlattr*>(data);
  int left = static_cast<int>(len);
  while (mnl_attr_ok(attr, left)) {
    fn(attr);
    left -= static_cast<int>(MNL_ALIGN(attr->nla_len));
    attr = mnl_attr_next(attr);
  }
}

template <class Fn>
void for_each_nested(const nlattr* nest, Fn&& fn) {
  for_each_attribute(static_cast<const std::uint8_t*>(mnl_attr_get_payload(nest)), mnl_attr_get_payload_len(nest), fn);
}

const nlattr* find_attribute(const std::vector<std::uint8_t>& payload, std::uint16_t type) {
  const nlattr* found = nullptr;
  if (payload.size() < kRtmsgSize) return nullptr;
  for_each_attribute(payload.data() + kRtmsgSize, payload.size() - kRtmsgSize, [&](const nlattr* a) {
    if (mnl_attr_get_type(a) == type) found = a;
  });
  return found;
}

// An rtnetlink socket of the current netns that asks for extended acks (the
// kernel's own words for why it refused) and capped ones (no echo).
class RtnlSocket {
 public:
  RtnlSocket() : nl_(mnl_socket_open(NETLINK_ROUTE), mnl_socket_close) {
    if (!nl_ || mnl_socket_bind(nl_.get(), 0, MNL_SOCKET_AUTOPID) < 0)
      throw Error(errno_message("open an rtnetlink socket", errno));
    int one = 1;  // libmnl 1.0.4 takes a non-const buffer
    mnl_socket_setsockopt(nl_.get(), NETLINK_EXT_ACK, &one, sizeof(one));
    mnl_socket_setsockopt(nl_.get(), NETLINK_CAP_ACK, &one, sizeof(one));
  }

  // A request with NLM_F_ACK: 0 or -errno, the extended ack message in why.
  int request(nlmsghdr* msg, std::string& why) {
    msg->nlmsg_seq = ++seq_;
    if (mnl_socket_sendto(nl_.get(), msg, msg->nlmsg_len) < 0) return -errno;
    std::vector<char> reply(MNL_SOCKET_BUFFER_SIZE);
    for (;;) {
      const ssize_t n = mnl_socket_recvfrom(nl_.get(), reply.data(), reply.size());
      if (n < 0) return -errno;
      int left = static_cast<int>(n);
      for (auto* h = reinterpret_cast<nlmsghdr*>(reply.data()); mnl_nlmsg_ok(h, left); h = mnl_nlmsg_next(h, &left)) {
        if (h->nlmsg_seq != seq_ || h->nlmsg_type != NLMSG_ERROR) continue;
        const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(h));
        if (err->error && (h->nlmsg_flags & NLM_F_ACK_TLVS)) why = ack_message(h, err);
        return err->error;
      }
    }
  }

  // A dump: fn for each message it gives.
  template <class Fn>
  void dump(nlmsghdr* msg, const std::string& what, Fn&& fn) {
    msg->nlmsg_seq = ++seq_;
    if (mnl_socket_sendto(nl_.get(), msg, msg->nlmsg_len) < 0) throw Error(errno_message(what, errno));
    std::vector<char> reply(MNL_SOCKET_BUFFER_SIZE);
    for (;;) {
      const ssize_t n = mnl_socket_recvfrom(nl_.get(), reply.data(), reply.size());
      if (n < 0) throw Error(errno_message(what, errno));
      int left = static_cast<int>(n);
      for (auto* h = reinterpret_cast<nlmsghdr*>(reply.data()); mnl_nlmsg_ok(h, left); h = mnl_nlmsg_next(h, &left)) {
        if (h->nlmsg_seq != seq_) continue;
        if (h->nlmsg_type == NLMSG_DONE) return;
        if (h->nlmsg_type == NLMSG_ERROR) {
          const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(h));
          if (err->error) throw Error(errno_message(what, err->error));
          return;
        }
        fn(h);
      }
    }
  }

 private:
  static std::string ack_message(const nlmsghdr* h, const nlmsgerr* err) {
    // capped: the request's header only; else the whole request is echoed
    const std::size_t offset =
        sizeof(nlmsgerr) + ((h->nlmsg_flags & NLM_F_CAPPED) ? 0 : err->msg.nlmsg_len - sizeof(nlmsghdr));
    if (h->nlmsg_len < NLMSG_HDRLEN + offset) return "";
    std::string message;
    for_each_attribute(static_cast<const std::uint8_t*>(mnl_nlmsg_get_payload(h)) + offset,
                       h->nlmsg_len - NLMSG_HDRLEN - offset, [&](const nlattr* a) {
                         if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG) message = mnl_attr_get_str(a);
                       });
    return message;
  }

  std::unique_ptr<mnl_socket, decltype(&mnl_socket_close)> nl_;
  std::uint32_t seq_ = 0;
};

std::string address_text(int family, const std::uint8_t* bytes) {
  char buf[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(family, bytes, buf, sizeof(buf));
  return buf;
}

}  // namespace

std::string RoutePrefix::text() const { return fmt::format("{}/{}", address_text(family, address.data()), length); }

RoutePrefix parse_route_prefix(const std::string& text) {
  RoutePrefix p;
  if (text == "default") {
    p.family = AF_INET;
    return p;
  }
  const auto slash = text.find('/');
  const std::string addr = text.substr(0, slash);
  p.family = addr.find(':') != std::string::npos ? AF_INET6 : AF_INET;
  const int bits = p.family == AF_INET ? 32 : 128;
  if (::inet_pton(p.family, addr.c_str(), p.address.data()) != 1)
    throw Error(
        fmt::format("--route: '{}' is not an IPv4 or IPv6 prefix (such as 198.19.0.0/24, 2001:db8::/32, "
                    "default or ::/0)",
                    text));
  int length = bits;
  if (slash != std::string::npos) {
    const std::string len = text.substr(slash + 1);
    char* end = nullptr;
    length = static_cast<int>(std::strtol(len.c_str(), &end, 10));
    if (len.empty() || *end || length < 0 || length > bits)
      throw Error(fmt::format("--route: '{}': expected a prefix length 0 to {} after the '/'", text, bits));
  }
  p.length = static_cast<std::uint8_t>(length);
  RoutePrefix masked = p;
  for (int bit = length; bit < bits; ++bit) masked.address[bit / 8] &= static_cast<std::uint8_t>(~(0x80 >> (bit % 8)));
  if (masked.address != p.address)
    throw Error(fmt::format("--route: '{}' has host bits set: did you mean {}?", text, masked.text()));
  return p;
}

std::uint32_t parse_route_table(const std::string& text) {
  if (text.empty() || text == "main") return RT_TABLE_MAIN;
  if (text == "local") return RT_TABLE_LOCAL;
  if (text == "default") return RT_TABLE_DEFAULT;
  char* end = nullptr;
  const unsigned long long n = std::strtoull(text.c_str(), &end, 10);
  if (!*end && text[0] != '-' && n >= 1 && n <= 0xffffffffull) return static_cast<std::uint32_t>(n);
  throw Error(fmt::format("--table: '{}': expected main, local, default or a table number 1 to 4294967295", text));
}

std::string route_table_name(std::uint32_t table) {
  switch (table) {
    case RT_TABLE_MAIN:
      return "main";
    case RT_TABLE_LOCAL:
      return "local";
    case RT_TABLE_DEFAULT:
      return "default";
  }
  return std::to_string(table);
}

RouteMessage RouteMessage::from_hex(const std::string& hex) {
  std::vector<std::uint8_t> bytes;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    bytes.push_back(static_cast<std::uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  if (bytes.size() < kRtmsgSize) throw Error("a saved route is shorter than a struct rtmsg");
  return RouteMessage(std::move(bytes));
}

std::string RouteMessage::hex() const {
  std::string out;
  for (auto b : payload_) out += fmt::format("{:02x}", b);
  return out;
}

int RouteMessage::family() const { return reinterpret_cast<const rtmsg*>(payload_.data())->rtm_family; }

std::uint8_t RouteMessage::type() const { return reinterpret_cast<const rtmsg*>(payload_.data())->rtm_type; }

std::uint32_t RouteMessage::table() const {
  if (const nlattr* a = find_attribute(payload_, RTA_TABLE)) return mnl_attr_get_u32(a);
  return reinterpret_cast<const rtmsg*>(payload_.data())->rtm_table;
}

std::optional<std::uint32_t> RouteMessage::metric() const {
  if (const nlattr* a = find_attribute(payload_, RTA_PRIORITY)) return mnl_attr_get_u32(a);
  return std::nullopt;
}

std::optional<std::uint16_t> RouteMessage::encap_type() const {
  if (const nlattr* a = find_attribute(payload_, RTA_ENCAP_TYPE)) return mnl_attr_get_u16(a);
  return std::nullopt;
}

bool RouteMessage::multipath() const { return find_attribute(payload_, RTA_MULTIPATH) != nullptr; }

std::optional<std::uint32_t> RouteMessage::nexthop_id() const {
  if (const nlattr* a = find_attribute(payload_, RTA_NH_ID)) return mnl_attr_get_u32(a);
  return std::nullopt;
}

std::optional<std::string> RouteMessage::lwt_bpf_program(int lwt_bpf_attr) const {
  if (encap_type() != LWTUNNEL_ENCAP_BPF) return std::nullopt;
  const nlattr* encap = find_attribute(payload_, RTA_ENCAP);
  if (!encap) return std::nullopt;
  std::optional<std::string> name;
  for_each_nested(encap, [&](const nlattr* place) {
    if (mnl_attr_get_type(place) != lwt_bpf_attr) return;
    name = "";
    for_each_nested(place, [&](const nlattr* a) {
      if (mnl_attr_get_type(a) == LWT_BPF_PROG_NAME) name = mnl_attr_get_str(a);
    });
  });
  return name;
}

RouteMessage RouteMessage::without_encap() const {
  std::vector<std::uint8_t> out(payload_.begin(), payload_.begin() + static_cast<std::ptrdiff_t>(kRtmsgSize));
  for_each_attribute(payload_.data() + kRtmsgSize, payload_.size() - kRtmsgSize, [&](const nlattr* a) {
    const auto type = mnl_attr_get_type(a);
    if (type == RTA_ENCAP || type == RTA_ENCAP_TYPE) return;
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(a);
    out.insert(out.end(), bytes, bytes + a->nla_len);
    out.resize(out.size() + (MNL_ALIGN(a->nla_len) - a->nla_len));
  });
  return RouteMessage(std::move(out));
}

std::string RouteMessage::type_name(std::uint8_t type) {
  static const char* const names[] = {"unspec",    "unicast",     "local",    "broadcast", "anycast", "multicast",
                                      "blackhole", "unreachable", "prohibit", "throw",     "nat",     "xresolve"};
  return type < std::size(names) ? names[type] : fmt::format("type {}", type);
}

std::string RouteMessage::encap_name(std::uint16_t encap_type) {
  static const char* const names[] = {"none", "mpls",      "ip",  "ila",   "ip6", "seg6",
                                      "bpf",  "seg6local", "rpl", "ioam6", "xfrm"};
  return encap_type < std::size(names) ? names[encap_type] : fmt::format("type {}", encap_type);
}

std::vector<RouteMessage> routes_in_table(int family, std::uint32_t table) {
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* msg = mnl_nlmsg_put_header(buf.data());
  msg->nlmsg_type = RTM_GETROUTE;
  msg->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(msg, sizeof(rtmsg)));
  rtm->rtm_family = static_cast<std::uint8_t>(family);

  std::vector<RouteMessage> found;
  RtnlSocket().dump(msg, "list the routes", [&](const nlmsghdr* h) {
    if (h->nlmsg_type != RTM_NEWROUTE) return;
    const auto* r = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(h));
    if (r->rtm_family != family || (r->rtm_flags & RTM_F_CLONED)) return;
    const auto* p = static_cast<const std::uint8_t*>(mnl_nlmsg_get_payload(h));
    RouteMessage route(std::vector<std::uint8_t>(p, p + mnl_nlmsg_get_payload_len(h)));
    if (route.table() == table) found.push_back(std::move(route));
  });
  return found;
}

std::vector<RouteMessage> routes_to(const RoutePrefix& prefix, std::uint32_t table) {
  std::vector<RouteMessage> found;
  for (auto& route : routes_in_table(prefix.family, table)) {
    const RoutePrefix p = prefix_of(route);
    if (p.length == prefix.length && p.address == prefix.address) found.push_back(std::move(route));
  }
  return found;
}

std::optional<RouteMessage> route_used_for(const std::string& address) {
  RoutePrefix host;
  host.family = address.find(':') != std::string::npos ? AF_INET6 : AF_INET;
  if (::inet_pton(host.family, address.c_str(), host.address.data()) != 1)
    throw Error(fmt::format("'{}' is not an IPv4 or IPv6 address", address));
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* msg = mnl_nlmsg_put_header(buf.data());
  msg->nlmsg_type = RTM_GETROUTE;
  msg->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;  // the answer, then an ack: the dump loop reads both
  auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(msg, sizeof(rtmsg)));
  rtm->rtm_family = static_cast<std::uint8_t>(host.family);
  rtm->rtm_dst_len = host.family == AF_INET ? 32 : 128;
  rtm->rtm_flags = RTM_F_FIB_MATCH;  // the FIB entry, not a cloned host route
  mnl_attr_put(msg, RTA_DST, host.family == AF_INET ? 4 : 16, host.address.data());
  std::optional<RouteMessage> found;
  try {
    RtnlSocket().dump(msg, "look up the route to " + address, [&](const nlmsghdr* h) {
      if (h->nlmsg_type != RTM_NEWROUTE) return;
      const auto* p = static_cast<const std::uint8_t*>(mnl_nlmsg_get_payload(h));
      found.emplace(std::vector<std::uint8_t>(p, p + mnl_nlmsg_get_payload_len(h)));
    });
  } catch (const Error&) {
    return std::nullopt;  // no route (ENETUNREACH and the like)
  }
  return found;
}

RoutePrefix prefix_of(const RouteMessage& route) {
  RoutePrefix p;
  p.family = route.family();
  p.length = reinterpret_cast<const rtmsg*>(route.payload().data())->rtm_dst_len;
  if (const nlattr* dst = find_attribute(route.payload(), RTA_DST))
    std::memcpy(p.address.data(), mnl_attr_get_payload(dst),
                std::min<std::size_t>(mnl_attr_get_payload_len(dst), p.address.size()));
  return p;
}

int replace_route(const RouteMessage& route, const std::function<void(nlmsghdr*)>& add, std::string& why) {
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* msg = mnl_nlmsg_put_header(buf.data());
  msg->nlmsg_type = RTM_NEWROUTE;
  msg->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_REPLACE;
  auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(msg, sizeof(rtmsg)));
  std::memcpy(rtm, route.payload().data(), sizeof(rtmsg));
  // the state flags a dump reports (linkdown, offload, ...) are not
  // settings; the kernel refuses some of them in a request
  rtm->rtm_flags &= RTNH_F_ONLINK;
  const auto& p = route.payload();
  for_each_attribute(p.data() + kRtmsgSize, p.size() - kRtmsgSize, [&](const nlattr* a) {
    if (mnl_attr_get_type(a) == RTA_CACHEINFO) return;  // statistics, not a setting
    std::memcpy(mnl_nlmsg_get_payload_tail(msg), a, a->nla_len);
    msg->nlmsg_len += MNL_ALIGN(a->nla_len);
  });
  if (add) add(msg);
  return RtnlSocket().request(msg, why);
}

}  // namespace xb
