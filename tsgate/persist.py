"""The fitted state of a forecaster, described once: what a model file holds.

:func:`fitted_state` turns a fitted forecaster into (metadata, arrays) and
:func:`restore` rebuilds one from them; :mod:`tsgate.bundle` writes and reads
them (versioned, atomic, pickle-free). Version 2 added the structure chosen at
fit (seasonal periods, normalisation, linear highway, segments, ensemble
members); version 3 panels (series ids, the data's form, each series' own
cutoff and covariate tails); version 4 ``window_norm='ets'`` (the Holt-Winters
parameters and each series' end state). Version 1 files (tsgate 0.1.0) load with the
structure they had: no highway, no segments, one member, one wide frame. Optional
arrays, absent from older files of the same version: ``target_range_``, the carried
states' anchors (``es_anchor_``, ``anchor_h_*``/``anchor_c_*``: without them ``update``
refuses revisions of the stored rows, :mod:`tsgate.carried`).
"""

import os

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from . import bundle, filecheck
from .attribution import importance_table
from .errors import ModelFileError, ParameterError
from .ets import HoltWinters
from .learned import history_range
from .model import SequenceModel
from .params import seed_from, validate_params
from .windows import Scaling

FORMAT, VERSION, READS = "tsgate-model", 5, (1, 2, 3, 4, 5)
ARRAYS = ("last_targets_", "last_past_", "last_future_", "val_residuals_")  # and optional ones below
#: Parameters a version 1 file lacks, at the values that reproduce its model.
V1_PARAMS = dict(seasonal_periods=None, ar_window=0, segment_length=1, init="torch", n_models=1, max_windows=None,
                 time_budget=None, n_jobs=None, refit=False, stateful=False, tbptt=100)
#: Parameters added since version 1, at the values that reproduce the models of files without them.
LATER_PARAMS = dict(start_weight=0.0, fallback=False, window_position=False, nonnegative=False)


class SavingMixin:
    """``save`` and the fitted state of a network forecaster (:func:`fitted_state`, :func:`restore`)."""

    def _fitted_state(self):
        """(metadata, arrays) that describe the fitted forecaster completely."""
        return fitted_state(self)

    @classmethod
    def _from_fitted_state(cls, meta, arrays, device="cpu"):
        """Rebuild a fitted forecaster from :meth:`_fitted_state`'s output."""
        return restore(cls, meta, arrays, device)

    def save(self, path):
        """Save the fitted model to ``path`` (pickle-free npz + JSON, written
        atomically), or into a writable binary file object."""
        return write(self, path)


def _plain(v):
    """A JSON-able id, time or parameter: NumPy scalars as Python ones, arrays as lists, timestamps in ISO form."""
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    return v.item() if isinstance(v, np.generic) else v


def plain_params(est):
    """``est``'s parameters as JSON: a callable ``verbose`` as 0, ``random_state`` as its seed."""
    params = {k: _plain(v) for k, v in est.get_params(deep=False).items()}
    if callable(params.get("verbose")):
        params["verbose"] = 0
    if "random_state" in params:
        params["random_state"] = seed_from(params["random_state"])
    return params


