"""One parameter contract for every estimator: constraints, shared defaults, seeds.

Constraints use scikit-learn's ``_parameter_constraints`` grammar: each
parameter maps to a list of accepted kinds, any one of which may match:
:class:`Interval`, :class:`StrOptions`, :class:`ListOf`, a type, ``None``,
``callable``, ``"boolean"`` or ``"random_state"``. scikit-learn's own
validator (``sklearn.utils._param_validation``) is private API, so tsgate
keeps this small vendored subset of that grammar instead of pinning
scikit-learn's minor version: the estimators keep working on every
scikit-learn >= 1.6, and the messages follow scikit-learn's wording
("The 'horizon' parameter of LSTMForecaster must be an int in the range
[1, inf). Got 0 instead.").

Each estimator combines :data:`NETWORK` and :data:`TRAINING` with its own
constraints and calls :func:`validate_params` first thing in ``fit``, before
touching the data.
"""

import numbers

import numpy as np

from .errors import ParameterError, option
from .errors import name as pname
from .frames import FILLS
from .windows import SCALERS


class Interval:
    """Numbers of ``kind`` (numbers.Integral or numbers.Real) between ``left``
    and ``right`` (None: unbounded); ``closed`` in 'left', 'right', 'both', 'neither'."""

    def __init__(self, kind, left, right, closed):
        self.kind, self.left, self.right, self.closed = kind, left, right, closed

    def is_satisfied_by(self, v):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, self.kind):
            return False
        if not np.isfinite(float(v)):
            return False
        lo_ok = self.left is None or (v >= self.left if self.closed in ("left", "both") else v > self.left)
        hi_ok = self.right is None or (v <= self.right if self.closed in ("right", "both") else v < self.right)
        return lo_ok and hi_ok

    def __str__(self):
        kind = "an int" if self.kind is numbers.Integral else "a float"
        lo = "-inf" if self.left is None else f"{self.left:g}"
        hi = "inf" if self.right is None else f"{self.right:g}"
        lb = "[" if self.closed in ("left", "both") and self.left is not None else "("
        rb = "]" if self.closed in ("right", "both") and self.right is not None else ")"
        return f"{kind} in the range {lb}{lo}, {hi}{rb}"


class StrOptions:
    """One of a set of strings."""

    def __init__(self, options):
        self.options = sorted(options)

    def is_satisfied_by(self, v):
        return isinstance(v, str) and v in self.options

    def __str__(self):
        return "a str among {" + ", ".join(repr(o) for o in self.options) + "}"


class ListOf:
    """A list, tuple or 1-D array whose every item satisfies ``item``, non-empty unless ``empty``."""

    def __init__(self, item, empty=False):
        self.item, self.empty = item, empty

    def is_satisfied_by(self, v):
        listlike = isinstance(v, (list, tuple)) or (isinstance(v, np.ndarray) and v.ndim == 1)
        return listlike and (self.empty or len(v) > 0) and all(_satisfies(self.item, x) for x in v)

    def __str__(self):
        item = str(self.item)
        for one, many in (("an int", "ints"), ("a float", "floats"), ("a str", "strings")):
            item = many + item[len(one):] if item.startswith(one) else item
        return f"a {'' if self.empty else 'non-empty '}list of {item}"


class HasMethods:
    """An object with these methods (scikit-learn's constraint of the same name)."""

    def __init__(self, *methods):
        self.methods = methods

    def is_satisfied_by(self, v):
        return all(callable(getattr(v, m, None)) for m in self.methods)

    def __str__(self):
        return "an object implementing " + " and ".join(repr(m) for m in self.methods)


def _satisfies(constraint, v):
    if constraint is None:
        return v is None
    if constraint == "boolean":
        return isinstance(v, (bool, np.bool_))
    if constraint == "random_state":
        return (v is None or isinstance(v, np.random.RandomState)
                or (isinstance(v, numbers.Integral) and not isinstance(v, bool) and 0 <= v < 2**32))
    if constraint is callable:
        return callable(v)
    if isinstance(constraint, type):
        return isinstance(v, constraint) and not (constraint is not bool and isinstance(v, bool))
    return constraint.is_satisfied_by(v)


def _describe(constraint):
    if constraint is None:
        return "None"
    if constraint == "boolean":
        return "an instance of 'bool'"
    if constraint == "random_state":
        return "an int in the range [0, 4294967295], an instance of 'numpy.random.RandomState' or None"
    if constraint is callable:
        return "a callable"
    if isinstance(constraint, type):
        return f"an instance of '{constraint.__name__}'"
    return str(constraint)


