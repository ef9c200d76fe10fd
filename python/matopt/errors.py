# SPDX-License-Identifier: MIT
"""Exceptions raised by matopt. Their messages are the ones the command line prints after
``matopt: error:`` (file, row with the header as row 1, column, offending value, what was expected)."""


class Error(Exception):
    """Base class of every matopt error."""


class InvalidArgument(Error, ValueError):
    """An invalid option or argument (unknown name, out-of-range value). The CLI exits with 1."""


class DataError(Error, ValueError):
    """Malformed input data: a bad cell, a bad formula, a wrong column type. The CLI exits with 2."""


class IngestError(DataError):
    """A results table was rejected and nothing was written.

    ``str(e)`` lists every problem, one a line, as ``matopt ingest`` prints them. ``problems`` holds
    the same list as dicts with the keys ``file``, ``row`` (header = row 1, first data row = row 2),
    ``column``, ``value``, ``message`` and ``text`` (the formatted line).
    """

    def __init__(self, message, problems=()):
        super().__init__(message)
        self.problems = list(problems)


class OracleError(DataError):
    """An oracle of the design space (an external calculator, docs/oracles.md) could not be started,
    crashed, timed out, exited non-zero or wrote malformed output. The message names the oracle, the
    candidate (row and formula) and the column; the campaign is left as it was."""


class IOError(Error, OSError):  # noqa: A001 (matopt.IOError, as in the C++ API)
    """A file could not be read or written (missing, foreign, corrupt or newer file, lock timeout)."""
