# SPDX-License-Identifier: MIT
"""scikit-learn cross-validation of a matopt Gaussian process on matbench_steels (312 steels,
yield strength in MPa): formulas in, magpie features inside the estimator.

usage: python3 examples/python/sklearn_cv.py [--rows N]   (N: use the first N rows; default all)
"""

import argparse
import csv
import os
import pathlib

import numpy as np
from sklearn.model_selection import KFold, cross_val_score

from matopt.sklearn import MatoptRegressor

DATA = pathlib.Path(os.environ.get("MATOPT_DATA_DIR", pathlib.Path(__file__).resolve().parents[2] / "data"))


def load_steels(rows=None):
    with open(DATA / "matbench" / "matbench_steels.csv", newline="") as f:
        table = list(csv.reader(f))[1:]
    table = table[:rows] if rows else table
    return [r[0] for r in table], np.array([float(r[1]) for r in table])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=None)
    args = parser.parse_args()
    formulas, y = load_steels(args.rows)
    folds = KFold(n_splits=5, shuffle=True, random_state=0)
    scores = cross_val_score(MatoptRegressor(model="gp"), formulas, y, cv=folds, scoring="neg_mean_absolute_error")
    print(f"matbench_steels ({len(y)} rows), 5-fold MAE [MPa]: " + " ".join(f"{-s:.1f}" for s in scores))
    print(f"mean MAE {-scores.mean():.1f} MPa")


if __name__ == "__main__":
    main()
