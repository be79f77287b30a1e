// A cgroup v2 made for one test, and a scope that runs this process inside
// it, so the sockets it creates belong to it (cgroup_skb filters sockets by
// the cgroup they were created in).
#pragma once

#include <string>

namespace xb::testing {

// The cgroup v2 mount: /sys/fs/cgroup on a unified host, /sys/fs/cgroup/unified on a hybrid one.
std::string cgroup2_root();

class TestCgroup {
 public:
  TestCgroup();   // a new, uniquely named cgroup
  ~TestCgroup();  // moves this process back first if needed, then removes it
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class InCgroup {
 public:
  explicit InCgroup(const TestCgroup& cgroup);
  ~InCgroup();

 private:
  std::string original_;
};

}  // namespace xb::testing
