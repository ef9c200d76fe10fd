#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Synthetic lab for the example: fills the hardness column of a next.csv written by matopt propose.

usage: lab.py next.csv results.csv. Hardness (HV) rises with Al and Ti (solid-solution and precipitate
strengthening) and with Cr, with a deterministic pseudo-noise of a few HV from the proposal id.
"""
import csv
import sys
import zlib


def hardness(c):
    al, ti, cr = c.get("Al", 0), c.get("Ti", 0), c.get("Cr", 0)
    return 140 + 1400 * al + 1800 * ti + 200 * cr - 2500 * al * ti


def main(src, dst):
    with open(src, newline="") as f:
        rows = list(csv.DictReader(f))
    elements = ["Co", "Cr", "Fe", "Ni", "Mn", "Al", "Ti"]
    for r in rows:
        c = {e: float(r[e]) for e in elements}
        noise = (zlib.crc32(r["id"].encode()) % 1000) / 100.0 - 5.0
        r["hardness [HV]"] = f"{hardness(c) + noise:.1f}"
        r["status"] = "ok"
    with open(dst, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
