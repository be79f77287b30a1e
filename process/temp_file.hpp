// A file of text in the temporary directory, removed with the object: how
// rule sets of 100k lines reach nft -f, iptables-restore and xdpfilter.
#pragma once

#include <string>

namespace xb {

class TempFile {
 public:
  explicit TempFile(const std::string& text, const std::string& suffix = "");
  ~TempFile();
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace xb
