#include "libbpf_logging.hpp"

#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <string_view>

namespace xb {
namespace {

constexpr std::size_t kKeptLines = 40;

std::mutex log_mutex;
std::deque<std::string> warnings;

int keep(bool warning, const char* fmt, va_list args) {
  char buf[1024];
  va_list copy;
  va_copy(copy, args);
  const int n = std::vsnprintf(buf, sizeof(buf), fmt, copy);
  va_end(copy);
  if (libbpf_debug_enabled()) std::fputs(buf, stderr);
  if (warning) {
    std::lock_guard lock(log_mutex);
    warnings.emplace_back(buf);
    if (warnings.size() > kKeptLines) warnings.pop_front();
  }
  return n;
}

int libbpf_print(enum libbpf_print_level level, const char* fmt, va_list args) {
  return keep(level == LIBBPF_WARN, fmt, args);
}

int libxdp_print(enum libxdp_print_level level, const char* fmt, va_list args) {
  return keep(level == LIBXDP_WARN, fmt, args);
}

}  // namespace

bool libbpf_debug_enabled() {
  const char* v = std::getenv("XDPBENCH_DEBUG");
  return v && *v && std::string_view(v) != "0";
}

void route_libbpf_logging() {
  libbpf_set_print(libbpf_print);
  libxdp_set_print(libxdp_print);
}

std::string recent_libbpf_warnings() {
  std::lock_guard lock(log_mutex);
  std::string out;
  for (const auto& line : warnings) out += line;
  return out;
}

}  // namespace xb
