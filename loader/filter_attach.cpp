#include "filter_attach.hpp"

#include <bpf/bpf.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <thread>
#include <type_traits>

#include "errors.hpp"
#include "link_attachment.hpp"
#include "lwt_attachment.hpp"
#include "netns.hpp"
#include "private_files.hpp"
#include "rule_compiler.hpp"
#include "socket_filter.hpp"
#include "state_journal.hpp"
#include "tc_act_attachment.hpp"
#include "tc_attachment.hpp"
#include "xdp_attachment.hpp"

namespace xb {
namespace {

std::string utc_now() {
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::vector<std::string> rule_labels(const RuleSet& rules) {
  std::vector<std::string> labels;
  for (std::size_t i = 0; i < rules.rules.size(); ++i)
    labels.push_back(rules.rules[i].name.empty() ? fmt::format("#{}", i) : rules.rules[i].name);
  return labels;
}

void forget(const AttachmentStore& store, const AttachmentRecord& record) {
  LinkAttachment::detach_pinned(store.pin_dir(record));
  FilterMaps::unpin(store.pin_dir(record));
  ::rmdir(store.pin_root().c_str());  // ours; only goes when empty
  store.remove(record);
}

// Pins the maps (and links), writes the record; undoes all if any fails.
void persist(const AttachmentStore& store, const AttachmentRecord& record, const FilterMaps& maps,
             const LinkAttachment* links = nullptr) {
  make_private_dir(store.pin_root());
  try {
    maps.pin(store.pin_dir(record));
    if (links) links->pin(store.pin_dir(record));
    kill_point("attach-pinned");
    store.save(record);
    kill_point("attach-recorded");
  } catch (...) {
    forget(store, record);
    throw;
  }
}

AttachmentRecord new_record(const AttachRequest& req, const RuleSet& rules) {
  AttachmentRecord record;
  record.hook = req.hook;
  record.direction = req.direction;
  record.netns = req.netns;
  record.ifname = is_lwt(req.hook) ? "" : req.ifname;
  record.cgroup = req.hook == Hook::CgroupSkb ? req.cgroup : "";
  record.nf_hook = req.hook == Hook::Netfilter ? req.nf_hook : "";
  record.nf_priority = req.hook == Hook::Netfilter ? req.nf_priority : 0;
  record.udp_port = req.hook == Hook::SocketFilter ? req.udp_port : 0;
  record.rules_source = rules.source;
  record.attached_at = utc_now();
  record.rule_names = rule_labels(rules);

  if (req.direction == Direction::Egress && !has_egress(req.hook))
    throw Error(fmt::format("--direction=egress: {} sees received packets only (use --hook={})", hook_name(req.hook),
                            is_lwt(req.hook) ? "lwt-out or lwt-xmit" : "tc-cls"));
  if (req.direction == Direction::Ingress && !has_ingress(req.hook))
    throw Error(fmt::format("--direction=ingress: {} sees packets the route sends only (use --hook=lwt-in)",
                            hook_name(req.hook)));
  if (is_lwt(req.hook)) {
    if (req.route.empty()) throw Error("--route is required for --hook=" + hook_name(req.hook));
    record.lwt.prefix = parse_route_prefix(req.route).text();
    record.lwt.table = parse_route_table(req.table);
  } else if (!req.route.empty() || !req.table.empty()) {
    throw Error(fmt::format("--route and --table are for the lwt hooks, not --hook={}", hook_name(req.hook)));
  }
  const bool needs_iface = req.hook != Hook::CgroupSkb && req.hook != Hook::Netfilter && !is_lwt(req.hook) &&
                           !(req.hook == Hook::SocketFilter && req.udp_port);
  if (needs_iface && req.ifname.empty()) throw Error("--iface is required for --hook=" + hook_name(req.hook));
  if (req.hook == Hook::CgroupSkb && req.cgroup.empty()) throw Error("--cgroup is required for --hook=cgroup-skb");
  if (req.hook == Hook::Netfilter) parse_netfilter_hook(req.nf_hook);
  return record;
}

// Finishes or undoes changes a killed xdpfilter left half done (below).
void recover(const AttachmentStore& store);

void ensure_not_attached(const AttachmentStore& store, const AttachmentRecord& record) {
  if (auto existing = store.find(record.id()))
    throw Error(fmt::format("{} is already attached ({}); detach it first", record.where(), existing->attached_at));
}

}  // namespace

AttachmentRecord attach_filter(const StatePaths& state, const AttachRequest& req, const RuleSet& rules) {
  if (req.hook == Hook::SocketFilter)
    throw Error("socket-filter guards a socket of the attaching process: use SocketGuard");
  const CompiledTable table = compile_rules(rules);  // bad rules fail before any change
  AttachmentRecord record = new_record(req, rules);
  const AttachmentStore store(state);
  const StateLock lock(store);
  recover(store);
  ensure_not_attached(store, record);

  NetnsScope in_netns(req.netns);
  if (!record.ifname.empty() && record.cgroup.empty() && record.nf_hook.empty())
    record.ifindex = interface_index(req.ifname, req.netns);
  ensure_bpffs();
  // tc's place is fixed, so known before the attach: the journal names it
  if (req.hook == Hook::TcCls) record.tc = TcAttachment::place(record.ifindex, req.direction);
  if (req.hook == Hook::TcAct) record.tc = TcActAttachment::place(record.ifindex, req.direction);

  const ProgramKind kind = program_kind(req.hook);
  // the journal names the new maps before anything is attached: a process
  // killed from here on leaves an entry that recovery undoes by them
  FilterMaps maps = FilterMaps::create(table, req.table_capacity);
  write_journal(store, {PendingChange::Attach, record, maps.tables_map_id(), 0});
  kill_point("attach-journaled");
  switch (req.hook) {
    case Hook::XdpNative:
    case Hook::XdpGeneric: {
      XdpAttachment a(FilterProgram::open(kind, std::move(maps), req.latency_probe), record.ifindex, req.ifname,
                      req.hook == Hook::XdpNative);
      kill_point("attach-attached");
      record.prog_id = a.prog_id();
      record.xdp_dispatched = a.dispatched();
      persist(store, record, a.program().maps());
      a.release();
      break;
    }
    case Hook::TcCls:
    case Hook::TcAct: {
      // cls_bpf and act_bpf differ in how they attach, not in what is recorded
      auto attach_tc = [&]<class Attachment>(std::type_identity<Attachment>) {
        Attachment a(FilterProgram::load(kind, std::move(maps), req.latency_probe), record.ifindex, req.ifname,
                     req.direction);
        kill_point("attach-attached");
        record.tc = a.id();
        record.prog_id = a.program().prog_id();
        persist(store, record, a.program().maps());
        a.release();
      };
      if (req.hook == Hook::TcCls)
        attach_tc(std::type_identity<TcAttachment>{});
      else
        attach_tc(std::type_identity<TcActAttachment>{});
      break;
    }
    case Hook::Tcx:
    case Hook::CgroupSkb:
    case Hook::Netfilter: {
      FilterProgram program = FilterProgram::load(kind, std::move(maps), req.latency_probe);
      LinkAttachment a =
          req.hook == Hook::Tcx ? LinkAttachment::tcx(std::move(program), record.ifindex, req.ifname, req.direction)
          : req.hook == Hook::CgroupSkb
              ? LinkAttachment::cgroup_skb(std::move(program), req.cgroup, req.direction)
              : LinkAttachment::netfilter(std::move(program), parse_netfilter_hook(req.nf_hook), req.nf_priority);
      kill_point("attach-attached");
      record.prog_id = a.program().prog_id();
      persist(store, record, a.program().maps(), &a);  // pinned links stay when `a` closes its fds
      break;
    }
    case Hook::LwtIn:
    case Hook::LwtOut:
    case Hook::LwtXmit: {
      LwtAttachment a(FilterProgram::load(kind, std::move(maps), req.latency_probe), req.hook,
                      parse_route_prefix(record.lwt.prefix), record.lwt.table, req.netns);
      kill_point("attach-attached");
      record.lwt = a.id();
      record.prog_id = a.program().prog_id();
      persist(store, record, a.program().maps());
      a.release();
      break;
    }
    case Hook::SocketFilter:
      break;
  }
  clear_journal(store, record);
  return record;
}

struct SocketGuard::State {
  StatePaths paths;
  UniqueFd socket;
  std::optional<SocketFilterAttachment> attachment;
};

SocketGuard::SocketGuard(const StatePaths& state, const AttachRequest& req, const RuleSet& rules)
    : state_(std::make_unique<State>()) {
  state_->paths = state;
  const CompiledTable table = compile_rules(rules);
  record_ = new_record(req, rules);
  record_.owner_pid = static_cast<int>(::getpid());
  const AttachmentStore store(state);
  const StateLock lock(store);
  recover(store);
  ensure_not_attached(store, record_);
  {
    NetnsScope in_netns(req.netns);  // the socket stays in the namespace it was made in
    if (req.udp_port) {
      state_->socket = open_udp_socket(req.udp_port);
    } else {
      record_.ifindex = interface_index(req.ifname, req.netns);
      state_->socket = open_packet_socket(record_.ifindex, req.ifname);
    }
  }
  ensure_bpffs();
  state_->attachment.emplace(
      FilterProgram::load(ProgramKind::Socket, FilterMaps::create(table, req.table_capacity), req.latency_probe),
      state_->socket.get());
  record_.prog_id = state_->attachment->program().prog_id();
  persist(store, record_, state_->attachment->program().maps());
}

SocketGuard::~SocketGuard() { forget(AttachmentStore(state_->paths), record_); }

std::uint64_t SocketGuard::receive(int timeout_ms) {
  std::uint64_t n = 0;
  char buf[2048];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    while (::recv(state_->socket.get(), buf, sizeof(buf), MSG_DONTWAIT) >= 0) ++n;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) return n;
    pollfd p{state_->socket.get(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) < 0 && errno == EINTR) return n;
  }
}

