#include "host_journal.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fmt/format.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "errors.hpp"
#include "filter_attach.hpp"
#include "run_command.hpp"

namespace xb::bench {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr const char* kAgentsRoot = "/run/xdpbench";

// Which network namespace this is: a journal is undone only in its own (the
// tests' "hosts" are namespaces of one machine, sharing /run).
std::uint64_t netns_inode() {
  struct stat st {};
  if (::stat("/proc/self/ns/net", &st) != 0) throw Error(errno_message("stat /proc/self/ns/net", errno));
  return st.st_ino;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The XDP program on an interface, in any mode (0: none).
std::uint32_t xdp_prog_id(const std::string& dev) {
  const unsigned ifindex = ::if_nametoindex(dev.c_str());
  if (ifindex == 0) return 0;
  bpf_xdp_query_opts opts{};
  opts.sz = sizeof(opts);
  if (bpf_xdp_query(static_cast<int>(ifindex), 0, &opts) != 0) return 0;
  return opts.prog_id != 0 ? opts.prog_id : opts.drv_prog_id != 0 ? opts.drv_prog_id : opts.skb_prog_id;
}

bool has_clsact(const std::string& dev) {
  const CommandResult r = run_command({"tc", "qdisc", "show", "dev", dev});
  return r.status == 0 && r.out.find("qdisc clsact") != std::string::npos;
}

// "on" or "off" (empty: ethtool cannot tell)
std::string gro_of(const std::string& dev) {
  const CommandResult r = run_command({"ethtool", "-k", dev});
  std::smatch m;
  static const std::regex line("generic-receive-offload: (on|off)");
  return r.status == 0 && std::regex_search(r.out, m, line) ? m[1].str() : "";
}

// "0" or "1": whether the interface's NAPI runs in a thread of its own
// (empty: the driver does not say)
std::string threaded_of(const std::string& dev) {
  std::ifstream in("/sys/class/net/" + dev + "/threaded");
  std::string v;
  std::getline(in, v);
  return v;
}

void set_threaded(const std::string& dev, const std::string& value) {
  std::ofstream out("/sys/class/net/" + dev + "/threaded");
  out << value << "\n";
}

std::string process_cmdline(pid_t pid) { return read_file(fmt::format("/proc/{}/cmdline", pid)); }

// Undoes one dead agent's journal; lines say what it undid.
std::vector<std::string> undo_journal(const fs::path& dir, const json& journal) {
  std::vector<std::string> done;
  const std::string agent = dir.filename().string();
  const StatePaths paths{(dir / "attachments").string(), journal.value("pin_root", "")};
  // the filter's attachments first, by the loader, which knows each hook
  for (const auto& record : AttachmentStore(paths).list()) {
    try {
      detach_filter(paths, record);
      done.push_back(fmt::format("{}: detached {}", agent, record.where()));
    } catch (const std::exception& e) {
      done.push_back(fmt::format("{}: detaching {} failed: {}", agent, record.where(), e.what()));
    }
  }
  for (const json& p : journal.value("processes", json::array())) {
    const auto pid = p.at("pid").get<pid_t>();
    if (::kill(pid, 0) == 0 && process_cmdline(pid) == p.at("cmdline").get<std::string>()) {
      ::kill(pid, SIGKILL);
      done.push_back(fmt::format("{}: stopped process {}", agent, pid));
    }
  }
  for (const json& t : journal.value("nft_tables", json::array())) {
    const auto family = t.at("family").get<std::string>(), name = t.at("name").get<std::string>();
    if (run_command({"nft", "delete", "table", family, name}).status == 0)
      done.push_back(fmt::format("{}: deleted nft table {} {}", agent, family, name));
  }
  for (const json& i : journal.value("interfaces", json::array())) {
    const auto dev = i.at("dev").get<std::string>();
    if (::if_nametoindex(dev.c_str()) == 0) continue;  // gone with its driver or namespace
    if (i.at("xdp_prog_id").get<std::uint32_t>() == 0 && xdp_prog_id(dev) != 0) {
      // none was there: whatever is now is this agent's (libxdp's
      // dispatcher, the generator's or a PMD's program)
      const int ifindex = static_cast<int>(::if_nametoindex(dev.c_str()));
      for (const std::uint32_t mode : {XDP_FLAGS_DRV_MODE, XDP_FLAGS_SKB_MODE}) bpf_xdp_detach(ifindex, mode, nullptr);
      done.push_back(fmt::format("{}: removed the XDP program on {}", agent, dev));
    }
    if (!i.at("clsact").get<bool>() && has_clsact(dev) &&
        run_command({"tc", "qdisc", "del", "dev", dev, "clsact"}).status == 0)
      done.push_back(fmt::format("{}: removed the clsact qdisc of {}", agent, dev));
    // threaded NAPI before GRO: a veth without GRO has no NAPI to set
    const auto threaded = i.value("threaded", "");
    if (!threaded.empty() && threaded_of(dev) != threaded) {
      set_threaded(dev, threaded);
      done.push_back(fmt::format("{}: threaded NAPI of {} back {}", agent, dev, threaded));
    }
    const auto gro = i.at("gro").get<std::string>();
    if (!gro.empty() && gro_of(dev) != gro && run_command({"ethtool", "-K", dev, "gro", gro}).status == 0)
      done.push_back(fmt::format("{}: GRO of {} back {}", agent, dev, gro));
  }
  std::error_code ec;
  if (!paths.pin_root.empty() && fs::remove_all(paths.pin_root, ec) > 0)
    done.push_back(fmt::format("{}: removed {}", agent, paths.pin_root));
  fs::remove_all(dir, ec);
  done.push_back(fmt::format("{}: journal removed", agent));
  return done;
}

}  // namespace

HostJournal::HostJournal() {
  const std::string id = fmt::format("agent{}", ::getpid());
  dir_ = fmt::format("{}/{}", kAgentsRoot, id);
  paths_ = {dir_ + "/attachments", "/sys/fs/bpf/xdpbench_" + id};
  fs::create_directories(paths_.state_dir);
  journal_ = {{"pid", ::getpid()},           {"netns_inode", netns_inode()}, {"pin_root", paths_.pin_root},
              {"interfaces", json::array()}, {"nft_tables", json::array()},  {"processes", json::array()}};
  write();
}

HostJournal::~HostJournal() {
  try {
    for (const json& i : journal_["interfaces"]) {
      const auto dev = i.at("dev").get<std::string>(), gro = i.at("gro").get<std::string>();
      if (::if_nametoindex(dev.c_str()) == 0) continue;
      // threaded NAPI before GRO: a veth without GRO has no NAPI to set
      if (const auto threaded = i.value("threaded", ""); !threaded.empty() && threaded_of(dev) != threaded)
        set_threaded(dev, threaded);
      if (!gro.empty() && gro_of(dev) != gro) run_command({"ethtool", "-K", dev, "gro", gro});
    }
  } catch (const std::exception&) {
    // the journal stays for `cleanup --topology` (it is removed below only
    // when this got through)
    return;
  }
  std::error_code ec;
  fs::remove_all(paths_.pin_root, ec);
  fs::remove_all(dir_, ec);
}

void HostJournal::write() const {
  // whole or not at all: a journal half written would undo half
  const std::string path = dir_ + "/journal.json", tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << journal_.dump() << "\n";
    out.flush();
    if (!out) throw Error(errno_message("write " + tmp, errno));
  }
  fs::rename(tmp, path);
}

