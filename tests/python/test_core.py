# SPDX-License-Identifier: MIT
"""Version, Composition and featurize against hand-derived values and the CLI's output."""

import numpy as np
import pandas as pd
import pytest

import matopt
from conftest import DATA, read_csv_text, run_cli


def test_version_is_the_cli_version():
    assert matopt.__version__ == run_cli("--version").stdout.strip()


def test_composition_fractions_elements_formula():
    c = matopt.Composition("Fe2O3")
    assert c.fractions == {"O": pytest.approx(0.6, abs=1e-15), "Fe": pytest.approx(0.4, abs=1e-15)}
    assert list(c.fractions) == ["O", "Fe"]  # ascending atomic number
    assert c.elements == ["O", "Fe"]
    assert c.fraction("Fe") == pytest.approx(0.4, abs=1e-15)
    assert c.fraction("Ni") == 0.0
    assert len(c) == 2
    assert matopt.Composition("CuSO4·5H2O").fractions["H"] == pytest.approx(10 / 21, abs=1e-15)
    assert matopt.Composition("Fe0.7Ni0.3").formula() == "Fe0.7Ni0.3"
    assert matopt.Composition("Ni6Fe14").reduced_formula == matopt.Composition("Fe7Ni3").reduced_formula


def test_composition_equality_has_a_tolerance():
    assert matopt.Composition("FeNi") == matopt.Composition("Fe0.5Ni0.5")
    assert matopt.Composition("Fe0.5Ni0.5") == matopt.Composition("Fe0.5000000000001Ni0.4999999999999")
    assert matopt.Composition("Fe0.5Ni0.5") != matopt.Composition("Fe0.51Ni0.49")
    assert matopt.Composition("Fe") != matopt.Composition("Ni")
    assert matopt.Composition("Fe0.5Ni0.5").almost_equal(matopt.Composition("Fe0.51Ni0.49"), tolerance=0.02)
    with pytest.raises(TypeError):
        hash(matopt.Composition("Fe"))


def test_bad_formula_is_a_data_error_with_the_cli_message(tmp_path):
    assert issubclass(matopt.DataError, ValueError)
    with pytest.raises(matopt.DataError) as e:
        matopt.Composition("Fe2Xx3")
    # The CLI names file, row and column, then the same parser message.
    (tmp_path / "bad.csv").write_text("composition,y\nFe2O3,1\nFe2Xx3,2\n")
    p = run_cli("featurize", "bad.csv", "-o", "out.csv", cwd=tmp_path, check=False)
    assert p.returncode == 2
    assert "bad formula: " + str(e.value) + " (got 'Fe2Xx3')" in p.stderr
    assert "Xx" in str(e.value)
    with pytest.raises(matopt.DataError) as f:
        matopt.featurize(["Fe2O3", "Fe2Xx3"])
    assert p.stderr.strip() == "matopt: error: bad.csv: " + str(f.value)
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize("features", ["magpie", "magpie+stoichiometry", "fractions"])
def test_featurize_equals_the_cli(tmp_path, steels, features):
    formulas = steels[0][:40] + ["Fe2O3", "NaCl", "Mg3[Fe(CN)6]2"]
    pd.DataFrame({"composition": formulas}).to_csv(tmp_path / "in.csv", index=False)
    run_cli("featurize", "in.csv", "--features", features, "-o", "out.csv", cwd=tmp_path)
    header, rows = read_csv_text(tmp_path / "out.csv")
    X, names = matopt.featurize(formulas, features=features)
    assert names == header[1:]
    expected = np.array([[float(v) if v else np.nan for v in r[1:]] for r in rows])
    assert X.dtype == np.float64 and X.shape == (len(formulas), len(names))
    np.testing.assert_array_equal(X, expected)  # bit-identical (the CSV holds round-trip text)


def test_featurize_accepts_list_array_series_and_threads():
    formulas = ["Fe2O3", "NaCl", "Fe0.7Ni0.3", "SiO2"] * 3000
    X, names = matopt.featurize(formulas, threads=1)
    assert len(names) == 132 and names[0].startswith("MagpieData")
    for other in (np.array(formulas), pd.Series(formulas), tuple(formulas)):
        np.testing.assert_array_equal(matopt.featurize(other)[0], X)
    np.testing.assert_array_equal(matopt.featurize(formulas, threads=3)[0], X)
    with pytest.raises(TypeError):
        matopt.featurize("Fe2O3")
    with pytest.raises(matopt.InvalidArgument, match="nosuch"):
        matopt.featurize(formulas, features="nosuch")


def test_featurizer_names():
    assert {"magpie", "fractions", "stoichiometry"} <= set(matopt.featurizer_names())


def test_docstrings_are_visible():
    assert "formula" in matopt.Composition.__doc__
    assert "threads" in matopt.featurize.__doc__
    assert "batch" in matopt.Campaign.propose.__doc__ and "strategy" in matopt.Campaign.propose.__doc__
    for name in matopt.__all__:
        obj = getattr(matopt, name)
        if callable(obj):
            assert obj.__doc__, name
