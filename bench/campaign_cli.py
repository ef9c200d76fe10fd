#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Drives `matopt` as a subprocess the way a lab script does (init / propose / ingest with CSV files)
and scores what the campaign measured, so the figures of `matopt bench campaign` and `matopt bench
bo` can be reproduced from the user's side.

  pool     a measured dataset plays the lab (Liang et al. 2021 protocol: unique inputs, objectives
           averaged, n_initial random rows as `init --history`, top 5 %): Top%, EF, AF
  dtlz2    DTLZ2 (d = 6, m = 2) plays the lab: hypervolume fraction of the true front (ref 1.1, 1.1)
  latency  one `matopt propose` call over a pool of random DTLZ2 points with measurements

Every command is run with the flags given in --propose-args only (none = the defaults). `--replay`
takes a `bench campaign -o` / `bench bo -o` results file and replays its repeats with the same
campaign seeds (and, for pools, the same initial rows): the proposals must then be identical.
Uses only the Python standard library.
"""
import argparse
import csv
import json
import math
import os
import random
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time


def run(cmd, quiet=True):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("command failed (%d): %s\n%s%s" % (r.returncode, " ".join(cmd), r.stdout, r.stderr))
    return r.stdout


def read_rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def num(x):
    return repr(float(x))


def safe(name):
    """A column name `matopt ingest` reads as a name: it takes "name (unit)" and "name [unit]" as a
    unit, so a lab script renames such columns (the design space uses the same names)."""
    return re.sub(r"\s+", " ", re.sub(r"[()\[\]]", " ", name)).strip()


# ----------------------------------------------------------------------------------------- pools

def load_pool(dataset, config):
    """Unique inputs in order of first appearance, objectives averaged (as load_retrospective_pool)."""
    cfg = json.load(open(config))
    params = cfg["parameters"]
    objs = [o["name"] for o in cfg["objectives"]]
    maximize = [o.get("goal", "maximize") == "maximize" for o in cfg["objectives"]]
    rows = read_rows(dataset)
    cats = {p["name"]: list(p.get("options", [])) for p in params if p.get("type") == "categorical"}
    groups, order = {}, []
    for r in rows:
        if any(r[o] == "" for o in objs):
            continue
        key = []
        for p in params:
            v = r[p["name"]]
            if p["name"] in cats:
                if v not in cats[p["name"]]:
                    cats[p["name"]].append(v)
                key.append(v)
            else:
                key.append(float(v))
        key = tuple(key)
        y = [float(r[o]) for o in objs]
        if key not in groups:
            groups[key] = [y, 1]
            order.append(key)
        else:
            s = groups[key][0]
            groups[key][0] = [a + b for a, b in zip(s, y)]
            groups[key][1] += 1
    Y = [[v / groups[k][1] for v in groups[k][0]] for k in order]
    return cfg, params, cats, objs, maximize, order, Y


def pool_space(params, cats, objs, maximize, points, pool_file):
    proc = []
    for j, p in enumerate(params):
        if p["name"] in cats:
            proc.append({"name": safe(p["name"]), "type": "categorical", "categories": cats[p["name"]]})
            continue
        vals = [pt[j] for pt in points]
        lo = min(vals + ([p["low"]] if isinstance(p.get("low"), (int, float)) else []))
        hi = max(vals + ([p["high"]] if isinstance(p.get("high"), (int, float)) else []))
        proc.append({"name": safe(p["name"]), "type": "continuous", "bounds": [lo, hi if hi > lo else lo + 1.0]})
    return {"process": proc, "candidate_pool": {"file": pool_file},
            "objectives": [{"name": safe(o), "goal": "maximize" if m else "minimize"} for o, m in zip(objs, maximize)]}


def pool_repeat(a, work, r, pool, replay):
    cfg, params, cats, objs, maximize, points, Y = pool
    index = {}
    for i, pt in enumerate(points):
        index[tuple(str(v) if isinstance(v, str) else v for v in pt)] = i
    names = [safe(p["name"]) for p in params]
    onames = [safe(o) for o in objs]
    catnames = {safe(c) for c in cats}
    d = os.path.join(work, "r%03d" % r)
    os.makedirs(d)
    write_csv(os.path.join(d, "pool.csv"), names, [[v if isinstance(v, str) else num(v) for v in pt] for pt in points])
    json.dump(pool_space(params, cats, objs, maximize, points, "pool.csv"), open(os.path.join(d, "space.json"), "w"), indent=1)
    if replay:
        seed = replay["campaign_seeds"][r]
        init = replay["bo_pool_rows"][r][: a.initial]
    else:
        seed = a.seed * 1000 + r
        init = random.Random(seed).sample(range(len(points)), a.initial)
    write_csv(os.path.join(d, "history.csv"), names + onames,
              [[v if isinstance(v, str) else num(v) for v in points[i]] + [num(y) for y in Y[i]] for i in init])
    camp = os.path.join(d, "campaign.h5")
    run([a.matopt, "init", camp, "--space", os.path.join(d, "space.json"), "--history", os.path.join(d, "history.csv"),
         "--seed", str(seed)])
    chosen = list(init)
    rnd = 0
    while len(chosen) < a.budget:
        rnd += 1
        q = min(a.batch, a.budget - len(chosen))
        out = os.path.join(d, "round%03d.csv" % rnd)
        run([a.matopt, "propose", camp, "--batch", str(q), "-o", out] + shlex.split(a.propose_args))
        lab = read_rows(out)
        results = []
        for row in lab:
            key = tuple(row[n] if n in catnames else float(row[n]) for n in names)
            i = index[key]
            chosen.append(i)
            results.append([row["id"]] + [row[n] for n in names] + [num(y) for y in Y[i]] + ["ok"])
        res = os.path.join(d, "results%03d.csv" % rnd)
        write_csv(res, ["id"] + names + onames + ["status"], results)
        run([a.matopt, "ingest", camp, res])
    return seed, chosen


def first_reach(curve, level):
    for i, v in enumerate(curve):
        if v >= level - 1e-12:
            return i + 1
    return math.inf


def pool_main(a):
    pool = load_pool(a.dataset, a.config)
    _, _, _, objs, maximize, points, Y = pool
    if len(objs) != 1:
        sys.exit("pool mode scores one objective (Top%); use bench campaign for several")
    n = len(points)
    sign = 1.0 if maximize[0] else -1.0
    ranked = sorted(range(n), key=lambda i: -sign * Y[i][0])
    top = set(ranked[: math.ceil(0.05 * n - 1e-9)])
    replay = json.load(open(a.replay)) if a.replay else None
    repeats = len(replay["bo_pool_rows"]) if replay else a.repeats
    work = tempfile.mkdtemp(prefix="matopt-cli-pool-")
    bo, seeds, orders = [], [], []
    t0 = time.time()
    for r in range(repeats):
        seed, chosen = pool_repeat(a, work, r, pool, replay)
        seeds.append(seed)
        orders.append(chosen)
        found, curve = 0, []
        for i in chosen:
            found += i in top
            curve.append(found / len(top))
        bo.append(curve)
        print("repeat %d/%d: Top%% %.3f after %d evaluations (%.0f s)" % (r + 1, repeats, curve[-1], len(curve), time.time() - t0),
              file=sys.stderr)
    rng = random.Random(a.seed)
    rand = []
    for _ in range(200):
        perm = list(range(n))
        rng.shuffle(perm)
        found, curve = 0, []
        for i in perm:
            found += i in top
            curve.append(found / len(top))
        rand.append(curve)
    B = a.budget
    bo_mean = [statistics.mean(c[i] for c in bo) for i in range(B)]
    rnd_mean = [statistics.mean(c[i] for c in rand) for i in range(n)]
    ef = [bo_mean[i] / rnd_mean[i] if rnd_mean[i] > 0 else None for i in range(B)]
    af = {}
    for level in (0.5, 0.8, 1.0):
        mb = statistics.median(first_reach(c, level) for c in bo)
        mr = statistics.median(first_reach(c, level) for c in rand)
        af[str(level)] = mr / mb if math.isfinite(mb) else None
    summary = {"dataset": a.dataset, "pool_size": n, "top_count": len(top), "budget": B, "batch": a.batch,
               "repeats": repeats, "propose_args": a.propose_args, "af": af, "ef_at_50": ef[49] if B >= 50 else None,
               "campaign_seeds": seeds, "bo_pool_rows": orders, "bo": bo, "work_dir": work}
    print("%s: %d candidates, top %d; budget %d, batch %d, %d repeats, propose %s" %
          (os.path.basename(a.dataset), n, len(top), B, a.batch, repeats, a.propose_args or "(defaults)"))
    print("  AF50 %s  AF80 %s  AF100 %s  EF50 %s" % tuple(
        "%.2f" % v if v is not None else "n/a" for v in (af["0.5"], af["0.8"], af["1.0"], summary["ef_at_50"])))
    return summary


# ----------------------------------------------------------------------------------------- DTLZ2

def dtlz2(x):
    # Same operations in the same order as matopt's dtlz2(x, 2), so the values are bit-identical.
    g = 0.0
    for v in x[1:]:
        g += (v - 0.5) * (v - 0.5)
    return [(1.0 + g) * math.cos(x[0] * math.pi / 2.0), (1.0 + g) * math.sin(x[0] * math.pi / 2.0)]


def hv2_min(F, ref):
    pts = sorted((f for f in F if f[0] < ref[0] and f[1] < ref[1]), key=lambda f: (f[0], f[1]))
    hv, best2 = 0.0, ref[1]
    for f1, f2 in pts:
        if f2 < best2:
            hv += (ref[0] - f1) * (best2 - f2)
            best2 = f2
    return hv


def dtlz2_space(thresholds):
    return {"process": [{"name": "x%d" % (i + 1), "type": "continuous", "bounds": [0.0, 1.0]} for i in range(6)],
            "objectives": [dict({"name": "f%d" % (k + 1), "goal": "minimize"}, **({"threshold": 1.1} if thresholds else {}))
                           for k in range(2)]}


def dtlz2_main(a):
    ref = [1.1, 1.1]
    true_hv = 1.21 - math.pi / 4.0  # the front is the quarter circle
    replay = json.load(open(a.replay)) if a.replay else None
    seeds = [run_["campaign_seed"] for run_ in replay["runs"] if "campaign_seed" in run_] if replay else \
        [a.seed * 1000 + r for r in range(a.repeats)]
    work = tempfile.mkdtemp(prefix="matopt-cli-dtlz2-")
    fractions, all_points = [], []
    t0 = time.time()
    for r, seed in enumerate(seeds):
        d = os.path.join(work, "r%03d" % r)
        os.makedirs(d)
        json.dump(dtlz2_space(a.thresholds), open(os.path.join(d, "space.json"), "w"), indent=1)
        camp = os.path.join(d, "campaign.h5")
        run([a.matopt, "init", camp, "--space", os.path.join(d, "space.json"), "--seed", str(seed)])
        F, X = [], []
        rnd = 0
        while len(F) < a.budget:
            rnd += 1
            q = min(a.batch, a.budget - len(F))
            out = os.path.join(d, "round%03d.csv" % rnd)
            run([a.matopt, "propose", camp, "--batch", str(q), "-o", out] + shlex.split(a.propose_args))
            results = []
            for row in read_rows(out):
                x = [float(row["x%d" % (i + 1)]) for i in range(6)]
                f = dtlz2(x)
                X.append(x)
                F.append(f)
                results.append([row["id"]] + [row["x%d" % (i + 1)] for i in range(6)] + [num(f[0]), num(f[1]), "ok"])
            res = os.path.join(d, "results%03d.csv" % rnd)
            write_csv(res, ["id"] + ["x%d" % (i + 1) for i in range(6)] + ["f1", "f2", "status"], results)
            run([a.matopt, "ingest", camp, res])
        fractions.append(hv2_min(F, ref) / true_hv)
        all_points.append(X)
        print("repeat %d/%d: HV fraction %.4f (%.0f s)" % (r + 1, len(seeds), fractions[-1], time.time() - t0), file=sys.stderr)
    med = statistics.median(fractions)
    print("DTLZ2 d=6 m=2, budget %d, q %d, %d seeds, thresholds %s, propose %s: median HV fraction %.4f "
          "(min %.4f, max %.4f)" % (a.budget, a.batch, len(seeds), "1.1,1.1" if a.thresholds else "none",
                                   a.propose_args or "(defaults)", med, min(fractions), max(fractions)))
    return {"budget": a.budget, "batch": a.batch, "thresholds": a.thresholds, "propose_args": a.propose_args,
            "campaign_seeds": seeds, "hv_fraction": fractions, "median_hv_fraction": med, "points": all_points,
            "work_dir": work}


# --------------------------------------------------------------------------------------- latency

def latency_main(a):
    rng = random.Random(a.seed)
    work = tempfile.mkdtemp(prefix="matopt-cli-latency-")
    names = ["x%d" % (i + 1) for i in range(6)]
    pool = [[rng.random() for _ in range(6)] for _ in range(a.pool_size)]
    write_csv(os.path.join(work, "pool.csv"), names, [[num(v) for v in p] for p in pool])
    space = dtlz2_space(False)
    space["candidate_pool"] = {"file": "pool.csv"}
    json.dump(space, open(os.path.join(work, "space.json"), "w"))
    write_csv(os.path.join(work, "history.csv"), names + ["f1", "f2"],
              [[num(v) for v in p] + [num(f) for f in dtlz2(p)] for p in pool[: a.measurements]])
    times = []
    for r in range(a.repeats):
        camp = os.path.join(work, "c%d.h5" % r)
        run([a.matopt, "init", camp, "--space", os.path.join(work, "space.json"), "--history",
             os.path.join(work, "history.csv"), "--seed", str(a.seed)])
        t = time.time()
        run([a.matopt, "propose", camp, "--batch", str(a.batch), "-o", os.path.join(work, "p%d.csv" % r)] +
            shlex.split(a.propose_args))
        times.append(time.time() - t)
    load = os.getloadavg()
    print("propose q=%d over %d candidates, 2 objectives, %d measurements, one CLI call: median %.3f s "
          "(min %.3f, max %.3f, %d calls); load average %.2f %.2f %.2f" %
          (a.batch, a.pool_size, a.measurements, statistics.median(times), min(times), max(times), len(times), *load))
    return {"seconds": times, "load": load, "pool_size": a.pool_size, "batch": a.batch, "measurements": a.measurements}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", choices=["pool", "dtlz2", "latency"])
    p.add_argument("--matopt", default="matopt", help="matopt executable")
    p.add_argument("--dataset"), p.add_argument("--config")
    p.add_argument("--budget", type=int, default=60)
    p.add_argument("--batch", "-q", type=int, default=None, help="q (default: 1 for pool, 4 for dtlz2, 8 for latency)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--initial", type=int, default=2, help="pool: random rows given as init --history")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--thresholds", action="store_true", help="dtlz2: state thresholds 1.1, 1.1 in the space")
    p.add_argument("--propose-args", default="", help="extra flags for every `matopt propose` (default: none)")
    p.add_argument("--replay", help="results.json of bench campaign / bench bo whose repeats to replay")
    p.add_argument("--pool-size", type=int, default=100000), p.add_argument("--measurements", type=int, default=50)
    p.add_argument("-o", "--output", help="write the results as JSON")
    a = p.parse_args()
    if a.batch is None:
        a.batch = {"pool": 1, "dtlz2": 4, "latency": 8}[a.mode]
    if a.mode == "pool" and not (a.dataset and a.config):
        p.error("pool needs --dataset and --config")
    out = {"pool": pool_main, "dtlz2": dtlz2_main, "latency": latency_main}[a.mode](a)
    if a.output:
        with open(a.output, "w") as f:
            json.dump(out, f)


if __name__ == "__main__":
    main()
