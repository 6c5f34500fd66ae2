"""tsgate's own error types, and how messages name parameters (a leaf module).

Every error that a user can cause and fix (bad data, a bad parameter value, a
damaged model file, a missing optional dependency) is an instance of
:class:`TsgateError`, and also of the built-in type a caller would expect
(``ValueError``, ``TypeError``, ``ImportError``), so ``except ValueError``
keeps working (:class:`TrainingDivergedError`, a training that stopped being
finite or never learned, is also a ``FloatingPointError``). The command line
maps exactly these types to exit code 2; anything else is a bug and keeps its
traceback.

Messages name parameters through :func:`name`, so the same message says
``fill='ffill'`` to a Python caller and ``--fill ffill`` on the command line
(inside :func:`speaking`).
"""

import contextlib
import contextvars


class TsgateError(Exception):
    """Base class of the errors a user can cause and fix."""


class DataError(TsgateError, ValueError):
    """Input data that cannot be used: names the column, row or timestamp."""


class NoOriginError(DataError):
    """Historical forecasts asked of data with no origin from the start given (a series that ends
    too early): :class:`tsgate.LocalForecaster` passes such a series over where others have origins."""


class TrainingDivergedError(TsgateError, FloatingPointError):
    """A training whose loss or gradient stopped being finite, or that learned nothing usable.

    The message says what to change (``learning_rate``, ``clip_norm``, an outlier)."""


def diverged(epoch, batch, value, gnorm):
    """The error for a non-finite loss or gradient norm at (epoch, batch), 0-based epoch."""
    return TrainingDivergedError(
        f"training diverged at epoch {epoch + 1}, batch {batch}: loss={value}, gradient norm={gnorm}; "
        "lower learning_rate or keep clip_norm on")


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


class TsgateWarning(UserWarning):
    """Base class of tsgate's warnings (the CLI prints them as ``tsgate: warning:`` lines)."""


class OutlierWarning(TsgateWarning):
    """Isolated outliers were replaced before training or an update (:mod:`tsgate.outliers`)."""


class CoverageWarning(TsgateWarning):
    """A prediction interval that cannot have the coverage asked for."""


class BaselineWarning(TsgateWarning):
    """A network that does not beat the best baseline on the validation windows."""


class RangeWarning(TsgateWarning):
    """A forecast far outside the range of the series' history."""


# ---------------------------------------------------------------------------
# Naming parameters in messages: Python's words, or the command line's.

_VOCABULARY = contextvars.ContextVar("tsgate_vocabulary", default=None)
_NO_VALUE = object()


def name(param, value=_NO_VALUE):
    """How a message names parameter ``param`` (and a value for it).

    In Python: ``fill`` or ``fill='ffill'``. Inside :func:`speaking` with a
    command-line vocabulary: ``--fill`` or ``--fill ffill``; parameters the
    command line does not have keep their Python form.
    """
    vocab = _VOCABULARY.get()
    if vocab is not None and param in vocab:
        opt = vocab[param]
        return opt if value is _NO_VALUE else f"{opt} {value}"
    return param if value is _NO_VALUE else f"{param}={value!r}"


def can_name(param):
    """Whether the caller can set ``param``: always in Python; inside
    :func:`speaking`, only if the vocabulary has an option for it (so a
    message can leave out advice the command line cannot follow)."""
    vocab = _VOCABULARY.get()
    return vocab is None or param in vocab


def option(param):
    """The command line's option for ``param`` inside :func:`speaking`, else
    None (advice that only the command line needs, e.g. which columns to read)."""
    vocab = _VOCABULARY.get()
    return None if vocab is None else vocab.get(param)


@contextlib.contextmanager
def speaking(vocabulary):
    """Name parameters by ``vocabulary`` (parameter -> option) in the
    messages raised inside the block."""
    token = _VOCABULARY.set(dict(vocabulary))
    try:
        yield
    finally:
        _VOCABULARY.reset(token)


def plural(n, noun):
    """``n`` of ``noun`` as a message says it: '1 row', '5 rows', '2 negative values'."""
    return f"{n} {noun}" + ("" if n == 1 else "s")


def rows(n):
    """``n`` rows as a message says it: '1 row', '5 rows'."""
    return plural(n, "row")
