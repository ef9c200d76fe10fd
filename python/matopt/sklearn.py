# SPDX-License-Identifier: MIT
"""scikit-learn estimators over matopt.Model, so that cross_val_score, GridSearchCV and Pipeline
work with matopt's surrogates.

``X`` is either formulas (a list, 1-D array or Series of str; featurized with ``features``) or a
numeric feature matrix (2-D, used as given: ``features`` does not apply). Every fit trains a
matopt.Model exactly as ``matopt train`` would on the same table.
"""

import numpy as _np
import pandas as _pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin

from . import Model

_TARGET = "__matopt_target__"


def _is_formulas(X):
    if isinstance(X, _pd.DataFrame):
        return False
    a = _np.asarray(X, dtype=object) if not isinstance(X, _np.ndarray) else X
    return a.ndim == 1 and len(a) > 0 and all(isinstance(v, str) for v in a.tolist())


def _frame(X):
    """(DataFrame, Model.train keyword arguments) for formulas or a feature matrix."""
    if _is_formulas(X):
        formulas = X.tolist() if hasattr(X, "tolist") else list(X)
        return _pd.DataFrame({"composition": formulas}), dict(composition="composition")
    M = _np.asarray(X, dtype=float)
    if M.ndim != 2:
        raise ValueError(f"X must be formulas (1-D, str) or a 2-D feature matrix (got shape {M.shape})")
    names = [f"x{j}" for j in range(M.shape[1])]
    return _pd.DataFrame(M, columns=names), dict(no_composition=True, process=names, features="none")


class _Estimator(BaseEstimator):
    def __init__(self, model=None, features=None, options=None, calibrate=False, seed=0):
        self.model = model
        self.features = features
        self.options = options
        self.calibrate = calibrate
        self.seed = seed

    def _fit(self, X, y):
        frame, kw = _frame(X)
        frame[_TARGET] = y
        kw.setdefault("features", self.features)
        self.model_ = Model.train(frame, _TARGET, model=self.model, options=self.options,
                                  calibrate=self.calibrate, seed=self.seed, **kw)
        self.n_features_in_ = 1 if "composition" in kw else frame.shape[1] - 1
        return self

    def _predict(self, X):
        frame, _ = _frame(X)
        p = self.model_.predict(frame, domain=False)  # the estimator API returns no domain columns
        return p[_TARGET + "_mean"].to_numpy(), p[_TARGET + "_std"].to_numpy()


class MatoptRegressor(RegressorMixin, _Estimator):
    """Regression with a matopt surrogate and calibrated uncertainty.

    Parameters
    ----------
    model : str or None
        Surrogate registry name ("auto", "gp", "forest", "boost", "ensemble"); None = the default
        of ``matopt train``, the auto engine.
    features : str or None
        Composition featurizers for formula input ("magpie", "magpie+stoichiometry", ...); None =
        the model's default (each auto candidate its own).
    options : dict or JSON str, optional
        Surrogate options (docs/models.md).
    calibrate : bool
        Recalibrate the predicted std on cross-validation residuals.
    seed : int
        Random seed (same data and seed give the same model).
    """

    def fit(self, X, y):
        """Fit on formulas or a feature matrix `X` and targets `y`."""
        return self._fit(X, _np.asarray(y, dtype=float))

    def predict(self, X, return_std=False):
        """Predicted means; with return_std=True also the predicted standard deviations."""
        mean, std = self._predict(X)
        return (mean, std) if return_std else mean


class MatoptClassifier(ClassifierMixin, _Estimator):
    """Binary classification: the surrogate is fitted to the 0/1 target, its mean clipped to
    [0, 1] is P(class 1) (with model="ensemble" the classification variant of the deep ensemble).

    Parameters are those of MatoptRegressor.
    """

    def fit(self, X, y):
        """Fit on formulas or a feature matrix `X` and labels `y` (exactly two classes)."""
        y = _np.asarray(y)
        self.classes_ = _np.unique(y)
        if len(self.classes_) != 2:
            raise ValueError(f"MatoptClassifier needs exactly two classes (got {len(self.classes_)})")
        return self._fit(X, _np.where(y == self.classes_[1], "true", "false"))

    def predict_proba(self, X):
        """Class probabilities, shape (n, 2), columns in classes_ order."""
        p, _ = self._predict(X)
        p = _np.clip(p, 0.0, 1.0)
        return _np.column_stack([1.0 - p, p])

    def predict(self, X):
        """The more probable class of each row."""
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]
