#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""usage: check_margin.py next.csv MIN: exits 1 if a proposal's regular-solution stability margin is below MIN."""
import csv
import sys

from regular_solution import estimate

elements = ["Co", "Cr", "Fe", "Ni", "Mn", "Al", "Ti"]
with open(sys.argv[1], newline="") as f:
    rows = list(csv.DictReader(f))
bad = [(r["id"], r["composition"], estimate({e: float(r[e]) for e in elements})[1]) for r in rows
       if estimate({e: float(r[e]) for e in elements})[1] < float(sys.argv[2]) - 1e-9]
for b in bad:
    print("stability_margin violated:", *b)
sys.exit(1 if bad or not rows else 0)
