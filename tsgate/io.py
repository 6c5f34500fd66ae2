"""Pickle-free model files: one .npz holding the arrays plus a JSON header.

The JSON (format name and version, class, parameters, fitted metadata) is
stored as a string array ``__meta__`` in the npz, so the file loads with
``allow_pickle=False``. Files are written to a temporary file in the target
directory and renamed, so a crash never leaves a half-written model.
"""

import io as _io
import json
import os
import tempfile
import zipfile

import numpy as np
import pandas as pd

FORMAT = "tsgate-model"
VERSION = 1

_ARRAYS = ("t_loc_", "t_scale_", "c_loc_", "c_scale_", "last_targets_", "last_past_",
           "last_future_", "val_residuals_")


class ModelFileError(ValueError):
    """A model file that is missing, truncated, corrupt or of another version."""


def _jsonable(v):
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    if isinstance(v, tuple):
        return list(v)
    return v


def save(est, path):
    """Write a fitted forecaster to ``path`` atomically."""
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(est, "model_")
    params = {k: _jsonable(v) for k, v in est.get_params().items()}
    if callable(params.get("verbose")):
        params["verbose"] = 0
    cutoff = est.cutoff_
    meta = {
        "format": FORMAT, "version": VERSION, "class": type(est).__name__, "params": params,
        "targets": list(est.targets_), "past_covariates": list(est.past_covariates_),
        "future_covariates": list(est.future_covariates_), "freq": est.freq_,
        "cutoff": cutoff.isoformat() if isinstance(cutoff, pd.Timestamp) else int(cutoff),
        "cutoff_kind": "timestamp" if isinstance(cutoff, pd.Timestamp) else "int",
        "lookback": int(est.lookback_), "seasonal_period": int(est.seasonal_period_),
        "n_quantiles": int(est.n_quantiles_),
        "model": {"input_size": est.model_.net.input_size, "n_outputs": est.model_.n_outputs,
                  "n_extra": est.model_.n_extra},
        "val_scores": est.val_scores_, "index_name": est.index_name_,
        "history": {k: [float(x) for x in v] if isinstance(v, list) else v for k, v in est.history_.items()},
    }
    arrays = {name: np.asarray(getattr(est, name)) for name in _ARRAYS}
    arrays["params_flat"] = est.model_.flat
    arrays["__meta__"] = np.array(json.dumps(meta))
    path = os.fspath(path)
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tsgate-", suffix=".tmp", dir=d)
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load(path, device="cpu"):
    """Load a forecaster written by ``save`` (any machine, any device).

    Raises
    ------
    ModelFileError
        Missing, truncated or corrupt files, other formats or versions.
    """
    from . import forecaster as F
    from .training import SequenceModel

    path = os.fspath(path)
    if not os.path.exists(path):
        raise ModelFileError(f"model file {path!r} does not exist")
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
        with np.load(_io.BytesIO(raw), allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        meta = json.loads(str(arrays.pop("__meta__")))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{path!r} is not a readable tsgate model file ({type(exc).__name__}: {exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(f"{path!r} is not a tsgate model file")
    if meta.get("version") != VERSION:
        raise ModelFileError(f"{path!r} has model format version {meta.get('version')!r}; "
                             f"this tsgate reads version {VERSION}")
    classes = {c.__name__: c for c in F.FORECASTERS.values()}
    try:
        cls = classes[meta["class"]]
        params = dict(meta["params"])
        params["device"] = device
        est = cls(**params)
        for name in _ARRAYS:
            setattr(est, name, arrays[name])
        m = meta["model"]
        est.model_ = SequenceModel(cls._cell, m["input_size"], params["hidden_size"], m["n_outputs"],
                                   n_extra=m["n_extra"], num_layers=params["num_layers"],
                                   bidirectional=params["bidirectional"], dropout=params["dropout"],
                                   device=device)
        flat = arrays["params_flat"]
        if flat.shape != est.model_.flat.shape or not np.isfinite(flat).all():
            raise ModelFileError(f"{path!r}: parameter vector has shape {flat.shape}, "
                                 f"expected {est.model_.flat.shape} (or holds non-finite values)")
        est.model_.set_flat(flat)
        est.targets_, est.past_covariates_ = meta["targets"], meta["past_covariates"]
        est.future_covariates_ = meta["future_covariates"]
        est.freq_, est.lookback_ = meta["freq"], meta["lookback"]
        est.seasonal_period_, est.n_quantiles_ = meta["seasonal_period"], meta["n_quantiles"]
        est.cutoff_ = pd.Timestamp(meta["cutoff"]) if meta["cutoff_kind"] == "timestamp" else int(meta["cutoff"])
        est.history_ = meta["history"]
        est.val_scores_ = meta.get("val_scores", {})
        est.index_name_ = meta.get("index_name")
    except ModelFileError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(f"{path!r} is a damaged tsgate model file ({type(exc).__name__}: {exc})") from None
    return est