def check_param(name, value, constraints, owner):
    """Raise :class:`ParameterError` unless ``value`` meets one of ``constraints``."""
    if any(_satisfies(c, value) for c in constraints):
        return value
    opt = option(name)  # the command line's option: None there means 'not given'
    kinds = [_describe(c) for c in constraints if opt is None or c is not None]
    text = kinds[0] if len(kinds) == 1 else ", ".join(kinds[:-1]) + " or " + kinds[-1]
    if opt is not None:
        raise ParameterError(f"{opt} must be {text}, got {value!r}")
    raise ParameterError(f"The {name!r} parameter of {owner} must be {text}. Got {value!r} instead.")


def validate_params(estimator):
    """Check every parameter of ``estimator`` against its class's
    ``_parameter_constraints`` (the keys must be exactly its parameters), and
    that its ``device``, if it has one, can run on this machine."""
    constraints = type(estimator)._parameter_constraints
    owner = type(estimator).__name__
    for name, value in estimator.get_params(deep=False).items():
        check_param(name, value, constraints[name], owner)
    if "device" in constraints:  # 'cuda' without a GPU: an error naming device before any data work
        from .backend import resolve_device

        resolve_device(estimator.device)


def check_forecaster_combinations(est):
    """The forecaster parameter combinations that ``_parameter_constraints`` cannot express."""
    if est.loss == "pinball" and est.strategy != "direct":
        raise ParameterError(f"{pname('loss', 'pinball')} needs {pname('strategy', 'direct')}")
    if est.window_norm == "ets" and est.strategy != "direct":
        raise ParameterError(f"{pname('window_norm', 'ets')} needs {pname('strategy', 'direct')}")
    if (est.fork or est.stateful) and est.id_embedding:
        raise ParameterError(f"{pname('id_embedding')} needs {pname('fork', False)} and {pname('stateful', False)}")
    if est.stateful:
        _check_stateful(est)
    if est.tbptt_depth is not None and est.tbptt_depth < est.tbptt:
        raise ParameterError(f"{pname('tbptt_depth', est.tbptt_depth)} must be at least {pname('tbptt', est.tbptt)}")
    if est.fork and (est.window_norm not in (None, "auto") or est.ar_window not in (0, "auto")
                    or est.segment_length not in (1, "auto") or est.future_covariates or est.calendar_features
                    or est.bidirectional or est.loss == "pinball"):
        raise ParameterError(f"{pname('fork', True)} reads raw windows step by step: it takes "
                             f"{pname('window_norm', None)}, no highway, segments, future covariates, calendar "
                             "features, reverse direction or quantiles")


def _check_stateful(est):
    """A stateful forecaster's combinations: one forward state carried through whole series."""
    if est.future_covariates or est.loss == "pinball" or est.strategy != "direct":
        raise ParameterError(f"{pname('stateful', True)} needs {pname('strategy', 'direct')}, no "
                             f"{pname('future_covariates')} and a point loss")
    if est.window_norm in ("seasonal", "seasonal_ratio", "ets"):
        raise ParameterError(f"{pname('stateful', True)} takes {pname('window_norm')} 'last' or None")
    if est.bidirectional or est.segment_length not in (1, "auto"):  # a reverse pass would read the future
        raise ParameterError(f"{pname('stateful', True)} carries its state forward one step at a time: it takes "
                             f"{pname('bidirectional', False)} and {pname('segment_length')} 'auto' or 1")


def positive_int(value, name):
    """A method argument that must be a positive integer (e.g. predict's horizon)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ParameterError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def check_refits(retrain, warm_start):
    """historical_forecasts' ``retrain`` (True, False or a positive int) and ``warm_start`` (a bool, True
    only with ``retrain``)."""
    if not isinstance(retrain, (bool, np.bool_)) and not (isinstance(retrain, numbers.Integral) and retrain >= 1):
        raise ParameterError(f"{pname('retrain')} must be True, False or a positive int, got {retrain!r}")
    if not isinstance(warm_start, (bool, np.bool_)) or (warm_start and not retrain):
        raise ParameterError(f"{pname('warm_start')} must be True or False, and True only with {pname('retrain')}, "
                             f"got {pname('warm_start', warm_start)} with {pname('retrain', retrain)}")


def seed_from(random_state):
    """The integer seed (or None) behind ``random_state``: an int is used as
    it is, so a seed means the same thing everywhere; None stays None (fresh
    OS entropy wherever it is used); a RandomState instance draws a seed from
    itself (scikit-learn's ``check_random_state`` semantics)."""
    if random_state is None or (isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool)):
        return None if random_state is None else int(random_state)
    from sklearn.utils import check_random_state

    return int(check_random_state(random_state).randint(2**31 - 1))


def _positive(kind):
    return Interval(kind, 1, None, closed="left")


#: The network's shape and device: every estimator has these parameters.
NETWORK = {
    "hidden_size": [_positive(numbers.Integral)],
    "num_layers": [_positive(numbers.Integral)],
    "bidirectional": ["boolean"],
    "dropout": [Interval(numbers.Real, 0, 1, closed="left")],
    "device": [StrOptions({"cpu", "cuda", "auto"})],
    "init": [StrOptions({"torch", "forget", "chrono"})],
}

