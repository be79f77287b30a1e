#!/usr/bin/env bash
# Configures and builds everything (BPF objects, skeletons, CLIs, tests,
# benchmarks) into ./build. XB_BUILD_TYPE picks the CMake build type
# (default RelWithDebInfo; CI builds Release, the type a user would pick).
set -euo pipefail
cd "$(dirname "$0")/.."
# warnings are errors here, also in a tree once configured with XB_WERROR=OFF
cmake -S . -B build -DCMAKE_BUILD_TYPE="${XB_BUILD_TYPE:-RelWithDebInfo}" -DXB_WERROR=ON >/dev/null
cmake --build build -j"$(nproc)"
