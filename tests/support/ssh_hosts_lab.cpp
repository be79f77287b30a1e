#include "ssh_hosts_lab.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <fstream>
#include <regex>

#include "test_namespaces.hpp"

namespace xb::testing {

namespace fs = std::filesystem;

namespace {

void write(const fs::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

std::string gro_of(const std::string& ns, const std::string& dev) {
  const std::string k = run_command(fmt::format("ip netns exec {} ethtool -k {}", ns, dev));
  std::smatch m;
  static const std::regex line("generic-receive-offload: (on|off)");
  return std::regex_search(k, m, line) ? m[1].str() : "";
}

std::string threaded_of(const std::string& ns, const std::string& dev) {
  return run_command(fmt::format("ip netns exec {} cat /sys/class/net/{}/threaded", ns, dev));
}

// The agents' journals left in a namespace: /run/xdpbench/agent<pid>
// directories whose journal names this namespace.
std::vector<fs::path> journals_in(const std::string& ns) {
  std::vector<fs::path> found;
  struct stat st {};
  if (::stat(("/run/netns/" + ns).c_str(), &st) != 0) return found;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/run/xdpbench", ec)) {
    if (e.path().filename().string().rfind("agent", 0) != 0) continue;
    std::ifstream in(e.path() / "journal.json");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text.find(fmt::format("\"netns_inode\":{}", st.st_ino)) != std::string::npos) found.push_back(e.path());
  }
  return found;
}

}  // namespace

SshHostsLab::SshHostsLab(const Options& o) : xdpbench_(o.xdpbench) {
  try {
    set_up(o);
  } catch (...) {
    tear_down();
    throw;
  }
}

SshHostsLab::~SshHostsLab() { tear_down(); }

void SshHostsLab::set_up(const Options& o) {
  const std::string id = unique_name("lab");
  dir_ = fs::temp_directory_path() / id;
  fs::create_directories(dir_);
  ::chmod(dir_.c_str(), 0700);
  gen_host = "tg-" + id;
  dut_host = "dut-" + id;
  gen_ns = unique_name("xbltg");
  dut_ns = unique_name("xbldut");
  gen_if = unique_name("ltg");
  dut_if = unique_name("ldut");
  {
    for (const auto& ns : {gen_ns, dut_ns}) {
      run_command("ip netns add " + ns);
      run_command(fmt::format("ip -n {} link set lo up", ns));
      // no IPv6: no stray neighbour discovery in counted traffic
      run_command(fmt::format("ip netns exec {} sysctl -qw net.ipv6.conf.all.disable_ipv6=1", ns));
    }
    run_command(fmt::format("ip link add {} netns {} type veth peer name {} netns {}", gen_if, gen_ns, dut_if, dut_ns));
    run_command(fmt::format("ip -n {} addr add 198.18.0.1/24 dev {}", gen_ns, gen_if));
    run_command(fmt::format("ip -n {} addr add 198.18.0.2/24 dev {}", dut_ns, dut_if));
    for (const auto& [ns, dev] : {std::pair{gen_ns, gen_if}, std::pair{dut_ns, dut_if}})
      run_command(fmt::format("ip -n {} link set {} multicast off up", ns, dev));
    std::string target = "198.18.0.2", sink_role;
    if (o.sink) {
      // what the lab has set up, not the rig: the DUT routes the target out
      // of its second port to the generator's host
      sink_if = unique_name("lsnk");
      dut_out_if = unique_name("lout");
      run_command(
          fmt::format("ip link add {} netns {} type veth peer name {} netns {}", dut_out_if, dut_ns, sink_if, gen_ns));
      run_command(fmt::format("ip -n {} addr add 198.19.0.1/24 dev {}", dut_ns, dut_out_if));
      run_command(fmt::format("ip -n {} addr add 198.19.0.2/24 dev {}", gen_ns, sink_if));
      for (const auto& [ns, dev] : {std::pair{dut_ns, dut_out_if}, std::pair{gen_ns, sink_if}})
        run_command(fmt::format("ip -n {} link set {} multicast off up", ns, dev));
      run_command(fmt::format("ip netns exec {} sysctl -qw net.ipv4.ip_forward=1", dut_ns));
      const std::string sink_mac =
          run_command(fmt::format("ip netns exec {} cat /sys/class/net/{}/address", gen_ns, sink_if)).substr(0, 17);
      run_command(fmt::format("ip -n {} neigh replace 198.19.0.2 lladdr {} dev {} nud permanent", dut_ns, sink_mac,
                              dut_out_if));
      run_command(fmt::format("ip -n {} route add default via 198.19.0.2", dut_ns));
      target = "198.19.0.2";
      sink_role = fmt::format("sink = \"{}/{}\"\n", gen_host, sink_if);
    }
    gro_before_ = gro_of(dut_ns, dut_if);
    threaded_before_ = threaded_of(dut_ns, dut_if);
    const std::string d = dir_.string();
    run_command(fmt::format("ssh-keygen -q -t ed25519 -N '' -C xdpbench-test -f {}/host_key", d));
    run_command(fmt::format("ssh-keygen -q -t ed25519 -N '' -C xdpbench-test -f {}/client_key", d));
    if (o.authorize_client)
      fs::copy_file(dir_ / "client_key.pub", dir_ / "authorized_keys");
    else
      write(dir_ / "authorized_keys", "");
    fs::create_directories("/run/sshd");  // sshd's privilege separation directory
    write(dir_ / "sshd_config", fmt::format("HostKey {0}/host_key\n"
                                            "AuthorizedKeysFile {0}/authorized_keys\n"
                                            "PermitRootLogin prohibit-password\n"
                                            "PasswordAuthentication no\n"
                                            "KbdInteractiveAuthentication no\n"
                                            "UsePAM no\n"
                                            "StrictModes no\n"
                                            "PidFile none\n",
                                            d));
    const std::string sshd = fmt::format("/usr/sbin/sshd -i -f {}/sshd_config", d);
    write(dir_ / "ssh_config",
          fmt::format("Host {0}\n  ProxyCommand ip netns exec {1} {4}\n"
                      "Host {2}\n  ProxyCommand ip netns exec {3} {4}\n"
                      "Host *\n  User root\n  IdentityFile {5}/client_key\n  IdentitiesOnly yes\n"
                      "  UserKnownHostsFile {5}/known_hosts\n  StrictHostKeyChecking accept-new\n  LogLevel ERROR\n",
                      gen_host, gen_ns, dut_host, o.dut_reachable ? dut_ns : dut_ns + "-gone", sshd, d));
    const std::string xdpbench = o.host_xdpbench.empty() ? o.xdpbench : o.host_xdpbench;
    write(dir_ / "lab.toml",
          fmt::format("# two hosts of a test, each a namespace with its own sshd\n"
                      "name = \"{0}\"\n"
                      "[[host]]\nname = \"{1}\"\nssh = \"{1}\"\nxdpbench = \"{3}\"\n"
                      "[[host]]\nname = \"{2}\"\nssh = \"{2}\"\nxdpbench = \"{3}\"\n"
                      "[roles]\ngenerator = \"{1}/{4}\"\ndut = \"{2}/{5}\"\ntarget = \"{6}\"\n{7}",
                      id, gen_host, dut_host, xdpbench, gen_if,
                      o.dut_iface_in_topology.empty() ? dut_if : o.dut_iface_in_topology, target, sink_role));
  }
}

