"""Historical forecasts and backtests of a baseline (:class:`tsgate.BaselineForecaster`).

The same calls, arguments and tables as the network forecasters'
(:mod:`tsgate.historical`), so a baseline is backtested from the same origins, and scored
the same way, as the network it is meant to be beaten by. Without ``retrain``, the fitted
AR or Holt-Winters parameters forecast from every origin, each reading the series up to
its origin (vectorised, :func:`tsgate.baselines.origin_forecasts`); with ``retrain``,
they are refit on the rows up to every k-th origin. Naive, seasonal naive and drift have
no parameters: ``retrain`` changes nothing for them. Forecasts and refits read ``X`` as
given (a repair of outliers would use rows after an origin).

The baseline's own model is called through two hooks of the estimator,
``_origin_forecasts(method, y, ends, H, ar, hw)`` and ``_refit(y)``, so this module does
not import :mod:`tsgate.baselines`.
"""


import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from . import conformal, frames
from .errors import DataError, ParameterError
from .errors import name as pname
from .params import check_refits, positive_int
from .scores import backtest_table, first_origin, mase_scale, no_origin, user_times


class BaselineHistoryMixin:
    """``historical_forecasts`` and ``backtest`` for a single-series baseline."""

    def historical_forecasts(self, X, start=None, stride=1, retrain=False, horizon=None, coverage=None,
                             warm_start=False, static_covariates=None):
        """Forecasts from every origin of ``X``, as if made at that time.

        Parameters
        ----------
        X : the series, in the form given to ``fit`` (a Series or a frame with the target
            column), over the stretch whose origins are wanted and the rows before them.
        start : None, timestamp/period/int label, or float in (0, 1)
            The first origin: a time of the index, a fraction of the series, or None: the
            fitted cutoff (out of sample).
        stride : int
            Every ``stride``-th time step from ``start`` is an origin.
        retrain : bool or int
            False: the fitted parameters forecast from every origin. True or k: AR and
            Holt-Winters are refit on the rows up to every k-th origin (True: every origin).
        horizon : int, optional
            Steps per forecast (default: the fitted horizon).
        coverage : float or list of float, optional
            With it, each forecast's band as :meth:`predict_interval` gives it: from the fitted
            conformal residuals, or with ``retrain`` from each refit's own (calibrated on the rows
            up to its origin): columns ``lower``, ``upper`` (``lower_80``... for a list).
        warm_start : bool
            False only: taken so that a loop over forecasters can pass the network
            forecasters' options (a baseline has no weights to start a refit from).
        static_covariates : None
            None only, for the same loops (a baseline reads none).

        Returns
        -------
        pandas.DataFrame
            One row per (origin, step): ``unique_id`` (the target's name), ``cutoff`` (the
            origin), the time, ``step``, ``y`` (actual) and ``forecast`` (and the bands), as
            the network forecasters' ``historical_forecasts`` gives them.
        """
        return self._historical(X, start, stride, retrain, horizon, static_covariates, coverage, warm_start).drop(
            columns=["seasonal_naive"])

    def backtest(self, X, start=None, stride=1, retrain=False, horizon=None, coverage=None, warm_start=False,
                 static_covariates=None):
        """Accuracy of :meth:`historical_forecasts` per horizon step, next to seasonal naive
        from the same origins: one row per (series, step, model), ``model`` being ``method``
        and 'seasonal_naive' (once, for a seasonal naive baseline; 'auto' is named 'best_baseline'); columns as the network
        forecasters' ``backtest`` (``n``, MAE, RMSE, sMAPE, MASE, and with ``coverage`` the
        baseline's coverage and MSIS). :func:`tsgate.summarise_backtest` averages it."""
        hf = self._historical(X, start, stride, retrain, horizon, static_covariates, coverage, warm_start)
        models = [(self._model_name(), "forecast", True)]
        if self.method != "seasonal_naive":
            models.append(("seasonal_naive", "seasonal_naive", False))
        return backtest_table(hf, hf.attrs["mase_scale"], coverage, models)

    # ------------------------------------------------------------ internals

    def _model_name(self):
        """The ``model`` of the backtest tables: the method, 'best_baseline' for 'auto' (the choice may
        change at every refit; 'auto' in :func:`tsgate.backtest` is the network-or-baseline choice)."""
        return "best_baseline" if self.method == "auto" else self.method

    def _historical(self, X, start, stride, retrain, horizon, static_covariates, coverage=None, warm_start=False):
        """The table of :meth:`historical_forecasts` with seasonal naive's column, called as the
        network forecasters' ``_historical`` is (:func:`tsgate.evaluation.backtest` calls both;
        ``static_covariates`` None only: a baseline reads none)."""
        check_is_fitted(self, "y_")
        if not isinstance(warm_start, (bool, np.bool_)) or warm_start:
            raise ParameterError(f"{pname('warm_start', warm_start)}: a baseline has no weights to start a refit "
                                 f"from; {pname('warm_start', True)} needs {pname('retrain', True)} and a recurrent "
                                 "forecaster")
        if static_covariates is not None:
            raise ParameterError(f"{pname('static_covariates')}: a baseline reads none (it forecasts from the series "
                                 "alone)")
        if coverage is not None:
            conformal.levels(coverage)  # before any work
        stride = positive_int(stride, "stride")
        check_refits(retrain, False)
        every = (1 if retrain else 0) if isinstance(retrain, (bool, np.bool_)) else int(retrain)
        H = self.horizon_ if horizon is None else positive_int(horizon, "horizon")
        index, y = self._series_of(X)
        pos = self._origin_positions(index, y, start, stride, H)
        pred, bands = self._forecasts(y, pos, H, every, coverage is not None)
        sn = self._origin_forecasts("seasonal_naive", y, pos, H, None, None)
        out = user_times(self._long(index, y, pos, H, pred, sn, coverage, bands), self.index_kind_,
                         ["cutoff", self.index_name_ or "ds"])
        out.attrs["mase_scale"] = {self.targets_[0]: mase_scale(y, int(pos[0]) + 1, self.seasonal_period_)}
        return out

    def _series_of(self, X):
        """(index, values) of the target in ``X``, which must have the fitted frequency; a Series is the
        model's series whatever its name (as for the network forecasters)."""
        self._refuse_panel(X)
        if isinstance(X, pd.Series):
            X = X.rename(self.targets_[0])
        df, freq = frames.as_frame(X, self.time_col, name="X", known_freq=self.freq_)
        if str(freq) != str(self.freq_):
            raise DataError(f"{pname('X')} has frequency {freq}, the model was fit on {self.freq_}")
        if self.targets_[0] not in df.columns:
            raise DataError(f"{pname('X')} has no column {self.targets_[0]!r}, the series the model was fit on")
        return df.index, frames.numeric_block(df, self.targets_[:1], "X", None)[:, 0]

    def _min_rows(self, method=None, ar=None, hw=None):
        """Rows an origin needs before it (itself included) for baseline ``method`` (default: the
        fitted one, with its AR and Holt-Winters) to forecast from it: the AR's order, Holt-Winters'
        two seasons (its start reads them)."""
        if method is None:
            method, ar, hw = self.method_, self.ar_, self.hw_
        if method == "ar":
            return ar.order_
        if method == "holt_winters":
            return 2 * hw.season_ if hw.season_ > 1 else 2
        return 2 if method == "drift" else 1

    def _origin_positions(self, index, y, start, stride, H):
        """Positions in ``y`` of the origins from ``start``, every ``stride``-th, each with
        its rows before it (:meth:`_min_rows`) and ``H`` after it."""
        n = len(y)
        first = int(index.searchsorted(first_origin(index, start, self.cutoff_, self.index_kind_), side="left"))
        pos = np.arange(first, n, stride)
        pos = pos[(pos + H <= n - 1) & (pos + 1 >= self._min_rows())]
        if not len(pos):
            raise no_origin(self._min_rows(), "up to it", H, start, self.cutoff_, stride)
        return pos

    def _forecasts(self, y, pos, H, every, banded=False):
        """(len(pos), H): the baseline's forecasts from every origin, and the calibration residuals of their
        bands, [(first origin, end, residuals)]; with ``every`` >= 1, the baseline is refit on ``y[:p + 1]``
        at every ``every``-th origin p: its parameters (AR, Holt-Winters; 'auto' chooses again) and, when
        ``banded``, its band's calibration (where that refit has too few rows for one, the fitted band)."""
        fitted = [(0, len(pos), self.residuals_)]
        if not every or (self.method not in ("ar", "holt_winters", "auto") and not banded):  # nothing to refit
            return self._origin_forecasts(self.method_, y, pos, H, self.ar_, self.hw_), fitted
        out, bands = np.empty((len(pos), H)), []
        for a in range(0, len(pos), every):
            method, ar, hw, res = self._refit(y[:pos[a] + 1], banded)
            out[a:a + every] = self._origin_forecasts(method, y, pos[a:a + every], H, ar, hw)
            bands.append((a, a + every, res if res is not None and len(res) else self.residuals_))
        return out, bands

    def _long(self, index, y, pos, H, pred, sn, coverage, bands):
        """The long table of :meth:`historical_forecasts`, with seasonal naive's forecasts (``bands``:
        :meth:`_forecasts`' calibration residuals of each origin's band)."""
        h = np.arange(1, H + 1)
        steps = pos[:, None] + h[None, :]  # (n, H)
        pred = self._floored(pred)  # as predict's, before the band around it
        table = {"unique_id": np.repeat(np.array([self.targets_[0]], dtype=object), steps.size),
                 "cutoff": index.take(np.repeat(pos, H)), self.index_name_ or "ds": index.take(steps.ravel()),
                 "step": np.tile(h, len(pos)), "y": y[steps].ravel(), "forecast": pred.ravel()}
        if coverage is not None:
            coverages, several = conformal.levels(coverage)
            for c in coverages:
                q = np.empty((len(pos), H))
                for a, b, res in bands:
                    q[a:b] = self._quantile(c, H, res)
                lo, hi, _ = conformal.table_columns(c, several)
                table[lo], table[hi] = self._floored(pred - q).ravel(), self._floored(pred + q).ravel()
        table["seasonal_naive"] = sn.ravel()
        return pd.DataFrame(table)
