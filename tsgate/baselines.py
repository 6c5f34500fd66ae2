"""Baseline forecasts every forecaster must beat: naive, seasonal naive, drift, AR(p), Holt-Winters.

Functions on NumPy arrays (``y`` is the history, oldest first), the
:class:`AR` model (:mod:`tsgate.ar`: least squares with an intercept, order chosen by AIC on a
common sample), additive damped Holt-Winters (:mod:`tsgate.ets`), :func:`validation_mae` (every baseline scored from the same
origins as the network's validation windows) and
:class:`BaselineForecaster`, a pandas forecaster with the conventions of
:class:`tsgate.LSTMForecaster` (``tsgate forecast --model auto`` uses it when a
baseline wins on the validation tail).
"""

import numbers

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from . import conformal, frames, metrics, nonnegative
from .ar import AR
from .baseline_history import BaselineHistoryMixin
from .errors import DataError, ParameterError, name as pname, rows
from .ets import HoltWinters
from .learned import history_range
from .outliers import repair_each
from .panel import panel_form
from .params import FORECASTER, Interval, StrOptions, positive_int, validate_params

BASELINES = ("naive", "seasonal_naive", "drift", "ar", "holt_winters")
#: :class:`BaselineForecaster`'s methods: a baseline, or 'auto' (the one whose forecasts from the last origins score best).
METHODS = BASELINES + ("auto",)
#: Origins a band is calibrated on where the last fifth of the series holds fewer (20: enough for 95%).
CALIBRATION_ORIGINS = 20


def naive(y, horizon):
    """The last value, repeated."""
    return np.full(horizon, float(y[-1]))


def seasonal_naive(y, horizon, m):
    """The last season, repeated (``m=1``: naive)."""
    m = m if len(y) >= m else 1
    return metrics.seasonal_naive(np.asarray(y)[-m:], horizon, m)


def drift(y, horizon):
    """The line through the first and last values, extended."""
    slope = (float(y[-1]) - float(y[0])) / max(len(y) - 1, 1)
    return float(y[-1]) + slope * np.arange(1, horizon + 1)


def forecast(method, y, horizon, m=1, ar=None, hw=None):
    """One baseline's forecast from history ``y`` (``ar``: a fitted :class:`AR`;
    ``hw``: a fitted :class:`tsgate.ets.HoltWinters`)."""
    if method == "naive":
        return naive(y, horizon)
    if method == "seasonal_naive":
        return seasonal_naive(y, horizon, m)
    if method == "drift":
        return drift(y, horizon)
    if method == "ar":
        return ar.forecast(y, horizon)
    if method == "holt_winters":
        return hw.forecast(y, horizon)
    raise ParameterError(f"baseline must be one of {BASELINES}, got {method!r}")


def describe(method, m=1, ar=None, hw=None):
    """A baseline's short name: 'naive', 'drift', 'seasonal naive (m=12)', 'AR(9)' (of ``ar``), 'Holt-Winters
    (m=12)' (of ``hw``)."""
    if method in ("ar", "holt_winters"):
        return (ar if method == "ar" else hw).describe()
    return f"seasonal naive (m={m})" if method == "seasonal_naive" else method


def origin_targets(y, ends, horizon):
    """(len(ends), horizon): the values after each origin e, ``y[e + 1:e + 1 + horizon]``."""
    return np.asarray(y)[np.asarray(ends, dtype=np.int64)[:, None] + np.arange(1, horizon + 1)]


def origin_forecasts(method, y, ends, horizon, m=1, ar=None, hw=None):
    """(len(ends), horizon): one baseline's forecasts after ``y[:e + 1]`` for
    every origin e, in ``ends``' order, vectorised: by indexing, the AR
    through its k-step map, Holt-Winters in one pass over y. Origins too
    early for a whole season or the AR's order take the per-origin path."""
    y, ends = np.asarray(y, dtype=np.float64), np.asarray(ends, dtype=np.int64)
    k = np.arange(horizon)
    first = int(ends.min()) if len(ends) else 0
    if method == "holt_winters":
        order = np.argsort(ends, kind="stable")
        out = np.empty((len(ends), horizon))
        out[order] = hw.forecasts_from(y, ends[order], horizon)
        return out
    if method == "naive":
        return np.repeat(y[ends][:, None], horizon, axis=1)
    if method == "drift":
        slope = (y[ends] - y[0]) / np.maximum(ends, 1)
        return y[ends][:, None] + slope[:, None] * (k + 1)
    if method == "seasonal_naive" and first >= m - 1:
        return y[ends[:, None] - m + 1 + k % m]
    if method == "ar" and first >= ar.order_ - 1:
        A, c = ar.k_step(horizon)  # (horizon, p), (horizon,)
        return y[ends[:, None] - np.arange(ar.order_)] @ A.T + c  # lags (n, p): [y_t, y_{t-1}, ...]
    return np.array([forecast(method, y[:e + 1], horizon, m, ar) for e in ends]).reshape(len(ends), horizon)


