# SPDX-License-Identifier: MIT
"""Shared fixtures of the Python tests: the CLI binary (to compare with), the data folder and a
few tables. Run with `scripts/test.sh` or
`PYTHONPATH=build/python /usr/bin/python3 -m pytest tests/python` after a build."""

import csv
import os
import pathlib
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("MATOPT_BUILD_DIR", REPO / "build"))
CLI = pathlib.Path(os.environ.get("MATOPT_CLI", BUILD / "bin" / "matopt"))
DATA = REPO / "data"


def run_cli(*args, cwd=None, check=True):
    """Runs the matopt command; returns the CompletedProcess (text)."""
    p = subprocess.run([str(CLI), *map(str, args)], cwd=cwd, capture_output=True, text=True)
    if check and p.returncode != 0:
        raise AssertionError(f"matopt {' '.join(map(str, args))} failed ({p.returncode}):\n{p.stderr}")
    return p


def read_csv_text(path):
    """(header, rows) of a CSV file as text cells, exactly as written."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


@pytest.fixture(scope="session")
def steels():
    """matbench_steels as (formulas, yield strengths)."""
    header, rows = read_csv_text(DATA / "matbench" / "matbench_steels.csv")
    return [r[0] for r in rows], [float(r[1]) for r in rows]


# Two elements on a 0.1 grid plus a temperature; two objectives, one with a unit (the campaign
# tests of the C++ suite use the same space).
SPACE = {
    "composition": {"elements": ["Ni", "Fe"], "granularity": 0.1},
    "process": [{"name": "T", "type": "continuous", "bounds": [300, 600]}],
    "objectives": [{"name": "eta", "goal": "maximize", "unit": "V"}, {"name": "life", "goal": "maximize"}],
}

HISTORY = ("composition,T,eta [V],life\n"
           "Ni0.1Fe0.9,300,1,3\n"
           "Ni0.5Fe0.5,400,2,2\n"
           "Ni0.9Fe0.1,500,3,1\n"
           "Ni0.3Fe0.7,350,1.5,2.5\n")
