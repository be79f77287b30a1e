#include "errors.hpp"

#include <cstring>

namespace xb {

std::string errno_message(const std::string& what, int errnum) {
  return what + ": " + std::strerror(errnum < 0 ? -errnum : errnum);
}

int check_errno(int err, const std::string& what) {
  if (err < 0) throw Error(errno_message(what, err));
  return err;
}

}  // namespace xb