namespace {

// Takes the filter off its hook, then unpins and forgets it; the journal
// entry written first lets recovery finish a detach that was killed.
void detach_locked(const AttachmentStore& store, const AttachmentRecord& record) {
  write_journal(store, {PendingChange::Detach, record, 0, 0});
  kill_point("detach-journaled");
  std::string failure;
  try {
    NetnsScope in_netns(record.netns);
    switch (record.hook) {
      case Hook::XdpNative:
      case Hook::XdpGeneric:
        XdpAttachment::detach(record.ifindex, record.prog_id, record.ifname);
        break;
      case Hook::TcCls:
      case Hook::TcAct: {
        // remove clsact only if we made it and no other filter of ours uses it
        bool shared = false;
        for (const auto& other : store.list())
          shared |= other.id() != record.id() && (other.hook == Hook::TcCls || other.hook == Hook::TcAct) &&
                    other.netns == record.netns && other.ifname == record.ifname;
        const bool remove_qdisc = record.tc.created_qdisc && !shared;
        if (record.hook == Hook::TcCls)
          TcAttachment::detach(record.tc, remove_qdisc, record.ifname);
        else
          TcActAttachment::detach(record.tc, remove_qdisc, record.ifname);
        break;
      }
      case Hook::LwtIn:
      case Hook::LwtOut:
      case Hook::LwtXmit:
        LwtAttachment::detach(record.lwt, record.hook, record.where());
        break;
      default:
        break;  // links: detached by forget()
    }
  } catch (const Error& e) {
    if (is_live(record)) failure = e.what();  // still attached: report, keep the record
  }
  if (!failure.empty()) {
    clear_journal(store, record);
    throw Error(failure);
  }
  kill_point("detach-detached");
  LinkAttachment::detach_pinned(store.pin_dir(record));
  FilterMaps::unpin(store.pin_dir(record));
  ::rmdir(store.pin_root().c_str());
  kill_point("detach-unpinned");
  store.remove(record);
  clear_journal(store, record);
}

// What the table a reload replaced counted, kept by rule name in the new
// record so the metrics stay monotonic (a packet still in flight through
// the old table may go uncounted). `replaced` is the record of that table.
void keep_retired_counts(const FilterMaps& maps, const AttachmentRecord& replaced, AttachmentRecord& updated) {
  const auto retired = maps.read_retired_counters(static_cast<std::uint32_t>(replaced.rule_names.size()));
  auto keep = [&](const std::string& name, const RuleCounter& c) {
    auto& kept = updated.retired_counts[name];
    kept[0] += c.packets;
    kept[1] += c.bytes;
  };
  for (std::size_t i = 0; i < retired.rules.size() && i < replaced.rule_names.size(); ++i)
    keep(replaced.rule_names[i], retired.rules[i]);
  keep("(no match)", retired.no_match);
  keep("(non-IP)", retired.non_ip);
  keep("(malformed)", retired.malformed);
}

// The programs that use a map: after a kill, the ones of an attach's new maps.
std::vector<std::uint32_t> programs_using(std::uint32_t map_id) {
  std::vector<std::uint32_t> found;
  for (__u32 id = 0; map_id && bpf_prog_get_next_id(id, &id) == 0;) {
    const int fd = bpf_prog_get_fd_by_id(id);
    if (fd < 0) continue;
    std::array<__u32, 64> maps{};
    bpf_prog_info info{};
    info.nr_map_ids = static_cast<__u32>(maps.size());
    info.map_ids = reinterpret_cast<__u64>(maps.data());
    __u32 len = sizeof(info);
    if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0) {
      const auto end =
          maps.begin() + std::min<std::ptrdiff_t>(info.nr_map_ids, static_cast<std::ptrdiff_t>(maps.size()));
      if (std::find(maps.begin(), end, map_id) != end) found.push_back(id);
    }
    ::close(fd);
  }
  return found;
}

