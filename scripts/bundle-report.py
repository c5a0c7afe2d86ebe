"""Sizes of a split release bundle: what each first page loads, gzipped.

A page loads the main wasm, then its group's chunk and the shared chunks the
group needs (as `__wasm_split_manifest.*.json` lists them). Prints each group
and exits with status 1 when the main module or the heaviest first page is
over its budget.

Usage: bundle-report.py PKG_DIR MAIN_BUDGET_KB FIRST_PAGE_BUDGET_KB
"""

import glob
import gzip
import json
import os
import sys


def gz(path):
    with open(path, "rb") as f:
        return len(gzip.compress(f.read(), 9))


def kb(n):
    return (n + 1023) // 1024


def one(pattern):
    found = glob.glob(pattern)
    if len(found) != 1:
        sys.exit(f"error: expected one {os.path.basename(pattern)}, found {len(found)}")
    return found[0]


def main():
    pkg, main_budget_kb, budget_kb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    main_wasm = one(os.path.join(pkg, "frontdesk.*.wasm"))
    main_js = one(os.path.join(pkg, "frontdesk.*.js"))
    loader_js = one(os.path.join(pkg, "__wasm_split.*.js"))
    with open(one(os.path.join(pkg, "__wasm_split_manifest.*.json"))) as f:
        manifest = json.load(f)

    first = gz(main_wasm)
    print(f"{'file':34} {'files':>5} {'raw KB':>8} {'gzip KB':>8}")
    for path in (main_wasm, main_js, loader_js):
        name = os.path.basename(path).split(".")[0] + "." + path.rsplit(".", 1)[1]
        print(f"{name:34} {1:5} {kb(os.path.getsize(path)):8} {kb(gz(path)):8}")

    heaviest = (0, None)
    for split, chunks in sorted(manifest.items()):
        # The group's own module carries the hash of its split point's name.
        files = [one(os.path.join(pkg, f"split_{split}.*.wasm"))]
        files += [os.path.join(pkg, f"{chunk}.wasm") for chunk in chunks]
        raw = sum(os.path.getsize(p) for p in files)
        packed = sum(gz(p) for p in files)
        group = split.strip("_").rsplit("_", 1)[0]
        print(f"{'+ ' + group:34} {len(files):5} {kb(raw):8} {kb(packed):8}")
        heaviest = max(heaviest, (first + packed, group))

    total, group = heaviest
    over = False
    print(f"main wasm, which every page loads: {kb(first)} KB gzipped (budget {main_budget_kb})")
    over |= kb(first) > main_budget_kb
    print(f"heaviest first page, main wasm + {group}: {kb(total)} KB gzipped (budget {budget_kb})")
    over |= kb(total) > budget_kb
    if over:
        print("error: over budget", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
