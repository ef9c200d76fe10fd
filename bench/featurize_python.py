# SPDX-License-Identifier: MIT
"""matopt.featurize from Python on the same formulas as `matopt bench featurize` (the formulas of
the four Matbench composition files, repeated in order to --rows), best of --repeats, with 1
thread and with --threads (0 = all cores). Compare with the "parse + featurize" lines of
`matopt bench featurize --rows N --features F`.

usage: PYTHONPATH=build/python /usr/bin/python3 bench/featurize_python.py [--rows 1000000] [--features magpie]
"""

import argparse
import csv
import pathlib
import time

import matopt

DATA = pathlib.Path(__file__).resolve().parents[1] / "data" / "matbench"
FILES = ["matbench_expt_gap.csv", "matbench_expt_is_metal.csv", "matbench_mp_e_form.csv", "matbench_steels.csv"]


def formulas(rows):
    unique = []
    for name in FILES:
        with open(DATA / name, newline="") as f:
            unique += [r[0] for r in list(csv.reader(f))[1:]]
    return [unique[i % len(unique)] for i in range(rows)], len(unique)


def best_time(fn, repeats):
    """Best wall time of `repeats` runs, the process CPU time of that run, and the result."""
    best, cpu, out = float("inf"), 0.0, None
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        sec = time.perf_counter() - t0
        if sec < best:
            best, cpu = sec, time.process_time() - c0
    return best, cpu, out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=1000000)
    p.add_argument("--features", default="magpie")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--repeats", type=int, default=3)
    a = p.parse_args()
    fs, distinct = formulas(a.rows)
    print(f"matopt.featurize: {a.rows} formulas ({distinct} distinct from 4 matbench files), features "
          f"'{a.features}', best of {a.repeats}")
    for threads in (1, a.threads):
        sec, cpu, (X, names) = best_time(lambda: matopt.featurize(fs, features=a.features, threads=threads),
                                         a.repeats)
        label = "1 thread " if threads == 1 else f"{threads or 'all'} threads"
        print(f"  parse + featurize, {label}: wall {a.rows / sec:10.0f} /s  cpu {a.rows / cpu:10.0f} /s  "
              f"({sec:.3f} s)  checksum {X[:, 3].sum():.10g}")


if __name__ == "__main__":
    main()
