# SPDX-License-Identifier: MIT
"""Conversions between pandas DataFrames and matopt's tables of cell text (the in-memory form of a
CSV file: a header and one text cell per row and column). Numbers are written with ``repr(float)``,
the shortest text that reads back to the same double, so no value changes on the way."""

import math

import numpy as np
import pandas as pd


def _cell(v):
    if v is None:
        return ""
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        f = float(v)
        return "" if math.isnan(f) else repr(f)
    if v is pd.NA or v is pd.NaT:
        return ""
    return str(v)


def to_table(frame, name):
    """(name, header, columns of cell text) for the C++ side; rows are numbered as in a CSV file."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame (got {type(frame).__name__})")
    header = [str(c) for c in frame.columns]
    columns = []
    for k in range(frame.shape[1]):
        col = frame.iloc[:, k]
        if col.dtype.kind == "f":
            columns.append(["" if math.isnan(x) else repr(x) for x in col.astype(float).tolist()])
        else:
            columns.append([_cell(x) for x in col.tolist()])
    return (name, header, columns)


def _convert(values, kind):
    if kind in ("fraction", "continuous"):
        return [float(v) if v != "" else math.nan for v in values]
    if kind == "integer":
        return [int(float(v)) if v != "" else None for v in values]
    return list(values)


def sheet_to_frame(header, rows, space):
    """The lab sheet (header + rows of text) as a DataFrame with typed columns: coordinates as
    numbers (categories as labels), output columns as float NaN to fill in, status as ''."""
    kinds = dict(zip(space.coordinate_names, space.kinds))
    cols = list(zip(*rows)) if rows else [() for _ in header]
    composition = header[1] if space.num_elements > 0 else None
    data = {}
    for h, values in zip(header, cols):
        if h in kinds:
            data[h] = _convert(values, kinds[h])
        elif h in ("id", "status", composition):
            data[h] = list(values)
        else:  # an output column, empty until the lab fills it in
            data[h] = [float(v) if v != "" else math.nan for v in values]
    return pd.DataFrame(data, columns=header)
