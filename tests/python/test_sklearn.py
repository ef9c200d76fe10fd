# SPDX-License-Identifier: MIT
"""matopt.sklearn estimators in scikit-learn's own tools."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.dummy import DummyRegressor
from sklearn.model_selection import KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import matopt
from matopt.sklearn import MatoptClassifier, MatoptRegressor
from conftest import DATA, read_csv_text


def test_params_and_clone():
    r = MatoptRegressor(model="gp", features="magpie+stoichiometry", seed=4)
    assert r.get_params() == {"model": "gp", "features": "magpie+stoichiometry", "options": None,
                              "calibrate": False, "seed": 4}
    c = clone(r.set_params(seed=7))
    assert c.get_params()["seed"] == 7 and c is not r


def test_regressor_equals_model_train(steels):
    formulas, y = steels[0][:50], np.array(steels[1][:50])
    r = MatoptRegressor(model="gp", seed=2).fit(formulas, y)
    mean, std = r.predict(formulas[:10], return_std=True)
    frame = pd.DataFrame({"composition": formulas, "t": y})
    p = matopt.Model.train(frame, "t", model="gp", seed=2).predict(frame.head(10))
    np.testing.assert_array_equal(mean, p["t_mean"].to_numpy())
    np.testing.assert_array_equal(std, p["t_std"].to_numpy())
    np.testing.assert_array_equal(r.predict(np.array(formulas[:10])), mean)
    assert (std > 0).all()


def test_cross_val_score_on_matbench_steels(steels):
    formulas, y = steels
    scores = cross_val_score(MatoptRegressor(model="gp"), formulas, np.array(y), cv=5,
                             scoring="neg_mean_absolute_error")
    assert scores.shape == (5,)
    # Better than predicting each fold's training mean (about 230 MPa), and no fold a perfect fit.
    baseline = cross_val_score(DummyRegressor(), formulas, np.array(y), cv=5, scoring="neg_mean_absolute_error")
    assert -scores.mean() < -baseline.mean() and (-scores > 10).all()


def test_feature_matrix_and_pipeline():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(80, 2))
    y = np.sin(3 * X[:, 0]) + X[:, 1] ** 2
    pipe = make_pipeline(StandardScaler(), MatoptRegressor(model="gp"))
    scores = cross_val_score(pipe, X, y, cv=KFold(4, shuffle=True, random_state=0), scoring="r2")
    assert (scores > 0.9).all()  # a smooth 2-D function: the GP explains nearly all of it
    r = MatoptRegressor(model="gp").fit(X, y)
    frame = pd.DataFrame(X, columns=["x0", "x1"]).assign(t=y)
    p = matopt.Model.train(frame, "t", model="gp", process=["x0", "x1"], features="none",
                           no_composition=True).predict(frame)
    np.testing.assert_array_equal(r.predict(X), p["t_mean"].to_numpy())


def test_classifier_on_expt_is_metal():
    header, rows = read_csv_text(DATA / "matbench" / "matbench_expt_is_metal.csv")
    rows = rows[::10]  # 493 rows spread over the (alphabetically sorted) file
    formulas = [r[0] for r in rows]
    labels = np.array(["metal" if r[1] == "True" else "non-metal" for r in rows])
    clf = MatoptClassifier(model="forest").fit(formulas[:300], labels[:300])
    assert list(clf.classes_) == ["metal", "non-metal"]
    proba = clf.predict_proba(formulas[300:])
    assert proba.shape == (193, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert ((proba >= 0) & (proba <= 1)).all()
    accuracy = (clf.predict(formulas[300:]) == labels[300:]).mean()
    majority = max((labels[300:] == c).mean() for c in clf.classes_)  # 0.58
    assert accuracy > majority + 0.2  # magpie features separate metals from non-metals well
    with pytest.raises(ValueError, match="two classes"):
        MatoptClassifier().fit(formulas[:3], ["a", "b", "c"])
