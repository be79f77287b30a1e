#include "text_input.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "errors.hpp"
#include "unique_fd.hpp"
#include "xb_abi.h"

namespace xb {

std::string read_text_input(const std::string& path, const std::string& what, std::size_t max_bytes) {
  const std::string name = input_name(path);
  UniqueFd owned;
  int fd = STDIN_FILENO;
  if (path != "-") {
    owned.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!owned) throw RuleError(errno_message(name + ": cannot open " + what, errno));
    fd = owned.get();
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw RuleError(errno_message(name + ": cannot read " + what, errno));
  if (S_ISDIR(st.st_mode)) throw RuleError(fmt::format("{}: is a directory, not a {}", name, what));
  auto too_big = [&] {
    // for rule files, why the bound is where it is
    const std::string why =
        what == "rule file" ? fmt::format(" (a table holds at most {} rules)", XB_MAX_RULES) : std::string();
    return RuleError(fmt::format("{}: a {} of more than {} MiB is refused{}", name, what, max_bytes >> 20, why));
  };
  if (S_ISREG(st.st_mode) && static_cast<std::size_t>(st.st_size) > max_bytes) throw too_big();
  // read to the end, bounded: pipes and devices have no size to check first
  std::string text;
  char chunk[65536];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      throw RuleError(errno_message(fmt::format("{}: cannot read {}", name, what), errno));
    }
    if (text.size() + static_cast<std::size_t>(n) > max_bytes) throw too_big();
    text.append(chunk, static_cast<std::size_t>(n));
  }
  return text;
}

std::string input_name(const std::string& path) { return path == "-" ? "<stdin>" : path; }

}  // namespace xb
