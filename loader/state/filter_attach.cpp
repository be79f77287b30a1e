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

#include "address_type.hpp"
#include "conntrack_tracking.hpp"
#include "errors.hpp"
#include "hook_ops.hpp"
#include "link_attachment.hpp"
#include "local_routes.hpp"
#include "netns.hpp"
#include "private_files.hpp"
#include "rule_compiler.hpp"
#include "state_journal.hpp"

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
  for (std::size_t i = 0; i < rules.rules.size(); ++i) labels.push_back(rule_label(rules, i));
  return labels;
}

void forget(const AttachmentStore& store, const AttachmentRecord& record) {
  LinkAttachment::detach_pinned(store.pin_dir(record));
  FilterMaps::unpin(store.pin_dir(record));
  ::rmdir(store.pin_root().c_str());  // ours; only goes when empty
  store.remove(record);
}

// Pins the maps (and a link hook's links), writes the record; undoes all if
// any fails.
void persist(const AttachmentStore& store, const AttachmentRecord& record, const PlacedFilter& placed) {
  make_private_dir(store.pin_root());
  try {
    placed.program().maps().pin(store.pin_dir(record));
    placed.pin(store.pin_dir(record));
    kill_point("attach-pinned");
    store.save(record);
    kill_point("attach-recorded");
  } catch (...) {
    forget(store, record);
    throw;
  }
}

AttachmentRecord new_record(const AttachRequest& req, const RuleSet& rules) {
  check_direction(req.hook, req.direction);
  AttachmentRecord record;
  record.hook = req.hook;
  record.direction = req.direction;
  record.netns = req.netns;
  record.target = req.target;
  record.rules_source = rules.source;
  record.attached_at = utc_now();
  record.rule_names = rule_labels(rules);
  try {
    (void)record.target_name();  // reads the target as the hook's own type
  } catch (const std::bad_variant_access&) {
    throw Error(
        fmt::format("attach: the request names no target --hook={} takes (see hook_target)", hook_name(req.hook)));
  }
  return record;
}

// Finishes or undoes changes a killed xdpfilter left half done (below).
void recover(const AttachmentStore& store);

void ensure_not_attached(const AttachmentStore& store, const AttachmentRecord& record) {
  if (auto existing = store.find(record.id()))
    throw Error(fmt::format("{} is already attached ({}); detach it first", record.where(), existing->attached_at));
}

// NF_IP_PRI_CONNTRACK: where conntrack judges a packet at prerouting and output.
constexpr int kConntrackPriority = -200;

// Refuses, before anything changes, a rule set that names connection
// states at a hook that cannot learn them.
void check_connection_state(const AttachRequest& req, const CompiledRuleSet& rules) {
  const Rule* rule = rules.first_stateful_rule();
  if (!rule) return;
  const auto named = [&] {
    return fmt::format("rule '{}' at {} names ct-state {}",
                       rule_label(rules.rules(), static_cast<std::size_t>(rule - rules.rules().rules.data())),
                       rule->where.str(), ct_states_text(rule->ct_states));
  };
  switch (hook_ops(req.hook).connection_state) {
    case ConnectionState::Unknown:
      throw Error(fmt::format(
          "--hook={} cannot learn a packet's connection state ({}): the kernel gives the conntrack lookup to XDP "
          "and tc programs only; use xdp-native, xdp-generic, tc-cls, tcx or netfilter",
          hook_name(req.hook), named()));
    case ConnectionState::Judged:
      if (const auto* nf = std::get_if<NetfilterTarget>(&req.target); nf && nf->priority <= kConntrackPriority)
        throw Error(
            fmt::format("--priority={}: conntrack judges a packet at priority {}, so a filter before it "
                        "cannot see connection states ({}); use a priority above {}",
                        nf->priority, kConntrackPriority, named(), kConntrackPriority));
      break;
    case ConnectionState::LookedUp:
      break;
  }
}

// The rules with their address types decided from the local routing table
// of the namespace the filter sits in (address_type.hpp). A cgroup's
// sockets may live in any namespace: there they cannot be decided.
RuleSet with_address_types(const RuleSet& rules, const AttachmentRecord& site) {
  const auto named =
      std::find_if(rules.rules.begin(), rules.rules.end(), [](const Rule& r) { return r.src_types || r.dst_types; });
  if (named == rules.rules.end()) return rules;
  if (site.cgroup())
    throw Error(fmt::format(
        "{} cannot know whose addresses are local (a cgroup's sockets may live in any network "
        "namespace): rule '{}' at {} names {}-type {}",
        site.where(), rule_label(rules, static_cast<std::size_t>(named - rules.rules.begin())), named->where.str(),
        named->src_types ? "src" : "dst", address_types_text(named->src_types ? named->src_types : named->dst_types)));
  const NetnsScope in_netns(site.netns);
  return decide_address_types(rules, read_local_routes());
}

