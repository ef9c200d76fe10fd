# SPDX-License-Identifier: MIT
"""The examples in examples/python/ run and print what they claim."""

import os
import re
import subprocess
import sys

from conftest import REPO

EXAMPLES = REPO / "examples" / "python"


def run_example(name, *args):
    p = subprocess.run([sys.executable, str(EXAMPLES / name), *args], capture_output=True, text=True,
                       env=dict(os.environ), timeout=600)
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_lab_loop(tmp_path):
    out = run_example("lab_loop.py", str(tmp_path / "loop.h5"))
    rounds = re.findall(r"round (\d): 4 measurements, best activity (-?[\d.]+)", out)
    assert [r[0] for r in rounds] == ["1", "2", "3", "4"]
    best = [float(r[1]) for r in rounds]
    assert best == sorted(best)  # best-so-far never decreases
    assert "(16 experiments)" in out
    import matopt
    c = matopt.Campaign.open(tmp_path / "loop.h5")
    assert c.rounds == 4 and c.status()["measurements"] == 16 and c.status()["pending"] == 0
    assert best[-1] == round(max(c.measurements()["activity"]), 4)  # printed with 4 decimals


def test_sklearn_cv():
    out = run_example("sklearn_cv.py")
    maes = [float(v) for v in re.search(r"MAE \[MPa\]: (.*)", out).group(1).split()]
    assert len(maes) == 5 and all(10 < m < 300 for m in maes)
    assert "matbench_steels (312 rows)" in out
