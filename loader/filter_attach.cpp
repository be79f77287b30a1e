#include "filter_attach.hpp"

#include <bpf/bpf.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <filesystem>

#include "errors.hpp"
#include "netns.hpp"
#include "rule_compiler.hpp"
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

// Pins the maps and writes the record; undoes both if either fails.
void persist(const AttachmentStore& store, const AttachmentRecord& record, const FilterMaps& maps) {
  std::error_code ec;
  std::filesystem::create_directories(store.pin_root(), ec);
  try {
    maps.pin(record.pin_dir());
    store.save(record);
  } catch (...) {
    FilterMaps::unpin(record.pin_dir());
    store.remove(record);
    throw;
  }
}

std::vector<std::string> rule_labels(const RuleSet& rules) {
  std::vector<std::string> labels;
  for (std::size_t i = 0; i < rules.rules.size(); ++i)
    labels.push_back(rules.rules[i].name.empty() ? fmt::format("#{}", i) : rules.rules[i].name);
  return labels;
}

}  // namespace

AttachmentRecord attach_filter(const AttachRequest& req, const RuleSet& rules) {
  const CompiledTable table = compile_rules(rules);  // bad rules fail before any change

  AttachmentRecord record;
  record.hook = req.hook;
  record.direction = req.direction;
  record.netns = req.netns;
  record.ifname = req.ifname;
  record.rules_source = rules.source;
  record.attached_at = utc_now();
  record.rule_names = rule_labels(rules);

  if (is_xdp(req.hook) && req.direction != Direction::Ingress)
    throw Error(fmt::format("--direction=egress: {} sees received packets only (use --hook=tc-cls)",
                            hook_name(req.hook)));
  const AttachmentStore store;
  if (auto existing = store.find(record.id()))
    throw Error(fmt::format("{} is already attached ({}); detach it first", record.where(),
                            existing->attached_at));

  NetnsScope in_netns(req.netns);
  record.ifindex = interface_index(req.ifname, req.netns);
  ensure_bpffs();

  FilterMaps maps = FilterMaps::create();
  maps.install(table);
  if (is_xdp(req.hook)) {
    XdpAttachment attachment(FilterProgram::open(ProgramKind::Xdp, std::move(maps)), record.ifindex, req.ifname,
                             req.hook == Hook::XdpNative);
    record.prog_id = attachment.prog_id();
    record.xdp_dispatched = attachment.dispatched();
    persist(store, record, attachment.program().maps());
    attachment.release();
  } else {
    TcAttachment attachment(FilterProgram::load(ProgramKind::Tc, std::move(maps)), record.ifindex, req.ifname,
                            req.direction);
    record.tc = attachment.id();
    bpf_prog_info info{};
    __u32 len = sizeof(info);
    check_errno(bpf_obj_get_info_by_fd(attachment.program().prog_fd(), &info, &len), "read program info");
    record.prog_id = info.id;
    persist(store, record, attachment.program().maps());
    attachment.release();
  }
  return record;
}

void detach_filter(const AttachmentRecord& record) {
  const AttachmentStore store;
  std::string failure;
  try {
    NetnsScope in_netns(record.netns);
    if (is_xdp(record.hook)) {
      XdpAttachment::detach(record.ifindex, record.prog_id, record.ifname);
    } else {
      // remove clsact only if we made it and no other filter of ours uses it
      bool shared = false;
      for (const auto& other : store.list())
        shared |= other.id() != record.id() && !is_xdp(other.hook) && other.netns == record.netns &&
                  other.ifname == record.ifname;
      TcAttachment::detach(record.tc, record.tc.created_qdisc && !shared, record.ifname);
    }
  } catch (const Error& e) {
    if (is_live(record)) failure = e.what();  // still attached: report, keep the record
  }
  if (!failure.empty()) throw Error(failure);
  FilterMaps::unpin(record.pin_dir());
  ::rmdir(store.pin_root().c_str());  // ours; only goes when empty
  store.remove(record);
}

void reload_filter(const AttachmentRecord& record, const RuleSet& rules) {
  const CompiledTable table = compile_rules(rules);
  FilterMaps::open_pinned(record.pin_dir()).install(table);
  AttachmentRecord updated = record;
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
