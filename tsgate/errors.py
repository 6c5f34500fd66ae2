"""tsgate's own error types (a leaf module: it imports nothing from tsgate).

Every error that a user can cause and fix (bad data, a bad parameter value, a
damaged model file, a missing optional dependency) is an instance of
:class:`TsgateError`, and also of the built-in type a caller would expect
(``ValueError``, ``TypeError``, ``ImportError``), so ``except ValueError``
keeps working. The command line maps exactly these types (and
:class:`~tsgate.elementmath.TrainingDivergedError`) to exit code 2; anything
else is a bug and keeps its traceback.
"""


class TsgateError(Exception):
    """Base class of the errors a user can cause and fix."""


class DataError(TsgateError, ValueError):
    """Input data that cannot be used: names the column, row or timestamp."""


class ParameterError(TsgateError, ValueError, TypeError):
    """A parameter or argument value out of its declared constraints.

    Subclasses both ValueError and TypeError, as scikit-learn's
    ``InvalidParameterError`` does: a wrong type and a wrong value are one
    kind of mistake for the caller.
    """


class ModelFileError(TsgateError, ValueError):
    """A model file that is missing, truncated, corrupt or of another version."""


class MissingDependencyError(TsgateError, ImportError):
    """An optional extra (matplotlib, dask, numba-cuda) is not installed."""


class OutputPathError(TsgateError, ValueError):
    """An output path that cannot be written (checked before any long work)."""