def origin_residuals(method, y, ends, horizon, m=1, ar=None, hw=None):
    """(len(ends), horizon): the values after each origin less one baseline's forecasts from it."""
    return origin_targets(y, ends, horizon) - origin_forecasts(method, y, ends, horizon, m, ar, hw)


def validation_mae(y, ends, horizon, m, fit_end):
    """MAE of every baseline over the forecasts from origins ``ends`` (each
    origin's history is ``y[:end + 1]``; the target is the next ``horizon``
    values). AR and Holt-Winters are fit once on ``y[:fit_end]``, the training rows;
    returns the MAEs by method, and the fitted AR and Holt-Winters."""
    errors, ar, hw = validation_errors(y, ends, horizon, m, fit_end)
    return {method: float(np.mean(e)) for method, e in errors.items()}, ar, hw


def validation_errors(y, ends, horizon, m, fit_end):
    """As :func:`validation_mae`, with each origin's MAE ((len(ends),) per method) instead of their mean."""
    ar, hw = AR().fit(y[:fit_end]), HoltWinters(m).fit(y[:fit_end])
    target = origin_targets(y, ends, horizon)
    out = {method: np.mean(np.abs(target - origin_forecasts(method, y, ends, horizon, m, ar, hw)), axis=1)
           for method in BASELINES}
    return out, ar, hw


