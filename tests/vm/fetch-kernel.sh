#!/usr/bin/env bash
# Fetches Debian 12's own kernel (linux-image-amd64: 6.1, with act_bpf,
# matchall, virtio-net and pktgen as modules) into DIR, for the tests that
# need what the host kernel lacks. Usage: fetch-kernel.sh DIR
set -euo pipefail
dir=$1
# The modules the guest loads, in the order insmod needs them (the .deb has
# no modules.dep: depmod makes it on install): tc-act's act_bpf and matchall;
# veth; the virtio-net driver behind virtio-pci (virtio_net needs
# net_failover, which needs failover); pktgen. run-in-vm.sh loads them in
# this order from modules/order.
modules="act_bpf cls_matchall sch_ingress veth virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev
virtio_pci failover net_failover virtio_net pktgen"
modules=$(echo $modules)
# a kernel fetched before with fewer modules is fetched again
[ -f "$dir/vmlinuz" ] && [ "$(cat "$dir/modules/order" 2>/dev/null)" = "$modules" ] && exit 0
rm -rf "$dir"
mkdir -p "$dir"
cd "$dir"
pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
apt-get download "$pkg" >/dev/null
dpkg -x "$pkg"_*.deb root
release=$(ls root/lib/modules)
cp root/boot/vmlinuz-"$release" vmlinuz
cp root/boot/config-"$release" config
mkdir -p modules
for m in $modules; do
  found=$(find root/lib/modules -name "$m.ko*")
  [ -n "$found" ] || { echo "fetch-kernel.sh: $pkg has no module $m" >&2; exit 1; }
  cp $found modules/
done
echo "$modules" > modules/order
echo "$release" > release
rm -rf root "$pkg"_*.deb
