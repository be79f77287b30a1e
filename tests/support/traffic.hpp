// Real traffic between the namespaces of a VethTopology: UDP datagrams and
// TCP connection attempts, each bounded in count and time.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

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

}  // namespace xb::testing
