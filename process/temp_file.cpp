#include "temp_file.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "errors.hpp"

namespace xb {

TempFile::TempFile(const std::string& text, const std::string& suffix) {
  std::string templ = (std::filesystem::temp_directory_path() / ("xdpbench-XXXXXX" + suffix)).string();
  const int fd = ::mkstemps(templ.data(), static_cast<int>(suffix.size()));
  if (fd < 0) throw Error(errno_message("create a temporary file", errno));
  ::close(fd);
  path_ = templ;
  std::ofstream(path_) << text;
}

TempFile::~TempFile() { ::unlink(path_.c_str()); }

}  // namespace xb
