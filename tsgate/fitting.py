"""The fit side's structure choices and checks, mixed into the forecasters.

:class:`FitMixin` holds what :meth:`tsgate.forecaster._RecurrentForecaster.fit`
decides beyond reading the data: the seasonal periods, lookback, segments,
window normalisation and highway (by the rules of :mod:`tsgate.recipe`), what
the highway's candidate starts need, and the check that training did not fail.
The prediction side is :mod:`tsgate.forecasting`.
"""

from types import SimpleNamespace

import numpy as np

from . import recipe
from .baselines import AR, validation_mae
from .elementmath import TrainingDivergedError
from .errors import DataError, ParameterError
from .errors import name as pname
from .highway import baseline_candidates, linear_options
from .seasonality import detect_periods, main_period
from .training import _quantile_levels as _levels, evaluate, zero_prediction_loss
from .model import SequenceModel
from .params import seed_from
from .stateful import step_predictions, step_targets, train_stateful, warm
from .windows import spread_sample


def model_seed(seed, k):
    return None if seed is None else seed + k


class FitMixin:
    """Structure choices of a fit (see the module docstring)."""

    def _choose_structure(self, tv, pv, fv, cal):
        """Seasonal periods, lookback, segments, normalisation and highway (:mod:`tsgate.recipe`)."""
        H, n = self.horizon_, len(tv)
        self.seasonal_periods_ = detect_periods(tv, self.freq_, H, self.seasonal_periods)
        m = self.seasonal_period_ = main_period(self.seasonal_periods_)
        lookback = recipe.choose_lookback(n, H, m, self.lookback)
        self.segment_length_, lookback = recipe.choose_segment(lookback, self.seasonal_periods_, self.segment_length,
                                                               cap=None if self.lookback else (n - H) // 2)
        n_val_min = 1 if self._validates() else 0
        if n < lookback + H + 1 + n_val_min:
            raise DataError(f"the series is too short: {n} rows, but {pname('lookback')} ({lookback}) + "
                            f"{pname('horizon')} ({H}) + {1 + n_val_min} window(s) for training/validation need "
                            f"at least {lookback + H + 1 + n_val_min}")
        if self.fork:  # raw windows, read step by step
            self.segment_length_, lookback = 1, recipe.choose_lookback(n, H, m, self.lookback)
        self.lookback_ = lookback
        self.ar_window_ = 0 if self.fork else recipe.choose_ar_window(lookback, self.ar_window)
        if self.window_norm == "seasonal" and lookback < m:
            raise ParameterError(f"{pname('window_norm', 'seasonal')} needs a lookback of at least the "
                                 f"seasonal period {m}, got {lookback}")
        error = (lambda norm: self._linear_error(tv, pv, fv, cal, norm)) if self._validates() else None
        norm = None if self.fork else recipe.choose_norm(self.window_norm, m, lookback, error)
        self.window_norm_, self.norm_period_ = norm, recipe.norm_period(norm, m)
        self.level_ = self.norm_period_ > 0

    def _linear_error(self, tv, pv, fv, cal, norm):
        """Validation MSE of the best linear start under ``norm`` (for window_norm='auto')."""
        self.window_norm_, self.norm_period_ = norm, recipe.norm_period(norm, self.seasonal_period_)
        self.level_ = self.norm_period_ > 0
        windows = self._windows(tv, pv, fv, cal)
        n_in, n_out, n_extra = self._sizes(windows.train)
        shape = SimpleNamespace(n_extra=n_extra, n_ar=self.ar_window_, n_outputs=n_out)
        hw = self._highway_start(tv, windows)
        hw.pop("ar_all")
        _, errors = linear_options(shape, windows.train, windows.val, baseline_candidates(shape, **hw))
        return min(errors.values())

    def _highway_start(self, tv, windows):
        """What the highway's candidate starts need (:func:`tsgate.highway.baseline_candidates`):
        an AR(p) by AIC on the scaled series' rows before the validation tail."""
        z = (tv - self.scaling_.t_loc) / self.scaling_.t_scale
        first = int(windows.val.ends.min() - windows.val.series[0] * len(tv)) + 1 if windows.val.n else len(tv)
        order = min(24, self.ar_window_)  # the highway must hold the AR's lags
        fit = lambda end: (AR(order).fit([z[:end, s] for s in range(z.shape[1])])  # noqa: E731
                           if end > 10 and order else None)
        return dict(norm_period=self.norm_period_, period=self.seasonal_period_, ar=fit(first), level=self.level_,
                    repeat=self.n_quantiles_, ar_all=fit(len(tv) - self.horizon_))

    def _check_learned(self, windows, models):
        """Raise when training made the validation loss ten times worse than
        before it and worse than the trivial forecast, or a trained network
        forecasts ten times worse than repeating the last value (without a
        norm: the mean), e.g. after a far too large learning rate, instead of
        returning its forecasts."""
        src = windows.val if windows.val.n else spread_sample(windows.train, 2_000)
        for model, history in zip(models, self.histories_):
            loss = evaluate(model, src, loss=self.loss, tau=_levels(self.loss, self.quantiles, model))
            naive = zero_prediction_loss(src, self.loss, self.quantiles, model)
            start, last = history.get("initial_val_loss"), (history["val_loss"] or [None])[-1]
            if start is not None and last is not None and not last <= max(10.0 * start, naive):
                raise TrainingDivergedError(  # training only made things worse, e.g. a far too large rate
                    f"training failed: the validation loss went from {start:.4g} (before training) to {last:.4g}; "
                    f"lower {pname('learning_rate')} (now {self.learning_rate:g})")
            if not loss <= 10.0 * naive + 1e-12:
                what = {"last": "repeating the last value", "seasonal": "repeating the last season"}.get(
                    self.window_norm_, "predicting the mean")
                raise TrainingDivergedError(
                    f"training failed: the network's {'validation' if windows.val.n else 'training'} loss "
                    f"{loss:.4g} is {loss / max(naive, 1e-300):.3g} times that of {what} ({naive:.4g}); lower "
                    f"{pname('learning_rate')} (now {self.learning_rate:g})")


    # -- stateful training (tsgate.stateful) ------------------------------------

    def _fit_stateful(self, df, tv, pv, fv, cal):
        """Fit by truncated BPTT over whole series, then warm the state over the history."""
        if self.future_covariates_ or self.loss == "pinball" or self.strategy != "direct":
            raise ParameterError(f"{pname('stateful', True)} needs {pname('strategy', 'direct')}, no "
                                 f"{pname('future_covariates')} and a point loss")
        if self.window_norm == "seasonal":
            raise ParameterError(f"{pname('stateful', True)} takes {pname('window_norm')} 'last' or None")
        H, n = self.horizon_, len(tv)
        self.seasonal_periods_ = detect_periods(tv, self.freq_, H, self.seasonal_periods)
        self.seasonal_period_ = main_period(self.seasonal_periods_)
        self.window_norm_ = None if self.window_norm is None else "last"
        self.norm_period_, self.level_, self.ar_window_ = int(self.window_norm_ == "last"), False, 0
        self.segment_length_, self.lookback_, self.n_quantiles_ = 1, 1, 1
        n_val = int(round((n - H) * self.validation_fraction)) if self._validates() else 0
        if n - H - n_val < 2:
            raise DataError(f"the series is too short: {n} rows for {pname('horizon')} {H}")
        rows, targets = self._stateful_rows(tv, pv, cal)
        starts = [n - H - n_val] * len(rows)
        spec = self._model_spec(rows[0].shape[1], H, 0)
        spec.update(n_ar=0, segment_length=1, per_step=True, chrono_max=max(3, self.tbptt))
        settings = dict(tbptt=self.tbptt, streams=self.batch_size, loss=self.loss, learning_rate=self.learning_rate,
                        optimizer=self.optimizer, weight_decay=self.weight_decay, clip_norm=self.clip_norm,
                        max_epochs=self.max_epochs, early_stopping=self.early_stopping, patience=self.patience,
                        time_budget=self.time_budget)
        seed = seed_from(self.random_state)
        self.models_, self.histories_ = [], []
        for k in range(self.n_models):
            model = SequenceModel(**spec, random_state=None if seed is None else seed + k)
            self.histories_.append(train_stateful(model, rows, targets, starts, random_state=model_seed(seed, k),
                                                  **settings))
            self.models_.append(model)
        self.model_, self.history_ = self.models_[0], self.histories_[0]
        self.states_ = [[warm(m, X) for X in rows] for m in self.models_]  # per member, per series
        self._calibrate_stateful(tv, rows, targets, starts[0])

    def _stateful_rows(self, tv, pv, cal):
        """Per series: inputs (n, D) [scaled target, past covariates, calendar] and step targets (n, H)."""
        sc = self.scaling_
        z = (tv - sc.t_loc) / sc.t_scale
        past = (pv - sc.c_loc[:pv.shape[1]]) / sc.c_scale[:pv.shape[1]]
        rows = [np.concatenate([z[:, [s]], past, cal], axis=1) for s in range(z.shape[1])]
        return rows, [step_targets(z[:, s], self.horizon_, self.window_norm_) for s in range(z.shape[1])]

    def _calibrate_stateful(self, tv, rows, targets, start):
        """Conformal residuals and validation scores from the validation steps."""
        H = self.horizon_
        end = len(tv) - H
        self.val_residuals_, self.val_scores_, self.fit_report_ = np.zeros((0, H)), {}, {}
        if start >= end:
            return
        res = [targets[s][start:end] - np.median([step_predictions(m, X)[start:end] for m in self.models_], axis=0)
               for s, X in enumerate(rows)]
        self.val_residuals_ = np.concatenate(res)
        scale = np.repeat(self.scaling_.t_scale, end - start)[:, None]
        mae = float(np.mean(np.abs(self.val_residuals_ * scale)))
        base = [validation_mae(tv[:, s], np.arange(start, end), H, self.seasonal_period_, start)[0]
                for s in range(tv.shape[1])]
        base = {k: float(np.mean([b[k] for b in base])) for k in base[0]}
        best = min(base, key=base.get)
        self.val_scores_ = {"mae": mae, "seasonal_naive_mae": base["seasonal_naive"], "n_windows": end - start}
        self.fit_report_ = {"validation_mae": {"network": mae, **base}, "best_baseline": best,
                            "beats_best_baseline": bool(mae < base[best]), "n_windows": end - start}
