"""Historical forecasts and backtests: forecasts from many origins in batched passes.

:class:`HistoricalMixin` gives the forecasters Darts' ``historical_forecasts``
and a ``backtest`` table. Without retraining, every origin of every series
is one window of a single :class:`tsgate.windows.WindowSource` over the
series' rows, so all origins go through the compiled kernels in large
batches (:meth:`~tsgate.forecasting.ForecastMixin._forward_source`), not one Python call per
origin; a recursive model's origins are fed back together, one batched
forward pass per step (:meth:`~tsgate.forecasting.ForecastMixin._fed_back`).
With ``retrain``, the model is refit on the data up to every k-th
origin (a fresh fit, as ``fit`` at that time gives it; ``warm_start``: from
the previous weights) and forecasts the origins up to the next refit in the
same batched way.

Origins lie on the union of the series' time steps; an origin of a series is
a time with ``lookback_`` rows (those its baseline reads, for a series a local
baseline forecasts) and ``horizon`` after it (Darts' ``overlap_end=False``).
A stateful model reads each series of the data once from a cold state at its
first row, as ``fit`` does: its output after row p is the forecast that
``update`` up to p and ``predict`` give. With ``window_norm='ets'`` the
Holt-Winters state too reads each series of the data from its first row.
"""

import copy

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.utils.validation import check_is_fitted

from . import blend, conformal, fallback
from .attribution import ATTRIBUTION_WINDOWS
from .errors import DataError, ParameterError, name as pname
from .esnorm import row_forecasts
from .forecasting import PREDICT_BATCH
from .panel import timeline, truncate
from .params import check_refits, positive_int
from .scores import backtest_table, first_origin, mase_scale, no_origin, user_times
from .stateful import step_predictions
from .static import check_frame
from .windows import WindowSource, check_finite, check_positive, series_rows, spread_sample

#: At most this many validation origins calibrate a recursive model's interval,
#: and at most about this many fed-back steps in all (at least 20 origins).
RECURSIVE_ORIGINS, RECURSIVE_STEPS = 200, 20_000


