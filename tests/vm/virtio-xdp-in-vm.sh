#!/usr/bin/env bash
# The filter at native XDP on a real NIC driver: Debian 12's own kernel under
# qemu with two virtio-net NICs qemu joins to each other (run-in-vm.sh
# --nic-pair), NicPairXdp of the netns tier's binary pointed at them: attach
# in driver mode, raw frames counted per rule as the reference model says,
# reload, detach, and kernel pktgen's packets all counted.
#   virtio-xdp-in-vm.sh NETNS_TESTS XDPFILTER KERNEL_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bash "$here/fetch-kernel.sh" "$3"
out=$(bash "$here/run-in-vm.sh" --nic-pair "$3" "$1" "$2" --gtest_filter='NicPairXdp.*' 2>&1) || { echo "$out"; exit 1; }
echo "$out"
# on virtio_net, not a stand-in, and pktgen ran: nothing skipped
grep -q "DUT [^,]*, driver: virtio_net" <<<"$out" || { echo "the DUT's NIC was not virtio_net"; exit 1; }
if grep -q "SKIPPED" <<<"$out"; then echo "a test was skipped in the guest"; exit 1; fi
grep -q "\[  PASSED  \] 2 tests" <<<"$out"
