#include "environment.hpp"

#include <fmt/format.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>

#include "run_command.hpp"

namespace xb::bench {

using nlohmann::json;

namespace {

std::string git_revision() {
  const CommandResult r = run_command({"git", "-C", XDPBENCH_SOURCE_DIR, "rev-parse", "--short", "HEAD"});
  std::string s = r.status == 0 && !r.out.empty() ? r.out : "unknown";
  s.erase(s.find_last_not_of('\n') + 1);
  return s;
}

}  // namespace

json result_environment() {
  utsname u{};
  ::uname(&u);
  std::string cpu = "unknown";
  std::ifstream info("/proc/cpuinfo");
  for (std::string line; std::getline(info, line);)
    if (line.rfind("model name", 0) == 0) {
      cpu = line.substr(line.find(':') + 2);
      break;
    }
  return {{"kernel", u.release},
          {"machine", u.machine},
          {"cpu_model", cpu},
          {"cpus_online", sysconf(_SC_NPROCESSORS_ONLN)},
          {"git_revision", git_revision()},
          {"xdpbench_version", XDPBENCH_VERSION}};
}

json nic_description(const Endpoint& nic) {
  const auto ethtool = [&](const char* flag) {
    std::vector<std::string> argv = {"ethtool", flag, nic.dev};
    if (!nic.ns.empty()) argv.insert(argv.begin(), {"ip", "netns", "exec", nic.ns});
    const CommandResult r = run_command(argv);
    return r.status == 0 ? r.out : std::string();
  };
  const auto field = [](const std::string& text, const std::string& key, std::size_t from = 0) -> json {
    const auto at = text.find(key + ":", from);
    if (at == std::string::npos) return nullptr;
    const auto start = text.find_first_not_of(" \t", at + key.size() + 1);
    const auto end = text.find('\n', at);
    if (start == std::string::npos || start >= end) return nullptr;
    return text.substr(start, end - start);
  };
  const std::string info = ethtool("-i"), channels = ethtool("-l");
  // `ethtool -l` prints the maximums first, then the current settings
  const auto current = channels.find("Current hardware settings");
  json queues = nullptr;
  if (current != std::string::npos)
    queues = {{"rx", field(channels, "RX", current)},
              {"tx", field(channels, "TX", current)},
              {"combined", field(channels, "Combined", current)}};
  return {{"interface", nic.dev},
          {"driver", field(info, "driver")},
          {"firmware", field(info, "firmware-version")},
          {"queues", queues}};
}

}  // namespace xb::bench