// An attach killed before its record was written: take off whatever of it
// reached the kernel, unpin what was pinned. Back to the state before. The
// programs of its maps tell its filter from anyone else's.
void undo_attach(const AttachmentStore& store, const JournalEntry& e) {
  const AttachmentRecord& record = e.record;
  const std::vector<std::uint32_t> programs = programs_using(e.tables_map_id);
  try {
    NetnsScope in_netns(record.netns);
    switch (record.hook) {
      case Hook::XdpNative:
      case Hook::XdpGeneric:
        for (const std::uint32_t prog_id : programs) XdpAttachment::detach(record.ifindex, prog_id, record.ifname);
        break;
      case Hook::TcCls:
        TcAttachment::remove_left_over(record.tc, programs);
        break;
      case Hook::TcAct:
        TcActAttachment::remove_left_over(record.tc);
        break;
      case Hook::LwtIn:
      case Hook::LwtOut:
      case Hook::LwtXmit:
        LwtAttachment::remove_left_over(parse_route_prefix(record.lwt.prefix), record.lwt.table, record.hook, programs);
        break;
      case Hook::Tcx:
      case Hook::CgroupSkb:
      case Hook::Netfilter:
      case Hook::SocketFilter:
        break;  // links went with the killed process's fds unless pinned (below); a socket with its process
    }
  } catch (const Error&) {
    // the interface, route or namespace went with it: nothing left to take off
  }
  LinkAttachment::detach_pinned(store.pin_dir(record));  // a link goes with its last pin
  FilterMaps::unpin(store.pin_dir(record));
  ::rmdir(store.pin_root().c_str());
}

