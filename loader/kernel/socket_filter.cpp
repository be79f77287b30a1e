#include "socket_filter.hpp"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>

#include "errors.hpp"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

namespace xb {

SocketFilterAttachment::SocketFilterAttachment(FilterProgram program, int socket_fd)
    : program_(std::move(program)), socket_fd_(socket_fd) {
  const int prog_fd = program_->prog_fd();
  if (::setsockopt(socket_fd, SOL_SOCKET, SO_ATTACH_BPF, &prog_fd, sizeof(prog_fd)))
    throw Error(errno_message("attach socket-filter (SO_ATTACH_BPF)", errno));
}

SocketFilterAttachment::SocketFilterAttachment(SocketFilterAttachment&& other) noexcept
    : program_(std::move(other.program_)), socket_fd_(std::exchange(other.socket_fd_, -1)) {}

SocketFilterAttachment::~SocketFilterAttachment() {
  if (socket_fd_ < 0) return;
  int unused = 0;
  ::setsockopt(socket_fd_, SOL_SOCKET, SO_DETACH_BPF, &unused, sizeof(unused));
}

UniqueFd open_packet_socket(int ifindex, const std::string& ifname) {
  UniqueFd fd(::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL)));
  if (!fd) throw Error(errno_message("open packet socket on " + ifname, errno));
  const int one = 1;
  ::setsockopt(fd.get(), SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = ifindex;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sll), sizeof(sll)))
    throw Error(errno_message("bind packet socket to " + ifname, errno));
  return fd;
}

UniqueFd open_udp_socket(std::uint16_t port) {
  UniqueFd fd(::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) throw Error(errno_message("open UDP socket", errno));
  const int zero = 0;
  ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));  // IPv4 too
  sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  sa.sin6_port = htons(port);
  sa.sin6_addr = in6addr_any;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)))
    throw Error(errno_message("bind UDP socket to port " + std::to_string(port), errno));
  return fd;
}

}  // namespace xb
