#include "text_input.hpp"

#include <cerrno>
#include <fstream>
#include <iostream>
#include <sstream>

#include "errors.hpp"

namespace xb {

std::string read_text_input(const std::string& path) {
  std::stringstream buf;
  if (path == "-") {
    buf << std::cin.rdbuf();
    return buf.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw RuleError(errno_message(path + ": cannot open rule file", errno));
  buf << in.rdbuf();
  return buf.str();
}

std::string input_name(const std::string& path) { return path == "-" ? "<stdin>" : path; }

}  // namespace xb
