// libbpf and libxdp print through callbacks. Their messages are kept, not
// printed: a failed load shows them (the verifier's or the kernel's reason),
// a working run prints nothing of theirs. XDPBENCH_DEBUG=1 prints all as
// they come.
#pragma once

#include <string>

namespace xb {

void route_libbpf_logging();

// The last messages libbpf and libxdp gave at warning level, oldest first.
std::string recent_libbpf_warnings();
// XDPBENCH_DEBUG is set (and not 0): print everything as it comes.
bool libbpf_debug_enabled();

}  // namespace xb
