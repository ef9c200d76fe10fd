# SPDX-License-Identifier: MIT
"""A closed-loop campaign from Python: create -> propose -> measure -> ingest, 4 rounds.

The "lab" is a made-up function of the composition and the annealing temperature (a smooth optimum
near Ni0.3Fe0.5Co0.2 at 750 K); a real lab script would send the sheet to the robot instead.

usage: python3 examples/python/lab_loop.py [CAMPAIGN.h5]   (default: a file in a temporary folder)
"""

import math
import pathlib
import sys
import tempfile

import matopt

SPACE = {
    "composition": {"elements": ["Ni", "Fe", "Co"], "granularity": 0.05},
    "process": [{"name": "T", "type": "continuous", "bounds": [500, 1000], "unit": "K"}],
    "objectives": [{"name": "activity", "goal": "maximize"}],
}


def measure(row):
    """The simulated experiment: activity of one lab-sheet row."""
    d2 = (row["Ni"] - 0.3) ** 2 + (row["Fe"] - 0.5) ** 2 + (row["Co"] - 0.2) ** 2
    return 10.0 * math.exp(-8.0 * d2) - ((row["T"] - 750.0) / 250.0) ** 2


def main(path):
    campaign = matopt.Campaign.create(path, SPACE, seed=42)
    for round_ in range(1, 5):
        sheet = campaign.propose(batch=4)  # the first round is a seeded space-filling design
        sheet["activity"] = [measure(row) for _, row in sheet.iterrows()]
        summary = campaign.ingest(sheet, source=f"round{round_}")
        best = campaign.status()["objectives"][0]["best"]
        print(f"round {round_}: {summary['added']} measurements, best activity {best:.4f}")
    m = campaign.measurements()
    top = m.loc[m["activity"].idxmax()]
    print(f"best: {top['composition']} at T = {top['T']:.0f} K, activity {top['activity']:.4f} ({len(m)} experiments)")
    return campaign


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(sys.argv[1])
    else:
        with tempfile.TemporaryDirectory() as tmp:
            main(pathlib.Path(tmp) / "lab_loop.h5")
