# SPDX-License-Identifier: MIT
"""Campaign and DesignSpace against `matopt init/propose/ingest` on the same files and seeds."""

import json
import math

import numpy as np
import pandas as pd
import pytest

import matopt
from conftest import HISTORY, SPACE, read_csv_text, run_cli


@pytest.fixture
def files(tmp_path):
    (tmp_path / "space.json").write_text(json.dumps(SPACE))
    (tmp_path / "history.csv").write_text(HISTORY)
    return tmp_path


def python_campaign(files, name="py.h5", seed=5):
    history = pd.read_csv(files / "history.csv")
    return matopt.Campaign.create(files / name, files / "space.json", history=history, seed=seed)


def test_create_from_a_dataframe_equals_the_cli(files):
    c = python_campaign(files)
    run_cli("init", "cli.h5", "--space", "space.json", "--history", "history.csv", "--seed", "5", cwd=files)
    cli = matopt.Campaign.open(files / "cli.h5")
    a, b = c.measurements(), cli.measurements()
    assert list(a.columns) == ["id", "proposal_id", "round", "status", "composition", "Ni", "Fe", "T", "eta", "life",
                               "source"]
    pd.testing.assert_frame_equal(a.drop(columns="source"), b.drop(columns="source"), check_exact=True)
    assert a["source"].unique().tolist() == ["history"] and b["source"].unique().tolist() == ["history.csv"]
    assert a["Ni"].tolist() == pytest.approx([0.1, 0.5, 0.9, 0.3], abs=1e-15)
    assert a["eta"].tolist() == [1.0, 2.0, 3.0, 1.5]
    assert c.seed == 5 and c.rounds == 0
    with pytest.raises(matopt.InvalidArgument, match="already exists"):
        python_campaign(files)


def test_proposals_equal_the_cli(files):
    for name in ("py.h5", "cli.h5"):
        run_cli("init", name, "--space", "space.json", "--history", "history.csv", "--seed", "11", cwd=files)
    run_cli("propose", "cli.h5", "--batch", "3", "--raw-samples", "128", "-o", "next.csv", cwd=files)
    c = matopt.Campaign.open(files / "py.h5")
    sheet = c.propose(batch=3, raw_samples=128)
    header, rows = read_csv_text(files / "next.csv")
    assert list(sheet.columns) == header == ["id", "composition", "Ni", "Fe", "T", "eta [V]", "life", "status"]
    assert sheet["id"].tolist() == [r[0] for r in rows] == ["r001-01", "r001-02", "r001-03"]
    assert sheet["composition"].tolist() == [r[1] for r in rows]
    for k, name in enumerate(header[2:5], start=2):
        assert sheet[name].tolist() == [float(r[k]) for r in rows]  # bit-identical coordinates
    assert sheet["eta [V]"].isna().all() and (sheet["status"] == "").all()
    pd.testing.assert_frame_equal(c.pending(), sheet)
    assert c.rounds == 1 and c.status()["pending"] == 3


def test_ingest_a_dataframe_bad_row_7_names_it_and_writes_nothing(files):
    c = python_campaign(files)
    sheet = c.propose(batch=6, strategy="random")
    sheet["eta [V]"] = [1.0, 1.1, 1.2, 1.3, 1.4, 1.5]
    sheet["life"] = 2.0
    sheet["eta [V]"] = sheet["eta [V]"].astype(object)
    sheet.loc[5, "eta [V]"] = "n/a"  # df.iloc[5] is row 7 of the same table as a CSV file
    before = (files / "py.h5").read_bytes()
    with pytest.raises(matopt.IngestError) as e:
        c.ingest(sheet, source="results.csv")
    assert (files / "py.h5").read_bytes() == before
    assert e.value.problems == [{"file": "results.csv", "row": 7, "column": "eta [V]", "value": "n/a",
                                 "message": "expected a number",
                                 "text": "results.csv: row 7, column 'eta [V]': expected a number (got 'n/a')"}]
    assert isinstance(e.value, matopt.DataError) and isinstance(e.value, ValueError)
    # The CLI prints the same list for the same table as a CSV file, and writes nothing either.
    sheet.to_csv(files / "results.csv", index=False)
    (files / "cli.h5").write_bytes(before)
    p = run_cli("ingest", "cli.h5", "results.csv", cwd=files, check=False)
    assert p.returncode == 2
    assert p.stderr.strip() == "matopt: error: " + str(e.value)
    assert (files / "cli.h5").read_bytes() == before

    sheet.loc[5, "eta [V]"] = 1.5
    sheet.loc[2, "status"] = "failed"
    summary = c.ingest(sheet)
    assert summary == {"rows": 6, "added": 6, "failed": 1, "unchanged": 0, "changed": True,
                       "closed": [f"r001-0{k}" for k in range(1, 7)]}
    m = c.measurements()
    assert len(m) == 10 and m["status"].tolist().count("failed") == 1
    assert m["eta"].iloc[4:].tolist()[:2] == [1.0, 1.1] and math.isnan(m["eta"].iloc[6])
    assert m["source"].iloc[-1] == "DataFrame"
    assert c.status()["measurements"] == 9
    after = (files / "py.h5").read_bytes()
    assert c.ingest(sheet)["unchanged"] == 6 and (files / "py.h5").read_bytes() == after  # idempotent
    # The CLI reads the campaign Python wrote.
    assert json.loads(run_cli("status", "py.h5", "--json", cwd=files).stdout)["measurements"] == 9


