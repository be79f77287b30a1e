#!/usr/bin/env bash
# Fetches Debian 12's own kernel (linux-image-amd64: 6.1, with act_bpf and
# matchall as modules) into DIR, for the tests that need what the host kernel
# lacks. Usage: fetch-kernel.sh DIR
set -euo pipefail
dir=$1
[ -f "$dir/vmlinuz" ] && exit 0
mkdir -p "$dir"
cd "$dir"
pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
apt-get download "$pkg" >/dev/null
dpkg -x "$pkg"_*.deb root
release=$(ls root/lib/modules)
cp root/boot/vmlinuz-"$release" vmlinuz
cp root/boot/config-"$release" config
mkdir -p modules
for m in act_bpf cls_matchall sch_ingress veth; do
  find root/lib/modules -name "$m.ko*" -exec cp {} modules/ \;
done
echo "$release" > release
rm -rf root "$pkg"_*.deb
