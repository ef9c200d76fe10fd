# SPDX-License-Identifier: MIT
"""matopt from Python: compositions, featurizers, surrogate models, design spaces and closed-loop
campaigns, over the same C++ library as the ``matopt`` command (docs/python.md).

Long calls run without the GIL; Ctrl-C stops them with KeyboardInterrupt and leaves files as they
were. Errors are the classes in ``matopt.errors`` (also available as ``matopt.DataError`` etc.),
with the messages the command line prints.

Rows in messages are numbered as in a CSV file: the header is row 1, so the first row of a
DataFrame (``df.iloc[0]``) or the first formula of a list is row 2.
"""

import json as _json
import os as _os

import numpy as _np
import pandas as _pd

from . import _matopt
from ._tables import sheet_to_frame as _sheet_to_frame
from ._tables import to_table as _to_table
from .errors import DataError, Error, IngestError, InvalidArgument, IOError, OracleError  # noqa: A004

__version__ = _matopt.__version__
Composition = _matopt.Composition
featurizer_names = _matopt.featurizer_names
set_verbosity = _matopt.set_verbosity

__all__ = ["__version__", "Composition", "featurize", "featurizer_names", "set_verbosity", "Model",
           "DesignSpace", "Campaign", "Error", "DataError", "InvalidArgument", "IngestError", "IOError",
           "OracleError"]


def _formula_list(formulas):
    if isinstance(formulas, list):
        return formulas
    if isinstance(formulas, (_pd.Series, _pd.Index, _np.ndarray)):
        return formulas.tolist()
    if isinstance(formulas, str):
        raise TypeError("featurize: give a list of formulas, not one string (use [formula])")
    return list(formulas)


def featurize(formulas, features="magpie", threads=0, impute_missing=True):
    """Composition features of many formulas.

    Parameters
    ----------
    formulas : list of str, numpy array of str or pandas Series
        Formulas in any syntax matopt.Composition accepts.
    features : str
        Featurizers joined by '+', e.g. "magpie", "magpie+stoichiometry"
        (matopt.featurizer_names() lists them; "fractions" learns its element list from these formulas).
    threads : int
        Worker threads, 0 = all cores. The values do not depend on it.
    impute_missing : bool
        Replace missing elemental data by the property mean (as ``matopt featurize`` does by
        default); False keeps NaN.

    Returns
    -------
    (numpy.ndarray of float64, shape (n, k), list of k column names)
        The same values and names as ``matopt featurize --features FEATURES``.

    Raises matopt.DataError naming the row (first formula = row 2) of the first bad formula.
    """
    return _matopt._featurize(_formula_list(formulas), features, int(threads), bool(impute_missing),
                              "composition")


def _source(data, name):
    if isinstance(data, (str, _os.PathLike)):
        return _os.fspath(data)
    return _to_table(data, name)


def _targets(target):
    return [target] if isinstance(target, str) else list(target)


def _options_text(options):
    if options is None:
        return ""
    return options if isinstance(options, str) else _json.dumps(options)


