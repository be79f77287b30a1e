// Crash-safe changes to what xdpfilter attached: a lock that serialises
// xdpfilter processes on the state directory, a journal entry written before
// each change (attach, reload, detach) and removed after it, and recovery
// (recover_interrupted_changes, filter_attach.hpp) that finds an entry left
// by a process killed half way and takes the state back to before the change
// (attach) or on to after it (reload, detach).
// XDPBENCH_DEBUG_KILL_AT=<step> kills the process with SIGKILL at that step,
// so tests can prove it (the steps: docs/xdpfilter.md, "Crash-safe state").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "attachment_store.hpp"

namespace xb {

// An exclusive flock on <state dir>/.lock, held for its lifetime: a second
// xdpfilter waits for the first to finish its change.
class StateLock {
 public:
  explicit StateLock(const AttachmentStore& store);
  ~StateLock();
  StateLock(const StateLock&) = delete;
  StateLock& operator=(const StateLock&) = delete;

 private:
  int fd_ = -1;
};

// Dies by SIGKILL here when XDPBENCH_DEBUG_KILL_AT names this step.
void kill_point(const char* step);

enum class PendingChange { Attach, Reload, Detach };

// What a change writes before it touches the kernel. Attach: the record and
// the id of the new maps' table slot (finds the programs that use them).
// Reload: the updated record and the id of the table active before.
struct JournalEntry {
  PendingChange change = PendingChange::Attach;
  AttachmentRecord record;
  std::uint32_t tables_map_id = 0;
  std::uint32_t old_table_id = 0;
};

// Entries live in <state dir>/journal/<record id>.json (written whole, by rename).
void write_journal(const AttachmentStore& store, const JournalEntry& entry);
void clear_journal(const AttachmentStore& store, const AttachmentRecord& record);
std::vector<JournalEntry> read_journal(const AttachmentStore& store);

}  // namespace xb
