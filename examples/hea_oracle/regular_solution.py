#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A stand-in for a CALPHAD call, speaking matopt's oracle protocol (docs/oracles.md).

stdin:  CSV with the header row,formula,<element fractions...>; one row per candidate.
stdout: CSV with the columns row,dH_mix,stability_margin; one row per candidate, in order.

Regular-solution estimate: dH_mix = sum_{i<j} 4 H_ij c_i c_j (kJ/mol) with the binary mixing
enthalpies H_ij of Takeuchi & Inoue (Mater. Trans. 46, 2817, 2005), and a solid-solution stability
margin T dS_mix - |dH_mix| at T = 1273 K (kJ/mol), dS_mix = -R sum c_i ln c_i. A positive, large margin
means entropy dominates the enthalpy that drives ordering or intermetallics (sigma, B2, Laves).
"""
import csv
import math
import sys

H = {  # kJ/mol, Takeuchi & Inoue (2005), Table 1 (Miedema model, equiatomic binaries)
    ("Co", "Cr"): -4, ("Co", "Fe"): -1, ("Co", "Ni"): 0, ("Co", "Mn"): -5, ("Co", "Al"): -19, ("Co", "Ti"): -28,
    ("Cr", "Fe"): -1, ("Cr", "Ni"): -7, ("Cr", "Mn"): 2, ("Cr", "Al"): -10, ("Cr", "Ti"): -7,
    ("Fe", "Ni"): -2, ("Fe", "Mn"): 0, ("Fe", "Al"): -11, ("Fe", "Ti"): -17,
    ("Ni", "Mn"): -8, ("Ni", "Al"): -22, ("Ni", "Ti"): -35,
    ("Mn", "Al"): -19, ("Mn", "Ti"): -8,
    ("Al", "Ti"): -30,
}
R = 8.314e-3  # kJ/(mol K)
T = 1273.0


def pair(a, b):
    return H.get((a, b), H.get((b, a)))


def estimate(c):
    """(dH_mix, stability_margin) in kJ/mol of fractions c = {element: fraction}."""
    elements = list(c)
    dh = sum(4 * pair(a, b) * c[a] * c[b] for i, a in enumerate(elements) for b in elements[i + 1:])
    ds = -R * sum(x * math.log(x) for x in c.values() if x > 0)
    return dh, T * ds - abs(dh)


def main():
    reader = csv.DictReader(sys.stdin)
    elements = [c for c in reader.fieldnames if c not in ("row", "formula")]
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["row", "dH_mix", "stability_margin"])
    for r in reader:
        dh, margin = estimate({e: float(r[e]) for e in elements})
        out.writerow([r["row"], repr(dh), repr(margin)])


if __name__ == "__main__":
    main()