def fitted_state(est):
    """(metadata, arrays) that describe the fitted forecaster ``est`` completely."""
    check_is_fitted(est, "model_")
    params = plain_params(est)
    cutoff = est.cutoff_
    blend_meta, blend_arrays = est._blend_state()  # a joined baseline (tsgate.blend), or (None, {})
    meta = {
        "class": type(est).__name__, "params": params, "targets": [_plain(t) for t in est.targets_],
        "past_covariates": list(est.past_covariates_), "future_covariates": list(est.future_covariates_),
        "freq": est.freq_, "cutoff": _plain(cutoff),
        "cutoff_kind": "timestamp" if isinstance(cutoff, pd.Timestamp) else "int",
        "panel": {"ids": [_plain(i) for i in est.ids_], "form": est.form_, "id_col": _plain(est.id_col_),
                  "time_name": _plain(est.time_name_), "cutoffs": [_plain(c) for c in est.cutoffs_],
                  "multiindex": None if getattr(est, "multiindex_", None) is None
                  else [_plain(n) for n in est.multiindex_]},
        "lookback": int(est.lookback_), "horizon": int(est.horizon_), "seasonal_period": int(est.seasonal_period_),
        "n_quantiles": int(est.n_quantiles_), "index_name": est.index_name_, "index_kind": est.index_kind_,
        "model": {"input_size": est.model_.input_size, "n_outputs": est.model_.n_outputs,
                  "n_extra": est.model_.n_extra},
        "structure": {"seasonal_periods": [int(p) for p in est.seasonal_periods_], "window_norm": est.window_norm_,
                      "norm_period": int(est.norm_period_), "level": bool(est.level_),
                      "ar_window": int(est.ar_window_), "segment_length": int(est.segment_length_),
                      "n_models": len(est.models_), "es": _es_meta(est)},
        "static_columns": list(getattr(est, "static_columns_", [])),
        "fallback": [getattr(est, "fallback_", {}).get(i) for i in est.ids_],  # per series: None or a spec
        "blend": blend_meta,
        "val_scores": est.val_scores_, "fit_report": est.fit_report_,
        "history": {k: [float(x) for x in v] if isinstance(v, list) else v for k, v in est.history_.items()},
    }
    sc = est.scaling_
    arrays = {name: np.asarray(getattr(est, name)) for name in ARRAYS}
    arrays.update(t_loc_=sc.t_loc, t_scale_=sc.t_scale, c_loc_=sc.c_loc, c_scale_=sc.c_scale)
    if getattr(est, "static_columns_", []):
        arrays["static_"] = est.static_
    if getattr(est, "target_range_", None) is not None:  # (2, S); older files: the last windows' range
        arrays["target_range_"] = est.target_range_
    if getattr(est, "es_model_", None) is not None:
        arrays["es_state_"] = est.es_state_
        if getattr(est, "es_anchor_", None) is not None:  # absent (older files): revisions refused
            arrays["es_anchor_"] = est.es_anchor_
    if getattr(est, "lag_importance_", None) is not None:
        arrays["lag_importance_"] = est.lag_importance_.to_numpy()
    if getattr(est, "column_importance_", None) is not None:  # in the fit's order of the inputs
        arrays["column_importance_"] = est.column_importance_.reindex(est.input_names()).to_numpy()
    if len(getattr(est, "train_residuals_", ())):  # the conformal band's floor (absent: no floor)
        arrays["train_residuals_"] = est.train_residuals_
    own, floor = getattr(est, "fallback_residuals_", {}), getattr(est, "fallback_floor_", {})
    for k, i in enumerate(est.ids_):
        if i in own:
            arrays[f"fallback_residuals_{k}"] = own[i]
        if i in floor:  # absent (older files): no floor
            arrays[f"fallback_floor_{k}"] = floor[i]
    arrays.update(blend_arrays)
    for k, m in enumerate(est.models_):
        arrays["params_flat" if k == 0 else f"params_flat_{k}"] = m.flat
    for kind in ("state", "anchor") if est.stateful else ():  # the carried states and their anchors
        for k, per_series in enumerate(getattr(est, f"{kind}s_", None) or []):
            for s, (h, c) in enumerate(per_series):
                arrays[f"{kind}_h_{k}_{s}"] = h
                if c is not None:
                    arrays[f"{kind}_c_{k}_{s}"] = c
    return meta, arrays


def _es_array(arrays, name, n_series, period):
    """A per-series Holt-Winters state array (S, 2 + m) of a model file, its shape checked."""
    value = np.array(arrays[name], dtype=np.float64)
    if value.shape != (n_series, 2 + period):
        raise ModelFileError(f"array {name!r} has shape {value.shape}, expected {(n_series, 2 + period)}")
    return value


def _carried(arrays, kind, n_models, n_series):
    """The network states ('state') or their anchors ('anchor') of a model file: per member, per series (h, c)."""
    return [[(arrays[f"{kind}_h_{k}_{s}"], arrays.get(f"{kind}_c_{k}_{s}")) for s in range(n_series)]
            for k in range(n_models)]


def _es_meta(est):
    """``window_norm='ets'``: its Holt-Winters' parameters and period; else None."""
    hw = getattr(est, "es_model_", None)
    return None if hw is None else {"params": [float(p) for p in hw.params_], "period": int(hw.season_)}


