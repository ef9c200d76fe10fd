# SPDX-License-Identifier: MIT
"""matopt.featurize from Python on the same formulas as `matopt bench featurize` (the formulas of
the four Matbench composition files, repeated in order to --rows), best of --repeats, with 1
thread and with --threads (0 = all cores). With --matopt it also runs `matopt bench featurize` with
the same rows, features and threads, alternating with the Python runs (on a shared machine the load
changes between runs), and prints the ratio of the Python time to the CLI's chunked
"parse + featurize" line and to its "into one n x k array" line (the same work as Python's call:
the chunked line never materializes the 1 GB result).

usage: PYTHONPATH=build/python /usr/bin/python3 bench/featurize_python.py [--rows 1000000]
       [--features magpie] [--matopt build/bin/matopt] [--rounds 3]
"""

import argparse
import csv
import pathlib
import re
import subprocess
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


def cli_times(matopt_bin, a):
    """(chunked, array) best wall seconds and the CPU seconds of those runs, from `matopt bench featurize`
    with --threads a.threads."""
    out = subprocess.run([matopt_bin, "bench", "featurize", "--rows", str(a.rows), "--features", a.features,
                          "--threads", str(a.threads), "--repeats", str(a.repeats)],
                         check=True, capture_output=True, text=True).stdout
    def seconds(pattern):
        m = re.search(pattern + r".*: wall +(\d+) /s +cpu +(\d+) /s", out)
        return a.rows / float(m.group(1)), a.rows / float(m.group(2))
    return seconds(r"parse \+ featurize, *\d+ threads"), seconds(r"into one n x k array")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=1000000)
    p.add_argument("--features", default="magpie")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--matopt", help="path of the matopt binary: also run `matopt bench featurize` and print ratios")
    p.add_argument("--rounds", type=int, default=3, help="alternations of CLI and Python runs (with --matopt)")
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
        del X
    if not a.matopt:
        return
    print(f"alternating with `matopt bench featurize --threads {a.threads}` ({a.rounds} rounds):")
    for r in range(a.rounds):
        (chunked, chunked_cpu), (array, array_cpu) = cli_times(a.matopt, a)
        sec, cpu, (X, _) = best_time(lambda: matopt.featurize(fs, features=a.features, threads=a.threads), a.repeats)
        del X
        print(f"  round {r + 1}: wall s (CPU s): Python {sec:.3f} ({cpu:.3f}); CLI chunked {chunked:.3f} ({chunked_cpu:.3f}),"
              f" ratio {sec / chunked:.2f} ({cpu / chunked_cpu:.2f}); CLI into one array {array:.3f} ({array_cpu:.3f}),"
              f" ratio {sec / array:.2f} ({cpu / array_cpu:.2f})")


if __name__ == "__main__":
    main()
