#include "filter_attach.hpp"

#include <bpf/bpf.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <thread>
#include <type_traits>

#include "errors.hpp"
#include "link_attachment.hpp"
#include "lwt_attachment.hpp"
#include "netns.hpp"
#include "rule_compiler.hpp"
#include "socket_filter.hpp"
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
  LinkAttachment::detach_pinned(record.pin_dir());
  FilterMaps::unpin(record.pin_dir());
  ::rmdir(store.pin_root().c_str());  // ours; only goes when empty
  store.remove(record);
}

// Pins the maps (and links), writes the record; undoes all if any fails.
void persist(const AttachmentStore& store, const AttachmentRecord& record, const FilterMaps& maps,
             const LinkAttachment* links = nullptr) {
  std::error_code ec;
  std::filesystem::create_directories(store.pin_root(), ec);
  try {
    maps.pin(record.pin_dir());
    if (links) links->pin(record.pin_dir());
    store.save(record);
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

void ensure_not_attached(const AttachmentStore& store, const AttachmentRecord& record) {
  if (auto existing = store.find(record.id()))
    throw Error(fmt::format("{} is already attached ({}); detach it first", record.where(), existing->attached_at));
}

}  // namespace

AttachmentRecord attach_filter(const AttachRequest& req, const RuleSet& rules) {
  if (req.hook == Hook::SocketFilter)
    throw Error("socket-filter guards a socket of the attaching process: use SocketGuard");
  const CompiledTable table = compile_rules(rules);  // bad rules fail before any change
  AttachmentRecord record = new_record(req, rules);
  const AttachmentStore store;
  ensure_not_attached(store, record);

  NetnsScope in_netns(req.netns);
  if (!record.ifname.empty() && record.cgroup.empty() && record.nf_hook.empty())
    record.ifindex = interface_index(req.ifname, req.netns);
  ensure_bpffs();

  const ProgramKind kind = program_kind(req.hook);
  switch (req.hook) {
    case Hook::XdpNative:
    case Hook::XdpGeneric: {
      XdpAttachment a(FilterProgram::open(kind, FilterMaps::create(table, req.table_capacity), req.stamp_offset),
                      record.ifindex, req.ifname, req.hook == Hook::XdpNative);
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
        Attachment a(FilterProgram::load(kind, FilterMaps::create(table, req.table_capacity), req.stamp_offset),
                     record.ifindex, req.ifname, req.direction);
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
      FilterProgram program =
          FilterProgram::load(kind, FilterMaps::create(table, req.table_capacity), req.stamp_offset);
      LinkAttachment a =
          req.hook == Hook::Tcx ? LinkAttachment::tcx(std::move(program), record.ifindex, req.ifname, req.direction)
          : req.hook == Hook::CgroupSkb
              ? LinkAttachment::cgroup_skb(std::move(program), req.cgroup, req.direction)
              : LinkAttachment::netfilter(std::move(program), parse_netfilter_hook(req.nf_hook), req.nf_priority);
      record.prog_id = a.program().prog_id();
      persist(store, record, a.program().maps(), &a);  // pinned links stay when `a` closes its fds
      break;
    }
    case Hook::LwtIn:
    case Hook::LwtOut:
    case Hook::LwtXmit: {
      LwtAttachment a(FilterProgram::load(kind, FilterMaps::create(table, req.table_capacity), req.stamp_offset),
                      req.hook, parse_route_prefix(record.lwt.prefix), record.lwt.table, req.netns);
      record.lwt = a.id();
      record.prog_id = a.program().prog_id();
      persist(store, record, a.program().maps());
      a.release();
      break;
    }
    case Hook::SocketFilter:
      break;
  }
  return record;
}

struct SocketGuard::State {
  UniqueFd socket;
  std::optional<SocketFilterAttachment> attachment;
};

SocketGuard::SocketGuard(const AttachRequest& req, const RuleSet& rules) : state_(std::make_unique<State>()) {
  const CompiledTable table = compile_rules(rules);
  record_ = new_record(req, rules);
  record_.owner_pid = static_cast<int>(::getpid());
  const AttachmentStore store;
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
      FilterProgram::load(ProgramKind::Socket, FilterMaps::create(table, req.table_capacity), req.stamp_offset),
      state_->socket.get());
  record_.prog_id = state_->attachment->program().prog_id();
  persist(store, record_, state_->attachment->program().maps());
}

SocketGuard::~SocketGuard() { forget(AttachmentStore(), record_); }

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

void detach_filter(const AttachmentRecord& record) {
  const AttachmentStore store;
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
  if (!failure.empty()) throw Error(failure);
  forget(store, record);
}

void reload_filter(const AttachmentRecord& record, const RuleSet& rules) {
  const CompiledTable table = compile_rules(rules);
  const FilterMaps maps = FilterMaps::open_pinned(record.pin_dir());
  maps.install(table);
  AttachmentRecord updated = record;
  // what the replaced table counted, kept by rule name for the metrics (a
  // packet still in flight through the old table may be counted after this)
  const auto retired = maps.read_retired_counters(static_cast<std::uint32_t>(record.rule_names.size()));
  auto keep = [&](const std::string& name, const RuleCounter& c) {
    auto& kept = updated.retired_counts[name];
    kept[0] += c.packets;
    kept[1] += c.bytes;
  };
  for (std::size_t i = 0; i < retired.rules.size(); ++i) keep(record.rule_names[i], retired.rules[i]);
  keep("(no match)", retired.no_match);
  keep("(non-IP)", retired.non_ip);
  keep("(malformed)", retired.malformed);
  updated.rules_source = rules.source;
  updated.rule_names = rule_labels(rules);
  AttachmentStore().save(updated);
}

CounterSnapshot read_filter_counters(const AttachmentRecord& record) {
  return FilterMaps::open_pinned(record.pin_dir()).read_counters();
}

bool is_live(const AttachmentRecord& record) {
  const int fd = bpf_prog_get_fd_by_id(record.prog_id);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

}  // namespace xb
