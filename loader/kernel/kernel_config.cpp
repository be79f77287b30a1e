#include "kernel_config.hpp"

#include <sys/utsname.h>
#include <zlib.h>

#include <array>

namespace xb {
namespace {

std::optional<std::string> read_gz(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) return std::nullopt;
  std::string text;
  std::array<char, 65536> buf{};
  int n;
  while ((n = gzread(f, buf.data(), static_cast<unsigned>(buf.size()))) > 0) text.append(buf.data(), n);
  gzclose(f);
  return text;  // gzread also reads a plain file as it is
}

}  // namespace

std::optional<KernelOption> kernel_option(const std::string& name) {
  utsname u{};
  ::uname(&u);
  for (const std::string& path : {std::string("/proc/config.gz"), std::string("/boot/config-") + u.release}) {
    const auto text = read_gz(path);
    if (!text) continue;
    if (text->find("# " + name + " is not set\n") != std::string::npos) return KernelOption{"", path};
    const std::string key = "\n" + name + "=";
    if (const auto at = text->find(key); at != std::string::npos) {
      const auto end = text->find('\n', at + 1);
      return KernelOption{text->substr(at + key.size(), end - at - key.size()), path};
    }
  }
  return std::nullopt;
}

}  // namespace xb