// The rules with their interface matches (interface_match.hpp) and address
// types decided for where the filter sits: compiled again only when some
// rule names one.
CompiledRuleSet for_the_site(const CompiledRuleSet& rules, const AttachmentRecord& site) {
  const auto& all = rules.rules().rules;
  const bool interfaces = std::any_of(all.begin(), all.end(), [](const Rule& r) { return names_interfaces(r); });
  const bool types = std::any_of(all.begin(), all.end(), [](const Rule& r) { return r.src_types || r.dst_types; });
  if (!interfaces && !types) return rules;
  RuleSet decided = rules.rules();
  if (interfaces) {
    KnownInterfaces known;
    if (const auto* i = std::get_if<InterfaceTarget>(&site.target))
      (site.direction == Direction::Egress ? known.out : known.in) = i->ifname;
    decided = decide_interfaces(decided, known, site.where());
  }
  return CompiledRuleSet(with_address_types(decided, site));
}

struct Placed {
  AttachmentRecord record;
  std::unique_ptr<PlacedFilter> filter;
};

// The attach transaction, the same for every hook: lock, recover, journal,
// maps, attach, pin, record. On any failure nothing is left attached,
// pinned or recorded: the hook's PlacedFilter takes itself off as it goes.
Placed place_filter(const StatePaths& state, const AttachRequest& req, const CompiledRuleSet& asked) {
  Placed placed{new_record(req, asked.rules()), nullptr};
  AttachmentRecord& record = placed.record;
  const CompiledRuleSet rules = for_the_site(asked, record);
  check_connection_state(req, rules);
  record.conntrack = rules.needs_conntrack();
  const HookOps& ops = hook_ops(req.hook);
  const AttachmentStore store(state);
  const StateLock lock(store);
  recover(store);
  ensure_not_attached(store, record);

  NetnsScope in_netns(req.netns);
  ensure_bpffs();
  ops.prepare(record);  // e.g. tc's place: known before the attach, so the journal names it
  // the journal names the new maps before anything is attached: a process
  // killed from here on leaves an entry that recovery undoes by them
  FilterMaps maps = FilterMaps::create(rules.table(), req.table_capacity);
  write_journal(store, {PendingChange::Attach, record, maps.tables_map_id(), 0});
  kill_point("attach-journaled");
  const std::string conntrack_table = conntrack_table_name(store.pin_dir(record));
  std::unique_ptr<PlacedFilter> filter;
  try {
    // before the filter runs: it sees only what conntrack tracks
    if (record.conntrack) hold_conntrack(conntrack_table);
    filter = ops.attach(record, std::move(maps), req.rig);
    kill_point("attach-attached");
    persist(store, record, *filter);
  } catch (...) {
    filter.reset();  // taken off here: in its netns, under the lock
    if (record.conntrack) release_conntrack(conntrack_table);
    throw;
  }
  clear_journal(store, record);
  placed.filter = std::move(filter);
  return placed;
}

}  // namespace

void check_direction(Hook hook, Direction direction) {
  if (direction == Direction::Egress && !has_egress(hook))
    throw Error(fmt::format("--direction=egress: {} sees received packets only (use --hook={})", hook_name(hook),
                            is_lwt(hook) ? "lwt-out or lwt-xmit" : "tc-cls"));
  if (direction == Direction::Ingress && !has_ingress(hook))
    throw Error(
        fmt::format("--direction=ingress: {} sees packets the route sends only (use --hook=lwt-in)", hook_name(hook)));
}

AttachmentRecord attach_filter(const StatePaths& state, const AttachRequest& req, const CompiledRuleSet& rules) {
  if (hook_ops(req.hook).held_by_process)
    throw Error(hook_name(req.hook) + " guards a socket of the attaching process: use SocketGuard");
  Placed placed = place_filter(state, req, rules);
  placed.filter->release();  // attached beyond this process (pinned links need no release)
  return placed.record;
}

struct SocketGuard::State {
  StatePaths paths;
  std::unique_ptr<PlacedFilter> filter;
};

