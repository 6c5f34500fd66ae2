"""The fit side's structure choices and checks, mixed into the forecasters.

:class:`FitMixin` holds what :meth:`tsgate.forecaster._RecurrentForecaster.fit`
decides beyond reading the data: the seasonal periods, lookback, segments,
window normalisation and highway (by the rules of :mod:`tsgate.recipe`), what
the highway's candidate starts need, and the check that training did not fail.
The prediction side is :mod:`tsgate.forecasting`.
"""

from types import SimpleNamespace

from . import recipe
from .baselines import AR
from .elementmath import TrainingDivergedError
from .errors import DataError, ParameterError
from .errors import name as pname
from .highway import baseline_candidates, linear_options
from .seasonality import detect_periods, main_period
from .training import _quantile_levels as _levels, evaluate, zero_prediction_loss
from .windows import spread_sample


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
        self.lookback_ = lookback
        self.ar_window_ = recipe.choose_ar_window(lookback, self.ar_window)
        if self.window_norm == "seasonal" and lookback < m:
            raise ParameterError(f"{pname('window_norm', 'seasonal')} needs a lookback of at least the "
                                 f"seasonal period {m}, got {lookback}")
        error = (lambda norm: self._linear_error(tv, pv, fv, cal, norm)) if self._validates() else None
        norm = recipe.choose_norm(self.window_norm, m, lookback, error)
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

