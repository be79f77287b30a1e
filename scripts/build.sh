#!/usr/bin/env bash
# Configures and builds everything (BPF objects, skeletons, CLIs, tests,
# benchmarks) into ./build.
set -euo pipefail
cd "$(dirname "$0")/.."
# warnings are errors here, also in a tree once configured with XB_WERROR=OFF
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DXB_WERROR=ON >/dev/null
cmake --build build -j"$(nproc)"