def test_status_measurements_and_report(files):
    c = python_campaign(files)
    s = c.status()
    assert s["measurements"] == 4 and s["pending"] == 0 and s["rounds"] == 0
    files_written = c.report(files / "report")
    assert str(files / "report" / "index.html") in files_written
    assert "<svg" in (files / "report" / "index.html").read_text()


def test_design_space_sample_and_validate(files):
    space = matopt.DesignSpace(SPACE)
    assert space.coordinate_names == ["Ni", "Fe", "T"]
    assert space.output_names == ["eta", "life"]
    assert space.kinds == ["fraction", "fraction", "continuous"]
    pts = space.sample(20, seed=3)
    assert list(pts.columns) == ["Ni", "Fe", "T"] and len(pts) == 20
    pd.testing.assert_frame_equal(pts, space.sample(20, seed=3))
    assert not pts.equals(space.sample(20, seed=4))
    for _, row in pts.iterrows():
        assert space.validate(row) == []
        assert abs(row["Ni"] * 10 - round(row["Ni"] * 10)) < 1e-9  # on the 0.1 grid
    assert space.validate({"Ni": 0.5, "Fe": 0.5, "T": 400}) == []
    problems = space.validate({"Ni": 0.55, "Fe": 0.45, "T": 700})
    assert any(p.startswith("T:") for p in problems)  # above its bounds
    assert any("granularity" in p or "multiple" in p for p in problems)  # 0.55 is off the 0.1 grid
    assert space.validate([0.5, 0.5, 400.0]) == []
    with pytest.raises(matopt.InvalidArgument, match="Cu"):
        space.validate({"Cu": 1.0})
    assert matopt.DesignSpace(files / "space.json").to_json() == space.to_json()
    with pytest.raises(matopt.DataError, match=r"design space: composition.elements\[0\]: .Xx. is not an element symbol"):
        matopt.DesignSpace({"composition": {"elements": ["Xx", "Fe"]}, "objectives": SPACE["objectives"]})


def test_trust_region_equals_the_cli_and_refuses_an_empty_one(files):
    for name in ("py.h5", "cli.h5"):
        run_cli("init", name, "--space", "space.json", "--history", "history.csv", "--seed", "3", cwd=files)
    run_cli("propose", "cli.h5", "--batch", "2", "--raw-samples", "64", "--min-measurements", "2",
            "--max-distance", "1.5", "-o", "next.csv", cwd=files)
    c = matopt.Campaign.open(files / "py.h5")
    sheet = c.propose(batch=2, raw_samples=64, min_measurements=2, max_distance=1.5)
    header, rows = read_csv_text(files / "next.csv")
    assert sheet["composition"].tolist() == [r[1] for r in rows]
    assert sheet["T"].tolist() == [float(r[4]) for r in rows]
    before = (files / "py.h5").read_bytes()
    with pytest.raises(matopt.InvalidArgument, match="within the trust region"):
        c.propose(batch=2, raw_samples=64, min_measurements=2, max_distance=0.0)
    assert (files / "py.h5").read_bytes() == before


def test_report_drivers_and_every_svg_parses(files):
    import xml.etree.ElementTree as ET
    c = python_campaign(files)
    more = pd.DataFrame({"composition": ["Ni0.7Fe0.3", "Ni0.2Fe0.8"], "T": [450, 550], "eta [V]": [2.6, 1.3],
                         "life": [1.4, 2.8]})
    c.ingest(more)
    c.report(files / "report")
    html = (files / "report" / "index.html").read_text()
    assert "What drives each objective" in html and "Permutation importance: eta" in html
    assert "Partial dependence: life" in html
    svgs = [s + "</svg>" for s in html.split("</svg>")[:-1]]
    assert len(svgs) >= 5
    for s in svgs:
        root = ET.fromstring(s[s.index("<svg"):])
        assert root.tag.endswith("svg")
    drivers = pd.read_csv(files / "report" / "drivers_1.csv")
    assert sorted(drivers["coordinate"]) == ["T", "fraction Fe", "fraction Ni"]


def test_oracle_failure_is_an_oracle_error_and_writes_nothing(tmp_path):
    space = {"composition": {"elements": ["Ni", "Fe"], "granularity": 0.1},
             "objectives": [{"name": "hardness"}],
             "output_constraints": [{"name": "s", "max": 3}],
             "oracles": [{"name": "calc", "command": ["/bin/sh", "oracle.sh"], "outputs": ["s"]}]}
    (tmp_path / "space.json").write_text(json.dumps(space))
    (tmp_path / "oracle.sh").write_text("cat >/dev/null\necho 's'\necho 'abc'\n")
    history = pd.DataFrame({"composition": ["Ni0.5Fe0.5"], "hardness": [2.0]})
    with pytest.raises(matopt.OracleError) as info:
        matopt.Campaign.create(tmp_path / "c.h5", tmp_path / "space.json", history=history, seed=1)
    assert str(info.value) == "oracle 'calc': output row 1 (candidate 'Fe0.5Ni0.5'), column 's': 'abc' is not a number"
    assert isinstance(info.value, matopt.DataError)
    assert not (tmp_path / "c.h5").exists()
