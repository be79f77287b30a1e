#include "filter_maps.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "errors.hpp"

namespace xb {
namespace {

constexpr const char* kTablesName = "xb_tables";
constexpr const char* kCountersName = "xb_counters";

// An array of 64-byte blocks, sized to its table. BPF_F_INNER_MAP lets
// tables of any size take the slot in turn.
UniqueFd create_table_map(std::uint32_t blocks) {
  LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_INNER_MAP);
  int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "xb_table", sizeof(__u32), XB_BLOCK_SIZE, blocks, &opts);
  check_errno(fd, "create rule table map");
  return UniqueFd(fd);
}

std::size_t possible_cpus() {
  const int n = libbpf_num_possible_cpus();
  check_errno(n, "count possible CPUs");
  return static_cast<std::size_t>(n);
}

}  // namespace

FilterMaps FilterMaps::create() {
  UniqueFd inner_template = create_table_map(XB_FAMILIES);
  LIBBPF_OPTS(bpf_map_create_opts, outer_opts, .inner_map_fd = static_cast<__u32>(inner_template.get()));
  int tables = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, kTablesName, sizeof(__u32), sizeof(__u32), 1, &outer_opts);
  check_errno(tables, "create table slot map");
  UniqueFd tables_fd(tables);
  int counters = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, kCountersName, sizeof(__u32), sizeof(xb_counter),
                                2 * XB_COUNTER_SLOTS, nullptr);
  check_errno(counters, "create counters map");
  return FilterMaps(std::move(tables_fd), UniqueFd(counters));
}

FilterMaps FilterMaps::open_pinned(const std::string& dir) {
  auto get = [&](const char* name) {
    const std::string path = dir + "/" + name;
    int fd = bpf_obj_get(path.c_str());
    check_errno(fd, "open pinned map " + path);
    return UniqueFd(fd);
  };
  return FilterMaps(get(kTablesName), get(kCountersName));
}

void FilterMaps::pin(const std::string& dir) const {
  if (::mkdir(dir.c_str(), 0700) && errno != EEXIST) throw Error(errno_message("create pin directory " + dir, errno));
  check_errno(bpf_obj_pin(tables_.get(), (dir + "/" + kTablesName).c_str()), "pin " + dir + "/" + kTablesName);
  check_errno(bpf_obj_pin(counters_.get(), (dir + "/" + kCountersName).c_str()), "pin " + dir + "/" + kCountersName);
}

void FilterMaps::unpin(const std::string& dir) {
  ::unlink((dir + "/" + kTablesName).c_str());
  ::unlink((dir + "/" + kCountersName).c_str());
  ::rmdir(dir.c_str());
}

void FilterMaps::reuse_in(bpf_object* obj) const {
  auto reuse = [&](const char* name, int fd) {
    bpf_map* map = bpf_object__find_map_by_name(obj, name);
    if (!map) throw Error(fmt::format("BPF object has no map '{}'", name));
    check_errno(bpf_map__reuse_fd(map, fd), fmt::format("reuse map '{}'", name));
  };
  reuse(kTablesName, tables_.get());
  reuse(kCountersName, counters_.get());
}

UniqueFd FilterMaps::active_table() const {
  // A reload may swap the table out and free it between reading its id and
  // opening it: read the slot again then.
  for (int attempt = 0;; ++attempt) {
    __u32 zero = 0, inner_id = 0;
    if (bpf_map_lookup_elem(tables_.get(), &zero, &inner_id)) return UniqueFd();
    const int fd = bpf_map_get_fd_by_id(inner_id);
    if (fd >= 0) return UniqueFd(fd);
    if (fd != -ENOENT || attempt == 100) check_errno(fd, "open active rule table");
  }
}

void FilterMaps::install(const CompiledTable& table) const {
  // The counters generation the running table does not use: zero its slots
  // before any packet can count into them.
  std::uint32_t base = 0;
  if (xb_meta current{}; active_meta(current)) base = current.counter_base == 0 ? XB_COUNTER_SLOTS : 0;

  const std::size_t ncpu = possible_cpus();
  std::vector<xb_counter> zeros(ncpu);
  auto zero_slot = [&](std::uint32_t slot) {
    const __u32 key = base + slot;
    check_errno(bpf_map_update_elem(counters_.get(), &key, zeros.data(), BPF_ANY), "reset counters");
  };
  for (std::uint32_t r = 0; r < table.rule_count(); ++r) zero_slot(r);
  for (std::uint32_t s : {XB_RULE_DEFAULT, XB_RULE_NON_IP, XB_RULE_MALFORMED}) zero_slot(s);

  UniqueFd inner = create_table_map(static_cast<std::uint32_t>(table.blocks.size()));
  std::vector<xb_block> blocks = table.blocks;
  for (int f = 0; f < XB_FAMILIES; ++f) blocks[static_cast<std::size_t>(f)].meta.counter_base = base;
  std::vector<__u32> keys(blocks.size());
  for (std::size_t i = 0; i < keys.size(); ++i) keys[i] = static_cast<__u32>(i);
  for (std::size_t done = 0; done < keys.size();) {
    __u32 count = static_cast<__u32>(std::min<std::size_t>(keys.size() - done, 65536));
    check_errno(bpf_map_update_batch(inner.get(), &keys[done], &blocks[done], &count, nullptr), "fill rule table");
    done += count;
  }

  // The swap. For map-in-map updates the kernel waits for an RCU grace
  // period before returning, so when this returns no packet is still being
  // classified against the old table (and the old counters are quiet).
  const __u32 zero = 0;
  const __u32 inner_fd = static_cast<__u32>(inner.get());
  check_errno(bpf_map_update_elem(tables_.get(), &zero, &inner_fd, BPF_ANY), "swap in rule table");
}

bool FilterMaps::active_meta(xb_meta& meta) const {
  UniqueFd active = active_table();
  xb_block block{};
  const __u32 key = XB_FAMILY_V4;
  if (!active || bpf_map_lookup_elem(active.get(), &key, &block)) return false;
  meta = block.meta;
  return true;
}

RuleCounter FilterMaps::read_slot(std::uint32_t slot) const {
  static const std::size_t ncpu = possible_cpus();
  std::vector<xb_counter> per_cpu(ncpu);
  RuleCounter sum;
  if (bpf_map_lookup_elem(counters_.get(), &slot, per_cpu.data())) return sum;
  for (const auto& c : per_cpu) {
    sum.packets += c.packets;
    sum.bytes += c.bytes;
  }
  return sum;
}

RuleCounter FilterMaps::read_counter(std::uint32_t rule) const {
  xb_meta meta{};
  return active_meta(meta) ? read_slot(meta.counter_base + rule) : RuleCounter{};
}

CounterSnapshot FilterMaps::read_counters() const {
  CounterSnapshot snap;
  xb_meta meta{};
  if (!active_meta(meta)) return snap;
  snap.rules.resize(meta.rule_count);
  for (std::uint32_t r = 0; r < meta.rule_count; ++r) snap.rules[r] = read_slot(meta.counter_base + r);
  snap.no_match = read_slot(meta.counter_base + XB_RULE_DEFAULT);
  snap.non_ip = read_slot(meta.counter_base + XB_RULE_NON_IP);
  snap.malformed = read_slot(meta.counter_base + XB_RULE_MALFORMED);
  return snap;
}

}  // namespace xb