SocketGuard::SocketGuard(const StatePaths& state, const AttachRequest& req, const CompiledRuleSet& rules)
    : state_(std::make_unique<State>()) {
  if (!hook_ops(req.hook).held_by_process)
    throw Error(hook_name(req.hook) + " outlives the attaching process: use attach_filter");
  state_->paths = state;
  Placed placed = place_filter(state, req, rules);
  record_ = std::move(placed.record);
  state_->filter = std::move(placed.filter);
}

SocketGuard::~SocketGuard() { forget(AttachmentStore(state_->paths), record_); }

std::uint64_t SocketGuard::receive(int timeout_ms) {
  std::uint64_t n = 0;
  char buf[2048];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    while (::recv(state_->filter->receive_fd(), buf, sizeof(buf), MSG_DONTWAIT) >= 0) ++n;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) return n;
    pollfd p{state_->filter->receive_fd(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) < 0 && errno == EINTR) return n;
  }
}

namespace {

// Lets go of conntrack in the filter's namespace (conntrack_tracking.hpp),
// also when the hook's interface or route is already gone; a namespace gone
// took the table with it.
void release_conntrack_of(const AttachmentStore& store, const AttachmentRecord& record) {
  if (!record.conntrack) return;
  try {
    NetnsScope in_netns(record.netns);
    release_conntrack(conntrack_table_name(store.pin_dir(record)));
  } catch (const Error&) {
  }
}

// Takes the filter off its hook, then unpins and forgets it; the journal
// entry written first lets recovery finish a detach that was killed.
void detach_locked(const AttachmentStore& store, const AttachmentRecord& record) {
  write_journal(store, {PendingChange::Detach, record, 0, 0});
  kill_point("detach-journaled");
  std::string failure;
  try {
    NetnsScope in_netns(record.netns);
    const auto others = [&] {
      std::vector<HookSite> sites;
      for (const auto& other : store.list())
        if (other.id() != record.id()) sites.push_back(other);
      return sites;
    };
    hook_ops(record.hook).detach(record, others);
  } catch (const Error& e) {
    if (is_live(record)) failure = e.what();  // still attached: report, keep the record
  }
  if (!failure.empty()) {
    clear_journal(store, record);
    throw Error(failure);
  }
  release_conntrack_of(store, record);
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
    // a link hook's links went with the killed process's fds unless pinned
    // (below); a socket with its process
    hook_ops(record.hook).undo(record, programs);
  } catch (const Error&) {
    // the interface, route or namespace went with it: nothing left to take off
  }
  release_conntrack_of(store, record);
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
  if (hook_ops(record.hook).held_by_process) {
    const int owner_pid = std::get<SocketHold>(record.hold).owner_pid;
    // the owner detaches and forgets when it stops; wait for it (5 s at most)
    if (owner_pid > 0 && ::kill(owner_pid, SIGTERM) == 0) {
      for (int i = 0; i < 100 && store.find(record.id()); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (store.find(record.id())) throw Error(fmt::format("{}: process {} did not stop", record.where(), owner_pid));
      return;
    }
    forget(store, record);  // its owner is gone
    return;
  }
  detach_locked(store, record);
}

void reload_filter(const StatePaths& state, const AttachmentRecord& selected, const CompiledRuleSet& rules) {
  const AttachmentStore store(state);
  const StateLock lock(store);
  recover(store);
  const auto current = store.find(selected.id());
  if (!current) throw Error(selected.where() + " is no longer attached");
  const CompiledRuleSet decided = for_the_site(rules, *current);
  if (const Rule* rule = decided.first_stateful_rule(); rule && !current->conntrack)
    throw Error(fmt::format(
        "{} runs a program without the connection state lookup, and rule '{}' at {} names "
        "ct-state {}: detach and attach again with these rules",
        current->where(), rule_label(decided.rules(), static_cast<std::size_t>(rule - decided.rules().rules.data())),
        rule->where.str(), ct_states_text(rule->ct_states)));
  const FilterMaps maps = FilterMaps::open_pinned(store.pin_dir(*current));
  AttachmentRecord updated = *current;
  updated.rules_source = decided.source();
  updated.rule_names = rule_labels(decided.rules());
  // the swap commits: killed before it, the old table and record stay;
  // after it, recovery writes the new record
  write_journal(store, {PendingChange::Reload, updated, 0, maps.active_table_id()});
  kill_point("reload-journaled");
  maps.install(decided.table());
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
  try {
    NetnsScope in_netns(record.netns);
    return hook_ops(record.hook).is_live(record);
  } catch (const Error&) {
    return false;  // the namespace or interface is gone, and the filter with it
  }
}

}  // namespace xb