class Model:
    """A trained model bundle: feature pipeline plus one surrogate per target, with calibrated
    uncertainty (the same object ``matopt train`` writes). Create it with Model.train or Model.load."""

    def __init__(self, handle):
        self._m = handle

    @classmethod
    def train(cls, data, target, model=None, features=None, process=(), seed=0, options=None,
              calibrate=False, folds=5, composition=None, id=None, no_composition=False,
              impute_missing=True):
        """Fit a model, as ``matopt train`` does.

        Parameters
        ----------
        data : pandas.DataFrame or path of a .csv / .h5 file
            Training rows. The composition column is found as the CLI finds it (the first column
            when it holds formulas) unless `composition` names it.
        target : str or list of str
            Target column(s); one surrogate is fitted per target. A column of true/false values is
            a classification target (predicted mean = P(true)).
        model : str or None
            Surrogate registry name ("auto", "gp", "forest", "boost", "ensemble"). None = the
            library's default, the auto engine (docs/auto.md), the same as ``matopt train``
            without --model.
        features : str or None
            Composition featurizers joined by '+', or "none". None = the default: magpie, or with
            the auto engine each candidate its own feature set (as ``--features`` left out).
        process : sequence of str
            Process columns used as features.
        seed : int
            Random seed; same data and seed give bit-identical models.
        options : dict or JSON str, optional
            Surrogate options (docs/models.md), as ``--options``.
        calibrate : bool
            Recalibrate the predicted std on `folds`-fold cross-validation residuals.
        composition, id : str, optional
            Composition and row-id column names.
        no_composition : bool
            The table has no composition column.
        impute_missing : bool
            False keeps missing elemental data as NaN (such rows then fail), as ``--no-impute``.
        """
        kw = dict(targets=_targets(target), process=list(process), model=model or "",
                  options=_options_text(options), features=features or "", composition=composition, id=id,
                  no_composition=bool(no_composition), calibrate=bool(calibrate),
                  impute_missing=bool(impute_missing), folds=int(folds), seed=int(seed))
        return cls(_matopt._Model.train(_source(data, "DataFrame"), kw))

    def predict(self, data, id=None, domain=True):
        """Predictions for every row of `data` (DataFrame or .csv / .h5 path).

        Returns a DataFrame with the columns of ``matopt predict``: ``id``, then for each target
        ``<target>_mean``, ``_std``, ``_epistemic_std``, ``_aleatoric_std``, ``_median``, ``_q05``,
        ``_q95``, and where the model has them ``_conformal_lower``/``_conformal_upper``,
        ``_p_positive`` (hurdle) and ``_probability``/``_label`` (classification); last
        ``domain_score`` and ``in_domain`` (distance to the training rows; docs/models.md).
        `id` names a row-id column of `data` (default: ids "1".."n"). `domain=False` leaves out the
        domain columns (as ``--no-domain``; they cost one distance per stored training row).
        """
        ids, header, values = self._m.predict(_source(data, "DataFrame"), id, bool(domain))
        frame = _pd.DataFrame(values, columns=header)
        frame.insert(0, "id", ids)
        return frame

    def save(self, path):
        """Write the model file (HDF5, atomically), readable by Model.load and ``matopt predict``."""
        self._m.save(_os.fspath(path))

    @classmethod
    def load(cls, path):
        """Read a model file written by Model.save or ``matopt train``."""
        return cls(_matopt._Model.load(_os.fspath(path)))

    @property
    def targets(self):
        """Target names, in the order of the prediction columns."""
        return self._m.targets

    @property
    def classification(self):
        """Per target: whether it is a true/false target (mean = probability)."""
        return self._m.classification

    @property
    def feature_names(self):
        """Names of the pipeline's feature columns."""
        return self._m.feature_names

    @property
    def kind(self):
        """Surrogate registry name the model was trained with."""
        return self._m.model

    def __repr__(self):
        return f"matopt.Model(kind={self.kind!r}, targets={self.targets!r})"


def _space_json(space):
    """(JSON text, base directory for relative pool paths) of a dict or a JSON file path."""
    if isinstance(space, dict):
        return _json.dumps(space), _os.getcwd()
    path = _os.fspath(space)
    with open(path, encoding="utf-8") as f:
        return f.read(), _os.path.dirname(_os.path.abspath(path))


