"""The fit side of the forecasters: the data, the structure choices and the checks.

:class:`FitMixin` holds what :meth:`tsgate.forecaster._RecurrentForecaster.fit`
does besides training: the panel of series (:mod:`tsgate.panel`), short
series, scaling and windows; the seasonal periods, lookback, segments, window
normalisation and highway (by the rules of :mod:`tsgate.recipe`) and what the
highway's candidate starts need; the check that training did not fail; the
stateful path. The prediction side is :mod:`tsgate.forecasting`.
"""

from types import SimpleNamespace

import numpy as np
import pandas as pd

from . import frames, recipe
from .arima import start_model
from .baselines import validation_errors
from .calendar_features import calendar
from .carried import es_anchor, net_anchor
from .errors import DataError, ParameterError
from .errors import name as pname
from .esnorm import end_state, row_forecasts
from .ets import HoltWinters
from .fallback import against_baselines
from .highway import REFIT, _weights, baseline_candidates, chosen, linear_options, mse_function
from .learned import history_range
from .seasonality import check_given, default_horizon, detect_panel_periods, is_calendar, main_period
from .short import effective, fitted_length, padded
from .model import SequenceModel
from .panel import to_panel
from .params import seed_from
from .static import encode_static
from .stateful import step_predictions, step_targets, train_stateful, warm
from .windows import Scaling, check_scaled, make_windows, spread_sample, validation_counts


def model_seed(seed, k):
    return None if seed is None else seed + k


