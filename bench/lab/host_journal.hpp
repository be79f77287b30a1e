// What an agent changes on its host, written down before it changes it, so
// that whatever ends the agent (the controller killed, the SSH connection
// lost, kill -9 of the agent itself, the host rebooted: /run is a tmpfs)
// the host can be put back as it was: `xdpbench cleanup --topology=FILE`
// runs clean_dead_agents() on every host.
//
// One directory per agent, /run/xdpbench/agent<pid>/: the filter's
// attachment records (AttachmentStore) in attachments/, its pins under
// /sys/fs/bpf/xdpbench_agent<pid>, and journal.json, which lists the
// interfaces the agent touched with their settings before (XDP program,
// clsact qdisc, GRO, threaded NAPI), the nftables tables it made and the
// processes it started.
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "attachment_store.hpp"

namespace xb::bench {

class HostJournal {
 public:
  // This process's journal (made now).
  HostJournal();
  // On a clean exit: puts back the settings it changed (the hooks and the
  // generator have undone their own parts by then) and removes the journal.
  ~HostJournal();
  HostJournal(const HostJournal&) = delete;
  HostJournal& operator=(const HostJournal&) = delete;

  // Where this agent's filter records and pins go.
  const StatePaths& state_paths() const { return paths_; }
  // Notes an interface's settings the first time the agent uses it.
  void note_interface(const std::string& dev);
  // Sets GRO, journalled (the interface noted first).
  void set_gro(const std::string& dev, bool on);
  void note_nft_table(const std::string& family, const std::string& name);
  void note_process(pid_t pid);

 private:
  void write() const;
  std::string dir_;  // /run/xdpbench/agent<pid>
  StatePaths paths_;
  nlohmann::json journal_;
};

// Puts back what agents no longer running left in this network namespace
// and removes their journals; returns a line per thing undone.
std::vector<std::string> clean_dead_agents();

}  // namespace xb::bench
