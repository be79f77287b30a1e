#include "private_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>

#include "errors.hpp"
#include "unique_fd.hpp"

namespace xb {

namespace fs = std::filesystem;

void make_private_dir(const std::string& dir) {
  fs::path built;
  for (const auto& part : fs::path(dir)) {
    built /= part;
    if (::mkdir(built.c_str(), 0700) == 0) {
      ::chmod(built.c_str(), 0700);  // the umask may have taken bits off, never added: 0700 exactly
    } else if (errno != EEXIST) {
      throw Error(errno_message("create state directory " + built.string(), errno));
    }
  }
  // made by an older version or by hand: the state in it is root's alone
  if (::chmod(dir.c_str(), 0700) != 0) throw Error(errno_message("make state directory " + dir + " 0700", errno));
}

void write_private_file(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd) throw Error(errno_message("write " + tmp, errno));
    if (::fchmod(fd.get(), 0600) != 0) throw Error(errno_message("make " + tmp + " 0600", errno));
    for (std::size_t done = 0; done < text.size();) {
      const ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw Error(errno_message("write " + tmp, errno));
      done += static_cast<std::size_t>(n);
    }
    // the rename must not reach the disk before the contents it names
    if (::fsync(fd.get()) != 0) throw Error(errno_message("sync " + tmp, errno));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) throw Error(errno_message("rename " + tmp + " to " + path, errno));
}

}  // namespace xb
