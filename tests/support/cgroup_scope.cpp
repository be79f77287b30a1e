#include "cgroup_scope.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>

#include "test_namespaces.hpp"

namespace xb::testing {
namespace {

constexpr long kCgroup2Magic = 0x63677270;

bool is_cgroup2(const std::string& path) {
  struct statfs st {};
  return ::statfs(path.c_str(), &st) == 0 && st.f_type == kCgroup2Magic;
}

// This process's cgroup v2, as /proc/self/cgroup's "0::" line names it.
std::string current_cgroup() {
  std::ifstream in("/proc/self/cgroup");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("0::", 0) == 0) return cgroup2_root() + line.substr(3);
  throw std::runtime_error("no cgroup v2 line in /proc/self/cgroup");
}

void move_self_to(const std::string& cgroup) {
  std::ofstream procs(cgroup + "/cgroup.procs");
  procs << ::getpid() << std::endl;
  if (!procs) throw std::runtime_error("cannot move into " + cgroup);
}

}  // namespace

std::string cgroup2_root() {
  for (const char* p : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"})
    if (is_cgroup2(p)) return p;
  throw std::runtime_error("no cgroup v2 mounted at /sys/fs/cgroup or /sys/fs/cgroup/unified");
}

TestCgroup::TestCgroup() : path_(cgroup2_root() + "/" + unique_name("xbtest-cg")) {
  if (::mkdir(path_.c_str(), 0755)) throw std::runtime_error("mkdir " + path_);
}

TestCgroup::~TestCgroup() { ::rmdir(path_.c_str()); }

InCgroup::InCgroup(const TestCgroup& cgroup) : original_(current_cgroup()) { move_self_to(cgroup.path()); }

// A destructor that threw would end the test binary: a test left in the
// wrong cgroup fails instead.
InCgroup::~InCgroup() {
  try {
    move_self_to(original_);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "could not move back to cgroup " << original_ << ": " << e.what();
  }
}

}  // namespace xb::testing
