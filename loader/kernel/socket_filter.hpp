// The filter on one socket (SO_ATTACH_BPF), and the receiving socket the CLI
// and the rig guard with it: a packet socket bound to an interface (it sees
// every received frame) or a UDP socket bound to a port. A drop hides the
// packet from this socket only; the stack has already processed it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "filter_program.hpp"
#include "unique_fd.hpp"

namespace xb {

class SocketFilterAttachment {
 public:
  // program: loaded (BPF_PROG_TYPE_SOCKET_FILTER). The socket stays the caller's.
  SocketFilterAttachment(FilterProgram program, int socket_fd);
  SocketFilterAttachment(SocketFilterAttachment&& other) noexcept;
  SocketFilterAttachment& operator=(SocketFilterAttachment&&) = delete;
  ~SocketFilterAttachment();  // SO_DETACH_BPF

  const FilterProgram& program() const { return *program_; }

 private:
  std::optional<FilterProgram> program_;
  int socket_fd_ = -1;
};

// A packet socket receiving every frame that arrives on ifindex (not the
// ones sent from it).
UniqueFd open_packet_socket(int ifindex, const std::string& ifname);
// A UDP socket bound to port on all addresses.
UniqueFd open_udp_socket(std::uint16_t port);

}  // namespace xb
