#!/usr/bin/env bash
# Runs a test binary inside Debian 12's own kernel under qemu, for the hooks
# this host's kernel lacks (act_bpf). The guest is an initramfs made here:
# busybox, the kernel's modules, and the test binary, xdpfilter, ip, tc and
# bpftool, ethtool with the shared libraries they load. Prints the guest's output and
# exits with the test binary's exit code.
#   run-in-vm.sh [--nic-pair] KERNEL_DIR TEST_BINARY XDPFILTER [gtest args...]
# --nic-pair: the guest gets two virtio-net NICs that qemu joins to each
# other and to nothing else (see nic_pair below); their names reach the test
# as XB_TEST_GEN_IF and XB_TEST_DUT_IF. Without it the guest has no NIC.
set -euo pipefail
nic_pair=0
if [ "${1:-}" = --nic-pair ]; then nic_pair=1; shift; fi
kernel_dir=$1 test_bin=$2 xdpfilter=$3
shift 3
work=$(mktemp -d /tmp/xb-vm.XXXXXX)
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/{bin,sbin,usr/sbin,proc,sys,dev,tmp,run,boot,lib/modules,etc}
cp /bin/busybox "$root/bin/"
cp "$kernel_dir"/modules/* "$root/lib/modules/"
cp "$kernel_dir/config" "$root/boot/config-$(cat "$kernel_dir/release")"

copy_with_libs() {  # copy a binary to the same path in the guest, with its libraries
  local bin=$1
  mkdir -p "$root$(dirname "$bin")"
  cp "$bin" "$root$bin"
  for lib in $(ldd "$bin" | awk '/=>/ {print $3} /^\t\/lib/ {print $1}'); do
    if [ ! -e "$root$lib" ]; then
      mkdir -p "$root$(dirname "$lib")"
      cp -L "$lib" "$root$lib"
    fi
  done
}
for b in "$test_bin" "$xdpfilter" "$(command -v ip)" "$(command -v tc)" "$(command -v bpftool)" "$(command -v ethtool)" /bin/dash; do
  copy_with_libs "$b"
done
# the real tools, ahead of busybox's applets of the same names
mkdir -p "$root/usr/local/sbin"
for tool in ip tc bpftool ethtool; do cp "$(command -v $tool)" "$root/usr/local/sbin/"; done
# ld.so as the binaries name it
for ld in /lib64/ld-linux-x86-64.so.2; do mkdir -p "$root$(dirname $ld)"; cp -L $ld "$root$ld"; done
# libxdp's dispatcher, where libxdp looks for it: without it xdpfilter falls
# back to a plain attach (and says so), which is not what runs on the host
dispatcher=/usr/lib/x86_64-linux-gnu/bpf/xdp-dispatcher.o
if [ -f $dispatcher ]; then mkdir -p "$root$(dirname $dispatcher)"; cp $dispatcher "$root$dispatcher"; fi

# The two NICs: each a virtio-net-pci device on a port of qemu's hub 0, and
# the hub has only those two ports, so it is a cable between them inside
# qemu: no tap, bridge or socket of the host's (qemu warns that the hub "is
# not connected to host network": that is the point). The MACs say which is
# which; romfile= skips the iPXE boot ROM, which only slows the boot.
# Queues: a hub port is a one-queue backend (only tap, vhost-user and vdpa
# give a virtio-net device more queue pairs), so the device offers one
# queue pair whatever it is told: with mq=on,vectors=10 the guest's
# 'ethtool -l' still shows a maximum of 1 combined channel (measured), so
# 'ethtool -L' has nothing to raise. virtio_net wants a TX queue of its own
# per CPU for XDP_TX and XDP_REDIRECT; since 5.12 it attaches XDP without
# them and shares the stack's TX queue under a lock instead (it logs "XDP
# request N queues but max is 1 ... slower locked tx mode"). The filter only
# passes or drops and never transmits, so native XDP on one queue pair with
# 2 vCPUs is the same program on the same driver path (receive_small/
# receive_mergeable's XDP run). The guest's init prints 'ethtool -l', and
# after the test what virtio_net logged about XDP.
gen_mac=52:54:00:0b:00:01 dut_mac=52:54:00:0b:00:02
qemu_nics=(-nic none)
guest_nics="" guest_after=""
if [ $nic_pair = 1 ]; then
  qemu_nics=(-netdev hubport,id=xbgen,hubid=0 -device virtio-net-pci,netdev=xbgen,mac=$gen_mac,romfile=
             -netdev hubport,id=xbdut,hubid=0 -device virtio-net-pci,netdev=xbdut,mac=$dut_mac,romfile=)
  guest_nics=$(cat <<'NICS'
nic_named() { for d in /sys/class/net/*; do [ "$(cat $d/address)" = "$1" ] && basename $d; done; }
export XB_TEST_GEN_IF=$(nic_named GEN_MAC) XB_TEST_DUT_IF=$(nic_named DUT_MAC)
for i in $XB_TEST_GEN_IF $XB_TEST_DUT_IF; do echo "guest NIC $i: $(ethtool -i $i | head -1)"; ethtool -l $i | tail -5 | tr -s '\t\n' '  '; echo; done
NICS
)
  guest_nics=${guest_nics//GEN_MAC/$gen_mac}
  guest_nics=${guest_nics//DUT_MAC/$dut_mac}
  guest_after="dmesg | grep -i 'virtio_net.*xdp' | sed 's/^/guest kernel: /'"
fi

args=$(printf '%q ' "$@")
cat > "$root/init" <<INIT
#!/bin/busybox sh
/bin/busybox --install -s /bin
# dash as /bin/sh: busybox's shell runs its own 'ip' applet whatever PATH says
ln -sf /bin/dash /bin/sh
export PATH=/usr/local/sbin:/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
# /tmp stays part of the (writable) initramfs: the binaries may live under it
mount -t tmpfs run /run; mount -t bpf bpf /sys/fs/bpf
for m in $(cat "$kernel_dir/modules/order"); do insmod /lib/modules/\$m.ko; done
ip link set lo up
$guest_nics
cd /tmp
$test_bin $args
code=\$?
$guest_after
echo "XB-VM-EXIT \$code"
poweroff -f
INIT
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc 2>/dev/null | gzip -1 > "$work/initrd.gz")

# KVM only where it really runs a guest: /dev/kvm can exist on a machine whose
# (virtual) CPU has no vmx/svm, and there a KVM guest hangs in its firmware at
# full CPU until the timeout. So the CPU flag first, then a short boot of the
# same kernel with no initramfs that must print its banner before a deadline;
# anything else is software emulation (TCG), slower but it always boots.
kvm_runs_a_guest() {
  [ -w /dev/kvm ] || { echo "no writable /dev/kvm"; return 1; }
  grep -qwE 'vmx|svm' /proc/cpuinfo || { echo "/dev/kvm exists but the CPU has no vmx/svm flag"; return 1; }
  local probe=$work/kvm-probe.txt
  timeout "${XB_KVM_PROBE_SECONDS:-30}" qemu-system-x86_64 -machine accel=kvm -m 256 -nographic -no-reboot \
    -kernel "$kernel_dir/vmlinuz" -append "console=ttyS0 panic=-1" </dev/null >"$probe" 2>&1 || true
  grep -q "Linux version" "$probe" || { echo "a KVM guest did not boot within ${XB_KVM_PROBE_SECONDS:-30} s"; return 1; }
}
if why=$(kvm_runs_a_guest); then accel=kvm; else accel=tcg; echo "qemu: software emulation (tcg): $why"; fi
out=$work/console.txt
timeout 900 qemu-system-x86_64 -machine accel=$accel -m 2048 -smp 2 -nographic -no-reboot "${qemu_nics[@]}" \
  -kernel "$kernel_dir/vmlinuz" -initrd "$work/initrd.gz" \
  -append "console=ttyS0 quiet panic=-1" </dev/null >"$out" 2>&1 || true
tr -d '\r' < "$out" | grep -v '^\[ *[0-9.]*\]' | sed -e 's/\x1b\[[0-9;?]*[a-zA-Z]//g'
code=$(tr -d '\r' < "$out" | awk '/XB-VM-EXIT/ {print $2}' | tail -1)
echo "guest kernel $(cat "$kernel_dir/release") under qemu ($accel): exit ${code:-none}"
[ "${code:-1}" = 0 ]