def _structure(meta):
    """The fitted structure; version 1 files: the structure of tsgate 0.1.0."""
    if "structure" in meta:
        return meta["structure"]
    m = meta["seasonal_period"]
    norm = meta["params"].get("window_norm")
    return {"seasonal_periods": [m] if m > 1 else [], "window_norm": norm, "norm_period": int(norm == "last"),
            "level": False, "ar_window": 0, "segment_length": 1, "n_models": 1}


def restore(cls, meta, arrays, device="cpu"):
    """A fitted ``cls`` rebuilt from :func:`fitted_state`'s output (any version read; checked by
    :func:`tsgate.filecheck.check` in :func:`load`)."""
    params = dict(LATER_PARAMS, **(dict(V1_PARAMS, **meta["params"]) if "structure" not in meta else meta["params"]))
    params = {k: v for k, v in params.items() if k in cls().get_params()}
    params["device"] = device
    est = cls(**params)
    validate_params(est)
    st = _structure(meta)
    est.scaling_ = Scaling(arrays["t_loc_"], arrays["t_scale_"], arrays["c_loc_"], arrays["c_scale_"])
    for name in ARRAYS:
        setattr(est, name, arrays[name])
    est.seasonal_periods_, est.window_norm_, est.norm_period_ = st["seasonal_periods"], st["window_norm"], \
        st["norm_period"]
    est.level_, est.ar_window_, est.segment_length_ = st["level"], st["ar_window"], st["segment_length"]
    est.targets_, est.past_covariates_ = meta["targets"], meta["past_covariates"]
    est.future_covariates_ = meta["future_covariates"]
    est.freq_, est.lookback_ = meta["freq"], meta["lookback"]
    est.horizon_ = meta.get("horizon", params["horizon"])
    _restore_panel(est, meta, arrays)
    stored = arrays.get("target_range_")  # older files: the last window's range
    est.target_range_ = np.array(stored) if stored is not None else history_range(list(est.last_targets_.T))
    if est.target_range_.shape != (2, len(est.ids_)):
        raise ModelFileError(f"array 'target_range_' has shape {est.target_range_.shape}, "
                             f"expected {(2, len(est.ids_))}")
    est.static_columns_ = list(meta.get("static_columns", []))
    est.static_ = arrays.get("static_", np.zeros((len(est.ids_), 0)))
    es, est.es_model_ = st.get("es"), None
    if es is not None:
        est.es_model_ = HoltWinters.from_params(es["params"], es["period"])
        est.es_state_ = _es_array(arrays, "es_state_", len(est.ids_), es["period"])
        est.es_anchor_ = _es_array(arrays, "es_anchor_", len(est.ids_), es["period"]) if "es_anchor_" in arrays \
            else None  # an older file
    m = meta["model"]
    if est.stateful:
        spec = est._stateful_spec(m["input_size"], m["n_outputs"])
    else:
        spec = est._model_spec(m["input_size"], m["n_outputs"], m["n_extra"])
    est.models_ = []
    for k in range(st["n_models"]):
        flat = arrays["params_flat" if k == 0 else f"params_flat_{k}"]
        model = SequenceModel(**spec, random_state=0)
        if flat.shape != model.flat.shape:
            raise ModelFileError(f"parameter vector {k} has shape {flat.shape}, expected {model.flat.shape}")
        model.set_flat(flat)
        est.models_.append(model)
    est.model_ = est.models_[0]
    if est.stateful:
        est.states_ = _carried(arrays, "state", st["n_models"], len(est.ids_))
        est.anchors_ = _carried(arrays, "anchor", st["n_models"], len(est.ids_)) if "anchor_h_0_0" in arrays \
            else None  # an older file
    est.seasonal_period_, est.n_quantiles_ = meta["seasonal_period"], meta["n_quantiles"]
    est.cutoff_ = pd.Timestamp(meta["cutoff"]) if meta["cutoff_kind"] == "timestamp" else int(meta["cutoff"])
    est.history_, est.val_scores_ = meta["history"], meta.get("val_scores", {})
    est.fit_report_ = meta.get("fit_report", {})
    est.index_name_, est.index_kind_ = meta.get("index_name"), meta.get("index_kind", "datetime")
    specs = meta.get("fallback") or [None] * len(est.ids_)
    est.fallback_ = {i: sp for i, sp in zip(est.ids_, specs) if sp is not None}
    est.fallback_residuals_ = {est.ids_[k]: arrays[f"fallback_residuals_{k}"] for k, sp in enumerate(specs) if sp}
    est.fallback_floor_ = {est.ids_[k]: arrays[f"fallback_floor_{k}"] for k in range(len(specs))
                           if f"fallback_floor_{k}" in arrays}
    est.train_residuals_ = arrays.get("train_residuals_", np.zeros((0, est.horizon_)))
    est._restore_blend(meta.get("blend"), arrays)
    est.lag_importance_ = None
    if "lag_importance_" in arrays:
        imp = arrays["lag_importance_"]
        est.lag_importance_ = pd.DataFrame(imp, index=pd.RangeIndex(1, len(imp) + 1, name="lag"),
                                           columns=est.input_names())
    est.column_importance_ = None  # older files: none
    if "column_importance_" in arrays:
        est.column_importance_ = importance_table(arrays["column_importance_"], est.input_names())
    return est