class BaselineForecaster(BaselineHistoryMixin, BaseEstimator):
    """A baseline with the pandas conventions of the tsgate forecasters: a scikit-learn
    estimator (``clone``, ``get_params``/``set_params``, ``GridSearchCV``, :class:`tsgate.LocalForecaster`),
    its parameters checked against ``_parameter_constraints`` first thing in ``fit``.

    Parameters
    ----------
    method : {'naive', 'seasonal_naive', 'drift', 'ar', 'holt_winters', 'auto'}
        'auto' fits every baseline and keeps the one with the lowest MAE over the forecasts from
        the origins its band is calibrated on (the last fifth of the series, each baseline refit
        before them), ties to the simplest (the order above), as statsforecast's Auto models
        choose per series; with :class:`tsgate.LocalForecaster`, each series of a panel gets its
        own. ``historical_forecasts(retrain=...)`` chooses again at every refit.
    horizon : int or None
    seasonal_period : int or None
        For seasonal naive and Holt-Winters; None: detected (:mod:`tsgate.seasonality`).
    target, time_col, outliers, nonnegative : as in :class:`tsgate.LSTMForecaster` (isolated outliers are
        repaired in ``fit`` and ``update``: seasonal naive would repeat a glitch a season on)

    ``historical_forecasts`` and ``backtest`` take the network forecasters' arguments and give
    their tables (:mod:`tsgate.baseline_history`).

    Attributes
    ----------
    method_ : str
        The baseline that forecasts: ``method``, or the one 'auto' chose.
    scores_ : dict
        With 'auto', every baseline's MAE from the calibration origins by its name
        (:meth:`describe`: 'AR(3)', 'seasonal naive (m=12)'...; NaN where no origin has a
        horizon after it); else only ``method_``'s.
    """

    _parameter_constraints = {
        "method": [StrOptions(set(METHODS))],
        "horizon": FORECASTER["horizon"],
        "seasonal_period": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "target": [str, numbers.Integral, None],  # one column
        "time_col": FORECASTER["time_col"],
        "outliers": FORECASTER["outliers"],
        "nonnegative": FORECASTER["nonnegative"],
    }

    def __init__(self, method="seasonal_naive", horizon=None, seasonal_period=None, target=None, time_col=None,
                 outliers="repair", nonnegative="auto"):
        self.method, self.horizon, self.seasonal_period = method, horizon, seasonal_period
        self.target, self.time_col, self.outliers, self.nonnegative = target, time_col, outliers, nonnegative

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = True
        tags.non_deterministic = False
        return tags

    def fit(self, X, y=None):
        """Fit on ``X`` (a Series or a frame of one target column), or on ``y`` in the network
        forecasters' ``fit(X, y)`` form (``X``, covariates, is then not read: a baseline reads none)."""
        from .seasonality import check_given, default_horizon, detect_periods, main_period

        validate_params(self)
        X = X if y is None else y
        self._refuse_panel(X)
        df, self.freq_ = frames.as_frame(X, self.time_col, name="X")
        self.index_kind_ = frames.index_kind(X, self.time_col)
        self.targets_, _, _ = frames.column_roles(df[[c for c in df.columns if c == self.target]] if self.target
                                                  else df, self.target, None)
        self.y_ = frames.numeric_block(df, self.targets_[:1], "X", None)[:, 0]
        self.horizon_ = self.horizon or default_horizon(self.freq_)
        if self.seasonal_period is not None:
            check_given(self.seasonal_period, len(self.y_), "seasonal_period")
        self.seasonal_period_ = self.seasonal_period or main_period(detect_periods(self.y_, self.freq_, self.horizon_))
        nonnegative.check_targets(self.nonnegative, [self.y_], [self.targets_[0]], [df.index])
        self.y_ = self._repaired(self.y_, df.index)
        self.cutoff_, self.index_name_ = df.index[-1], df.index.name
        self.method_, self.ar_, self.hw_, self.residuals_, self.scores_ = self._choose(self.y_)
        return self

    def _choose(self, y):
        """(method, AR, Holt-Winters, calibration residuals, MAEs by name) fit on ``y``: ``method``'s,
        or with 'auto' those of the baseline with the lowest MAE from the calibration origins."""
        fits = {m: self._fit_one(m, y) for m in (BASELINES if self.method == "auto" else [self.method])}
        maes = {m: float(np.mean(np.abs(f[2]))) if f[2].size else np.nan for m, f in fits.items()}
        scored = [m for m in fits if np.isfinite(maes[m])]
        best = min(scored, key=maes.get) if scored else next(iter(fits))  # ties: the first, the simplest
        names = {describe(m, self.seasonal_period_, *fits[m][:2]): maes[m] for m in fits}
        return (best, *fits[best], names)

    def _fit_one(self, method, y):
        """(AR, Holt-Winters, calibration residuals) of baseline ``method`` on ``y`` (None where unused)."""
        ar, hw = self._fits(method, y)
        return ar, hw, self._calibrate(method, y, ar, hw)

    def _refuse_panel(self, X):
        if panel_form(X):
            raise DataError(f"{type(self).__name__} forecasts one series; for a panel (long, dict or MultiIndex) "
                            f"use LocalForecaster({type(self).__name__}(...)), one baseline per series")

    def _origin_forecasts(self, method, y, ends, H, ar, hw):
        """Hook of :mod:`tsgate.baseline_history`: :func:`origin_forecasts` with this model's period."""
        return origin_forecasts(method, y, ends, H, self.seasonal_period_, ar, hw)

    def _fits(self, method, y):
        """(AR, Holt-Winters) of baseline ``method`` fit on ``y`` (None where unused)."""
        return (AR().fit(y) if method == "ar" else None,
                HoltWinters(self.seasonal_period_).fit(y) if method == "holt_winters" else None)

    def _refit(self, y, calibrate=True):
        """Hook of :mod:`tsgate.baseline_history`: (method, AR, Holt-Winters, calibration residuals) fit
        on ``y`` (residuals None unless ``calibrate``); with 'auto', the baseline chosen on ``y`` (:meth:`_choose`)."""
        if self.method == "auto":
            return self._choose(y)[:4]
        if not calibrate:
            return (self.method_, *self._fits(self.method_, y), None)
        return (self.method_, *self._fit_one(self.method_, y))

    def _calibrate(self, method, y, ar, hw):
        """Residuals (conformal) of ``method``'s forecasts from every origin of the last fifth of
        the series ``y``, or of its last :data:`CALIBRATION_ORIGINS` origins where the fifth holds
        fewer; none (no band, :meth:`_quantile` says why) where no origin has a horizon after it.
        AR and Holt-Winters refit on the rows before the origins (if three times what an origin
        needs): in-sample errors made AR's 90% band cover 0.81 (refit: 0.89; results/baseline_bands_2026-12-06.md)."""
        H, need = self.horizon_, self._min_rows(method, ar, hw)
        last = len(y) - H  # origins e < last have H values after them
        first = max(min(len(y) * 4 // 5, last - CALIBRATION_ORIGINS), 1, need - 1)
        if first + 1 >= 3 * need:
            ar, hw = self._fits(method, y[:first + 1])
        return origin_residuals(method, y, np.arange(first, max(first, last)), H, self.seasonal_period_, ar, hw)

    def _quantile(self, coverage, h, residuals=None):
        """The band's half-widths (h,) at ``coverage`` (steps past the fitted horizon take the last), from
        ``residuals`` (default: the fitted calibration residuals)."""
        residuals = self.residuals_ if residuals is None else residuals
        if not len(residuals):
            need = self.horizon_ + max(2, self._min_rows())
            raise DataError(f"no interval: the {self.method_} baseline's band measures its errors from earlier "
                            f"origins, which needs at least {need} rows ({pname('horizon')} {self.horizon_} + "
                            f"{need - self.horizon_}); it was fit on {len(self.y_)} (the point forecast needs fewer)")
        q = self._finite(conformal.quantile(residuals, coverage, warn=False), "interval")
        return np.concatenate([q, np.full(max(0, h - len(q)), q[-1])])[:h]

    def predict(self, horizon=None, X=None):
        """The baseline's forecast of ``horizon`` steps (default: the fitted horizon) after the cutoff."""
        check_is_fitted(self, "y_")
        h = self.horizon_ if horizon is None else positive_int(horizon, "horizon")  # 0 was the fitted horizon
        idx = frames.future_index(self.cutoff_, self.freq_, h, self.index_kind_).rename(self.index_name_)
        out = pd.DataFrame({self.targets_[0]: self._point(h)}, index=idx)
        return out.reset_index() if self.index_kind_ == "column" else out  # times back in their column

    def score(self, X, y=None):
        """Negative MAE of the forecast over the first steps of ``X``, as the network
        forecasters' ``score``: ``X`` (or ``y``) is the data right after the training data
        (e.g. a TimeSeriesSplit test fold), forecast for ``min(its rows, horizon)`` steps."""
        check_is_fitted(self, "y_")
        index, actual = self._series_of(X if y is None else y)
        start = frames.future_index(self.cutoff_, self.freq_, 1)[0]
        if index[0] != start:
            raise DataError(f"X must start right after the training data, at {frames.when(start)}; it starts at "
                            f"{frames.when(index[0])} (use update() to move the forecast origin first)")
        h = min(len(actual), self.horizon_)
        return -float(np.mean(np.abs(self._point(h) - actual[:h])))

    def _point(self, h):
        """The point forecast of ``h`` steps after the cutoff."""
        return self._floored(self._finite(forecast(self.method_, self.y_, h, self.seasonal_period_, self.ar_, self.hw_),
                                          "forecast"))

    @property
    def target_range_(self):
        """(2, 1): the history's lowest and highest value, as the network forecasters' ``target_range_``."""
        check_is_fitted(self, "y_")
        return history_range([self.y_])

    def _floored(self, values):
        """``values`` at or above zero where ``nonnegative`` says so (:mod:`tsgate.nonnegative`)."""
        return nonnegative.floor(values, nonnegative.floored_series(self.nonnegative, self.target_range_)[0])

    def _finite(self, values, what):
        """``values``, or a DataError naming the column where they are not finite (values near float64's limit)."""
        if not np.isfinite(values).all():
            k = int(np.argmax(np.abs(self.y_)))
            raise DataError(f"the {self.method_.replace('_', ' ')} baseline's {what} of column {self.targets_[0]!r} "
                            f"is not finite: its values are too large for the arithmetic (the largest, "
                            f"{self.y_[k]:.4g}); rescale the column")
        return values

    def update(self, X):
        """Forecast after newer data (the same column), without refitting: the rows that follow the
        data (as few as one, sktime's ``update``), revised rows (they take the new values; the
        stored rows around them stay), or a whole history from the stored one's start or before
        (the origin moves to its end); rows after a gap raise, changing nothing."""
        check_is_fitted(self, "y_")
        index, y = self._series_of(X)
        stored = frames.history_index(self.cutoff_, self.freq_, len(self.y_), integers=True)
        following = frames.future_index(self.cutoff_, self.freq_, 1)[0]
        if index[0] == following or index[0] in stored[1:]:
            index, before, after = frames.splice(stored, index)
            y = np.concatenate([self.y_[before], y, self.y_[after]])
        elif index[0] > stored[0]:  # after a gap: not a whole history either
            raise DataError(f"{pname('X')} holds {rows(len(y))} from {frames.when(index[0])}: give the rows that "
                            f"follow the data (from {frames.when(following)}), revised rows, or a whole history "
                            f"from {frames.when(stored[0])} or before")
        self.y_ = self._repaired(y, index)
        self.cutoff_ = index[-1]
        return self

    def _repaired(self, y, index):
        """``y`` with its isolated outliers replaced and warned of (``outliers='repair'``)."""
        if self.outliers == "keep":
            return y
        ys, _ = repair_each([y], self.seasonal_period_, [str(self.targets_[0])], [index], frames.when)
        return ys[0]

    def predict_interval(self, coverage=0.9, horizon=None, X=None, method="auto"):
        """The forecast with split-conformal bands from the validation residuals
        (``coverage``: a number or a list, as the forecasters'; ``method``: 'auto' or 'conformal',
        taken so that a loop over forecasters can pass the network forecasters' options)."""
        if method not in ("auto", "conformal"):
            raise ParameterError(f"{pname('method')} must be 'auto' or 'conformal' (a baseline's band is conformal; "
                                 f"'quantile' needs a network fit with loss='pinball'), got {method!r}")
        coverages, several = conformal.levels(coverage)
        point = self.predict(horizon)
        h = len(point)
        t = self.targets_[0]
        for c in coverages:
            q = self._quantile(c, h)
            lo, hi = conformal.band_columns(c, several)
            point[f"{t}{lo}"], point[f"{t}{hi}"] = self._floored(point[t] - q), self._floored(point[t] + q)
        return point

    def describe(self):
        """A short name: 'AR(9)', 'seasonal naive (m=12)'... (:func:`describe`)."""
        return describe(self.method_, self.seasonal_period_, self.ar_, self.hw_)

    # model files (the same bundle format as the networks: tsgate.load reads both)

    def _fitted_state(self):
        check_is_fitted(self, "y_")
        cutoff = self.cutoff_
        meta = {"class": type(self).__name__, "params": {"method": self.method, "horizon": self.horizon,
                                                          "seasonal_period": self.seasonal_period,
                                                          "target": self.target, "time_col": self.time_col,
                                                          "outliers": self.outliers, "nonnegative": self.nonnegative},
                "targets": self.targets_, "freq": self.freq_, "horizon": int(self.horizon_),
                "seasonal_period": int(self.seasonal_period_), "index_name": self.index_name_,
                "method": self.method_, "scores": {k: None if np.isnan(v) else v for k, v in self.scores_.items()},
                "index_kind": self.index_kind_, "cutoff_kind": "timestamp" if isinstance(cutoff, pd.Timestamp) else "int",
                "cutoff": cutoff.isoformat() if isinstance(cutoff, pd.Timestamp) else int(cutoff)}
        arrays = {"y_": self.y_, "residuals_": self.residuals_}
        if self.ar_ is not None:
            arrays.update(ar_coef=self.ar_.coef_, ar_intercept=np.array([self.ar_.intercept_]))
        if self.hw_ is not None:
            arrays.update(hw_params=np.array(self.hw_.params_), hw_season=np.array([self.hw_.season_]))
        return meta, arrays

    @classmethod
    def _from_fitted_state(cls, meta, arrays, device="cpu"):
        est = cls(**{"nonnegative": False, **meta["params"]})  # files before it: as they forecast
        validate_params(est)
        est.targets_, est.freq_, est.horizon_ = meta["targets"], meta["freq"], meta["horizon"]
        est.seasonal_period_, est.index_name_, est.index_kind_ = meta["seasonal_period"], meta["index_name"], \
            meta["index_kind"]
        est.cutoff_ = pd.Timestamp(meta["cutoff"]) if meta["cutoff_kind"] == "timestamp" else int(meta["cutoff"])
        est.y_, est.residuals_ = arrays["y_"], arrays["residuals_"]
        est.method_ = meta.get("method", est.method)  # files before 'auto': the method itself
        est.scores_ = {k: np.nan if v is None else v for k, v in meta.get("scores", {}).items()}
        est.ar_ = None
        if "ar_coef" in arrays:
            est.ar_ = AR()
            est.ar_.coef_, est.ar_.intercept_ = arrays["ar_coef"], float(arrays["ar_intercept"][0])
            est.ar_.order_ = len(est.ar_.coef_)
        est.hw_ = None
        if "hw_params" in arrays:
            est.hw_ = HoltWinters(est.seasonal_period_)
            est.hw_.params_, est.hw_.season_ = tuple(float(v) for v in arrays["hw_params"]), int(arrays["hw_season"][0])
        return est

    def save(self, path):
        """Save to ``path`` (or a binary file object), like the network forecasters."""
        from . import persist

        return persist.write(self, path)


def best_baseline(X, **params):
    """``BaselineForecaster('auto', **params).fit(X)`` and its ``scores_``: every baseline fit on ``X``
    and scored by the MAE of its forecasts from the origins its band is calibrated on (the last fifth of
    the series, refit before them); the best forecasts, ties to the simplest (:data:`BASELINES`' order).
    ``tsgate forecast --model auto`` uses it where the network cannot be trained on the series. A
    series with no such origin (fewer rows than a horizon and a season) gets naive, scored NaN."""
    chosen = BaselineForecaster("auto", **params).fit(X)
    return chosen, dict(chosen.scores_)