void SshHostsLab::tear_down() {
  try {
    cleanup();
  } catch (const std::exception&) {
    // a lab whose hosts cannot be reached: the namespaces go below anyway
  }
  // the agents' journals of these namespaces, should cleanup not have run
  for (const auto& ns : {gen_ns, dut_ns})
    for (const auto& j : journals_in(ns)) fs::remove_all(j);
  // ssh masters this lab's runs left (a killed controller's): each leaves by
  // itself once idle, sooner when told
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/run/xdpbench/ssh", ec)) {
    const std::string name = e.path().filename().string();
    if (name.find(gen_host) == std::string::npos && name.find(dut_host) == std::string::npos) continue;
    if (name.size() > 4 && name.substr(name.size() - 4) == ".log") {
      fs::remove(e.path(), ec);
      continue;
    }
    std::system(
        fmt::format("ssh -F {} -o ControlPath={} -O exit x >/dev/null 2>&1", ssh_config(), e.path().string()).c_str());
    fs::remove(e.path(), ec);
  }
  for (const auto& ns : {gen_ns, dut_ns})
    if (!ns.empty()) std::system(fmt::format("ip netns del {} 2>/dev/null", ns).c_str());
  if (!dir_.empty()) fs::remove_all(dir_, ec);
}

std::string SshHostsLab::cleanup() const {
  return run_command(fmt::format("{} cleanup --topology={} --ssh-config={} 2>&1", xdpbench_, topology(), ssh_config()));
}

std::string SshHostsLab::leftovers() const {
  std::string left;
  for (const auto& [ns, dev] : {std::pair{gen_ns, gen_if}, std::pair{dut_ns, dut_if}}) {
    const std::string link = run_command(fmt::format("ip -n {} -d link show dev {}", ns, dev));
    if (link.find("prog/xdp") != std::string::npos || link.find(" xdp") != std::string::npos)
      left += fmt::format("an XDP program on {}; ", dev);
    if (run_command(fmt::format("tc -n {} qdisc show dev {}", ns, dev)).find("clsact") != std::string::npos)
      left += fmt::format("a clsact qdisc on {}; ", dev);
    if (!run_command(fmt::format("ip netns exec {} nft list tables", ns)).empty())
      left += fmt::format("nftables tables in {}; ", ns);
    for (const auto& j : journals_in(ns)) left += fmt::format("journal {}; ", j.string());
  }
  if (gro_of(dut_ns, dut_if) != gro_before_) left += "GRO of the DUT's interface changed; ";
  if (threaded_of(dut_ns, dut_if) != threaded_before_) left += "threaded NAPI of the DUT's interface changed; ";
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/sys/fs/bpf", ec))
    if (e.path().filename().string().rfind("xdpbench_agent", 0) == 0) left += "pins " + e.path().string() + "; ";
  return left;
}

}  // namespace xb::testing
