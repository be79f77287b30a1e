// A lab of "hosts" on one machine, reached over real OpenSSH: each host a
// network namespace of this test's with its own sshd, started by ssh's
// ProxyCommand as `sshd -i` inside the namespace (so nothing listens on this
// machine), a throwaway host key and client key made here, and a veth
// between the generator's and the DUT's namespaces named in a hosts
// topology file as if they were NICs. Everything (namespaces, keys, the
// agents' journals, ssh's master connections) goes when the lab does, also
// when the test fails.
#pragma once

#include <filesystem>
#include <string>

namespace xb::testing {

class SshHostsLab {
 public:
  struct Options {
    std::string xdpbench;               // this build's: the controller, and what the hosts run
    std::string host_xdpbench;          // what the hosts run instead (a wrapper script: another version)
    std::string dut_iface_in_topology;  // empty: the DUT's veth end
    bool authorize_client = true;       // false: sshd refuses the client's key
    bool dut_reachable = true;          // false: the DUT's ProxyCommand fails
    // a second link, DUT -> generator's host, where the DUT forwards what
    // passes (a route to the target, as a lab sets up) to the sink there
    bool sink = false;
  };
  explicit SshHostsLab(const Options& options);
  ~SshHostsLab();
  SshHostsLab(const SshHostsLab&) = delete;
  SshHostsLab& operator=(const SshHostsLab&) = delete;

  const std::filesystem::path& dir() const { return dir_; }
  std::string topology() const { return (dir_ / "lab.toml").string(); }
  std::string ssh_config() const { return (dir_ / "ssh_config").string(); }
  // The hosts' namespaces and interfaces.
  std::string gen_ns, dut_ns, gen_if, dut_if;
  std::string sink_if, dut_out_if;  // with Options::sink
  std::string gen_host, dut_host;  // the topology's host names (unique to this lab)
  // `xdpbench cleanup --topology` of this lab: its output (throws on failure).
  std::string cleanup() const;
  // What of an xdpbench run is still on the hosts, or "" when nothing is:
  // XDP programs, clsact qdiscs, nftables tables, agents' journals and pins,
  // changed GRO or threaded NAPI.
  std::string leftovers() const;

 private:
  void set_up(const Options& o);
  void tear_down();
  std::filesystem::path dir_;
  std::string xdpbench_, gro_before_, threaded_before_;
};

}  // namespace xb::testing