void HostJournal::note_interface(const std::string& dev) {
  for (const json& i : journal_["interfaces"])
    if (i.at("dev") == dev) return;
  if (::if_nametoindex(dev.c_str()) == 0) throw Error(fmt::format("no interface {} on this host", dev));
  journal_["interfaces"].push_back({{"dev", dev},
                                    {"xdp_prog_id", xdp_prog_id(dev)},
                                    {"clsact", has_clsact(dev)},
                                    {"gro", gro_of(dev)},
                                    {"threaded", threaded_of(dev)}});
  write();
}

void HostJournal::set_gro(const std::string& dev, bool on) {
  note_interface(dev);
  checked_run({"ethtool", "-K", dev, "gro", on ? "on" : "off"});
}

void HostJournal::note_nft_table(const std::string& family, const std::string& name) {
  journal_["nft_tables"].push_back({{"family", family}, {"name", name}});
  write();
}

void HostJournal::note_process(pid_t pid) {
  journal_["processes"].push_back({{"pid", pid}, {"cmdline", process_cmdline(pid)}});
  write();
}

std::vector<std::string> clean_dead_agents() {
  std::vector<std::string> done;
  std::error_code ec;
  static const std::regex agent_dir("agent([0-9]+)");
  const std::uint64_t here = netns_inode();
  for (const auto& entry : fs::directory_iterator(kAgentsRoot, ec)) {
    std::smatch m;
    const std::string name = entry.path().filename().string();
    if (!std::regex_match(name, m, agent_dir)) continue;
    const auto pid = static_cast<pid_t>(std::stol(m[1].str()));
    if (::kill(pid, 0) == 0 || errno != ESRCH) continue;  // still running
    json journal;
    try {
      journal = json::parse(read_file(entry.path() / "journal.json"));
    } catch (const std::exception&) {
      // killed before its first write: nothing was changed yet
      fs::remove_all(entry.path(), ec);
      continue;
    }
    if (journal.value("netns_inode", std::uint64_t{0}) != here) continue;  // another host's
    for (auto& line : undo_journal(entry.path(), journal)) done.push_back(std::move(line));
  }
  return done;
}

}  // namespace xb::bench
