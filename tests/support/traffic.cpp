#include "traffic.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ether.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "netns.hpp"

namespace xb::testing {
namespace {

sockaddr_in v4(const std::string& addr, std::uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  if (inet_pton(AF_INET, addr.c_str(), &sa.sin_addr) != 1) throw std::invalid_argument(addr);
  return sa;
}

void bind_any(int fd, std::uint16_t port) {
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in sa = v4("0.0.0.0", port);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa))) throw std::runtime_error("bind failed");
}

}  // namespace

UniqueFd socket_in(const std::string& ns, int type) {
  NetnsScope in_ns(ns);
  UniqueFd fd(::socket(AF_INET, type | SOCK_CLOEXEC, 0));
  if (!fd) throw std::runtime_error("socket failed");
  return fd;
}

UdpReceiver::UdpReceiver(const std::string& ns, std::uint16_t port) : fd_(socket_in(ns, SOCK_DGRAM)) {
  // room for every datagram a test sends before it reads them (FORCE: past
  // net.core.rmem_max, which is small in a fresh namespace or guest)
  const int rcvbuf = 32 << 20;
  ::setsockopt(fd_.get(), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
  bind_any(fd_.get(), port);
  ::fcntl(fd_.get(), F_SETFL, O_NONBLOCK);
}

std::uint64_t UdpReceiver::wait_for(std::uint64_t want, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[2048];
  while (received_ < want) {
    while (::recv(fd_.get(), buf, sizeof(buf), 0) >= 0) ++received_;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (received_ >= want || left.count() <= 0) break;
    pollfd p{fd_.get(), POLLIN, 0};
    ::poll(&p, 1, static_cast<int>(std::min<long>(left.count(), 50)));
  }
  return received_;
}

void send_udp(const std::string& ns, const std::string& addr, std::uint16_t port, std::uint64_t count,
              std::uint32_t pps) {
  UniqueFd fd = socket_in(ns, SOCK_DGRAM);
  const sockaddr_in to = v4(addr, port);
  const char payload[32] = "xdpbench test datagram";
  const auto start = std::chrono::steady_clock::now();
  for (std::uint64_t i = 0; i < count; ++i) {
    if (pps) std::this_thread::sleep_until(start + std::chrono::microseconds(i * 1000000 / pps));
    if (::sendto(fd.get(), payload, sizeof(payload), 0, reinterpret_cast<const sockaddr*>(&to), sizeof(to)) < 0)
      throw std::runtime_error("sendto failed");
  }
}

UniqueFd tcp_listener(const std::string& ns, std::uint16_t port) {
  UniqueFd fd = socket_in(ns, SOCK_STREAM);
  bind_any(fd.get(), port);
  if (::listen(fd.get(), 16)) throw std::runtime_error("listen failed");
  return fd;
}

bool tcp_connects(const std::string& ns, const std::string& addr, std::uint16_t port,
                  std::chrono::milliseconds timeout) {
  UniqueFd fd = socket_in(ns, SOCK_STREAM);
  ::fcntl(fd.get(), F_SETFL, O_NONBLOCK);
  const sockaddr_in to = v4(addr, port);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&to), sizeof(to)) == 0) return true;
  if (errno != EINPROGRESS) return false;
  pollfd p{fd.get(), POLLOUT, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return false;
  int err = 0;
  socklen_t len = sizeof(err);
  ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
  return err == 0;
}

namespace {

// glibc's reader: unlike sscanf's %x, it rejects a byte over ff
std::array<std::uint8_t, 6> parse_mac(const std::string& text) {
  ether_addr addr{};
  if (!::ether_aton_r(text.c_str(), &addr)) throw std::runtime_error("not a MAC address: " + text);
  std::array<std::uint8_t, 6> mac{};
  std::memcpy(mac.data(), addr.ether_addr_octet, mac.size());
  return mac;
}

// The IPv4 header checksum, where the frame carries an untagged IPv4 header.
void fill_ipv4_checksum(std::vector<std::uint8_t>& f) {
  if (f.size() < 34 || f[12] != 0x08 || f[13] != 0x00) return;
  const std::size_t ihl = std::size_t{f[14] & 0x0fu} * 4;
  if (ihl < 20 || f.size() < 14 + ihl) return;
  f[24] = f[25] = 0;
  std::uint32_t sum = 0;
  for (std::size_t i = 14; i < 14 + ihl; i += 2) sum += static_cast<std::uint32_t>(f[i] << 8 | f[i + 1]);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  f[24] = static_cast<std::uint8_t>(~sum >> 8);
  f[25] = static_cast<std::uint8_t>(~sum);
}

}  // namespace

void send_frames(const std::string& ns, const std::string& dev, const std::string& src_mac, const std::string& dst_mac,
                 std::vector<std::vector<std::uint8_t>> frames) {
  UniqueFd fd;
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  {
    NetnsScope in_ns(ns);
    fd.reset(::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0));  // protocol 0: sends only
    to.sll_ifindex = static_cast<int>(if_nametoindex(dev.c_str()));
  }
  if (!fd) throw std::runtime_error(std::string("AF_PACKET socket: ") + std::strerror(errno));
  if (!to.sll_ifindex) throw std::runtime_error("no interface " + dev + " in " + ns);
  const auto src = parse_mac(src_mac), dst = parse_mac(dst_mac);
  for (auto& f : frames) {
    if (f.size() < 14) continue;
    std::copy(dst.begin(), dst.end(), f.begin());
    std::copy(src.begin(), src.end(), f.begin() + 6);
    fill_ipv4_checksum(f);
    to.sll_halen = 6;
    std::copy(dst.begin(), dst.end(), to.sll_addr);
    if (::sendto(fd.get(), f.data(), f.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof(to)) < 0)
      throw std::runtime_error(std::string("send a raw frame: ") + std::strerror(errno));
  }
}

}  // namespace xb::testing