#: The training recipe: every estimator has these parameters.
TRAINING = {
    "max_epochs": [_positive(numbers.Integral)],
    "batch_size": [_positive(numbers.Integral)],
    "learning_rate": [Interval(numbers.Real, 0, None, closed="neither")],
    "optimizer": [StrOptions({"adam", "rmsprop", "sgd"})],
    "weight_decay": [Interval(numbers.Real, 0, None, closed="left")],
    "clip_norm": [Interval(numbers.Real, 0, None, closed="neither"), None],
    "early_stopping": ["boolean"],
    "validation_fraction": [Interval(numbers.Real, 0, 1, closed="left")],
    "patience": [_positive(numbers.Integral)],
    "random_state": ["random_state"],
    "verbose": [Interval(numbers.Integral, 0, None, closed="left"), "boolean", callable],
}

_INT = numbers.Integral

#: The forecasters' own parameters (tsgate.forecaster).
FORECASTER = {
    "lookback": [_positive(_INT), None],
    "horizon": [_positive(_INT), None],
    "loss": [StrOptions({"mse", "mae", "huber", "pinball"})],
    "quantiles": [ListOf(Interval(numbers.Real, 0, 1, closed="neither")), None],
    "scaler": [StrOptions(SCALERS), None],
    "strategy": [StrOptions({"direct", "recursive"})],
    "window_norm": [StrOptions({"auto", "last", "seasonal", "seasonal_ratio", "ets"}), None],
    "seasonal_periods": [ListOf(Interval(_INT, 2, None, closed="left"), empty=True),  # []: no season
                         Interval(_INT, 2, None, closed="left"), None],  # one period: 12 as [12]
    "ar_window": [StrOptions({"auto"}), Interval(_INT, 0, None, closed="left")],
    "segment_length": [StrOptions({"auto"}), _positive(_INT)],
    "n_models": [_positive(_INT)],
    "n_jobs": [_positive(_INT), Interval(_INT, -1, -1, closed="both"), None],
    "target": [str, _INT, list, tuple, None],
    "time_col": [str, _INT, None],
    "future_covariates": [list, tuple, None],
    "calendar_features": ["boolean"],
    "fill": [StrOptions(FILLS), None],
    "max_windows": [_positive(_INT), None],
    "time_budget": [Interval(numbers.Real, 0, None, closed="neither"), None],
    "refit": ["boolean", StrOptions({"mean"})],
    "stateful": ["boolean"],
    "fork": ["boolean"],
    "window_position": ["boolean", StrOptions({"auto"})],
    "tbptt": [Interval(_INT, 2, None, closed="left")],
    "tbptt_depth": [Interval(_INT, 2, None, closed="left"), None],
    "id_col": [str, _INT, None],
    "min_length": [_positive(_INT), None],
    "on_short": [StrOptions({"baseline", "raise", "skip"})],
    "outliers": [StrOptions({"repair", "keep"})],
    "stride": [_positive(_INT)],
    "max_windows_per_series": [_positive(_INT), None],
    "id_embedding": [_positive(_INT), None],
    "train_highway": ["boolean", StrOptions({"auto"})],
    "start_weight": [Interval(numbers.Real, 0, 1, closed="both")],
    "fallback": ["boolean"],
    "nonnegative": [StrOptions({"auto"}), "boolean"],
}

#: Defaults shared by every estimator (same meaning, same value).
SHARED_DEFAULTS = dict(hidden_size=32, num_layers=1, bidirectional=False, dropout=0.0, device="cpu", init="chrono",
                       batch_size=32, optimizer="adam", weight_decay=0.0, clip_norm=1.0, random_state=0, verbose=0)

#: Shared parameters whose defaults differ between the forecasters and the
#: sequence estimators, and why.
DIFFERENT_DEFAULTS = {
    "early_stopping": "forecasters: on, their windows are time-ordered and the validation tail also "
                      "calibrates the conformal intervals; sequence estimators: off, as scikit-learn's "
                      "MLP estimators, since rows of X need not be in time order",
    "validation_fraction": "forecasters 0.2 (the tail calibrates intervals, which needs windows); "
                           "sequence estimators 0.1 (scikit-learn's MLP default)",
    "patience": "forecasters 25 (few, noisy validation windows); sequence estimators 10 "
                "(scikit-learn's n_iter_no_change)",
    "max_epochs": "forecasters 200 with early stopping on; sequence estimators 100 without it",
    "learning_rate": "forecasters 3e-3, stopped early on validation; sequence estimators 1e-2, as they "
                     "train a fixed budget of epochs with no early stopping (3e-3 fails scikit-learn's "
                     "check_regressors_train in 40 epochs)",
}
