// xdpfilter's state only root may read: attachment records, the journal and
// the lock name the host's interfaces, namespaces and rule files. Directories
// are made 0700 and files 0600 whatever the umask (pins are 0600 by the
// kernel, in pin directories made 0700).
#pragma once

#include <string>

namespace xb {

// mkdir -p: every directory it creates, and `dir` itself even when it
// existed, is 0700. Throws Error naming the directory.
void make_private_dir(const std::string& dir);

// Writes `text` to `path` as a 0600 file that appears whole or not at all:
// a temporary file beside it, synced, then renamed over `path`.
void write_private_file(const std::string& path, const std::string& text);

}  // namespace xb
