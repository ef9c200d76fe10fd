#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Retrospective benchmark of oracles (docs/oracles.md, "Measured"): one output is cheap and exactly
known, the other is learned, and `matopt` is driven as a subprocess the way a lab script drives it.

Problem: compositions of Ni-Fe-Co-Cr (continuous simplex). The lab measures the objective
    y = 2 Cr + Ni - 3 (Fe - 0.3)^2 + 0.5 Co Ni          (maximize; learned from measurements)
and a cheap calculation gives
    c = Cr + 0.5 Ni                                   (output constraint c <= 0.35)
so the best y lies on the constraint's boundary. Two arms, same seeds, same budget:

  oracle    c is an oracle (a Python script speaking the CSV protocol): computed exactly for every
            candidate, never measured, never modelled;
  modelled  c is measured with y and modelled by its own GP like any other output.

Reported per arm over the seeds: wasted experiments (measured points with c > 0.35; also how many
of them were in the initial design), and the best feasible y after the budget as a fraction of the
feasible optimum (found by a grid search with step 0.005). Budget: --initial space-filling
experiments, then --rounds rounds of --batch.
Uses only the Python standard library; `--matopt` is the binary (default $MATOPT_CLI or build/bin/matopt).
"""
import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile

LIMIT = 0.35

ORACLE = r'''import csv, sys
rows = list(csv.DictReader(sys.stdin))
print("row,c")
for r in rows:
    print(r["row"] + "," + repr(float(r["Cr"]) + 0.5 * float(r["Ni"])))
'''


def y_of(x):
    return 2 * x["Cr"] + x["Ni"] - 3 * (x["Fe"] - 0.3) ** 2 + 0.5 * x["Co"] * x["Ni"]


def c_of(x):
    return x["Cr"] + 0.5 * x["Ni"]


def feasible_optimum(step=0.005):
    n = int(round(1 / step))
    best = -1e9
    for i in range(n + 1):
        for j in range(n + 1 - i):
            for k in range(n + 1 - i - j):
                x = {"Ni": i * step, "Fe": j * step, "Co": k * step, "Cr": (n - i - j - k) * step}
                if c_of(x) <= LIMIT + 1e-12:
                    best = max(best, y_of(x))
    return best


def run(cmd, cwd):
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("command failed (%d): %s\n%s%s" % (r.returncode, " ".join(cmd), r.stdout, r.stderr))
    return r.stdout


def space(oracle):
    s = {"composition": {"elements": ["Ni", "Fe", "Co", "Cr"]},
         "objectives": [{"name": "y", "goal": "maximize"}],
         "output_constraints": [{"name": "c", "max": LIMIT}]}
    if oracle:
        s["oracles"] = [{"name": "cheap", "command": [sys.executable, "oracle.py"], "outputs": ["c"]}]
    return s


def one_run(matopt, oracle, seed, rounds, q, n_init, raw_samples, strategy):
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "space.json"), "w") as f:
            json.dump(space(oracle), f)
        with open(os.path.join(d, "oracle.py"), "w") as f:
            f.write(ORACLE)
        run([matopt, "init", "c.h5", "--space", "space.json", "--seed", str(seed)], d)
        measured = []
        # n_init space-filling experiments (the campaign's own initial design), then model rounds.
        calls = [n_init] + [q] * rounds
        for batch in calls:
            run([matopt, "propose", "c.h5", "--batch", str(batch), "-o", "next.csv", "--raw-samples", str(raw_samples),
                 "--min-measurements", str(n_init), "--model-options", '{"restarts": 1}']
                + (["--strategy", strategy] if strategy else []), d)
            with open(os.path.join(d, "next.csv"), newline="") as f:
                rows = list(csv.DictReader(f))
            for r in rows:
                x = {e: float(r[e]) for e in ("Ni", "Fe", "Co", "Cr")}
                r["y"] = repr(y_of(x))
                if not oracle:
                    r["c"] = repr(c_of(x))
                r["status"] = "ok"
                measured.append(x)
            with open(os.path.join(d, "results.csv"), "w", newline="") as f:
                w = csv.DictWriter(f, fieldnames=list(rows[0].keys()), lineterminator="\n")
                w.writeheader()
                w.writerows(rows)
            run([matopt, "ingest", "c.h5", "results.csv"], d)
        wasted = sum(1 for x in measured if c_of(x) > LIMIT + 1e-9)
        wasted_initial = sum(1 for x in measured[:n_init] if c_of(x) > LIMIT + 1e-9)
        feas = [y_of(x) for x in measured if c_of(x) <= LIMIT + 1e-9]
        return wasted, len(measured), (max(feas) if feas else float("nan")), wasted_initial


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--matopt", default=os.environ.get("MATOPT_CLI", "build/bin/matopt"))
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--initial", type=int, default=4)
    ap.add_argument("--raw-samples", type=int, default=256)
    ap.add_argument("--strategy", default="", help="propose --strategy (default: propose's default, ucb)")
    ap.add_argument("-o", "--output", help="write the per-seed results as JSON")
    a = ap.parse_args()
    matopt = os.path.abspath(a.matopt)
    best = feasible_optimum()
    out = {"optimum": best, "arms": {}}
    for arm in ("oracle", "modelled"):
        res = [one_run(matopt, arm == "oracle", 100 + s, a.rounds, a.batch, a.initial, a.raw_samples, a.strategy) for s in range(a.seeds)]
        wasted = [r[0] for r in res]
        initial = [r[3] for r in res]
        frac = [r[2] / best for r in res]
        out["arms"][arm] = {"wasted": wasted, "wasted_initial": initial, "experiments": res[0][1], "best_fraction": frac}
        print("%-9s wasted experiments %.1f of %d (min %d, max %d; %.1f in the initial design); "
              "best feasible y / optimum %.3f (min %.3f)"
              % (arm, statistics.mean(wasted), res[0][1], min(wasted), max(wasted), statistics.mean(initial),
                 statistics.mean(frac), min(frac)))
    if a.output:
        with open(a.output, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
