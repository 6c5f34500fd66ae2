"""Forecast accuracy metrics (NumPy; pandas objects are accepted)."""

import numpy as np

from .errors import DataError
from .params import positive_int


def _numbers(name, v):
    """``v`` as a float64 array, or a DataError naming ``name`` (text among numbers)."""
    try:
        return np.asarray(v, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} must hold numbers ({exc})") from None


def _pair(y_true, y_pred):
    a, b = _numbers("y_true", y_true), _numbers("y_pred", y_pred)
    if a.shape != b.shape:
        raise DataError(f"y_true and y_pred must have the same shape, got {a.shape} and {b.shape}")
    if a.size == 0:
        raise DataError("y_true is empty")
    _check_finite("y_true", a)
    _check_finite("y_pred", b)
    return a, b


def _check_finite(name, v):
    """A DataError naming the first NaN or inf of the array ``v`` (a mean over it is NaN, and says nothing of where)."""
    if not np.isfinite(v).all():
        where = tuple(int(i) for i in np.argwhere(~np.isfinite(v))[0])
        raise DataError(f"{name} has {v[where]} at position {where if v.ndim > 1 else where[0]}")


def mae(y_true, y_pred):
    """Mean absolute error."""
    a, b = _pair(y_true, y_pred)
    return float(np.mean(np.abs(a - b)))


def rmse(y_true, y_pred):
    """Root mean squared error."""
    a, b = _pair(y_true, y_pred)
    return float(np.sqrt(np.mean((a - b) ** 2)))


def mape(y_true, y_pred):
    """Mean absolute percentage error, in percent (undefined where y_true = 0)."""
    a, b = _pair(y_true, y_pred)
    if (a == 0).any():
        raise DataError("MAPE is undefined when y_true contains zeros; use smape or mase")
    return float(100.0 * np.mean(np.abs((a - b) / a)))


def smape(y_true, y_pred):
    """Symmetric MAPE in percent: mean of 200 |y - f| / (|y| + |f|) (0 where both are 0)."""
    a, b = _pair(y_true, y_pred)
    den = np.abs(a) + np.abs(b)
    ratio = np.divide(2.0 * np.abs(a - b), den, out=np.zeros_like(den), where=den > 0)
    return float(100.0 * np.mean(ratio))


def error_terms(y_true, y_pred):
    """Per-point terms of the metrics, for grouped tables: absolute error,
    squared error and the sMAPE term 200 |y - f| / (|y| + |f|) (0 where both are 0).
    Means of them are MAE, MSE and sMAPE; MAE over a scale is MASE."""
    a, b = np.asarray(y_true, dtype=np.float64), np.asarray(y_pred, dtype=np.float64)
    e = a - b
    den = np.abs(a) + np.abs(b)
    return np.abs(e), e * e, np.divide(200.0 * np.abs(e), den, out=np.zeros_like(den), where=den > 0)


def mase(y_true, y_pred, y_train, m=1):
    """Mean absolute scaled error: MAE over the in-sample MAE of the seasonal
    naive forecast with period ``m`` on ``y_train``."""
    a, b = _pair(y_true, y_pred)
    return float(np.mean(np.abs(a - b)) / _naive_scale(y_train, m, "MASE"))


def _naive_scale(y_train, m, what):
    """The in-sample MAE of the seasonal naive forecast at ``m``: MASE's and MSIS's denominator."""
    tr, m = _numbers("y_train", y_train), positive_int(m, "m")
    if tr.shape[0] <= m:
        raise DataError(f"y_train needs more than m={m} values for {what}")
    _check_finite("y_train", tr)
    scale = np.mean(np.abs(tr[m:] - tr[:-m]))
    if scale == 0:
        raise DataError(f"{what} is undefined: the seasonal naive in-sample error is zero")
    return scale


def seasonal_naive(y_train, horizon, m=1):
    """Repeat the last season of ``y_train`` over ``horizon`` steps (m=1: naive)."""
    tr, m = _numbers("y_train", y_train), positive_int(m, "m")
    horizon = positive_int(horizon, "horizon")
    if tr.shape[0] < m:
        raise DataError(f"y_train needs at least m={m} values for seasonal naive, got {tr.shape[0]}")
    last = tr[-m:]
    return np.array([last[k % m] for k in range(horizon)])


def coverage(y_true, lower, upper):
    """Share of ``y_true`` inside [lower, upper]."""
    a, lo = _pair(y_true, lower)
    _, hi = _pair(y_true, upper)
    return float(np.mean((a >= lo) & (a <= hi)))


def interval_terms(y_true, lower, upper, level):
    """Per-point terms of an interval's scores, for grouped tables: 1.0 where
    the value is inside [lower, upper] (means: the coverage), and the
    interval score of :func:`msis` (means over a scale: the MSIS)."""
    a, lo, hi = (np.asarray(v, dtype=np.float64) for v in (y_true, lower, upper))
    inside = ((a >= lo) & (a <= hi)).astype(np.float64)
    return inside, (hi - lo) + (2.0 / (1.0 - level)) * (np.maximum(lo - a, 0.0) + np.maximum(a - hi, 0.0))


def msis(y_true, lower, upper, y_train, m=1, level=0.95):
    """Mean scaled interval score (M4 competition): the interval score of
    Gneiting & Raftery (2007), width + (2 / alpha) x the distance by which
    a value falls outside, with alpha = 1 - ``level``, averaged and divided
    by the in-sample seasonal-naive MAE at ``m`` (as :func:`mase`). Lower is
    better; a too-narrow band pays for its misses, a too-wide one for its width."""
    a, lo = _pair(y_true, lower)
    _, hi = _pair(y_true, upper)
    if not 0 < level < 1:
        raise DataError(f"level must be in (0, 1), got {level!r}")
    score = interval_terms(a, lo, hi, level)[1]
    return float(np.mean(score) / _naive_scale(y_train, m, "MSIS"))