def write(est, path):
    """Write a fitted estimator's ``_fitted_state`` to ``path`` or into a binary file object: every
    ``save``. A destination of the wrong kind is the caller's ParameterError, checked first."""
    try:
        bundle.check_destination(path)  # before the state is gathered
        meta, arrays = est._fitted_state()
        bundle.write(path, FORMAT, VERSION, meta, arrays)  # a file object that refuses bytes: the same error
    except bundle.PathTypeError as exc:
        raise ParameterError(str(exc)) from None
    return path


def _dataset_hint(path):
    """A missing model file named as a bundled dataset: where the dataset is."""
    from .datasets import names
    from .errors import option

    if not isinstance(path, str) or os.path.exists(path) or path not in names():
        return ""
    if option("X") is not None:  # the command line
        return f"; the bundled dataset {path!r} is written to a CSV by: tsgate datasets export {path}"
    return f"; the bundled dataset {path!r} is read by tsgate.datasets.load({path!r})"


def load(path, classes, device="cpu"):
    """Read a model file and rebuild the forecaster (one of ``classes``, a
    list of classes with ``_from_fitted_state``) it describes; every problem
    is a ModelFileError, but a ``device`` that cannot run here, which is the
    caller's ParameterError (checked first)."""
    from . import bundle
    from .backend import resolve_device

    device = resolve_device(device)
    try:
        meta, arrays = bundle.read(path, FORMAT, versions=READS)
    except bundle.BundleError as exc:
        raise ModelFileError(f"{exc}{_dataset_hint(path)}") from None
    try:
        filecheck.check(meta, arrays)
        cls = {c.__name__: c for c in classes}[meta["class"]]
        extra = {"classes": classes} if "members" in meta else {}  # a LocalForecaster's: its models' classes
        return cls._from_fitted_state(meta, arrays, device, **extra)
    except ModelFileError as exc:
        raise ModelFileError(f"{bundle.label(path)!r}: {exc}") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(f"{bundle.label(path)!r} is a damaged tsgate model file "
                             f"({type(exc).__name__}: {exc})") from None



def _restore_panel(est, meta, arrays):
    """The panel part of the state; a version 1 or 2 file is one wide frame whose
    covariate tails all series share."""
    panel = meta.get("panel")
    as_time = (lambda c: pd.Timestamp(c)) if meta["cutoff_kind"] == "timestamp" else int  # noqa: E731
    if panel is None:
        panel = {"ids": list(meta["targets"]), "form": "wide", "id_col": None, "time_name": meta.get("index_name"),
                 "cutoffs": [meta["cutoff"]] * len(meta["targets"])}
    est.ids_, est.form_, est.id_col_, est.time_name_ = panel["ids"], panel["form"], panel["id_col"], \
        panel["time_name"]
    est.multiindex_ = panel.get("multiindex")  # files before it: never a MultiIndex panel
    est.cutoffs_ = [as_time(c) for c in panel["cutoffs"]]
    S = len(est.ids_)
    for name in ("last_past_", "last_future_"):
        a = getattr(est, name)
        if a.ndim == 2:  # version 1/2: (L, P), shared by the series
            setattr(est, name, np.repeat(a[None], S, axis=0))
