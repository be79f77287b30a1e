#!/usr/bin/env bash
# The tc-act hook where the kernel has act_bpf: Debian 12's own kernel under
# qemu runs the tc-act end-to-end test (attach over rtnetlink, live traffic,
# counters, reload, detach). The host kernel of this project lacks act_bpf,
# so there the same test checks the clean failure instead. The test is
# NetnsEndToEnd's tc_act case, in the netns tier's binary.
#   tc-act-in-vm.sh NETNS_TESTS XDPFILTER KERNEL_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bash "$here/fetch-kernel.sh" "$3"
out=$(bash "$here/run-in-vm.sh" "$3" "$1" "$2" --gtest_filter='*EndToEnd*tc_act*' 2>&1) || { echo "$out"; exit 1; }
echo "$out"
# the guest kernel has act_bpf: the test must have attached, not checked a failure
if grep -q "checked the clean failure" <<<"$out"; then
  echo "tc-act was not exercised: the guest kernel reported no act_bpf"
  exit 1
fi
grep -q "\[  PASSED  \] 1 test" <<<"$out"
