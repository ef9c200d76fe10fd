# SPDX-License-Identifier: MIT
"""Model.train / predict / save / load against `matopt train` and `matopt predict`."""

import numpy as np
import pandas as pd
import pytest

import matopt
from conftest import read_csv_text, run_cli


@pytest.fixture(scope="module")
def small(steels):
    formulas, y = steels
    return pd.DataFrame({"composition": formulas[:60], "yield strength": y[:60]})


def cli_predictions(path):
    header, rows = read_csv_text(path)
    frame = pd.DataFrame(rows, columns=header)
    for c in header[1:]:
        frame[c] = frame[c].astype(float)
    return frame


def test_train_predict_equal_the_cli(tmp_path, small):
    small.to_csv(tmp_path / "train.csv", index=False)
    run_cli("train", "train.csv", "--target", "yield strength", "--model", "gp", "--seed", "3", "-o", "cli.h5",
            cwd=tmp_path)
    run_cli("predict", "--model", "cli.h5", "train.csv", "-o", "cli.csv", cwd=tmp_path)
    expected = cli_predictions(tmp_path / "cli.csv")

    m = matopt.Model.train(small, "yield strength", model="gp", seed=3)
    assert m.targets == ["yield strength"] and m.kind == "gp" and m.classification == [False]
    assert len(m.feature_names) == 132
    p = m.predict(small)
    # a plain GP has a Gaussian distribution and no conformal interval
    assert list(p.columns) == ["id"] + ["yield strength_" + c for c in
                                        ("mean", "std", "epistemic_std", "aleatoric_std", "median", "q05", "q95")] \
        + ["domain_score", "in_domain"]
    np.testing.assert_array_equal(p["yield strength_median"], p["yield strength_mean"])
    np.testing.assert_allclose(p["yield strength_q95"] - p["yield strength_mean"],
                               1.6448536269514722 * p["yield strength_std"], rtol=1e-9)
    assert list(p.columns) == list(expected.columns)
    assert p["id"].tolist() == [str(i) for i in range(1, 61)]
    pd.testing.assert_frame_equal(p, expected, check_exact=True)

    # A Python-saved model predicts the same in the CLI, and a CLI model the same in Python.
    m.save(tmp_path / "py.h5")
    run_cli("predict", "--model", "py.h5", "train.csv", "-o", "py.csv", cwd=tmp_path)
    pd.testing.assert_frame_equal(cli_predictions(tmp_path / "py.csv"), expected, check_exact=True)
    pd.testing.assert_frame_equal(matopt.Model.load(tmp_path / "cli.h5").predict(small), expected, check_exact=True)
    # A path works as data, too.
    pd.testing.assert_frame_equal(matopt.Model.train(tmp_path / "train.csv", "yield strength", model="gp", seed=3)
                                  .predict(tmp_path / "train.csv"), expected, check_exact=True)


def test_default_model_is_the_cli_default(tmp_path, small):
    small.to_csv(tmp_path / "train.csv", index=False)
    run_cli("train", "train.csv", "--target", "yield strength", "-o", "cli.h5", cwd=tmp_path)
    m = matopt.Model.train(small, "yield strength")
    assert m.kind == matopt.Model.load(tmp_path / "cli.h5").kind
    np.testing.assert_array_equal(m.predict(small.head(5))["yield strength_mean"],
                                  matopt.Model.load(tmp_path / "cli.h5").predict(small.head(5))["yield strength_mean"])


def test_process_columns_ids_and_options(small):
    frame = small.copy()
    frame.insert(0, "sample", [f"s{i}" for i in range(len(frame))])
    frame["anneal"] = np.linspace(300, 900, len(frame))
    m = matopt.Model.train(frame, ["yield strength"], model="forest", process=["anneal"], composition="composition",
                           id="sample", options={"trees": 20}, seed=1)
    assert m.feature_names[-1] == "anneal"
    p = m.predict(frame, id="sample")
    assert p["id"].tolist()[:2] == ["s0", "s1"]
    # A forest of 20 trees on its own training rows: within the range of the targets.
    assert p["yield strength_mean"].between(frame["yield strength"].min(), frame["yield strength"].max()).all()


def test_errors_name_the_column(small):
    with pytest.raises(matopt.DataError, match="DataFrame: no column named 'strength'; columns are: 'composition' 'yield strength'"):
        matopt.Model.train(small, "strength")
    bad = small.copy()
    bad.loc[4, "composition"] = "Fe2Qq"
    with pytest.raises(matopt.DataError, match=r"DataFrame: row 6, column 'composition'"):
        matopt.Model.train(bad, "yield strength")
    with pytest.raises(matopt.IOError):
        matopt.Model.load("/nonexistent/model.h5")