class HistoricalMixin:
    """historical_forecasts and backtest (see the module docstring)."""

    def historical_forecasts(self, X, start=None, stride=1, retrain=False, horizon=None, static_covariates=None,
                             coverage=None, warm_start=False):
        """Forecasts from every origin of ``X``, as if made at that time.

        Parameters
        ----------
        X : the data, in the form of the training data (wide, long or dict),
            over the stretch whose origins are wanted (and ``lookback_`` rows
            before the first).
        start : None, timestamp/period/int label, or float in (0, 1)
            The first origin: a time (a label of the index), a fraction of
            the timeline, or None: each series' fitted cutoff (out of sample).
        stride : int
            Every ``stride``-th time step of the timeline is an origin.
        retrain : bool or int
            False: the fitted model forecasts every origin. True or k: refit
            on the data up to every k-th origin (True: every origin), a fresh
            fit with this model's parameters, as ``fit`` at that time gives it
            (Darts' ``retrain``). Forecasts read ``X`` as given; only a refit repairs
            outliers, in its own rows (a repair of ``X`` would use rows after an origin).
        horizon : int, optional
            Steps per forecast (default and maximum: the fitted horizon).
        static_covariates : DataFrame, optional
            For ``retrain`` of a model fit with static covariates (default:
            the frame given to ``fit``).
        coverage : float or list of float, optional
            With it, each forecast's prediction interval, as
            :meth:`~tsgate.forecasting.ForecastMixin.predict_interval` gives it
            at that origin: columns ``lower``, ``upper`` (``lower_80``... for a list).
        warm_start : bool
            With ``retrain``: start each refit from the previous model's
            weights and keep its structure (lookback, normalisation, seasonal
            periods) instead of a fresh fit. Faster, but a warm start trains
            the network without the refreshed linear start it is otherwise
            shrunk toward, so its forecasts can be much worse than a fresh
            fit's (rolling origins of AirPassengers: MAE 41.7 against 26.3).

        Returns
        -------
        pandas.DataFrame
            Long format, one row per (series, origin, step): the id column
            (``unique_id`` for wide or dict data), ``cutoff`` (the origin),
            the time column, ``step``, ``y`` (actual) and ``forecast`` (and the bands).
        """
        return self._historical(X, start, stride, retrain, horizon, static_covariates, coverage, warm_start).drop(
            columns=["seasonal_naive"])

    def backtest(self, X, start=None, stride=1, retrain=False, horizon=None, static_covariates=None,
                 coverage=None, warm_start=False):
        """Accuracy of :meth:`historical_forecasts` per series and per horizon
        step, next to seasonal naive from the same origins.

        Returns
        -------
        pandas.DataFrame
            One row per (series, step, model) with ``model`` 'tsgate' or
            'seasonal_naive', ``n`` forecasts and MAE, RMSE, sMAPE (percent)
            and MASE (MAE over the in-sample seasonal naive MAE of the
            series' rows up to its first origin); with ``coverage``, tsgate's
            intervals' coverage and MSIS (``coverage_80``, ``MSIS_80``... for
            a list; NaN for seasonal naive). :func:`tsgate.summarise_backtest` averages it.
        """
        hf = self._historical(X, start, stride, retrain, horizon, static_covariates, coverage, warm_start)
        return backtest_table(hf, hf.attrs["mase_scale"], coverage,
                              [("tsgate", "forecast", True), ("seasonal_naive", "seasonal_naive", False)])

    # ------------------------------------------------------------ internals

    def _historical(self, X, start, stride, retrain, horizon, static_covariates, coverage=None, warm_start=False):
        check_is_fitted(self, "model_")
        if coverage is not None:
            conformal.levels(coverage)  # before any work
        stride = positive_int(stride, "stride")
        if static_covariates is not None:  # read by the refits only, checked before any
            check_frame(static_covariates)
        check_refits(retrain, warm_start)
        if getattr(self, "stateful", False) and retrain is not False:
            raise ParameterError(f"historical_forecasts of a {pname('stateful', True)} model takes "
                                 f"{pname('retrain', False)}")
        H = self.horizon_ if horizon is None else positive_int(horizon, "horizon")
        if H > self.horizon_ and self.strategy == "direct":
            raise ParameterError(f"{pname('horizon', H)} exceeds the fitted horizon ({self.horizon_})")
        panel = self._panel_like(X)
        times = _origin_grid(panel, self, start, stride, H)
        if not len(times):
            raise no_origin(self.lookback_, "before it", H, start, max(self.cutoffs_), stride)
        if not retrain:
            out = self._batched(panel, times, H, coverage)
        else:
            out = self._retrained(X, panel, times, H, 1 if retrain is True else int(retrain), static_covariates,
                                  coverage, bool(warm_start))
        if not len(out):  # every origin of the grid too early for a lookback of rows (start=0.0, a long stride)
            raise no_origin(self.lookback_, "before it", H, start, max(self.cutoffs_), stride)
        out = user_times(out, self.index_kind_, ["cutoff", self.time_name_ or "ds"])
        out.attrs["mase_scale"] = _mase_scales(panel, times, self.seasonal_period_)
        return out

    def _batched(self, panel, times, H, coverage=None):
        """Forecasts of every (series, origin in ``times``) of ``panel`` from this
        model, in the panel's order of series, then origins and steps (a series
        its own baseline forecasts has origins before a lookback of rows too)."""
        table = self._network_batched(panel, times, H, coverage)
        chosen, pos_list, pred, ks = self._baseline_origins(self._known_series(panel), times, H)
        if not len(pred):
            return table
        pred = self._floored(pred, ks)
        bands = self._bands(pred, np.zeros_like(pred), np.ones_like(pred), ks, coverage)  # the baselines' own
        early = _long_table(self, chosen, pos_list, pred, H, bands)
        both = pd.concat([table, early], ignore_index=True)
        order = both[self.id_col_ or "unique_id"].map({s.id: j for j, s in enumerate(panel.series)})
        both = both.assign(_order=order).sort_values(["_order", "cutoff", "step"], kind="stable")
        return both.drop(columns="_order").reset_index(drop=True)

    def _network_batched(self, panel, times, H, coverage=None):
        """:meth:`_batched`'s forecasts from the origins with a lookback of rows."""
        if getattr(self, "stateful", False):
            return self._stateful_passes(panel, times, H, coverage)
        if self.strategy != "direct":
            return self._looped(panel, times, H, coverage)
        chosen, ks, pos_list, src = self._window_source(panel, times, H, self.horizon_)
        sc = self.scaling_
        scaled, spread, unit = self._forward_source(src, H)
        rows_ks = np.asarray(ks)[src.series]
        scale, loc = sc.t_scale[rows_ks][:, None], sc.t_loc[rows_ks][:, None]
        pred = self._floored(self._fallen_back(chosen, pos_list, scaled * scale + loc, H), rows_ks)  # as predict's
        quantile = lambda k: self._forward_source(src, H, k)[0] * scale + loc  # noqa: E731
        bands = self._bands(pred, spread * scale, unit * scale, rows_ks, coverage, quantile)
        return _long_table(self, chosen, pos_list, pred, H, bands)

    def _window_source(self, panel, times, H, HM):
        """The windows this model reads at every (series, origin in ``times`` with
        ``H`` rows after it) of ``panel``, with ``HM`` outputs each: (the series
        fit on, their positions, the origins' positions per series, a WindowSource)."""
        chosen = self._known_series(panel)
        ks = self._positions([s.id for s in chosen])
        sc, P, L = self.scaling_, len(self.past_covariates_), self.lookback_
        zs, knowns = self._scaled_series(chosen, ks)
        rows, known_rows, ends, series, pos_list, offset = [], [], [], [], [], 0
        for j, (s, z, known) in enumerate(zip(chosen, zs, knowns)):
            pos = self._origins(s, times, H)
            past = (s.past - sc.c_loc[:P]) / sc.c_scale[:P]
            pad = np.repeat(known[-1:], HM, axis=0) if len(known) else np.zeros((HM, known.shape[1]))
            rows.append(series_rows(np.concatenate([z, np.zeros(HM)]), np.concatenate([past, np.zeros((HM, P))]),
                                    np.concatenate([known, pad])))
            known_rows.append(np.concatenate([known, pad]))
            ends.append(offset + pos), series.append(np.full(len(pos), j)), pos_list.append(pos)
            offset += len(s.y) + HM
        src = WindowSource(np.concatenate(rows), np.concatenate(known_rows), np.concatenate(ends),
                           np.concatenate(series), L, HM, HM, self.norm_period_, level=self.level_,
                           context=self._context_rows(ks), shift=self._shift(np.asarray(ks)),
                           base=self._es_rows_of(zs, HM), position=self._position())
        return chosen, ks, pos_list, src

    def _data_windows(self, X):
        """The windows of the data ``X`` (the training form) this model reads: every
        origin with a lookback before it and the model's outputs after it, at most
        :data:`tsgate.attribution.ATTRIBUTION_WINDOWS` evenly spaced (attribution)."""
        HM = self._split()[0]  # outputs per window: the horizon (direct) or one step (recursive)
        panel = self._panel_like(X)
        times = _origin_grid(panel, self, 0.0, 1, HM)
        src = self._window_source(panel, times, HM, HM)[3]
        if not src.n:
            raise DataError(f"{pname('X')} has no window of a series the model was fit on: one needs "
                            f"{self.lookback_} rows (the lookback) and {HM} after them")
        return spread_sample(src, ATTRIBUTION_WINDOWS)

    def _scaled_series(self, chosen, ks):
        """Per series of ``chosen`` (the model's series ``ks``): its scaled target
        and its scaled known-future features (n, K), as the windows read them."""
        sc, zs = self.scaling_, []
        for k, s in zip(ks, chosen):
            if self.window_norm_ == "seasonal_ratio":
                check_positive(s.y, s.id, s.index)
            zs.append((s.y - sc.t_loc[k]) / sc.t_scale[k])
            self._check_future(s.future, s.index)
        return zs, [self._scaled_known(s.future, s.index) for s in chosen]

    def _bands(self, pred, spread, unit, rows_ks, coverage, quantile=None):
        """The bands ``predict_interval(coverage)`` gives at each origin (rows of
        ``pred``, of the series ``rows_ks``): column name -> (n, H); ``spread``
        and ``unit`` in original units; ``quantile(k)``: the forecasts of
        quantile output k (a pinball model's band)."""
        if coverage is None:
            return {}
        coverages, several = conformal.levels(coverage)
        out = {}
        for c in coverages:
            if self.loss == "pinball" and self.quantiles is not None:
                lower, upper = (quantile(k) for k in self._quantile_pair(c))
            else:
                lower, upper = self._conformal_band(pred, spread, c, pred.shape[1], unit, rows_ks)
            lo, hi, _ = conformal.table_columns(c, several)
            out[lo], out[hi] = self._floored(lower, rows_ks), self._floored(upper, rows_ks)  # as predict_interval's
        return out

    def _fallen_back(self, chosen, pos_list, pred, H):
        """``pred`` (origins of every series, H) as predict gives it: fallen-back series, a joined baseline's share."""
        row = 0
        for s, pos in zip(chosen, pos_list):
            spec = getattr(self, "fallback_", {}).get(s.id)
            if spec is not None and len(pos):
                pred[row:row + len(pos)] = fallback.forecasts_from(spec, s.y, pos, H)
            pred[row:row + len(pos)] = blend.historical(self, s, pos, pred[row:row + len(pos)], H)
            row += len(pos)
        return pred

    def _es_rows_of(self, zs, pad):
        """``window_norm='ets'``: Holt-Winters forecasts from every row of the scaled series ``zs``; else None."""
        return None if getattr(self, "es_model_", None) is None else row_forecasts(self.es_model_, zs, pad)

    def _stateful_passes(self, panel, times, H, coverage=None):
        """Stateful models: one pass over each series' rows from a cold state
        gives the forecast after every row (median over members)."""
        chosen, sc = self._known_series(panel), self.scaling_
        ks = np.asarray(self._positions([s.id for s in chosen]), dtype=np.int64)
        pos_list, preds = [], []
        for k, s in zip(ks, chosen):
            pos = self._origins(s, times, H)
            rows = self._step_rows(k, s.y, s.past, s.index)  # (n, D); column 0: the scaled target
            step = np.median([step_predictions(m, rows) for m in self.models_], axis=0)[pos, :H]  # (n_pos, H)
            base = rows[pos, :1] if self.window_norm_ == "last" else 0.0
            preds.append((step + base) * sc.t_scale[k] + sc.t_loc[k])
            pos_list.append(pos)
        rows_ks = np.repeat(ks, [len(p) for p in pos_list])
        pred = self._floored(np.concatenate(preds) if preds else np.zeros((0, H)), rows_ks)
        return _long_table(self, chosen, pos_list, pred, H, self._unspread_bands(pred, rows_ks, coverage))

    def _unspread_bands(self, pred, rows_ks, coverage):
        """The bands of forecasts (rows of the series ``rows_ks``) without an
        ensemble spread or a relative unit (recursive, stateful)."""
        unit = np.broadcast_to(self.scaling_.t_scale[rows_ks][:, None], pred.shape)
        return self._bands(pred, np.zeros_like(pred), unit, rows_ks, coverage)

    def _known_series(self, panel):
        """The series of ``panel`` this model was fit on (others get no forecasts)."""
        known = set(self.ids_)
        return [s for s in panel.series if s.id in known]

    def _origins(self, s, times, H, rows=None):
        """Positions in series ``s`` of the ``times`` with a window (or ``rows``) before them and ``H`` rows after."""
        pos = s.index.get_indexer(times)  # -1: not a time of s
        return pos[(pos >= (self.lookback_ if rows is None else rows) - 1) & (pos + H <= len(s.y) - 1)]

    def _recursive_calibration(self, val, ys, starts, models):
        """A recursive model's split-conformal residuals (``val_residuals_``, scaled
        units, (n, horizon_)): its forecasts of ``horizon_`` steps, each step fed
        back, from up to :data:`RECURSIVE_ORIGINS` validation origins (evenly
        spread; fewer for long horizons, :data:`RECURSIVE_STEPS`) with that
        many rows after them, by the selection ``models``, which never saw
        them, reading the known-future features of the rows after each origin.
        None when a forecast is not finite (no band rather than a failed fit)."""
        H, sc = self.horizon_, self.scaling_
        ends = val.ends - starts[val.series]  # each window's last row within its series
        ok = np.flatnonzero(ends + H <= np.array([len(ys[s]) for s in val.series]) - 1)
        if not len(ok):
            return
        most = min(len(ok), RECURSIVE_ORIGINS, max(20, RECURSIVE_STEPS // H))
        ok = ok[np.unique(np.linspace(0, len(ok) - 1, most).astype(int))]
        zs = [(y - sc.t_loc[s]) / sc.t_scale[s] for s, y in enumerate(ys)]
        knowns = [val.known[a:a + len(y)] for a, y in zip(starts, ys)]  # each series' rows, one after another
        est = copy.copy(self)  # the fitted state, with the selection models
        est.models_ = list(models)
        series, ends = val.series[ok], ends[ok]
        pred = est._origin_forecasts(np.arange(len(ys)), zs, knowns, series, ends, H)
        if np.isfinite(pred).all():
            self.val_residuals_ = np.stack([zs[s][e + 1:e + 1 + H] for s, e in zip(series, ends)]) - pred

    def _looped(self, panel, times, H, coverage=None):
        """Recursive models: every origin's forecast, fed back step by step, the origins batched."""
        chosen, sc = self._known_series(panel), self.scaling_
        ks = np.asarray(self._positions([s.id for s in chosen]), dtype=np.int64)
        pos_list = [self._origins(s, times, H) for s in chosen]
        zs, knowns = self._scaled_series(chosen, ks)
        series = np.repeat(np.arange(len(chosen)), [len(p) for p in pos_list])
        ends = np.concatenate(pos_list) if pos_list else np.zeros(0, np.int64)
        pred = self._origin_forecasts(ks, zs, knowns, series, ends, H) * sc.t_scale[ks[series]][:, None]
        pred += sc.t_loc[ks[series]][:, None]
        check_finite(pred, [chosen[j].id for j in series], "forecast")
        pred = self._floored(self._fallen_back(chosen, pos_list, pred, H), ks[series])
        return _long_table(self, chosen, pos_list, pred, H, self._unspread_bands(pred, ks[series], coverage))

    def _origin_forecasts(self, ks, zs, knowns, series, ends, H):
        """Scaled recursive forecasts (n, H) from n origins: origin i is row
        ``ends[i]`` of series ``series[i]`` (the model's series ``ks[series[i]]``),
        whose scaled targets and known features are ``zs[series[i]]`` and
        ``knowns[series[i]]``, with H rows after the origin; the windows are
        gathered ``PREDICT_BATCH`` origins at a time."""
        L, out = self.lookback_, np.empty((len(ends), H))
        back, ahead = np.arange(-L + 1, 1), np.arange(-L + 1, H + 1)
        for a in range(0, len(ends), PREDICT_BATCH):
            part = slice(a, a + PREDICT_BATCH)
            z = np.stack([zs[s][e + back] for s, e in zip(series[part], ends[part])])  # (n, L)
            known = np.stack([knowns[s][e + ahead] for s, e in zip(series[part], ends[part])])  # (n, L + H, K)
            out[part] = self._fed_back(ks[series[part]], z, known, H)
        return out

    def _retrained(self, X, panel, times, H, every, static_covariates, coverage=None, warm_start=False):
        """Refit on the data up to every ``every``-th origin, then forecast the
        origins up to the next refit: a fresh fit with this model's parameters,
        or with ``warm_start`` one from the previous weights, same structure."""
        static = static_covariates if static_covariates is not None else getattr(self, "_static_frame", None)
        if getattr(self, "static_columns_", []) and static is None:
            raise ParameterError(f"retrain of a model fit with static covariates needs {pname('static_covariates')}")
        # the fit's rule for short series (one begun a row or two before the origin: tsgate.short.cold_baselines)
        fixed = dict(horizon=self.horizon_, on_short="baseline" if self.on_short == "baseline" else "skip", verbose=0)
        if warm_start:  # the warm weights need the same structure
            fixed.update(lookback=self.lookback_, window_norm=self.window_norm_, segment_length=self.segment_length_,
                         ar_window=self.ar_window_, seasonal_periods=list(self.seasonal_periods_))
        est, parts = self, []
        for b in range(0, len(times), every):
            block = times[b:b + every]
            if not all(c == block[0] for c in est.cutoffs_):  # the model at hand was not fit up to this origin
                nxt = clone(self).set_params(**fixed)
                nxt._known_freq = self.freq_  # a series begun just before it: a row or two, too few for its step
                if warm_start:
                    members = est.models_[:est.n_models]  # the members' refits (refit='mean' adds the chosen models)
                    nxt._warm_flats = [m.flat.copy() for m in members]
                    nxt._warm_frozen = [m.frozen is not None for m in members]
                nxt.fit(truncate(X, block[0], self.time_name_ if self.form_ == "long" else self.time_col),
                        static_covariates=static)
                est = nxt
            parts.append(est._batched(panel, block, H, coverage))
        return pd.concat(parts, ignore_index=True)


def _origin_grid(panel, est, start, stride, H):
    """Origin times: the union of the series' time steps from ``start``, every ``stride``-th."""
    grid = timeline(panel)
    default = None
    if start is None:  # the earliest fitted cutoff of the series in the panel
        known = dict(zip(est.ids_, est.cutoffs_))
        default = min((known[s.id] for s in panel.series if s.id in known), default=grid[0])
    first = first_origin(grid, start, default, est.index_kind_)
    grid = grid[grid >= first][::stride]
    lasts = [s.index[-1 - H] for s in panel.series if len(s.y) > H]  # the last origin with H rows after it
    return grid[grid <= max(lasts)] if lasts else grid[:1]


def _long_table(est, chosen, pos_list, pred, H, bands=None):
    """The long output of historical forecasts (and their ``bands``: name ->
    (n, H)), with seasonal naive from the same origins."""
    m = max(1, int(est.seasonal_period_))
    h = np.arange(1, H + 1)
    back = m * -(-h // m) - h  # seasonal naive reads y[p - back]
    cols = {k: [] for k in ("id", "cutoff", "time", "step", "y", "sn")}
    for s, pos in zip(chosen, pos_list):
        steps = pos[:, None] + h[None, :]  # (n, H)
        cols["id"].append(np.repeat(np.array([s.id], dtype=object), steps.size))
        cols["cutoff"].append(s.index.take(np.repeat(pos, H)))
        cols["time"].append(s.index.take(steps.ravel()))
        cols["step"].append(np.tile(h, len(pos)))
        cols["y"].append(s.y[steps].ravel())
        src = pos[:, None] - back[None, :]
        cols["sn"].append(np.where(src >= 0, s.y[np.maximum(src, 0)], s.y[pos][:, None]).ravel())
    idc = est.id_col_ or "unique_id"
    tname = est.time_name_ or "ds"
    cat = lambda parts: parts[0].append(parts[1:]) if len(parts) > 1 else parts[0]  # noqa: E731
    return pd.DataFrame({idc: np.concatenate(cols["id"]) if cols["id"] else [],
                         "cutoff": cat(cols["cutoff"]) if cols["cutoff"] else [],
                         tname: cat(cols["time"]) if cols["time"] else [],
                         "step": np.concatenate(cols["step"]) if cols["step"] else [],
                         "y": np.concatenate(cols["y"]) if cols["y"] else [],
                         "forecast": pred.ravel(), **{k: np.ravel(v) for k, v in (bands or {}).items()},
                         "seasonal_naive": np.concatenate(cols["sn"]) if cols["sn"] else []})


def _mase_scales(panel, times, m):
    """Per series: the in-sample seasonal naive MAE of its rows up to its first origin."""
    return {s.id: mase_scale(s.y, int(s.index.searchsorted(times[0], side="right")) if len(times) else len(s.y), m)
            for s in panel.series}
