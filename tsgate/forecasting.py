"""Prediction side of the forecasters: calibration, forecasts, intervals, update, score.

:class:`ForecastMixin` is mixed into :class:`tsgate.forecaster._RecurrentForecaster`;
it reads only the fitted state (``models_``, ``scaling_``, per series
``last_*_`` and ``cutoffs_``, ``freq_``...), so a forecaster rebuilt from a
model file predicts exactly like the one that was fit. Every series of a
panel is forecast from its own cutoff, all of them in batched forward passes,
and the result comes back in the form the data came in (wide, long or dict).
"""

import warnings

import numpy as np
from sklearn.utils.validation import check_is_fitted

from . import baselines, blend, conformal, esnorm, fallback, frames, nonnegative, stateful
from .ensemble import ensemble_forward, ensemble_predict
from .errors import BaselineWarning, DataError, ParameterError, can_name
from .errors import name as pname
from .learned import check_range, widen_range
from .panel import id_list
from .params import positive_int
from .windows import check_finite, forecast_source, spread_sample

#: Windows per forward pass when forecasting many series.
PREDICT_BATCH = 4096
#: Series whose baselines are scored on validation (evenly spaced), to bound the cost.
BASELINE_SERIES = 200
#: Training windows (evenly spaced) whose in-sample errors floor the conformal band.
FLOOR_WINDOWS = 10_000


