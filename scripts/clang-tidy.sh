#!/usr/bin/env bash
# clang-tidy with the checked-in .clang-tidy over the C++ sources of loader/,
# packets/ and tests/ in a build's compile_commands.json (default ./build,
# built first: the skeletons and generated headers must exist). Exits non-zero
# on any finding. bench/ and the classifier sources (cut_tree, rule_compiler,
# reference_model*) are to follow.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
files=$(python3 - "$build/compile_commands.json" "$(pwd)" <<'PY'
import json, re, sys
db, root = sys.argv[1], sys.argv[2]
later = re.compile(r"/loader/(cut_tree|rule_compiler|reference_model(_l3)?)\.cpp$")
names = sorted({e["file"] for e in json.load(open(db))})
print(" ".join("^" + re.escape(f) + "$" for f in names
               if re.match(re.escape(root) + r"/(loader|packets|tests)/.*\.cpp$", f) and not later.search(f)))
PY
)
# run-clang-tidy echoes each clang-tidy command line and clang's count of the
# (system headers') warnings it filtered: only the findings are kept
run-clang-tidy -p "$build" -j "${XB_TIDY_JOBS:-$(nproc)}" -quiet $files 2>&1 |
  { grep -Ev '^clang-tidy(-[0-9]+)? |^[0-9]+ warnings? generated\.$' || true; }
