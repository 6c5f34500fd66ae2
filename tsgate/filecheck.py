"""What a model file's metadata and arrays must look like, declared once.

:func:`check` runs on what :func:`tsgate.bundle.read` returns, before a
forecaster is rebuilt from it (:func:`tsgate.persist.load`): a damaged or
hand-edited file is a :class:`tsgate.errors.ModelFileError` that names the
field and what it should hold, not a TypeError in a later ``predict``. Fields
a file of an older version lacks are not checked (their readers supply them);
the arrays' shapes are checked from version 3 on (the panels' per-series
tails; earlier files share one tail, :func:`tsgate.persist._restore_panel`).
"""

import numbers

import numpy as np
import pandas as pd

from .errors import ModelFileError
from .recipe import AUTO_NORMS


def _integer(lo):
    return (lambda v: isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= lo,
            f"an integer of at least {lo}")


def _label(v):
    """A series id, column or index name as JSON keeps it."""
    return v is None or (isinstance(v, (str, numbers.Number)) and not isinstance(v, bool))


def _one_of(*values):
    return (lambda v: v in values), "one of " + ", ".join(repr(v) for v in values)


LABEL = (_label, "a name (text, a number or null)")
LABELS = (lambda v: isinstance(v, list) and all(_label(x) for x in v), "a list of names")
TEXT = (lambda v: isinstance(v, str), "text")
MAPPING = (lambda v: isinstance(v, dict), "a mapping")


def _freq(v):
    if not isinstance(v, str):
        return _integer(1)[0](v)
    try:
        pd.tseries.frequencies.to_offset(v)
    except ValueError:
        return False
    return True


FREQ = (_freq, "a frequency (a pandas offset alias or a positive integer step)")
PERIODS = (lambda v: isinstance(v, list) and all(_integer(1)[0](p) for p in v), "a list of integers of at least 1")
PAIR = (lambda v: v is None or (isinstance(v, list) and len(v) == 2 and all(_label(x) for x in v)),
        "null or a list of two names")

COMMON = {"targets": (lambda v: LABELS[0](v) and len(v) > 0, "a non-empty list of names"), "freq": FREQ,
          "horizon": _integer(1), "seasonal_period": _integer(1), "index_name": LABEL, "index_kind": TEXT,
          "cutoff_kind": _one_of("timestamp", "int"), "params": MAPPING}
NETWORK = {**COMMON, "past_covariates": LABELS, "future_covariates": LABELS, "lookback": _integer(1),
           "n_quantiles": _integer(1), "static_columns": LABELS, "history": MAPPING, "fit_report": MAPPING,
           "val_scores": MAPPING, "structure": MAPPING, "structure.seasonal_periods": PERIODS,
           "structure.window_norm": _one_of(None, *AUTO_NORMS),
           "structure.norm_period": _integer(0), "structure.level": (lambda v: isinstance(v, bool), "true or false"),
           "structure.ar_window": _integer(0), "structure.segment_length": _integer(1),
           "structure.n_models": _integer(1), "panel": MAPPING, "panel.ids": LABELS,
           "panel.form": _one_of("wide", "long", "dict"), "panel.id_col": LABEL, "panel.time_name": LABEL,
           "panel.cutoffs": (lambda v: isinstance(v, list), "a list"), "panel.multiindex": PAIR,
           "model": MAPPING, "model.input_size": _integer(1), "model.n_outputs": _integer(1),
           "model.n_extra": _integer(0)}
#: tsgate.baselines.BASELINES (importing it would close a cycle: baselines -> persist -> here), kept equal by a test
METHODS = ("naive", "seasonal_naive", "drift", "ar", "holt_winters")
BASELINE = {**COMMON, "method": _one_of(*METHODS),
            "scores": MAPPING}
LOCAL = {"params": MAPPING, "estimator": MAPPING, "estimator.class": TEXT, "estimator.params": MAPPING,
         "form": _one_of("wide", "long", "dict"), "id_name": LABEL,
         "members": (lambda v: isinstance(v, list) and len(v) > 0 and all(isinstance(m, dict) for m in v),
                     "a non-empty list of the series' models")}
NETWORKS = ("LSTMForecaster", "GRUForecaster", "RNNForecaster")


