#include "state_journal.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "errors.hpp"
#include "private_files.hpp"

namespace xb {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* change_name(PendingChange c) {
  switch (c) {
    case PendingChange::Attach:
      return "attach";
    case PendingChange::Reload:
      return "reload";
    case PendingChange::Detach:
      return "detach";
  }
  return "?";
}

PendingChange parse_change(const std::string& s) {
  if (s == "attach") return PendingChange::Attach;
  if (s == "reload") return PendingChange::Reload;
  if (s == "detach") return PendingChange::Detach;
  throw Error("unknown pending change '" + s + "'");
}

fs::path journal_dir(const AttachmentStore& store) { return fs::path(store.state_dir()) / "journal"; }

}  // namespace

StateLock::StateLock(const AttachmentStore& store) {
  make_private_dir(store.state_dir());
  const std::string path = store.state_dir() + "/.lock";
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) throw Error(errno_message("open " + path, errno));
  // blocks while another xdpfilter changes state: changes happen one at a time
  while (::flock(fd_, LOCK_EX) != 0)
    if (errno != EINTR) throw Error(errno_message("lock " + path, errno));
}

StateLock::~StateLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

void kill_point(const char* step) {
  const char* at = std::getenv("XDPBENCH_DEBUG_KILL_AT");
  if (at && std::strcmp(at, step) == 0) ::kill(::getpid(), SIGKILL);
}

void write_journal(const AttachmentStore& store, const JournalEntry& entry) {
  const fs::path dir = journal_dir(store);
  make_private_dir(dir.string());
  const json j{{"change", change_name(entry.change)},
               {"record", json::parse(record_json(entry.record))},
               {"tables_map_id", entry.tables_map_id},
               {"old_table_id", entry.old_table_id}};
  write_private_file((dir / (entry.record.id() + ".json")).string(), j.dump(1) + "\n");
}

void clear_journal(const AttachmentStore& store, const AttachmentRecord& record) {
  std::error_code ec;
  fs::remove(journal_dir(store) / (record.id() + ".json"), ec);
}

std::vector<JournalEntry> read_journal(const AttachmentStore& store) {
  std::vector<JournalEntry> out;
  std::error_code ec;
  for (const auto& f : fs::directory_iterator(journal_dir(store), ec)) {
    if (f.path().extension() != ".json") {  // a .tmp a kill left: nothing was changed after it
      fs::remove(f.path(), ec);
      continue;
    }
    std::ifstream in(f.path());
    try {
      const json j = json::parse(in);
      JournalEntry e;
      e.change = parse_change(j.at("change").get<std::string>());
      e.record = parse_record_json(j.at("record").dump());
      e.tables_map_id = j.at("tables_map_id").get<std::uint32_t>();
      e.old_table_id = j.at("old_table_id").get<std::uint32_t>();
      out.push_back(std::move(e));
    } catch (const std::exception& e) {
      throw Error(f.path().string() + ": unreadable journal entry: " + e.what());
    }
  }
  return out;
}

}  // namespace xb