class DesignSpace:
    """What may be proposed and what is optimized (docs/design-space.md).

    DesignSpace(space) takes the design-space JSON as a dict or the path of a JSON file. An invalid
    specification raises matopt.DataError (an infeasible one matopt.InvalidArgument) naming the field."""

    def __init__(self, space):
        if isinstance(space, _matopt._DesignSpace):
            self._s = space
        else:
            text, base = _space_json(space)
            self._s = _matopt._DesignSpace.from_json(text, base)

    @property
    def coordinate_names(self):
        """Element symbols, then process parameter names: the coordinates of a design point."""
        return self._s.coordinate_names

    @property
    def kinds(self):
        """Per coordinate: "fraction", "continuous", "integer" or "categorical"."""
        return self._s.kinds

    @property
    def num_elements(self):
        """Number of elements in the composition block (0 without one)."""
        return self._s.num_elements

    @property
    def output_names(self):
        """Objective names, then constraint-only output names."""
        return self._s.output_names

    def to_json(self):
        """The specification as JSON text (reads back into an equal space)."""
        return self._s.to_json()

    def sample(self, n, seed=0):
        """n feasible design points from a seeded space-filling design, as a DataFrame with one
        column per coordinate (categories as labels). Same space, n and seed give the same points."""
        return _pd.DataFrame(self._s.sample(int(n), int(seed)), columns=self.coordinate_names)

    def _point(self, point):
        names = self.coordinate_names
        if isinstance(point, (dict, _pd.Series)):
            unknown = [k for k in point.keys() if k not in names]
            if unknown:
                raise InvalidArgument(f"unknown coordinate(s) {unknown}; expected: {', '.join(names)}")
            x = []
            for i, (name, kind) in enumerate(zip(names, self.kinds)):
                v = point.get(name, 0.0 if kind == "fraction" else _np.nan)
                if kind == "categorical" and isinstance(v, str):
                    cats = self._s.categories(i)
                    v = cats.index(v) if v in cats else -1.0
                x.append(float(v))
            return _np.asarray(x, dtype=float)
        return _np.asarray(point, dtype=float)

    def validate(self, point):
        """Every reason `point` is outside the space, as "field: message" strings (empty list =
        feasible). `point` is a dict/Series {coordinate: value} (missing elements count as 0,
        categories by label) or a sequence of all coordinates in coordinate_names order."""
        return self._s.validate(self._point(point))

    def __repr__(self):
        return f"matopt.DesignSpace(coordinates={self.coordinate_names!r}, outputs={self.output_names!r})"


