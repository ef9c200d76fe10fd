#!/usr/bin/env python3
"""Writes N random high-entropy-alloy formulas (4-7 of 12 metals, fractions to 3 decimals) to a CSV,
for `matopt bench featurize --input` and `matopt featurize --features alloy` timings.
Usage: /usr/bin/python3 scripts/hea_formulas.py N OUT.csv [SEED]"""
import random
import sys

ELEMENTS = ["Al", "Co", "Cr", "Fe", "Ni", "Mn", "Ti", "Cu", "V", "Nb", "Mo", "Zr"]


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 25)
    with open(out, "w") as f:
        f.write("composition\n")
        for _ in range(n):
            els = rng.sample(ELEMENTS, rng.randint(4, 7))
            w = [rng.uniform(0.05, 1.0) for _ in els]
            s = sum(w)
            f.write("".join(f"{e}{v / s:.3f}" for e, v in zip(els, w)) + "\n")


if __name__ == "__main__":
    main()
