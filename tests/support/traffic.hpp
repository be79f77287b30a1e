// Real traffic between the namespaces of a VethTopology: UDP datagrams and
// TCP connection attempts, each bounded in count and time.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "unique_fd.hpp"

namespace xb::testing {

// A socket made inside netns `ns` (it stays in that namespace).
UniqueFd socket_in(const std::string& ns, int type);

class UdpReceiver {
 public:
  UdpReceiver(const std::string& ns, std::uint16_t port);
  // Drains until `want` datagrams arrived or `timeout` passed; returns the total so far.
  std::uint64_t wait_for(std::uint64_t want, std::chrono::milliseconds timeout);
  std::uint64_t drain() { return wait_for(~0ull, std::chrono::milliseconds(0)); }

 private:
  UniqueFd fd_;
  std::uint64_t received_ = 0;
};

// Sends `count` datagrams from ns to addr:port; at most `pps` per second (0: no pacing).
void send_udp(const std::string& ns, const std::string& addr, std::uint16_t port, std::uint64_t count,
              std::uint32_t pps = 0);

// A TCP listener in ns on port.
UniqueFd tcp_listener(const std::string& ns, std::uint16_t port);
// Whether a TCP connection from ns to addr:port completes within timeout.
bool tcp_connects(const std::string& ns, const std::string& addr, std::uint16_t port,
                  std::chrono::milliseconds timeout);

// Sends raw Ethernet frames out of `dev` in `ns` (an AF_PACKET socket), with
// their MAC addresses rewritten to src_mac -> dst_mac ("aa:bb:...") and IPv4
// header checksums filled in, so that the receiving stack takes them.
void send_frames(const std::string& ns, const std::string& dev, const std::string& src_mac, const std::string& dst_mac,
                 std::vector<std::vector<std::uint8_t>> frames);

}  // namespace xb::testing
