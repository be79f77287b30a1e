#include "filter_maps.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>

#include "errors.hpp"

namespace xb {
namespace {

constexpr const char* kTablesName = "xb_tables";
constexpr const char* kCountersName = "xb_counters";

constexpr std::uint32_t kMinTableCapacity = 4096;  // blocks: 256 KiB

// An array of capacity 64-byte blocks. No BPF_F_INNER_MAP: every table of a
// filter has the same size, so the verifier can inline the lookups.
UniqueFd create_table_map(std::uint32_t capacity) {
  int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "xb_table", sizeof(__u32), XB_BLOCK_SIZE, capacity, nullptr);
  check_errno(fd, fmt::format("create a rule table map of {} KiB", std::uint64_t{capacity} * XB_BLOCK_SIZE / 1024));
  return UniqueFd(fd);
}

// The pinned maps' capacity: the size of the table in the slot.
std::uint32_t capacity_of(int tables_fd) {
  __u32 zero = 0, inner_id = 0;
  check_errno(bpf_map_lookup_elem(tables_fd, &zero, &inner_id), "read the rule table slot");
  UniqueFd inner(bpf_map_get_fd_by_id(inner_id));
  check_errno(inner.get(), "open the active rule table");
  bpf_map_info info{};
  __u32 len = sizeof(info);
  check_errno(bpf_obj_get_info_by_fd(inner.get(), &info, &len), "read the rule table's size");
  return info.max_entries;
}

std::size_t possible_cpus() {
  const int n = libbpf_num_possible_cpus();
  check_errno(n, "count possible CPUs");
  return static_cast<std::size_t>(n);
}

}  // namespace

std::uint32_t default_table_capacity(const CompiledTable& first) {
  const std::uint64_t wanted = std::max<std::uint64_t>(2 * first.blocks.size(), kMinTableCapacity);
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(std::bit_ceil(wanted), XB_MAX_BLOCKS));
}

FilterMaps FilterMaps::create(const CompiledTable& first, std::uint32_t capacity) {
  if (capacity == 0) capacity = default_table_capacity(first);
  if (capacity > XB_MAX_BLOCKS)
    throw Error(fmt::format("a rule table of {} KiB is more than the {} MiB limit",
                            std::uint64_t{capacity} * XB_BLOCK_SIZE / 1024,
                            std::uint64_t{XB_MAX_BLOCKS} * XB_BLOCK_SIZE >> 20));
  int tables = -1;
  {
    // the slot's type: the verifier checks the programs against this size
    UniqueFd inner_template = create_table_map(capacity);
    LIBBPF_OPTS(bpf_map_create_opts, outer_opts, .inner_map_fd = static_cast<__u32>(inner_template.get()));
    tables = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, kTablesName, sizeof(__u32), sizeof(__u32), 1, &outer_opts);
    check_errno(tables, "create table slot map");
  }
  UniqueFd tables_fd(tables);
  int counters = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, kCountersName, sizeof(__u32), sizeof(xb_counter),
                                2 * XB_COUNTER_SLOTS, nullptr);
  check_errno(counters, "create counters map");
  FilterMaps maps(std::move(tables_fd), UniqueFd(counters), capacity);
  maps.looks_up_conntrack_ = first.meta().ct_lookup != 0;
  maps.install(first);
  return maps;
}

FilterMaps FilterMaps::open_pinned(const std::string& dir) {
  auto get = [&](const char* name) {
    const std::string path = dir + "/" + name;
    int fd = bpf_obj_get(path.c_str());
    check_errno(fd, "open pinned map " + path);
    return UniqueFd(fd);
  };
  UniqueFd tables = get(kTablesName);
  const std::uint32_t capacity = capacity_of(tables.get());
  return FilterMaps(std::move(tables), get(kCountersName), capacity);
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

std::uint32_t FilterMaps::tables_map_id() const {
  bpf_map_info info{};
  __u32 len = sizeof(info);
  check_errno(bpf_obj_get_info_by_fd(tables_.get(), &info, &len), "read the table slot's id");
  return info.id;
}

std::uint32_t FilterMaps::active_table_id() const {
  __u32 zero = 0, inner_id = 0;
  if (bpf_map_lookup_elem(tables_.get(), &zero, &inner_id)) return 0;
  return inner_id;
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
  if (table.blocks.size() > capacity_)
    throw Error(fmt::format(
        "the rules compile to a {} KiB table, more than the {} KiB this filter's tables were sized to when it was "
        "attached; detach and attach again (or attach with a larger --table-capacity)",
        table.bytes() / 1024, std::uint64_t{capacity_} * XB_BLOCK_SIZE / 1024));
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

  UniqueFd inner = create_table_map(capacity_);
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

CounterSnapshot FilterMaps::read_retired_counters(std::uint32_t rule_count) const {
  CounterSnapshot snap;
  xb_meta meta{};
  if (!active_meta(meta)) return snap;
  const std::uint32_t base = meta.counter_base == 0 ? XB_COUNTER_SLOTS : 0;
  snap.rules.resize(rule_count);
  for (std::uint32_t r = 0; r < rule_count; ++r) snap.rules[r] = read_slot(base + r);
  snap.no_match = read_slot(base + XB_RULE_DEFAULT);
  snap.non_ip = read_slot(base + XB_RULE_NON_IP);
  snap.malformed = read_slot(base + XB_RULE_MALFORMED);
  return snap;
}

}  // namespace xb