class FitMixin:
    """The data preparation and structure choices of a fit (see the module docstring)."""

    def _training_panel(self, X, y):
        """The training data as a panel, from the ``fit(X)`` or ``fit(X, y)`` form (a refit of
        historical forecasts knows the time step: a series with a row or two there is then read)."""
        if y is None:
            return to_panel(X, id_col=self.id_col, time_col=self.time_col, target=self.target,
                            future_covariates=self.future_covariates, strategy=self.strategy, fill=self.fill,
                            known_freq=getattr(self, "_known_freq", None))
        ydf, _ = frames.as_frame(y, name="y", fill=self.fill)
        targets = list(ydf.columns)
        if X is not None:
            xdf, _ = frames.as_frame(X, self.time_col, name="X", fill=self.fill)
            if not xdf.index.equals(ydf.index):
                raise DataError(f"{pname('X')} and y must share the same index")
            both = [c for c in ydf.columns if c in xdf.columns]
            if both:  # one frame of the two: a column of each name
                raise DataError(f"y's column {both[0]!r} is also a column of {pname('X')}: rename one of them")
            ydf = pd.concat([ydf, xdf], axis=1)
        panel = to_panel(ydf, target=targets, future_covariates=self.future_covariates, strategy=self.strategy,
                         fill=self.fill)
        panel.index_kind = frames.index_kind(y)
        return panel

    def _set_layout(self, panel):
        """Series, column roles, frequency, cutoffs and horizon of the fit; the
        series' arrays (targets, past and future covariates, calendar)."""
        self.form_, self.id_col_, self.time_name_ = panel.form, panel.id_col, panel.time_name
        self.multiindex_ = panel.multiindex
        self.ids_ = list(panel.ids)
        self.targets_ = list(panel.ids) if panel.form == "wide" else [panel.target]
        self.past_covariates_, self.future_covariates_ = list(panel.past_names), list(panel.future_names)
        self.freq_, self.index_kind_, self.index_name_ = panel.freq, panel.index_kind, panel.time_name
        self.cutoffs_ = [s.index[-1] for s in panel.series]
        self.cutoff_ = self.cutoffs_[0]
        self.horizon_ = default_horizon(self.freq_) if self.horizon is None else self.horizon
        self._indexes = [s.index for s in panel.series]
        cals = [calendar(s.index, self.freq_) if self.calendar_features else np.zeros((len(s.y), 0))
                for s in panel.series]
        return [s.y for s in panel.series], [s.past for s in panel.series], [s.future for s in panel.series], cals

    @staticmethod
    def _sizes(source):
        """(input columns, the head's outputs, extra features) of ``source``'s windows (a forked
        source's targets are every step's: (B, L * M), M outputs per step)."""
        X, Y, E = source.batch(np.arange(1))
        return X.shape[2], Y.shape[1] // (source.lookback if source.fork else 1), 0 if E is None else E.shape[1]

    def _model_spec(self, input_size, n_outputs, n_extra):
        """The :class:`tsgate.model.SequenceModel` arguments of this fit (seed apart)."""
        return dict(cell=self._cell, input_size=input_size, hidden_size=self.hidden_size, n_outputs=n_outputs,
                    n_extra=n_extra, num_layers=self.num_layers, bidirectional=self.bidirectional,
                    dropout=self.dropout, dtype=np.float32, device=self.device, n_ar=self.ar_window_,
                    segment_length=self.segment_length_, init=self.init, per_step=self.fork,
                    chrono_max=max(3, self.lookback_ // self.segment_length_), n_static=len(self.static_columns_),
                    n_ids=len(self.ids_) if self.id_embedding else 0, id_dim=self.id_embedding or 0)

    def _set_static(self, frame):
        """The encoded static covariates of the fitted series (``static_``, (S, K))."""
        self.static_, self.static_columns_ = np.zeros((len(self.ids_), 0)), []
        self._static_frame = frame  # for refits (historical_forecasts with retrain)
        self.embedding_rows_ = None  # series k's embedding row is k
        if frame is None:
            return
        if self.fork or self.stateful:
            raise ParameterError(f"static_covariates need {pname('fork', False)} and {pname('stateful', False)}")
        self.static_, self.static_columns_ = encode_static(frame, self.ids_)

    def _fit_scaling(self, ys, ps, fs):
        """Per-series and per-covariate scaling, checked to give finite float32 inputs."""
        covs = [np.concatenate([p, f], axis=1) for p, f in zip(ps, fs)]
        sc = Scaling.fit(self.scaler, ys, covs)
        for k, (y, cov, index) in enumerate(zip(ys, covs, self._indexes)):
            check_scaled(y[:, None], sc.t_loc[[k]], sc.t_scale[[k]], [self.ids_[k]], index)
            check_scaled(cov, sc.c_loc, sc.c_scale, self.past_covariates_ + self.future_covariates_, index)
        del self._indexes  # the series' time indexes were kept for these messages only
        return sc

    def _windows(self, ys, ps, fs, cals):
        """Training and validation windows of the scaled series."""
        sc, P = self.scaling_, len(self.past_covariates_)
        z = [(y - sc.t_loc[k]) / sc.t_scale[k] for k, y in enumerate(ys)]
        covs = [(np.concatenate([p, f], axis=1) - sc.c_loc) / sc.c_scale for p, f in zip(ps, fs)]
        known = [np.concatenate([c[:, P:], cal], axis=1) for c, cal in zip(covs, cals)]
        steps_out, fraction, min_val = self._split()
        self.n_quantiles_ = len(self.quantiles) if (self.loss == "pinball" and self.quantiles is not None) else 1
        windows = make_windows(z, [c[:, :P] for c in covs], known, self.lookback_, steps_out, steps_out, fraction,
                               min_val, self.norm_period_, repeat=self.n_quantiles_, level=self.level_, fork=self.fork,
                               stride=self.stride, max_per_series=self.max_windows_per_series,
                               context=self._context_rows(np.arange(len(z))), shift=self._shift(np.arange(len(z))),
                               base=self._es_rows(z), position=self._position())
        if self.max_windows is not None:  # validation runs every epoch: a quarter of the training sample
            windows.val = spread_sample(windows.val, max(1, self.max_windows // 4))
        return windows

    def _position(self):
        """Whether the windows' inputs end with each step's place in the window (``window_position``;
        'auto': where the network reads covariates, whose events it must place in time)."""
        if self.window_position == "auto":
            return bool(self.past_covariates_ or self.future_covariates_) and not self.stateful
        return bool(self.window_position) and not self.stateful

    def _es_rows(self, z):
        """``window_norm='ets'``: the Holt-Winters forecasts from every row of
        the scaled series ``z`` (:mod:`tsgate.esnorm`), its parameters fit on
        the rows before the validation tail. Else None."""
        if self.window_norm_ != "ets":
            return None
        steps_out, fraction, min_val = self._split()
        n_val = validation_counts([len(x) for x in z], self.lookback_, steps_out, fraction, min_val)
        firsts = [len(x) - steps_out - k + 1 if k else len(x) - self.horizon_ for x, k in zip(z, n_val)]
        return row_forecasts(self._start_fit(z, firsts, "ets") or HoltWinters(self.seasonal_period_).fit(z), z)

    def _split(self):
        """(steps each window forecasts, validation fraction, least validation windows) of :meth:`_windows`."""
        steps_out = self.horizon_ if self.strategy == "direct" else 1
        least = (1 if self.strategy == "direct" else self.horizon_ + recipe.RECURSIVE_MIN_ORIGINS) \
            if self._validates() else 0  # recursive: origins with a whole horizon after them, for its interval
        return steps_out, self.validation_fraction if self.early_stopping else 0.0, least

    def _remember_tail(self, ys, ps, fs, es_model=None):
        """Each series' last ``lookback_`` rows: the input of its next forecast;
        with window_norm='ets', its Holt-Winters (``es_model_``, else None) and
        each series' state after its whole history (``es_state_``)."""
        L = self.lookback_
        self.last_targets_ = np.stack([padded(y, L) for y in ys], axis=1)  # (L, S), short series padded: tsgate.short
        self.target_range_ = history_range(ys)  # (2, S): what a sane forecast stays near (tsgate.learned)
        self.last_past_ = np.stack([padded(p, L) for p in ps])  # (S, L, P)
        self.last_future_ = np.stack([padded(f, L) for f in fs])  # (S, L, F)
        self.es_model_ = es_model
        if self.es_model_ is not None:
            sc = self.scaling_
            zs = [(y - sc.t_loc[k]) / sc.t_scale[k] for k, y in enumerate(ys)]
            self.es_state_ = np.stack([end_state(self.es_model_, z) for z in zs])
            self.es_anchor_ = np.stack([es_anchor(self.es_model_, z, L) for z in zs])  # before the stored rows
        return self

    def _choose_lookback(self, ys):
        """Seasonal periods (by a vote of the series), lookback, segments and
        highway width (:mod:`tsgate.recipe`). The lookback fits the lower
        quartile of the lengths with ``on_short='baseline'`` (a shorter series
        is forecast by a local baseline: :mod:`tsgate.short`), the median with
        'skip' (shorter ones are left out), else the shortest series."""
        H = self.horizon_
        longest = max(ys, key=len)
        if self.seasonal_periods is not None:
            check_given(self.seasonal_periods, len(longest), "seasonal_periods")
        self.seasonal_periods_ = detect_panel_periods(ys, self.freq_, H, self.seasonal_periods)
        m = self.seasonal_period_ = main_period(self.seasonal_periods_)
        lengths = np.array([len(y) for y in ys if len(y) >= (self.min_length or 0)] or [len(longest)])
        n = fitted_length(lengths, effective(self.on_short, self.loss, self.stateful))
        lookback = recipe.choose_lookback(n, H, m, self.lookback)
        self.segment_length_, lookback = recipe.choose_segment(lookback, self.seasonal_periods_, self.segment_length,
                                                               cap=None if self.lookback else (n - H) // 2)
        if self.fork:  # raw windows, read step by step
            self.segment_length_, lookback = 1, recipe.choose_lookback(n, H, m, self.lookback)
        self.lookback_ = lookback
        self.ar_window_ = 0 if self.fork else recipe.choose_ar_window(lookback, self.ar_window)

    def _choose_norm(self, ys, ps, fs, cals):
        """The window normalisation; 'auto' by the linear start's validation error."""
        self._start_fits = {}  # AR and Holt-Winters fits of this fit (_highway_start)
        self._starts = {}  # the linear start chosen under each norm (_linear_error)
        m = self.seasonal_period_
        if self.window_norm in ("seasonal", "seasonal_ratio") and self.lookback_ < m:
            raise ParameterError(f"{pname('window_norm', self.window_norm)} needs a lookback of at least the "
                                 f"seasonal period {m}, got {self.lookback_}")
        nonpositive = [k for k, y in enumerate(ys) if not np.all(y > 0)]
        if self.window_norm == "seasonal_ratio" and nonpositive:
            raise ParameterError(f"{pname('window_norm', 'seasonal_ratio')} divides by past values: series "
                                 f"{self.ids_[nonpositive[0]]!r} has values <= 0; use 'seasonal'")
        error = (lambda norm: self._linear_error(ys, ps, fs, cals, norm)) if self._validates() else None
        norm = None if self.fork else recipe.choose_norm(self.window_norm, m, self.lookback_, error, not nonpositive,
                                                         self.strategy == "direct")
        if error is not None and norm not in self._starts and self.ar_window_:
            error(norm)  # the start of a given norm, chosen on the same blocks
        self.window_norm_, self.norm_period_ = norm, recipe.norm_period(norm, m)
        self.level_ = self.norm_period_ > 0
        self._start_choice = self._starts.pop(norm, None)

    def _linear_error(self, ys, ps, fs, cals, norm):
        """Validation MSE of the linear start under ``norm`` (for window_norm='auto'),
        in scaled units whatever the norm, averaged over the validation blocks of
        :meth:`_selection_folds`; the start it names (:func:`tsgate.highway.chosen`
        on each candidate's mean over the blocks) is kept (``self._starts[norm]``)
        for the members to take."""
        self.window_norm_, self.norm_period_ = norm, recipe.norm_period(norm, self.seasonal_period_)
        self.level_ = self.norm_period_ > 0
        folds = self._selection_folds(ys, ps, fs, cals)
        names = [k for k in folds[0][0] if all(k in options for options, _ in folds)]  # in a fixed order
        errors = {k: float(np.mean([mse(options[k]) for options, mse in folds])) for k in names}
        name = self._starts[norm] = chosen(errors)
        return float(np.mean([mse(_weights(options, name)) for options, mse in folds]))

    def _selection_folds(self, ys, ps, fs, cals):
        """Per validation block, newest first: (the candidate starts fit on the
        windows before it, W -> their MSE there in scaled units). Block 0 is the
        fit's validation tail; block b is that of the series without their
        last b tails' worth of rows, with the AR and Holt-Winters candidates
        fit before it too: a rolling origin, honest for every candidate. At
        most :data:`tsgate.recipe.SELECTION_BLOCKS`; they stop where a series
        would get too short."""
        steps_out, fraction, min_val = self._split()
        n_val = validation_counts([len(y) for y in ys], self.lookback_, steps_out, fraction, min_val)  # before sampling
        folds, short = [], set(self._short_ks())  # a short series (tsgate.short) has no windows
        for b in range(recipe.SELECTION_BLOCKS):
            cut = [len(y) - b * k for y, k in zip(ys, n_val)]
            shortest = min(c for k, c in enumerate(cut) if k not in short)
            if b and shortest < self.lookback_ + self.horizon_ + 4:
                break
            part = lambda xs: [x[:c] for x, c in zip(xs, cut)]  # noqa: E731
            windows = self._windows(part(ys), part(ps), part(fs), part(cals))
            _, n_out, n_extra = self._sizes(windows.train)
            shape = SimpleNamespace(n_extra=n_extra, n_head_extra=n_extra - bool(self.id_embedding),
                                    n_ar=self.ar_window_, n_outputs=n_out)
            hw = self._highway_start(part(ys), windows, refit=False)
            options, _, _ = linear_options(shape, windows.train, windows.val, baseline_candidates(shape, **hw))
            folds.append((options, mse_function(shape, windows.val)))
        return folds

    def _shift(self, ks):
        """The windows' ``shift`` of the series ``ks`` (:class:`tsgate.windows.WindowSource`):
        loc/scale of their scaling with 'seasonal_ratio', else None."""
        if self.window_norm_ != "seasonal_ratio":
            return None
        return self.scaling_.t_loc[ks] / self.scaling_.t_scale[ks]

    def _freeze(self):
        """``fit_members``' freeze: the parameter's, or with 'auto' the warm
        start's own (historical retraining), else 'auto'."""
        if self.train_highway != "auto":
            return not self.train_highway
        return getattr(self, "_warm_frozen", None) or "auto"

    def _highway_start(self, ys, windows, refit=True):
        """What the highway's candidate starts need (:func:`tsgate.highway.baseline_candidates`):
        an AR(p), a Holt-Winters and without a calendar season an ARIMA(p, 1, 0)
        (:func:`tsgate.arima.start_model`), pooled over the scaled series, on each
        series' rows before its validation tail (with ``refit``, also on all rows,
        under the same names ending in ``_all``). Seasonal naive is a candidate at
        a calendar period or a given one, not at a cycle found in the data
        (:func:`tsgate.seasonality.is_calendar`); with two seasons or more, ``short``
        (the shortest period) adds seasonal naive plus the last short season's growth."""
        sc = self.scaling_
        z = [(y - sc.t_loc[k]) / sc.t_scale[k] for k, y in enumerate(ys)]
        val = windows.val
        firsts = [len(zi) - self.horizon_ for zi in z]
        for k in np.unique(val.series):
            firsts[k] = int(val.ends[val.series == k].min() - windows.starts[k]) + 1
        fit = lambda ends, kind: self._start_fit(z, ends, kind) if self.ar_window_ else None  # noqa: E731
        m = self.seasonal_period_
        season = m if self.seasonal_periods is not None or is_calendar(m, self.freq_) else 1
        arima = recipe.ARIMA_START and season == 1  # with a calendar season the seasonal candidates serve
        kinds = ("ar", "ets", "arima") if arima else ("ar", "ets")
        out = dict(norm_period=self.norm_period_, period=season, level=self.level_, repeat=self.n_quantiles_,
                   base=self.window_norm_ == "ets", short=min(self.seasonal_periods_, default=1),
                   **{k: fit(firsts, k) for k in kinds})
        if refit:  # the fit's own call, the last: the shared fits go
            alls = [len(zi) for zi in z]  # every row: the refit sees all windows
            out.update({k + REFIT: fit(alls, k) for k in kinds})
            del self._start_fits
        return out

    def _start_fit(self, z, ends, kind):
        """The start model ``kind`` (:func:`tsgate.arima.start_model`) pooled over the scaled series ``z``
        up to their rows ``ends``, shared within a fit (the norms 'auto' compares, the highway, 'ets')."""
        order, m = min(24, self.ar_window_), self.seasonal_period_  # the highway must hold the AR's lags
        key = (kind, tuple(ends), order, m)
        if key not in self._start_fits:
            short = set(self._short_ks())  # tsgate.short: no windows, no part in the pooled fits
            parts = [zi[:end] for k, (zi, end) in enumerate(zip(z, ends)) if end > 10 and k not in short]
            self._start_fits[key] = start_model(kind, order, m).fit(parts) if parts else None
        return self._start_fits[key]

    # -- stateful training (tsgate.stateful) ------------------------------------

    def _fit_stateful(self, ys, ps, cals):
        """Fit by truncated BPTT over whole series, then warm the state over each history (the
        parameters were checked by :func:`tsgate.params.check_forecaster_combinations`)."""
        H = self.horizon_
        self.window_norm_ = None if self.window_norm is None else "last"
        self.norm_period_, self.level_, self.ar_window_ = int(self.window_norm_ == "last"), False, 0
        self.segment_length_, self.lookback_, self.n_quantiles_ = 1, 1, 1
        rows, targets = self._stateful_rows(ys, ps, cals)
        starts = [len(y) - H - (int(round((len(y) - H) * self.validation_fraction)) if self._validates() else 0)
                  for y in ys]
        short = [k for k, start in enumerate(starts) if start < 2]
        if short:
            names = "the series" if len(ys) == 1 else "series " + ", ".join(repr(self.ids_[k]) for k in short[:10])
            raise DataError(f"{names} {'is' if len(short) == 1 else 'are'} too short for {pname('stateful', True)} "
                            f"with {pname('horizon')} {H}: {', '.join(str(len(ys[k])) for k in short[:10])} rows "
                            f"(each needs two training steps before its validation steps and its last {H} rows)")
        spec = self._stateful_spec(rows[0].shape[1], H)
        settings = dict(tbptt=self.tbptt, depth=self.tbptt_depth, streams=self.batch_size, loss=self.loss,
                        learning_rate=self.learning_rate, optimizer=self.optimizer, weight_decay=self.weight_decay,
                        clip_norm=self.clip_norm, max_epochs=self.max_epochs, early_stopping=self.early_stopping,
                        patience=self.patience, time_budget=self.time_budget)
        seed = seed_from(self.random_state)
        self.models_, self.histories_ = [], []
        for k in range(self.n_models):
            model = SequenceModel(**spec, random_state=model_seed(seed, k))
            self.histories_.append(train_stateful(model, rows, targets, starts, random_state=model_seed(seed, k),
                                                  **settings))
            self.models_.append(model)
        self.model_, self.history_ = self.models_[0], self.histories_[0]
        self.states_ = [[warm(m, X) for X in rows] for m in self.models_]  # per member, per series
        self.anchors_ = [[net_anchor(m, X, self.lookback_) for X in rows] for m in self.models_]  # before the stored
        self._calibrate_stateful(ys, rows, targets, starts)

    def _stateful_spec(self, input_size, n_outputs):
        """The per-step :class:`tsgate.model.SequenceModel` arguments of stateful
        training (chrono's T_max: the steps a gradient reaches back)."""
        spec = self._model_spec(input_size, n_outputs, 0)
        spec.update(n_ar=0, segment_length=1, per_step=True, chrono_max=max(3, self.tbptt_depth or self.tbptt))
        return spec

    def _stateful_rows(self, ys, ps, cals):
        """Per series: inputs (n, D) [scaled target, past covariates, calendar] and step targets (n, H)."""
        sc, P = self.scaling_, len(self.past_covariates_)
        z = [(y - sc.t_loc[k]) / sc.t_scale[k] for k, y in enumerate(ys)]
        rows = [np.concatenate([zi[:, None], (p - sc.c_loc[:P]) / sc.c_scale[:P], cal], axis=1)
                for zi, p, cal in zip(z, ps, cals)]
        return rows, [step_targets(zi, self.horizon_, self.window_norm_) for zi in z]

    def _clear_calibration(self):
        """Forget every band and score of an earlier fit (a refit must not keep them): the validation
        residuals and scores, the network's in-sample floor, the fallen-back series and their bands."""
        H = self.horizon_
        self.val_residuals_, self.train_residuals_, self.val_scores_ = np.zeros((0, H)), np.zeros((0, H)), {}
        self.fallback_, self.fallback_residuals_, self.fallback_floor_ = {}, {}, {}
        self._val_errors = None  # one series' validation errors per window, network's and baselines' (tsgate.auto)
        self.blend_ = None  # one series: a baseline's share of the forecast (tsgate.blend)

    def _calibrate_stateful(self, ys, rows, targets, starts):
        """Conformal residuals and validation scores from every series' validation steps."""
        H = self.horizon_
        self._clear_calibration()  # no in-sample floor or fallback statefully
        res, scale, base = [], [], []
        for k, (y, X, start) in enumerate(zip(ys, rows, starts)):
            end = len(y) - H
            if start >= end:
                continue
            pred = np.median([step_predictions(m, X)[start:end] for m in self.models_], axis=0)
            res.append(targets[k][start:end] - pred)
            scale.append(np.full(end - start, self.scaling_.t_scale[k]))
            base.append(validation_errors(y, np.arange(start, end), H, self.seasonal_period_, start))
            if len(ys) == 1:  # per window, for tsgate.auto's paired test
                net = np.abs(res[-1] * self.scaling_.t_scale[k]).mean(axis=1)
                self._val_errors = {"ends": np.arange(start, end), "network": net, **base[-1][0]}
        if not res:
            return
        self.val_residuals_ = np.concatenate(res)
        mae = float(np.mean(np.abs(self.val_residuals_ * np.concatenate(scale)[:, None])))
        n = len(self.val_residuals_)
        self.fit_report_.update(against_baselines(mae, base, n, float(np.mean(self.scaling_.t_scale)),
                                                  self.seasonal_period_))
        self.val_scores_ = {"mae": mae, "seasonal_naive_mae": self.fit_report_["validation_mae"]["seasonal_naive"],
                            "n_windows": n}
