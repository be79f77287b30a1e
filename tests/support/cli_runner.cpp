#include "cli_runner.hpp"

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "test_namespaces.hpp"

namespace xb::testing {

CliResult run_xdpfilter(const std::string& args, const std::string& prefix) {
  const std::string out_path = "/tmp/" + unique_name("xbcli") + ".out";
  const std::string err_path = out_path + ".err";
  const std::string cmd = prefix + " " XDPFILTER_PATH " " + args + " >" + out_path + " 2>" + err_path;
  const int status = std::system(cmd.c_str());
  auto slurp = [](const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    std::remove(path.c_str());
    return s.str();
  };
  CliResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out_path);
  r.err = slurp(err_path);
  return r;
}

}  // namespace xb::testing
