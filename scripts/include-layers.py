#!/usr/bin/env python3
"""The include graph of loader/'s layers, checked and drawn.

Every `#include "x"` of a file under loader/ is resolved to the folder
holding x; a layer may include only itself, the layers it stands on (LAYERS
below) and the BPF ABI headers of bpf/. The project's parts are checked the
same way (loader/ includes nothing of bench/, tests/, packets/ or process/).

  scripts/include-layers.py            check; one line per arrow up, exit 1
  scripts/include-layers.py --mermaid  the folder graph, as drawn in docs/architecture.md
"""
import os
import re
import sys
from collections import defaultdict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Each loader layer and what it may include (besides itself and bpf/).
LAYERS = {
    "base": [],
    "metrics": [],
    "rules": ["base"],
    "import": ["rules", "base"],
    "compile": ["rules", "base"],
    "kernel": ["compile", "rules", "base"],
    "hooks": ["kernel", "compile", "rules", "base"],
    "state": ["hooks", "kernel", "compile", "rules", "base", "metrics"],
    "cli": ["state", "hooks", "kernel", "compile", "import", "rules", "base", "metrics"],
}
# The project's parts: what each may include (bpf/ everywhere).
PARTS = {
    "loader": [],
    "packets": ["loader"],
    "process": ["loader"],
    "testing": ["loader", "packets"],
    "bench": ["loader", "packets", "process", "testing"],
    "tests": ["loader", "packets", "process", "testing", "bench"],
}
SOURCE = re.compile(r"\.(c|cc|cpp|h|hpp|inc)$")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def sources():
    for part in list(PARTS) + ["bpf"]:
        for dirpath, _, names in os.walk(os.path.join(ROOT, part)):
            for name in names:
                if SOURCE.search(name):
                    yield os.path.relpath(os.path.join(dirpath, name), ROOT)


def place(path):
    """(part, layer): layer is loader's folder, else None."""
    bits = path.split(os.sep)
    return bits[0], (bits[1] if bits[0] == "loader" and len(bits) > 2 else None)


def main():
    files = list(sources())
    by_name = defaultdict(list)
    for f in files:
        by_name[os.path.basename(f)].append(f)
    edges, wrong = set(), []
    for f in files:
        part, layer = place(f)
        if part == "bpf":
            continue
        with open(os.path.join(ROOT, f), encoding="utf-8", errors="replace") as src:
            text = src.read()
        for m in INCLUDE.finditer(text):
            name = m.group(1)
            here = os.path.normpath(os.path.join(os.path.dirname(f), name))
            targets = [here] if here in files else by_name.get(os.path.basename(name), [])
            if not targets:
                continue  # generated (skeletons, vmlinux ids) or a system header
            to_part, to_layer = place(targets[0])
            line = text.count("\n", 0, m.start()) + 1
            if to_part == "bpf" or (to_part == part and to_layer == layer):
                continue
            if to_part != part:
                if to_part not in PARTS[part]:
                    wrong.append(f"{f}:{line}: {part}/ includes {targets[0]} ({to_part}/ stands above it)")
                continue
            edges.add((layer, to_layer))
            if to_layer not in LAYERS.get(layer, []):
                wrong.append(f"{f}:{line}: loader/{layer} includes {targets[0]} (loader/{to_layer} is not below it)")
    if "--mermaid" in sys.argv:
        print("graph TD")
        for a, b in sorted(edges):
            print(f"  {a} --> {b}")
        return 0
    for w in wrong:
        print(w)
    print(f"{len(files)} files, {len(edges)} arrows between loader's layers, {len(wrong)} up")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
