#!/usr/bin/env bash
# Installs what xdpbench builds and runs with, from Debian 12's archive.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# openssh-server is here for the lab tests' "hosts": each one an `sshd -i`
# run by ssh's ProxyCommand inside a test's namespace, so no sshd ever
# listens on this machine. Its package would start one: a policy-rc.d that
# refuses every service start holds while it installs (kept if one exists).
policy=/usr/sbin/policy-rc.d
own_policy=false
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && own_policy=true
fi
trap '"$own_policy" && rm -f "$policy"' EXIT
apt-get install -y -qq --no-install-recommends \
  build-essential cmake pkg-config git ca-certificates \
  clang llvm libclang-rt-dev clang-tidy bpftool libbpf-dev libxdp-dev libelf-dev zlib1g-dev \
  libcli11-dev nlohmann-json3-dev libtomlplusplus-dev libfmt-dev libmnl-dev libnftables-dev libpcap-dev \
  libgtest-dev libbenchmark-dev \
  iproute2 ethtool util-linux procps netbase \
  nftables iptables ipset libdpdk-dev chromium \
  libcpp-httplib-dev prometheus prometheus-node-exporter curl \
  qemu-system-x86 busybox-static cpio dash \
  openssh-client openssh-server netsniff-ng linuxptp >/dev/null
# prometheus and prometheus-node-exporter are here for the tests' real
# clients (promtool, a scraping Prometheus, the textfile collector), which
# run inside the tests' own namespaces; the services the packages start on
# a systemd host are not wanted there
if [ -d /run/systemd/system ]; then
  systemctl disable --now prometheus prometheus-node-exporter ssh.service ssh.socket >/dev/null 2>&1 || true
fi
# Vega-Lite for `xdpbench report`, from the npm registry at the versions
# bench/report/package-lock.json pins; CMake embeds its minified runtime.
command -v npm >/dev/null || apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
npm ci --prefix "$(dirname "$0")/../bench/report" --no-audit --no-fund >/dev/null
