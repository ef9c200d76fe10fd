#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Compare matopt's GP with scikit-learn's GaussianProcessRegressor on matbench_expt_gap fold 0.

Runs bench_gp_expt_gap (which also dumps the magpie feature matrices it used), then fits
sklearn's GPR with the same kernel family (ConstantKernel * ARD Matern 5/2 + WhiteKernel,
normalize_y=True) on the same features, standardized per column as matopt does internally, and
prints MAE, NLL and fit/predict times of both from this one run.

sklearn is not a matopt dependency: `apt-get install python3-sklearn` and run with /usr/bin/python3.
sklearn's ARD gradient holds an n x n x d array (n = 3686, d = 132 is ~14 GB per copy), so use
--train-limit to compare on a seeded subset of the training rows; both models see the same rows.

Usage:
  /usr/bin/python3 scripts/compare_sklearn_gp.py --bench build/bin/bench_gp_expt_gap --train-limit 1000
"""
import argparse
import math
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np


def load(path):
    data = np.loadtxt(path, delimiter=",", skiprows=1)
    return data[:, :-1], data[:, -1]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench", required=True, help="path to bench_gp_expt_gap")
    ap.add_argument("--train-limit", type=int, default=1000, help="training rows (0 = all)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--restarts", type=int, default=0, help="sklearn n_restarts_optimizer")
    ap.add_argument("--options", default="", help="matopt GP options JSON")
    args = ap.parse_args()

    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel
    from sklearn.preprocessing import StandardScaler

    with tempfile.TemporaryDirectory() as tmp:
        cmd = [args.bench, "--train-limit", str(args.train_limit), "--seed", str(args.seed), "--dump", tmp]
        if args.options:
            cmd += ["--options", args.options]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        print(out, end="")
        m = re.search(r"RESULT matopt mae=(\S+) nll=(\S+) fit_s=(\S+) predict_s=(\S+)", out)
        ours = dict(zip(["mae", "nll", "fit", "predict"], map(float, m.groups())))
        Xtr, ytr = load(os.path.join(tmp, "train.csv"))
        Xte, yte = load(os.path.join(tmp, "test.csv"))

    # Same input treatment as matopt: standardize columns, drop constant ones.
    keep = Xtr.std(axis=0) > 1e-12 * np.maximum(1.0, np.abs(Xtr.mean(axis=0)))
    scaler = StandardScaler().fit(Xtr[:, keep])
    Ztr, Zte = scaler.transform(Xtr[:, keep]), scaler.transform(Xte[:, keep])
    d = Ztr.shape[1]
    kernel = ConstantKernel(1.0, (1e-3, 1e2)) * Matern(length_scale=np.full(d, math.sqrt(d)),
                                                       length_scale_bounds=(1e-2, 1e3), nu=2.5) \
        + WhiteKernel(0.1, (1e-6, 10.0))
    gpr = GaussianProcessRegressor(kernel=kernel, normalize_y=True, n_restarts_optimizer=args.restarts,
                                   random_state=args.seed)
    t0 = time.perf_counter()
    gpr.fit(Ztr, ytr)
    t1 = time.perf_counter()
    mu, sd = gpr.predict(Zte, return_std=True)  # includes the WhiteKernel noise
    t2 = time.perf_counter()
    sd = np.maximum(sd, 1e-12)
    mae = float(np.mean(np.abs(yte - mu)))
    nll = float(np.mean(0.5 * np.log(2 * np.pi * sd**2) + 0.5 * ((yte - mu) / sd) ** 2))
    print(f"sklearn GPR  train {len(ytr)}  test {len(yte)}  features {d}")
    print(f"  kernel {gpr.kernel_}")
    print(f"  MAE {mae:.4f} eV  NLL {nll:.4f}")
    print(f"  fit {t1 - t0:.2f} s  predict {t2 - t1:.2f} s  total {t2 - t0:.2f} s")
    speedup = (t2 - t0) / (ours["fit"] + ours["predict"])
    print(f"SUMMARY train {len(ytr)}: matopt MAE {ours['mae']:.4f} NLL {ours['nll']:.4f} "
          f"time {ours['fit'] + ours['predict']:.2f} s | sklearn MAE {mae:.4f} NLL {nll:.4f} "
          f"time {t2 - t0:.2f} s | speed-up {speedup:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