void recover(const AttachmentStore& store) {
  for (const JournalEntry& e : read_journal(store)) {
    const auto current = store.find(e.record.id());
    switch (e.change) {
      case PendingChange::Attach:
        if (!current) undo_attach(store, e);  // with its record written the attach was complete
        clear_journal(store, e.record);
        break;
      case PendingChange::Reload:
        // the table swap is the commit: the record follows the table in use
        try {
          const FilterMaps maps = FilterMaps::open_pinned(store.pin_dir(e.record));
          if (current && maps.active_table_id() != e.old_table_id) {
            AttachmentRecord updated = e.record;
            keep_retired_counts(maps, *current, updated);
            store.save(updated);
          }
        } catch (const Error&) {
          // its maps are gone: nothing to follow
        }
        clear_journal(store, e.record);
        break;
      case PendingChange::Detach:
        if (current)
          detach_locked(store, e.record);
        else
          clear_journal(store, e.record);
        break;
    }
  }
}

}  // namespace

int recover_interrupted_changes(const StatePaths& state) {
  const AttachmentStore store(state);
  const StateLock lock(store);
  const int found = static_cast<int>(read_journal(store).size());
  recover(store);
  return found;
}

void detach_filter(const StatePaths& state, const AttachmentRecord& selected) {
  const AttachmentStore store(state);
  const StateLock lock(store);
  recover(store);
  // another xdpfilter may have changed it while this one waited for the lock
  const auto current = store.find(selected.id());
  if (!current) throw Error(selected.where() + " is no longer attached");
  const AttachmentRecord& record = *current;
  if (record.hook == Hook::SocketFilter) {
    // the owner detaches and forgets when it stops; wait for it (5 s at most)
    if (record.owner_pid > 0 && ::kill(record.owner_pid, SIGTERM) == 0) {
      for (int i = 0; i < 100 && store.find(record.id()); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (store.find(record.id()))
        throw Error(fmt::format("{}: process {} did not stop", record.where(), record.owner_pid));
      return;
    }
    forget(store, record);  // its owner is gone
    return;
  }
  detach_locked(store, record);
}

void reload_filter(const StatePaths& state, const AttachmentRecord& selected, const RuleSet& rules) {
  const CompiledTable table = compile_rules(rules);  // bad rules fail before any change
  const AttachmentStore store(state);
  const StateLock lock(store);
  recover(store);
  const auto current = store.find(selected.id());
  if (!current) throw Error(selected.where() + " is no longer attached");
  const FilterMaps maps = FilterMaps::open_pinned(store.pin_dir(*current));
  AttachmentRecord updated = *current;
  updated.rules_source = rules.source;
  updated.rule_names = rule_labels(rules);
  // the swap commits: killed before it, the old table and record stay;
  // after it, recovery writes the new record
  write_journal(store, {PendingChange::Reload, updated, 0, maps.active_table_id()});
  kill_point("reload-journaled");
  maps.install(table);
  kill_point("reload-installed");
  keep_retired_counts(maps, *current, updated);
  store.save(updated);
  kill_point("reload-recorded");
  clear_journal(store, updated);
}

CounterSnapshot read_filter_counters(const StatePaths& state, const AttachmentRecord& record) {
  return FilterMaps::open_pinned(AttachmentStore(state).pin_dir(record)).read_counters();
}

bool is_live(const AttachmentRecord& record) {
  // tc's filters sit at a known place: whether the kernel holds ours there
  // (the program itself may outlive its filter for a while: freed after RCU)
  if (record.hook == Hook::TcCls || record.hook == Hook::TcAct) {
    try {
      NetnsScope in_netns(record.netns);
      return record.hook == Hook::TcCls ? TcAttachment::holds(record.tc, record.prog_id)
                                        : TcActAttachment::holds(record.tc);
    } catch (const Error&) {
      return false;  // the namespace or interface is gone, and the filter with it
    }
  }
  const int fd = bpf_prog_get_fd_by_id(record.prog_id);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

}  // namespace xb
