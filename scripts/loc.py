#!/usr/bin/env python3
"""Non-test code lines of Rust sources: not blank, not a comment, outside `#[cfg(test)]` items.

Usage: scripts/loc.py DIR... (prints one count per DIR, then per file with -v)."""
import os
import sys


def code_lines(path):
    n = 0
    skip_depth = None  # brace depth at which a #[cfg(test)] item started
    depth = 0
    pending_cfg_test = False
    in_block_comment = False
    with open(path, encoding="utf-8", errors="replace") as f:
        for raw in f:
            line = raw.strip()
            if in_block_comment:
                if "*/" in line:
                    in_block_comment = False
                continue
            if line.startswith("/*"):
                if "*/" not in line:
                    in_block_comment = True
                continue
            if not line or line.startswith("//"):
                continue
            opens, closes = line.count("{"), line.count("}")
            if skip_depth is None and line.startswith("#[cfg(test)]"):
                pending_cfg_test = True
                continue
            if pending_cfg_test:
                if line.startswith("#["):
                    continue
                pending_cfg_test = False
                if opens == 0:
                    # a one-line item such as `mod tests;` or `use x;`
                    continue
                skip_depth = depth
                depth += opens - closes
                if depth <= skip_depth:
                    skip_depth = None
                continue
            depth += opens - closes
            if skip_depth is not None:
                if depth <= skip_depth:
                    skip_depth = None
                continue
            n += 1
    return n


def main():
    verbose = "-v" in sys.argv
    for root in [a for a in sys.argv[1:] if a != "-v"]:
        total = 0
        rows = []
        for dirpath, _, files in os.walk(root):
            for name in sorted(files):
                if name.endswith(".rs") and name != "tests.rs":
                    p = os.path.join(dirpath, name)
                    c = code_lines(p)
                    rows.append((c, p))
                    total += c
        if verbose:
            for c, p in sorted(rows):
                print(f"{c:6} {p}")
        print(f"{total:6} {root}")


if __name__ == "__main__":
    main()