class ForecastMixin:
    """predict, predict_interval, update and score of a fitted forecaster."""

    # ------------------------------------------------------------ calibration

    def _calibrate(self, val, ys, starts, models, train=None):
        """Split-conformal residuals (scaled units, per horizon step) of the
        ensemble median on the validation windows, its in-sample residuals on
        (a sample of) the ``train`` windows (the band's floor), the validation
        MAE next to seasonal naive (``val_scores_``) and next to every baseline
        (``fit_report_``, with a warning when a baseline is better)."""
        H = self.horizon_
        self._clear_calibration()
        self.fit_report_ = dict(getattr(self, "fit_report_", {}) or {})
        if val.n == 0 or self.strategy != "direct":  # recursive: from its forecasts fed back (tsgate.historical)
            return self._recursive_calibration(val, ys, starts, models) if val.n else None
        every = np.arange(val.n)
        self.val_residuals_ = self._residuals(models, val)  # ``models`` never saw ``val``
        unit = self.scaling_.t_scale[val.series][:, None] * val.units(every, np.arange(1, H + 1))[1]
        abs_errors = np.abs(self.val_residuals_ * unit)  # (n, H), original units
        mae = float(np.mean(abs_errors))
        ends = val.ends - starts[val.series]  # each window's last row within its series
        fallen = []
        if self.fallback and len(self.ids_) > 1 and self.loss != "pinball":  # per series: network or baseline
            local = fallback.choose(ys, val.series, ends, abs_errors, H, self.seasonal_periods_, self.lookback_)
            self.fallback_ = {self.ids_[k]: spec for k, (spec, _, _) in local.items()}
            self.fallback_residuals_ = {self.ids_[k]: res for k, (_, res, _) in local.items()}
            self.fallback_floor_ = {self.ids_[k]: floor for k, (_, _, floor) in local.items()}
            self.fit_report_["fallback"] = {str(i): fallback.describe(sp) for i, sp in self.fallback_.items()}
            fallen = list(local)
            self.val_residuals_ = conformal.network_windows(self.val_residuals_, val.series, fallen)
        mine = None if train is None else train.subset(np.flatnonzero(~np.isin(train.series, fallen)))
        if mine is not None and mine.n:
            self.train_residuals_ = self._residuals(models, spread_sample(mine, FLOOR_WINDOWS))
        present = np.unique(val.series)
        chosen = present[np.unique(np.linspace(0, len(present) - 1, min(len(present), BASELINE_SERIES)).astype(int))]
        scores = []
        for s in chosen:
            e = ends[val.series == s]
            scores.append(baselines.validation_errors(ys[s], e, H, self.seasonal_period_, int(e.min()) + 1))
            if len(present) == 1:  # per window, for tsgate.auto's paired test
                self._val_errors = {"ends": e, "network": abs_errors.mean(axis=1), **scores[-1][0]}
        scale = float(np.mean(self.scaling_.t_scale[present]))
        report = self.fit_report_
        report.update(fallback.against_baselines(mae, scores, val.n, scale, self.seasonal_period_))
        if self._val_errors is not None and self.fallback and self.loss != "pinball":  # tsgate.blend
            blend.join(self, ys[present[0]], scores[-1][1:], unit)
        base, best = report["validation_mae"], report["best_baseline"]
        self.val_scores_ = {"mae": mae, "seasonal_naive_mae": base["seasonal_naive"], "n_windows": int(val.n)}
        if not report["beats_best_baseline"] and not report.get("blend", {}).get("why"):  # that warned already
            warnings.warn(BaselineWarning(
                f"the network's validation MAE ({mae:.4g}) does not beat the {fallback.baseline_words(report, best)} "
                f"baseline's ({base[best]:.4g}) on the same {val.n} windows"), stacklevel=3)

    def _residuals(self, models, src):
        """Targets minus the ensemble's point forecasts on the windows of ``src``: (n, H), scaled units
        (relative ones with 'seasonal_ratio')."""
        pred = self._point(self._last_step(ensemble_predict(models, src)).astype(np.float64))
        return src.targets(np.arange(src.n)) - pred

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

    # ------------------------------------------------------------ forecasts

    def _direct(self, ks, known_f, horizon, k):
        """Scaled direct forecasts of the series ``ks`` from their last windows,
        in batched forward passes, and the ensemble's spread; normalised
        exactly as in training."""
        H = self.horizon_
        padded = []
        for kf in known_f:
            full = np.zeros((H, kf.shape[1]))
            full[:horizon] = kf
            if horizon < H and kf.shape[1]:
                full[horizon:] = kf[-1]
            padded.append(full)
        z, past = self._tails(ks)
        src = forecast_source(z, past, [self._history_known(j) for j in ks], padded, self.lookback_, H,
                              self.norm_period_, self.level_, self._context_rows(ks), self._shift(np.asarray(ks)),
                              self._es_base(ks), self._position())
        return self._forward_source(src, horizon, k)

    def _es_base(self, ks):
        """``window_norm='ets'``: the Holt-Winters forecasts (:mod:`tsgate.esnorm`)
        from the series ``ks``' end states, which the targets are relative to; else None."""
        if getattr(self, "es_model_", None) is None:
            return None
        return esnorm.FixedForecasts(esnorm.forecast(self.es_model_, self.es_state_[np.asarray(ks)], self.horizon_))

    def _forward_source(self, src, horizon, k=None):
        """Scaled forecasts (n, horizon) of every window of ``src`` (offsets
        added back), the ensemble's spread and the unit of a relative value
        (:meth:`tsgate.windows.WindowSource.units`), ``PREDICT_BATCH`` windows
        per forward pass; ``k``: the quantile output (default: the median's)."""
        outs, spreads = [], []
        for s in range(0, src.n, PREDICT_BATCH):
            X, E = src.inputs(np.arange(s, min(s + PREDICT_BATCH, src.n)))
            out, spread = (self._last_step(a) for a in ensemble_forward(self.models_, X, E, self.n_models))
            outs.append(self._point(out.astype(np.float64), k))
            spreads.append(self._point(spread.astype(np.float64), k))
        if not outs:  # no window: every origin without a lookback of rows before it (historical_forecasts)
            return np.zeros((0, horizon)), np.zeros((0, horizon)), np.ones((0, horizon))
        off, unit = src.units(np.arange(src.n), np.arange(1, horizon + 1))
        return np.concatenate(outs)[:, :horizon] * unit + off, np.concatenate(spreads)[:, :horizon] * unit, unit

    def _recursive(self, ks, known_f, horizon):
        """Scaled recursive forecasts of the series ``ks`` from their last windows."""
        z = np.stack(self._tails(ks)[0])  # (S, L)
        known = np.stack([np.concatenate([self._history_known(k), kf]) for k, kf in zip(ks, known_f)])
        out = self._fed_back(np.asarray(ks), z, known, horizon)
        return out, np.zeros_like(out), np.ones_like(out)

    def _fed_back(self, ks, z, known, horizon):
        """Scaled forecasts (n, horizon) from n windows, one step at a time, each
        step fed back as the next window's last value: one batched forward pass
        per step. Window j is of series ``ks[j]`` (windows may share a series),
        ``z`` (n, L) its scaled targets, ``known`` (n, L + horizon, K) its known
        features and the next ``horizon`` rows'."""
        n, L = z.shape
        zz = np.concatenate([z, np.zeros((n, horizon))], axis=1)  # (n, L + horizon)
        context, shift, empty = self._context_rows(ks), self._shift(ks), np.zeros((L, 0))
        for k in range(horizon):
            src = forecast_source(list(zz[:, k:k + L]), [empty] * n, list(known[:, k:k + L]),
                                  list(known[:, L + k:L + k + 1]), L, 1, self.norm_period_, self.level_,
                                  context, shift, position=self._position())
            zz[:, L + k] = self._forward_source(src, 1)[0][:, 0]
        return zz[:, L:]

    def _forecast_scaled(self, horizon, X, k=None, ids=None):
        """Point forecasts (series, horizon) in original units, each series'
        future index, the ensemble's spread, the series' positions, and the
        size of a relative residual in original units (the scale, times the
        window's unit with 'seasonal_ratio')."""
        if self.strategy == "direct" and horizon > self.horizon_:
            raise ParameterError(f"{pname('horizon', horizon)} exceeds the horizon the model was fit with "
                                 f"({self.horizon_}); refit with a larger {pname('horizon')}"
                                 + (f" or use {pname('strategy', 'recursive')}" if can_name("strategy") else ""))
        ks = self._positions(ids)
        idxs, known_f = self._future_rows(X, horizon, ks)
        if getattr(self, "stateful", False):
            scaled, spread = self._stateful_forecast(ks, horizon), np.zeros((len(ks), horizon))
            unit = np.ones_like(spread)
        elif self.strategy == "direct":
            scaled, spread, unit = self._direct(ks, known_f, horizon, k)
        else:
            scaled, spread, unit = self._recursive(ks, known_f, horizon)
        sc = self.scaling_
        with np.errstate(all="ignore"):
            out = scaled * sc.t_scale[ks, None] + sc.t_loc[ks, None]
            spread = spread * sc.t_scale[ks, None]
        for j, s in enumerate(ks):  # series a local baseline forecasts better (tsgate.fallback)
            spec = getattr(self, "fallback_", {}).get(self.ids_[s])
            if spec is not None:
                out[j], spread[j] = fallback.forecast(spec, self.last_targets_[:, s], horizon), 0.0
        out, spread = blend.forecast(self, out, spread, horizon)  # one series: a baseline's share
        check_finite(out, [self.ids_[j] for j in ks], "forecast")
        out = self._floored(out, ks)
        if getattr(self, "target_range_", None) is not None and k is None:  # not for each quantile member
            check_range(out, self.target_range_[:, ks], [self.ids_[j] for j in ks], idxs)
        return out, idxs, spread, ks, unit * sc.t_scale[ks, None]

    def _stateful_forecast(self, ks, horizon):
        """Scaled forecasts from the warmed states (median over members)."""
        sc = self.scaling_
        out = np.empty((len(ks), horizon))
        for j, s in enumerate(ks):
            pred = np.median([stateful.forecast(m, st[s]) for m, st in zip(self.models_, self.states_)], axis=0)
            base = (self.last_targets_[-1, s] - sc.t_loc[s]) / sc.t_scale[s] if self.window_norm_ == "last" else 0.0
            out[j] = pred[:horizon] + base
        return out

    def predict(self, horizon=None, X=None, ids=None):
        """Forecast the ``horizon`` steps after the end of each series' data.

        Parameters
        ----------
        horizon : int, optional
            Steps to forecast (default: the fitted horizon). With
            ``strategy='direct'`` at most the fitted horizon.
        X : DataFrame or dict, optional
            The known-future covariates on the future timestamps, in the form
            of the training data.
        ids : list or one id, optional
            Forecast only these series (default: all).

        Returns
        -------
        pandas.DataFrame or dict
            In the form the training data came in: wide (indexed by the
            future timestamps, one column per target series), long (id, time
            and target columns) or a dict of frames by id.
        """
        check_is_fitted(self, "model_")
        horizon = self.horizon_ if horizon is None else positive_int(horizon, "horizon")
        out, idxs, _, ks, _ = self._forecast_scaled(horizon, X, ids=id_list(ids))
        return self._output(ks, idxs, {"": out})

    def predict_interval(self, coverage=0.9, horizon=None, X=None, method="auto", ids=None):
        """Point forecast with a prediction interval.

        ``method='conformal'`` (default unless ``loss='pinball'``): split
        conformal per horizon step, from absolute residuals on the validation
        tail (the ceil((n+1)*coverage)-th smallest of n; from fewer than
        coverage/(1-coverage) windows at least Student's t on their root mean
        square, :func:`tsgate.conformal.quantile`; a recursive model's: its forecasts fed back
        from the validation origins, up to the fitted horizon), pooled over the series
        the network forecasts in scaled units, never narrower than the same
        quantile of its in-sample errors on (up to ``FLOOR_WINDOWS`` of) its
        training windows (a short tail may be calmer than the history), and
        widened by the ensemble's spread. ``'quantile'``:
        the network's own quantile outputs (``loss='pinball'``); the
        quantiles (1-coverage)/2 and (1+coverage)/2 must be among ``quantiles``.

        Parameters
        ----------
        coverage : float or list of float
            In (0, 1); a list gives one band per coverage (a fan).

        Returns
        -------
        pandas.DataFrame or dict
            As :meth:`predict`, with columns ``{target}``, ``{target}_lower``,
            ``{target}_upper``; for a list of coverages, ``{target}_lower_80``,
            ``{target}_upper_80``... (percent), narrowest band first.
        """
        check_is_fitted(self, "model_")
        coverages, several = conformal.levels(coverage)
        if method not in ("auto", "conformal", "quantile"):
            raise ParameterError(f"method must be 'auto', 'conformal' or 'quantile', got {method!r}")
        horizon = self.horizon_ if horizon is None else positive_int(horizon, "horizon")
        ids = id_list(ids)  # one id, or a list of distinct ones
        out, idxs, spread, ks, unit = self._forecast_scaled(horizon, X, ids=ids)
        if method == "auto":
            method = "quantile" if (self.loss == "pinball" and self.quantiles is not None) else "conformal"
        columns = {"": out}
        for c in coverages:
            if method == "conformal":
                lower, upper = self._conformal_band(out, spread, c, horizon, unit, ks)
            else:
                lower, upper = self._quantile_band(c, horizon, X, ids)
            check_finite(np.stack([lower, upper]), [self.ids_[j] for j in ks], "prediction interval")
            lo, hi = conformal.band_columns(c, several)
            columns[lo], columns[hi] = self._floored(lower, ks), self._floored(upper, ks)
        return self._output(ks, idxs, columns)

    def _floored(self, values, ks):
        """``values`` (rows of the series ``ks``, ...), those of the series that
        ``nonnegative`` keeps at or above zero floored there (:mod:`tsgate.nonnegative`)."""
        ranges = getattr(self, "target_range_", None)
        if ranges is None:
            return values
        return nonnegative.floor(values, nonnegative.floored_series(self.nonnegative, ranges[:, ks]))

    def _conformal_band(self, mid, spread, coverage, horizon, unit, ks):
        res = self.val_residuals_
        if res.shape[0] == 0 or horizon > res.shape[1]:  # a recursive model forecasts beyond its calibration
            raise DataError(self._no_calibration(horizon, res))
        floor = getattr(self, "train_residuals_", None)
        q = conformal.floored(conformal.quantile(res, coverage), floor, coverage)[:horizon]
        with np.errstate(all="ignore"):  # the ensemble's spread widens the conformal band
            width = np.sqrt((q[None, :] * unit) ** 2 + spread ** 2)
        few = False  # a series forecast by a baseline from too few residuals
        for j, s in enumerate(ks):  # a series forecast by a baseline: that baseline's own residuals there
            own = getattr(self, "fallback_residuals_", {}).get(self.ids_[s])
            if own is not None:
                floor = getattr(self, "fallback_floor_", {}).get(self.ids_[s])
                width[j] = conformal.floored(conformal.quantile(own, coverage, warn=False), floor, coverage)[:horizon]
                few = few or conformal.too_few(len(own), coverage)
        if few:  # in the same words for every series (the command line says it once)
            conformal.warn_few(coverage, "validation origins for a conformal interval; a series forecast by its own "
                                         "baseline from fewer gets Student's t on their root mean square (a "
                                         "normal-theory interval) where that is wider than the widest of them")
        return mid - width, mid + width

    def _no_calibration(self, horizon, res):
        """Why there is no conformal band of ``horizon`` steps, and what to change."""
        head = f"no validation residuals for a conformal interval of {horizon} steps"
        if horizon > res.shape[1]:
            return f"{head}: the model was fit with horizon {res.shape[1]}; refit with {pname('horizon')} >= {horizon}"
        if not self._validates():
            return f"{head}: the fit kept no validation tail (early_stopping and validation_fraction)"
        if self.strategy == "recursive":
            alt = f", or {pname('strategy', 'direct')}" if can_name("strategy") else ""
            return (f"{head}: a recursive model is calibrated on its forecasts from validation origins with "
                    f"{horizon} rows after them, and the fit had none (with finite forecasts); use a shorter "
                    f"{pname('horizon')}, a longer history{alt}")
        return f"{head}: the series left no validation windows after the training windows"

    def _quantile_band(self, coverage, horizon, X, ids):
        lo, hi = self._quantile_pair(coverage)
        return self._forecast_scaled(horizon, X, lo, ids)[0], self._forecast_scaled(horizon, X, hi, ids)[0]

    def _quantile_pair(self, coverage):
        """The quantile outputs (indices) of the band of ``coverage``: (1-coverage)/2 and (1+coverage)/2."""
        qs = np.asarray([] if self.quantiles is None else self.quantiles, dtype=float)
        lo, hi = (1 - coverage) / 2, (1 + coverage) / 2
        if not (np.isclose(qs, lo).any() and np.isclose(qs, hi).any()):
            raise ParameterError(f"{pname('coverage', coverage)} needs quantiles {lo:g} and {hi:g}; "
                                 f"fitted quantiles: {qs.tolist()}")
        return int(np.argmin(np.abs(qs - lo))), int(np.argmin(np.abs(qs - hi)))

    def _blend_state(self):
        return blend.state(self)  # the model file's part (tsgate.persist)

    def _restore_blend(self, meta, arrays):
        blend.restore(self, meta, arrays)

    # ------------------------------------------------------------ new data

    def update(self, X):
        """Move the forecast origin of the series in ``X`` to the end of their
        newer data, without refitting.

        ``X`` is in the form of the training data and holds, per series, the
        rows that follow its data (sktime's ``update``: as few as one row; the
        model keeps each series' last ``lookback_`` rows), revised values of
        those rows (the origin stays), or any stretch of at least ``lookback_``
        rows (the origin moves to its end; not back, where a state is carried). Series missing from ``X`` keep their
        origin. With ``outliers='repair'`` an isolated outlier in ``X`` is
        repaired (and warned of) as in :meth:`fit`. A carried state (stateful,
        window_norm='ets') reads the new rows, and re-reads the stored rows
        from the state before them where ``X`` revises them
        (:mod:`tsgate.carried`); older rows are not re-read. A value too far
        out for float32 is an error here, and nothing moves.

        Returns
        -------
        self
        """
        check_is_fitted(self, "model_")
        panel = self._panel_like(X)
        pairs = [(k, self._with_history(k, s)) for k, s in zip(self._positions(panel.ids), panel.series)]
        for k, series in pairs:  # every series is checked before any moves: a bad one changes nothing
            self._check_update(k, series)
        self._repair_in_place([s for _, s in pairs])
        revisions = {}  # series k -> its stored rows as the new ones revise them: what a carried state re-reads
        for k, series in pairs:  # what float32 cannot read, after the repair, and revisions, before any moves
            self._check_range(k, series)
            if self._carries_state():
                revisions[k] = self._revision(k, series)
                self._check_reread(k, revisions[k])
        for k, series in pairs:
            blend.update(self, series)
            if k in revisions:
                self._advance_state(k, series, revisions[k])
            L = self.lookback_
            self.last_targets_[:, k] = series.y[-L:]
            widen_range(self.target_range_, k, series.y)
            self.last_past_[k], self.last_future_[k] = series.past[-L:], series.future[-L:]
            self.cutoffs_[k] = series.index[-1]
        self.cutoff_ = self.cutoffs_[0]
        return self

    def score(self, X, y=None):
        """Negative MAE of the forecasts over the first steps of ``X``.

        Convention (greater is better, as scikit-learn expects): ``X`` is the
        data that follows the training data (e.g. a TimeSeriesSplit test
        fold), in the form of the training data; each series' forecast covers
        ``min(its rows, horizon)`` steps and the score is ``-MAE`` over all.
        """
        check_is_fitted(self, "model_")
        panel = self._panel_like(X if y is None else y)
        errors = []
        for k, series in zip(self._positions(panel.ids), panel.series):
            start = frames.future_index(self.cutoffs_[k], self.freq_, 1)[0]
            if series.index[0] != start:
                raise DataError(f"{pname('X')} must start right after the training data, at {frames.when(start)}; "
                                f"series {series.id!r} starts at {frames.when(series.index[0])} "
                                "(use update() to move the forecast origin first)")
            h = min(len(series.y), self.horizon_) if self.strategy == "direct" else len(series.y)
            pred = self._forecast_scaled(h, X if self.future_covariates_ else None, ids=[series.id])[0][0]
            errors.append(np.abs(pred - series.y[:h]))
        return -float(np.mean(np.concatenate(errors)))

