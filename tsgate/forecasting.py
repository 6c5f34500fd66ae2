"""Prediction side of the forecasters: calibration, forecasts, intervals, score.

:class:`ForecastMixin` is mixed into :class:`tsgate.forecaster._RecurrentForecaster`;
it reads only the fitted state (``model_``, ``scaling_``, ``last_*_``,
``cutoff_``, ``freq_``...), so a forecaster rebuilt from a model file
predicts exactly like the one that was fit.
"""

import math
import numbers
import warnings

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from . import baselines, frames, stateful
from .ensemble import ensemble_forward, ensemble_predict
from .errors import BaselineWarning, CoverageWarning, DataError, ParameterError
from .errors import name as pname
from .params import positive_int
from .windows import check_scaled, forecast_source


class ForecastMixin:
    """predict, predict_interval, update and score of a fitted forecaster."""

    # ------------------------------------------------------------ calibration

    def _calibrate(self, val, tv, models):
        """Split-conformal residuals (scaled units, per horizon step) of the
        ensemble median on the validation windows, the validation MAE next to
        seasonal naive (``val_scores_``) and next to every baseline
        (``fit_report_``, with a warning when a baseline is better)."""
        H = self.horizon_
        self.val_residuals_, self.val_scores_, self.fit_report_ = np.zeros((0, H)), {}, {}
        if val.n == 0 or self.strategy != "direct":
            return
        every = np.arange(val.n)
        pred = self._point(self._last_step(ensemble_predict(models, val)).astype(np.float64))  # never saw ``val``
        self.val_residuals_ = val.targets(every) - pred
        scale = self.scaling_.t_scale[val.series][:, None]
        mae = float(np.mean(np.abs(self.val_residuals_ * scale)))
        ends = val.ends - val.series * len(tv)  # each window's last row within its series
        fit_end = int(ends.min()) + 1  # AR is fit on the rows up to the first validation origin
        scores = [baselines.validation_mae(tv[:, s], ends[val.series == s], H, self.seasonal_period_, fit_end)[0]
                  for s in np.unique(val.series)]
        base = {k: float(np.mean([sc[k] for sc in scores])) for k in baselines.BASELINES}
        best = min(base, key=base.get)
        self.val_scores_ = {"mae": mae, "seasonal_naive_mae": base["seasonal_naive"], "n_windows": int(val.n)}
        self.fit_report_ = {"validation_mae": {"network": mae, **base}, "best_baseline": best,
                            "beats_best_baseline": bool(mae < base[best]), "n_windows": int(val.n)}
        if mae >= base[best]:
            warnings.warn(BaselineWarning(
                f"the network's validation MAE ({mae:.4g}) does not beat the {best.replace('_', ' ')} baseline's "
                f"({base[best]:.4g}) on the same {val.n} windows"), stacklevel=3)

    # ------------------------------------------------------------ inputs

    def _last_step(self, out):
        """The outputs of the window's last step (a forked model outputs every step's)."""
        return out[:, -self.model_.n_outputs:] if getattr(self, "fork", False) else out

    def _point(self, out, k=None):
        """Quantile output ``k`` (default: the one nearest the median) per
        horizon step, from a (N, steps*nq) array."""
        nq = getattr(self, "n_quantiles_", 1)
        if nq == 1:
            return out
        if k is None:
            k = int(np.argmin(np.abs(np.asarray(self.quantiles, dtype=float) - 0.5)))
        return out.reshape(out.shape[0], -1, nq)[:, :, k]

    def _future_known(self, horizon, X):
        """Future index and the scaled known-future features over it, (horizon, K)."""
        idx = frames.future_index(self.cutoff_, self.freq_, horizon).rename(getattr(self, "index_name_", None))
        parts = []
        if self.future_covariates_:
            if X is None:
                raise DataError(f"predict needs {pname('X')} with the future covariates {self.future_covariates_} "
                                f"for the {horizon} timestamps from {idx[0]}")
            xdf, _ = frames.as_frame(X, self.time_col, name="X")
            missing_cols = [c for c in self.future_covariates_ if c not in xdf.columns]
            if missing_cols:
                raise DataError(f"{pname('X')} lacks the future covariate column(s) {missing_cols}")
            missing = idx.difference(xdf.index)
            if len(missing):
                raise DataError(f"{pname('X')} has no row for future timestamp {missing[0]} "
                                f"({len(missing)} of the {horizon} horizon rows missing)")
            fv = frames.numeric_block(xdf.loc[idx], self.future_covariates_, "X", None)
            off = len(self.past_covariates_)
            parts.append((fv - self.scaling_.c_loc[off:]) / self.scaling_.c_scale[off:])
        if self.calendar_features:
            parts.append(frames.calendar(idx, self.freq_))
        return idx, np.concatenate(parts, axis=1) if parts else np.zeros((horizon, 0))

    def _history_known(self):
        """Scaled known-future features over the last ``lookback_`` rows."""
        parts = []
        if self.future_covariates_:
            off = len(self.past_covariates_)
            parts.append((self.last_future_ - self.scaling_.c_loc[off:]) / self.scaling_.c_scale[off:])
        if self.calendar_features:
            parts.append(frames.calendar(frames.history_index(self.cutoff_, self.freq_, self.lookback_), self.freq_))
        return np.concatenate(parts, axis=1) if parts else np.zeros((self.lookback_, 0))

    # ------------------------------------------------------------ forecasts

    def _direct(self, z, past, known_h, known_f, horizon, k):
        """Scaled direct forecast of one series from its last window, and the
        ensemble's spread; normalised exactly as in training."""
        H = self.horizon_
        kf = np.zeros((H, known_f.shape[1]))
        kf[:horizon] = known_f
        if horizon < H and kf.shape[1]:
            kf[horizon:] = known_f[-1]
        src = forecast_source(z, past, known_h, kf, self.lookback_, H, self.norm_period_, self.level_)
        X, E = src.inputs([0])
        out, spread = (self._last_step(a) for a in ensemble_forward(self.models_, X, E))
        offsets = src.offsets([0], np.arange(1, H + 1))[0]
        return (self._point(out.astype(np.float64), k)[0][:horizon] + offsets[:horizon],
                self._point(spread.astype(np.float64), k)[0][:horizon])

    def _recursive(self, z, known_h, known_f, horizon):
        """Scaled recursive forecast: one step at a time, fed back."""
        zz, kh, pred = np.asarray(z, dtype=np.float64), known_h, np.empty(horizon)
        L = self.lookback_
        for k in range(horizon):
            src = forecast_source(zz[-L:], np.zeros((L, 0)), kh[-L:], known_f[k:k + 1], L, 1, self.norm_period_,
                                  self.level_)
            X, E = src.inputs([0])
            pred[k] = float(self._last_step(ensemble_forward(self.models_, X, E)[0])[0, 0]) + src.offsets([0], [1])[0, 0]
            zz = np.append(zz, pred[k])
            kh = np.concatenate([kh, known_f[k:k + 1]], axis=0)
        return pred, np.zeros(horizon)

    def _forecast_scaled(self, horizon, X, k=None):
        """Point forecasts (n_targets, horizon) in original units, the index,
        and the ensemble's spread (n_targets, horizon)."""
        if self.strategy == "direct" and horizon > self.horizon_:
            raise ParameterError(f"{pname('horizon', horizon)} exceeds the horizon the model was fit with "
                                 f"({self.horizon_}); refit with a larger horizon or use {pname('strategy', 'recursive')}")
        idx, known_f = self._future_known(horizon, X)
        known_h = self._history_known()
        sc, P = self.scaling_, len(self.past_covariates_)
        if getattr(self, "stateful", False):
            return self._stateful_forecast(horizon, idx)
        history = frames.history_index(self.cutoff_, self.freq_, self.lookback_)
        history = np.arange(self.lookback_) if history is None else history
        check_scaled(self.last_targets_, sc.t_loc, sc.t_scale, self.targets_, history)
        check_scaled(self.last_past_, sc.c_loc[:P], sc.c_scale[:P], self.past_covariates_, history)
        past = (self.last_past_ - sc.c_loc[:P]) / sc.c_scale[:P] if P else np.zeros((self.lookback_, 0))
        out, spread_all = np.empty((len(self.targets_), horizon)), np.empty((len(self.targets_), horizon))
        for s in range(len(self.targets_)):
            z = (self.last_targets_[:, s] - sc.t_loc[s]) / sc.t_scale[s]
            pred, spread = (self._direct(z, past, known_h, known_f, horizon, k) if self.strategy == "direct"
                            else self._recursive(z, known_h, known_f, horizon))
            with np.errstate(all="ignore"):
                out[s] = pred * sc.t_scale[s] + sc.t_loc[s]
                spread_all[s] = spread * sc.t_scale[s]
        _check_finite(out, self.targets_, "forecast")
        return out, idx, spread_all

    def _stateful_forecast(self, horizon, idx):
        """Forecasts from the warmed states (median over members), in original units."""
        sc = self.scaling_
        out = np.empty((len(self.targets_), horizon))
        for s in range(len(self.targets_)):
            pred = np.median([stateful.forecast(m, st[s]) for m, st in zip(self.models_, self.states_)], axis=0)
            base = (self.last_targets_[-1, s] - sc.t_loc[s]) / sc.t_scale[s] if self.window_norm_ == "last" else 0.0
            with np.errstate(all="ignore"):
                out[s] = (pred[:horizon] + base) * sc.t_scale[s] + sc.t_loc[s]
        _check_finite(out, self.targets_, "forecast")
        return out, idx, np.zeros_like(out)

    def _advance_state(self, df):
        """Stateful models: read the rows after the cutoff into the carried states."""
        new = df.loc[df.index > self.cutoff_]
        if not len(new):
            return
        expected = frames.future_index(self.cutoff_, self.freq_, 1)[0]
        if new.index[0] != expected:
            raise DataError(f"{pname('X')} must continue the data the state has read: the next row is "
                            f"{frames.when(expected)}, got {frames.when(new.index[0])}")
        sc = self.scaling_
        P = len(self.past_covariates_)
        tv = frames.numeric_block(new, self.targets_, "X", self.fill)
        pv = frames.numeric_block(new, self.past_covariates_, "X", self.fill)
        cal = frames.calendar(new.index, self.freq_) if self.calendar_features else np.zeros((len(new), 0))
        z = (tv - sc.t_loc) / sc.t_scale
        past = (pv - sc.c_loc[:P]) / sc.c_scale[:P]
        self.states_ = [[stateful.warm(m, np.concatenate([z[:, [s]], past, cal], axis=1), st[s])
                         for s in range(len(self.targets_))] for m, st in zip(self.models_, self.states_)]

    def predict(self, horizon=None, X=None):
        """Forecast the ``horizon`` steps after the end of the training data.

        Parameters
        ----------
        horizon : int, optional
            Steps to forecast (default: the fitted horizon). With
            ``strategy='direct'`` at most the fitted horizon.
        X : DataFrame, optional
            Values of the known-future covariates on the future timestamps.

        Returns
        -------
        pandas.DataFrame
            Indexed by the future timestamps, one column per target.
        """
        check_is_fitted(self, "model_")
        horizon = self.horizon_ if horizon is None else positive_int(horizon, "horizon")
        return self._frame(*self._forecast_scaled(horizon, X)[:2])

    def _frame(self, out, idx):
        """Forecasts (n_targets, horizon) as a DataFrame on the future index, in the user's index type."""
        if getattr(self, "index_kind_", "datetime") == "period" and isinstance(idx, pd.DatetimeIndex):
            idx = idx.to_period()
        return pd.DataFrame(out.T, index=idx, columns=self.targets_)

    def predict_interval(self, coverage=0.9, horizon=None, X=None, method="auto"):
        """Point forecast with a prediction interval.

        ``method='conformal'`` (default unless ``loss='pinball'``): split
        conformal per horizon step, from absolute residuals on the validation
        tail (quantile level ceil((n+1)*coverage)/n). ``'quantile'``: the
        network's own quantile outputs (``loss='pinball'``); the quantiles
        (1-coverage)/2 and (1+coverage)/2 must be among ``quantiles``.

        Returns
        -------
        pandas.DataFrame
            Columns ``{target}``, ``{target}_lower``, ``{target}_upper``.
        """
        check_is_fitted(self, "model_")
        if not (isinstance(coverage, numbers.Real) and 0 < coverage < 1):
            raise ParameterError(f"{pname('coverage')} must be in (0, 1), got {coverage!r}")
        horizon = self.horizon_ if horizon is None else positive_int(horizon, "horizon")
        out, idx, spread = self._forecast_scaled(horizon, X)
        point = self._frame(out, idx)
        if method == "auto":
            method = "quantile" if (self.loss == "pinball" and self.quantiles) else "conformal"
        if method == "conformal":
            lower, upper = self._conformal_band(point, spread, coverage, horizon)
        elif method == "quantile":
            lower, upper = self._quantile_band(coverage, horizon, X)
        else:
            raise ParameterError(f"method must be 'auto', 'conformal' or 'quantile', got {method!r}")
        _check_finite(np.stack([lower, upper]), self.targets_, "prediction interval")
        out = {}
        for s, t in enumerate(self.targets_):
            out[t], out[f"{t}_lower"], out[f"{t}_upper"] = point[t].to_numpy(), lower[s], upper[s]
        return pd.DataFrame(out, index=point.index)

    def _conformal_band(self, point, spread, coverage, horizon):
        res = self.val_residuals_
        if res.shape[0] == 0:
            raise DataError("no validation residuals for conformal intervals: fit with "
                            "strategy='direct', early_stopping=True and validation_fraction > 0")
        n = res.shape[0]
        if math.ceil((n + 1) * coverage) > n:  # the band is the widest residual, whatever the coverage
            warnings.warn(CoverageWarning(
                f"coverage {coverage:g} needs at least {math.ceil(coverage / (1 - coverage))} validation windows "
                f"for a conformal interval; with {n} the band is the widest validation residual, which "
                f"guarantees a coverage of {n / (n + 1):.3f} only"), stacklevel=3)
        level = min(1.0, math.ceil((n + 1) * coverage) / n)
        q = np.quantile(np.abs(res), level, axis=0, method="higher")[:horizon]
        mid = point.to_numpy().T
        with np.errstate(all="ignore"):  # the ensemble's spread widens the conformal band
            width = np.sqrt((q[None, :] * self.scaling_.t_scale[:, None]) ** 2 + spread ** 2)
            return mid - width, mid + width

    def _quantile_band(self, coverage, horizon, X):
        qs = np.asarray(self.quantiles or [], dtype=float)
        lo, hi = (1 - coverage) / 2, (1 + coverage) / 2
        if not (np.isclose(qs, lo).any() and np.isclose(qs, hi).any()):
            raise ParameterError(f"{pname('coverage', coverage)} needs quantiles {lo:g} and {hi:g}; "
                                 f"fitted quantiles: {list(qs)}")
        raw = np.stack([self._forecast_scaled(horizon, X, k)[0] for k in range(self.n_quantiles_)], axis=2)
        return raw[:, :, int(np.argmin(np.abs(qs - lo)))], raw[:, :, int(np.argmin(np.abs(qs - hi)))]

    # ------------------------------------------------------------ attribution

    def input_names(self):
        """Names of the network's input columns: the target, the past and the
        future covariates, then the calendar features."""
        n_cal = self.model_.input_size - 1 - len(self.past_covariates_) - len(self.future_covariates_)
        return ["target"] + self.past_covariates_ + self.future_covariates_ + [f"calendar_{k}" for k in range(n_cal)]

    def lag_importance(self, step=None, source=None):
        """How far back the model looks: mean |d forecast / d input| per lag and input column.

        The exact input gradients of BPTT, averaged over the validation
        windows of the fit (``source``: another window source), for the
        mean of all horizon steps or, with ``step`` (1-based), one of them.
        Lag k is the input k steps before the first forecast step (the last
        observed row is lag 1). In the model's scaled units: comparable
        across lags and columns.

        Returns
        -------
        pandas.DataFrame
            Indexed by lag (1 .. lookback), one column per input column.
        """
        check_is_fitted(self, "model_")
        if getattr(self, "stateful", False):
            raise ParameterError("lag_importance needs a windowed model (stateful=False)")
        if source is None:
            if getattr(self, "lag_importance_", None) is None or step is not None:
                raise DataError("lag_importance() without a source needs the profile stored at fit (all steps); "
                                "for one step, pass the windows as source")
            return self.lag_importance_
        M = self.model_.n_outputs
        weights = np.zeros(M)
        if step is None:
            weights[:] = 1.0 / M
        else:
            positive_int(step, "step")
            weights[(step - 1) * self.n_quantiles_:step * self.n_quantiles_] = 1.0 / self.n_quantiles_
        if getattr(self, "fork", False):  # the last step's outputs of a forked model
            weights = np.concatenate([np.zeros(M * (self.lookback_ - 1)), weights])
        total, count = 0.0, 0
        for model in self.models_:
            scratch = np.zeros_like(model.flat)
            for s in range(0, source.n, 512):
                X, _, E = source.batch(np.arange(s, min(s + 512, source.n)))
                model.forward(X, E)
                dX = model.backward(np.tile(weights.astype(X.dtype), (len(X), 1)), scratch, want_dx=True)
                total = total + np.abs(dX).sum(axis=0)  # (L, D)
                count += len(X)
        imp = total / max(count, 1)
        L = imp.shape[0]
        return pd.DataFrame(imp[::-1], index=pd.RangeIndex(1, L + 1, name="lag"), columns=self.input_names())

    # ------------------------------------------------------------ new data

    def update(self, X):
        """Move the forecast origin to the end of newer data, without refitting.

        ``X`` holds the same columns (at least the last ``lookback_`` rows
        after the training data, or a longer frame that ends later). The
        forecast then starts after its last timestamp.

        Returns
        -------
        self
        """
        check_is_fitted(self, "model_")
        df, freq = frames.as_frame(X, self.time_col, name="X")
        if str(freq) != str(self.freq_):
            raise DataError(f"{pname('X')} has frequency {freq}, the model was fit on {self.freq_}")
        if len(df) < self.lookback_:
            raise DataError(f"{pname('X')} needs at least {self.lookback_} rows (the lookback), got {len(df)}")
        cols = self.targets_ + self.past_covariates_ + self.future_covariates_
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise DataError(f"{pname('X')} lacks the column(s) {missing} the model was fit with")
        if getattr(self, "stateful", False):
            self._advance_state(df)
        tail = df.iloc[-self.lookback_:]
        self.last_targets_, self.last_past_, self.last_future_ = (
            frames.numeric_block(tail, cols, "X", self.fill)
            for cols in (self.targets_, self.past_covariates_, self.future_covariates_))
        self.cutoff_ = df.index[-1]
        return self

    def score(self, X, y=None):
        """Negative MAE of the forecast over the first steps of ``X``.

        Convention (greater is better, as scikit-learn expects): ``X`` is the
        data that follows the training data (e.g. a TimeSeriesSplit test
        fold); the forecast covers ``min(len(X), horizon)`` steps and the
        score is ``-MAE`` over all targets.
        """
        check_is_fitted(self, "model_")
        if y is not None:
            X = y
        if isinstance(X, pd.Series) and len(self.targets_) == 1:
            X = X.rename(self.targets_[0])
        df, _ = frames.as_frame(X, self.time_col, name="X")
        missing = [t for t in self.targets_ if t not in df.columns]
        if missing:
            raise DataError(f"{pname('X')} lacks the target column(s) {missing} to score against")
        start = frames.future_index(self.cutoff_, self.freq_, 1)[0]
        if df.index[0] != start:
            raise DataError(f"{pname('X')} must start right after the training data, at {frames.when(start)}; it starts "
                            f"at {frames.when(df.index[0])} "
                            "(use update() to move the forecast origin first)")
        h = min(len(df), self.horizon_) if self.strategy == "direct" else len(df)
        pred = self.predict(h, df if self.future_covariates_ else None)
        truth = frames.numeric_block(df.iloc[:h], self.targets_, "X", self.fill)
        return -float(np.mean(np.abs(pred.to_numpy() - truth)))


def _check_finite(values, targets, what):
    """Never return an inf/NaN forecast: name the column instead."""
    bad = ~np.isfinite(values)
    if bad.any():
        col = targets[np.argwhere(bad)[0][-2]]
        raise DataError(f"the {what} of column {col!r} is not finite: the values overflow when scaled back "
                        "to the column's units; rescale the column")
