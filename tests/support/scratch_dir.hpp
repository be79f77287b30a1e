// A scratch directory for one test's files, removed when the test ends
// (also when it fails).
#pragma once

#include <filesystem>

#include "test_namespaces.hpp"

namespace xb::testing {

struct ScratchDir {
  std::filesystem::path path = std::filesystem::temp_directory_path() / unique_name("xbgate");
  ScratchDir() { std::filesystem::create_directories(path); }
  ~ScratchDir() { std::filesystem::remove_all(path); }
};

}  // namespace xb::testing