class Campaign:
    """A closed-loop campaign kept in one HDF5 file (docs/campaign.md), the same file the
    ``matopt init/propose/ingest/status/report`` commands work on. Every change is saved atomically
    under a lock; a call that fails or is interrupted leaves the file as it was."""

    def __init__(self, handle):
        self._c = handle

    @classmethod
    def create(cls, path, space, history=None, seed=0):
        """Create a campaign file (refuses to overwrite one), as ``matopt init``.

        Parameters
        ----------
        path : str or path
            Campaign file to create (.h5).
        space : dict or path of a design-space JSON file
            Relative pool paths resolve against the JSON file's folder (a dict: the working folder).
        history : pandas.DataFrame or path of a CSV file, optional
            Prior measurements (composition/process and output columns, no id column).
        seed : int
            Campaign seed; round r proposes with a seed derived from it and r.
        """
        text, base = _space_json(space)
        path = _os.fspath(path)
        if history is None:
            return cls(_matopt._Campaign.create(path, text, base, int(seed)))
        if isinstance(history, (str, _os.PathLike)):
            return cls(_matopt._Campaign.create_with_history_csv(path, text, base, int(seed), _os.fspath(history)))
        return cls(_matopt._Campaign.create_with_history(path, text, base, int(seed),
                                                         *_to_table(history, "history")))

    @classmethod
    def open(cls, path):
        """Open an existing campaign file (raises matopt.IOError if missing, foreign or newer)."""
        return cls(_matopt._Campaign.open(_os.fspath(path)))

    def propose(self, batch=8, strategy=None, model=None, features="point", model_options=None,
                raw_samples=1024, min_measurements=None, max_distance=None):
        """Fit surrogates on the measurements and propose the next `batch` experiments, as
        ``matopt propose``; the proposals are recorded in the campaign file.

        Parameters
        ----------
        batch : int
            Number of experiments to propose.
        strategy : str or None
            Batch strategy: qnehvi, qparego, ehvi, ei, logei, ucb, pi, ts, random. None = qnehvi
            for several objectives, ucb for one (as the CLI).
        model : str or None
            Surrogate registry name; None = the default of ``matopt propose``.
        features : str
            Model inputs: "point" (design coordinates) or featurizers such as "magpie".
        model_options : dict or JSON str, optional
            Surrogate options, as ``--model-options``.
        raw_samples : int
            Space-filling samples scored in a continuous design space.
        min_measurements : int or None
            Measurements needed before a model is fitted (fewer: a seeded space-filling design).
            None = the CLI's default: 3 with a pool, else 2(d+1) for d coordinates.
        max_distance : float or None
            Trust region, as ``--max-distance``: only candidates whose applicability-domain score
            (distance to the nearest measured point, in units of the measured points' spacing) is at
            most this. None = no limit.

        Returns
        -------
        pandas.DataFrame
            The lab sheet, with the columns of the CSV ``matopt propose`` writes: id, composition,
            one column per element and process parameter, the output columns (NaN, to fill in) and
            status ('' = ok; 'failed' for a failed experiment). Fill it in and pass it to ingest().
        """
        kw = dict(q=int(batch), strategy=strategy or "", model=model or "",
                  model_options=_options_text(model_options), features=features,
                  raw_samples=int(raw_samples),
                  min_measurements=0 if min_measurements is None else int(min_measurements),
                  max_distance=float("inf") if max_distance is None else float(max_distance))
        header, rows = self._c.propose(kw)
        return _sheet_to_frame(header, rows, self.space)

    def pending(self):
        """The lab sheet (as propose returns it) of every proposal still waiting for results."""
        header, rows = self._c.pending_sheet()
        return _sheet_to_frame(header, rows, self.space)

    def ingest(self, results, source=None):
        """Add measured results, as ``matopt ingest``: the whole table is validated first.

        Parameters
        ----------
        results : pandas.DataFrame or path of a CSV file
            The lab sheet filled in (or new compositions with an empty id).
        source : str, optional
            Name of a DataFrame in messages and in the measurements' ``source`` column
            (default "DataFrame").

        Returns a dict: rows, added, failed, unchanged, closed (proposal ids), changed.
        Raises matopt.IngestError listing every problem (``.problems``; rows numbered with the
        header as row 1, so ``df.iloc[5]`` is row 7), with the campaign file left byte-identical.
        Rows already in the campaign are skipped; if nothing is new the file is not touched.
        """
        if isinstance(results, (str, _os.PathLike)):
            return self._c.ingest_csv(_os.fspath(results))
        return self._c.ingest(*_to_table(results, source or "DataFrame"))

    def status(self):
        """The campaign's state as a dict (the JSON of ``matopt status --json``): rounds,
        measurements, failed, pending, objectives, best values, Pareto set, hypervolume per round.
        Read-only: it records nothing in the file (as ``matopt status`` without ``--record``)."""
        return _json.loads(self._c.status_json())

    def measurements(self):
        """Every measurement as a DataFrame: id, proposal_id, round, status ("ok"/"failed"), the
        composition formula, one column per coordinate, one per output (NaN = missing), source."""
        return _pd.DataFrame(self._c.measurements())

    def report(self, dir, record=False):
        """Write the HTML report with its SVG plots and CSV tables into `dir`, as ``matopt report``;
        returns the paths written. The campaign file is left as it is unless ``record=True``, which
        adds the report to the campaign history (``matopt report --record``)."""
        return self._c.report(_os.fspath(dir), bool(record))

    @property
    def path(self):
        """The campaign file."""
        return self._c.path

    @property
    def seed(self):
        """The campaign seed."""
        return self._c.seed

    @property
    def rounds(self):
        """Proposal rounds so far."""
        return self._c.rounds

    @property
    def space(self):
        """The campaign's DesignSpace (a pool is stored in the campaign, not referenced)."""
        return DesignSpace(self._c.space)

    def __repr__(self):
        return f"matopt.Campaign({self.path!r}, rounds={self.rounds})"