def check(meta, arrays):
    """Raise ModelFileError naming the first field of ``meta`` or array of ``arrays`` that is not
    what its class's files hold (a LocalForecaster: each member's too)."""
    kind = meta.get("class")
    if kind == "LocalForecaster":
        _fields(meta, LOCAL)
        for k, member in enumerate(meta["members"]):
            own = {name[len(f"m{k}__"):]: a for name, a in arrays.items() if name.startswith(f"m{k}__")}
            if not isinstance(member.get("meta"), dict):
                raise ModelFileError(f"member {k} has no model")
            check(dict(member["meta"], version=meta.get("version")), own)
        return
    if kind not in NETWORKS + ("BaselineForecaster",):
        raise ModelFileError(f"field 'class' is {kind!r}, not a tsgate forecaster")
    _fields(meta, BASELINE if kind == "BaselineForecaster" else NETWORK)
    _cutoff(meta)
    if kind == "BaselineForecaster":
        _shape(arrays, "y_", 1)
        if not len(arrays["y_"]):
            raise ModelFileError("array 'y_' (the series) is empty")
        _shape(arrays, "residuals_", 2, columns=meta["horizon"])
    else:
        _network_state(meta, arrays)
        if meta.get("version", 1) >= 3:
            _network_arrays(meta, arrays)


def _fields(meta, spec):
    for path, (test, words) in spec.items():
        head, _, tail = path.partition(".")
        if head not in meta or (tail and (not isinstance(meta[head], dict) or tail not in meta[head])):
            continue  # an older file's reader supplies it (a missing field of a new file fails there, named)
        value = meta[head][tail] if tail else meta[head]
        if not test(value):
            raise ModelFileError(f"field {path!r} is {value!r}, expected {words}")


def _cutoff(meta):
    want = str if meta["cutoff_kind"] == "timestamp" else numbers.Integral
    cutoffs = [meta.get("cutoff")] + list((meta.get("panel") or {}).get("cutoffs", []))
    for c in cutoffs:
        if not isinstance(c, want) or isinstance(c, bool):
            raise ModelFileError(f"a cutoff is {c!r}, expected {'a timestamp' if want is str else 'an integer'}")


def _network_state(meta, arrays):
    """What a network's file of any version holds: finite numbers, positive scales, a last window
    of the lookback's rows for every series, a scale per series and a horizon."""
    for name, a in arrays.items():
        if a.dtype.kind not in "fiu" or not np.isfinite(a).all():
            raise ModelFileError(f"array {name!r} holds non-finite or non-numeric values")
    for name in ("t_scale_", "c_scale_"):
        if (arrays[name] <= 0).any():
            raise ModelFileError(f"array {name!r} holds a scale <= 0")
    L, S = int(meta["lookback"]), len((meta.get("panel") or {}).get("ids", meta["targets"]))
    if not 1 <= L <= 1_000_000 or arrays["last_targets_"].shape != (L, S):
        raise ModelFileError(f"lookback {L} does not match the stored last window of shape "
                             f"{arrays['last_targets_'].shape}")
    if len(arrays["t_scale_"]) != S or int(meta.get("horizon", meta["params"].get("horizon") or 0)) < 1:
        raise ModelFileError("the targets, their scales and the horizon do not match")


def _network_arrays(meta, arrays):
    """The shapes that the metadata fixes: S series, L rows, P past and K future covariates, H steps."""
    S, L, H = len(meta["panel"]["ids"]), meta["lookback"], meta["horizon"]
    P, K = len(meta["past_covariates"]), len(meta["future_covariates"])
    exact = {"t_loc_": (S,), "c_loc_": (P + K,), "c_scale_": (P + K,),  # t_scale_: _network_state
             "last_past_": (S, L, P), "last_future_": (S, L, K)}
    for name, shape in exact.items():
        if name in arrays and arrays[name].shape != shape:
            raise ModelFileError(f"array {name!r} has shape {arrays[name].shape}, expected {shape}")
    for name in arrays:
        if name in ("val_residuals_", "train_residuals_") or name.startswith(("fallback_residuals_",
                                                                             "fallback_floor_")):
            _shape(arrays, name, 2, columns=H)
        elif name.startswith(("state_", "anchor_")):  # a stateful network's (h, c): (layers, 1, hidden)
            shape = (meta["params"].get("num_layers"), 1, meta["params"].get("hidden_size"))
            if arrays[name].shape != shape:
                raise ModelFileError(f"array {name!r} has shape {arrays[name].shape}, expected {shape}")


def _shape(arrays, name, ndim, columns=None):
    a = arrays.get(name)
    if a is None:
        raise ModelFileError(f"array {name!r} is missing")
    if a.dtype.kind not in "fiu" or a.ndim != ndim or (columns is not None and a.shape[1] != columns):
        what = f"{ndim}-dimensional numbers" + (f" with {columns} columns" if columns is not None else "")
        raise ModelFileError(f"array {name!r} has shape {a.shape} of {a.dtype}, expected {what}")
