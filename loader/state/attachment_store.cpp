#include "attachment_store.hpp"

#include <fmt/format.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "errors.hpp"
#include "hook_ops.hpp"
#include "private_files.hpp"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

namespace xb {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The hook's own fields (its target and the kernel's hold) are written and
// read by its entry in the hooks table.
json to_json(const AttachmentRecord& r) {
  json j{{"hook", hook_name(r.hook)},
         {"direction", direction_name(r.direction)},
         {"netns", r.netns},
         {"prog_id", r.prog_id},
         {"rules_source", r.rules_source},
         {"rule_names", r.rule_names},
         {"retired_counts", r.retired_counts},
         {"attached_at", r.attached_at},
         {"conntrack", r.conntrack}};
  // Every field the records of earlier versions had, neutral, so an older
  // xdpfilter (whose reader requires them all) still reads this one; the
  // hook's own are written over them.
  j.update({{"ifname", ""},
            {"ifindex", 0},
            {"cgroup", ""},
            {"nf_hook", ""},
            {"nf_priority", 0},
            {"udp_port", 0},
            {"owner_pid", 0},
            {"xdp_dispatched", false},
            {"tc", {{"handle", 0}, {"priority", 0}, {"created_qdisc", false}}},
            {"lwt", {{"route", ""}, {"table", 0}, {"original_route", ""}, {"program_name", ""}}}});
  hook_ops(r.hook).save(r, j);
  return j;
}

AttachmentRecord from_json(const json& j) {
  AttachmentRecord r;
  r.hook = parse_hook(j.at("hook").get<std::string>());
  r.direction = parse_direction(j.at("direction").get<std::string>());
  r.netns = j.at("netns").get<std::string>();
  r.prog_id = j.at("prog_id").get<std::uint32_t>();
  hook_ops(r.hook).read(j, r);
  r.rules_source = j.at("rules_source").get<std::string>();
  r.rule_names = j.at("rule_names").get<std::vector<std::string>>();
  if (const auto retired = j.find("retired_counts"); retired != j.end())  // none before the metrics
    r.retired_counts = retired->get<std::map<std::string, std::array<std::uint64_t, 2>>>();
  r.attached_at = j.at("attached_at").get<std::string>();
  r.conntrack = j.value("conntrack", false);  // none before connection states
  return r;
}

}  // namespace

std::string record_json(const AttachmentRecord& record) { return to_json(record).dump(1); }
AttachmentRecord parse_record_json(const std::string& text) { return from_json(json::parse(text)); }

std::string AttachmentRecord::target_name() const { return hook_ops(hook).target_text(*this); }

std::string AttachmentRecord::id() const {
  std::string id = fmt::format("{}__{}__{}__{}", netns.empty() ? "-" : netns, target_name(), hook_name(hook),
                               direction_name(direction));
  // bpffs refuses names with dots; a cgroup path has slashes
  std::replace(id.begin(), id.end(), '.', '_');
  std::replace(id.begin(), id.end(), '/', '_');
  std::replace(id.begin(), id.end(), ':', '_');
  std::replace(id.begin(), id.end(), '@', '_');
  return id;
}

std::string AttachmentRecord::where() const { return hook_ops(hook).where(*this); }

AttachmentStore::AttachmentStore(StatePaths paths)
    : state_dir_(std::move(paths.state_dir)), pin_root_(std::move(paths.pin_root)) {}

std::string AttachmentStore::pin_dir(const AttachmentRecord& record) const { return pin_root_ + "/" + record.id(); }

std::vector<AttachmentRecord> AttachmentStore::list() const {
  std::vector<AttachmentRecord> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(state_dir_, ec)) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path());
    try {
      out.push_back(from_json(json::parse(in)));
    } catch (const std::exception& e) {
      throw Error(fmt::format("{}: unreadable attachment record: {}", entry.path().string(), e.what()));
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id() < b.id(); });
  return out;
}

std::optional<AttachmentRecord> AttachmentStore::find(const std::string& id) const {
  const fs::path path = fs::path(state_dir_) / (id + ".json");
  std::ifstream in(path);
  if (!in) return std::nullopt;
  return from_json(json::parse(in));
}

void AttachmentStore::save(const AttachmentRecord& record) const {
  make_private_dir(state_dir_);
  write_private_file((fs::path(state_dir_) / (record.id() + ".json")).string(), to_json(record).dump(1) + "\n");
}

void AttachmentStore::remove(const AttachmentRecord& record) const {
  std::error_code ec;
  fs::remove(fs::path(state_dir_) / (record.id() + ".json"), ec);
}

void ensure_bpffs() {
  struct statfs st {};
  if (::statfs("/sys/fs/bpf", &st) == 0 && st.f_type == BPF_FS_MAGIC) return;
  ::mkdir("/sys/fs/bpf", 0700);
  if (::mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700"))
    throw Error(errno_message("mount the BPF filesystem at /sys/fs/bpf", errno));
}

}  // namespace xb
