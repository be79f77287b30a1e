// What xdpfilter attached where, so a later process can show, reload and
// detach it: a JSON record per attachment under the state directory
// (/run/xdpbench/attachments, tmpfs like the attachments themselves) and the
// filter's maps pinned under the pin root (/sys/fs/bpf/xdpbench/<id>).
// Both are given (StatePaths): xdpfilter's main moves them with
// XDPBENCH_STATE_DIR and XDPBENCH_PIN_ROOT (tests use them), the rig gives
// every run its own.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hook_site.hpp"

namespace xb {

// An attachment: where the filter sits and how the kernel holds it (the
// hook's part, HookSite), and the rule set it runs.
struct AttachmentRecord : HookSite {
  std::string rules_source;
  std::vector<std::string> rule_names;
  // What the tables that reloads replaced counted, per rule name (and
  // "(no match)", "(non-IP)", "(malformed)"): packets, bytes. The metrics
  // add them, so a rule's counters stay monotonic across reloads.
  std::map<std::string, std::array<std::uint64_t, 2>> retired_counts;
  std::string attached_at;  // ISO 8601, UTC
  // Its rules name connection states: its program looks them up, and it
  // holds conntrack on in its namespace (conntrack_tracking.hpp).
  bool conntrack = false;

  std::string target_name() const;  // the interface, cgroup, netfilter hook or route, as one word
  std::string id() const;           // unique per (netns, target, hook, direction)
  std::string where() const;        // "xdp-native ingress on veth0 (netns x)"
};

// Where the records and the pins live; xdpfilter's defaults.
struct StatePaths {
  std::string state_dir = "/run/xdpbench/attachments";
  std::string pin_root = "/sys/fs/bpf/xdpbench";
};

class AttachmentStore {
 public:
  explicit AttachmentStore(StatePaths paths);
  std::vector<AttachmentRecord> list() const;
  std::optional<AttachmentRecord> find(const std::string& id) const;
  void save(const AttachmentRecord& record) const;
  void remove(const AttachmentRecord& record) const;
  const std::string& pin_root() const { return pin_root_; }
  const std::string& state_dir() const { return state_dir_; }
  // Where a record's maps (and links) are pinned.
  std::string pin_dir(const AttachmentRecord& record) const;

 private:
  std::string state_dir_;
  std::string pin_root_;
};

// A record as the state directory holds it (JSON), and back.
std::string record_json(const AttachmentRecord& record);
AttachmentRecord parse_record_json(const std::string& text);

// Makes sure a BPF filesystem is mounted at /sys/fs/bpf (as bpftool does).
void ensure_bpffs();

}  // namespace xb
