#!/usr/bin/env bash
# clang-tidy with the checked-in .clang-tidy over the project's C++ sources
# (loader/, packets/, process/, testing/, bench/, tests/) in a build's
# compile_commands.json (default ./build, built first: the skeletons and
# generated headers must exist; generated sources under build/ are left out).
# Exits non-zero on any finding.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
files=$(python3 - "$build/compile_commands.json" "$(pwd)" <<'PY'
import json, re, sys
db, root = sys.argv[1], sys.argv[2]
names = sorted({e["file"] for e in json.load(open(db))})
print(" ".join("^" + re.escape(f) + "$" for f in names
               if re.match(re.escape(root) + r"/(loader|packets|process|testing|bench|tests)/.*\.cpp$", f)))
PY
)
# run-clang-tidy echoes each clang-tidy command line and clang's count of the
# (system headers') warnings it filtered: only the findings are kept
run-clang-tidy -p "$build" -j "${XB_TIDY_JOBS:-$(nproc)}" -quiet $files 2>&1 |
  { grep -Ev '^clang-tidy(-[0-9]+)? |^[0-9]+ warnings? generated\.$' || true; }
