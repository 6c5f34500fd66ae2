"""scikit-learn compatible forecasters: LSTMForecaster, GRUForecaster, RNNForecaster.

A thin pandas layer in the style of sktime/pmdarima: ``fit`` remembers the
cutoff (last timestamp) and frequency; ``predict`` returns a DataFrame on the
future index. Windows, scaling and the network live in NumPy; the kernels
never see pandas.

Model of the data
-----------------
Each target column is one series; several targets are forecast by one
global model with per-series scaling. The network reads ``lookback`` steps
of [the series itself, past covariates, known-future covariates, calendar
features]; a dense head on its last hidden state outputs the whole horizon
(``strategy='direct'``) or one step that is fed back (``'recursive'``).
Known-future covariates and calendar features over the horizon also enter
the head directly. With ``window_norm='last'`` (default) each window is
expressed relative to its last observed value, so level shifts and trends
outside the training range are handled.
"""

import math
import numbers

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from . import _data
from .training import SequenceModel, predict as _model_predict, train


def _check_positive_int(value, name, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


class _RecurrentForecaster(BaseEstimator):
    """Shared implementation; see :class:`LSTMForecaster` for the parameters."""

    _cell = "lstm"

    def __init__(self, lookback=None, horizon=12, hidden_size=32, num_layers=1, bidirectional=False,
                 dropout=0.0, max_epochs=200, batch_size=32, learning_rate=3e-3, optimizer="adam",
                 weight_decay=0.0, clip_norm=1.0, early_stopping=True, validation_fraction=0.2,
                 patience=25, loss="mse", quantiles=None, scaler="standard", strategy="direct",
                 window_norm="last", target=None, time_col=None, future_covariates=None,
                 calendar_features=False, fill=None, random_state=0, device="cpu", verbose=0):
        self.lookback = lookback
        self.horizon = horizon
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.optimizer = optimizer
        self.weight_decay = weight_decay
        self.clip_norm = clip_norm
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.loss = loss
        self.quantiles = quantiles
        self.scaler = scaler
        self.strategy = strategy
        self.window_norm = window_norm
        self.target = target
        self.time_col = time_col
        self.future_covariates = future_covariates
        self.calendar_features = calendar_features
        self.fill = fill
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    # ------------------------------------------------------------------ fit

    def _select_columns(self, df, target):
        future = list(self.future_covariates or [])
        cols = list(df.columns)
        for c in future:
            if c not in cols:
                raise ValueError(f"future covariate {c!r} is not a column; columns: {cols}")
        non_numeric = [c for c in cols if not pd.api.types.is_numeric_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c])]
        if target is None:
            cands = [c for c in cols if c not in future and c not in non_numeric]
            if len(cands) != 1:
                raise ValueError("cannot choose the target: set target= to one (or a list) of the "
                                 f"numeric columns {cands}" + (f" (non-numeric: {non_numeric})" if non_numeric else ""))
            targets = cands
        else:
            targets = [target] if isinstance(target, (str, int)) else list(target)
            for t in targets:
                if t not in cols:
                    raise ValueError(f"target {t!r} is not a column; columns: {cols}")
        bad = [c for c in non_numeric if c in targets or c in future]
        if bad:
            raise ValueError(f"column {bad[0]!r} is not numeric (dtype {df[bad[0]].dtype})")
        if non_numeric:
            raise ValueError(f"non-numeric columns {non_numeric} cannot be covariates; drop them or "
                             "convert them to numbers")
        past = [c for c in cols if c not in targets and c not in future]
        return targets, past, future

    def fit(self, X, y=None):
        """Fit on a time-indexed Series/DataFrame.

        Parameters
        ----------
        X : pandas Series or DataFrame
            With a DatetimeIndex, PeriodIndex or integer index (or
            ``time_col``). The target column(s) are ``target`` (default: the
            only numeric column); other numeric columns are past covariates,
            except those named in ``future_covariates``.
        y : pandas Series or DataFrame, optional
            scikit-learn form ``fit(X, y)``: y holds the target(s) and X the
            covariates (X may be None).

        Returns
        -------
        self
        """
        target = self.target
        if y is not None:
            ydf, _ = _data.as_frame(y, name="y")
            target = list(ydf.columns)
            if X is not None:
                xdf, _ = _data.as_frame(X, self.time_col, name="X")
                if not xdf.index.equals(ydf.index):
                    raise ValueError("X and y must share the same index")
                X = pd.concat([ydf, xdf], axis=1)
            else:
                X = ydf
        df, freq = _data.as_frame(X, None if y is not None else self.time_col, name="X")
        targets, past, future = self._select_columns(df, target)
        self._validate_params()
        if self.strategy == "recursive" and past:
            raise ValueError(f"strategy='recursive' cannot use past covariates {past} (their future values "
                             "are unknown): list them in future_covariates or use strategy='direct'")
        H = self.horizon
        tv = _data.numeric_block(df, targets, "X", self.fill)
        pv = _data.numeric_block(df, past, "X", self.fill) if past else np.zeros((len(df), 0))
        fv = _data.numeric_block(df, future, "X", self.fill) if future else np.zeros((len(df), 0))
        cal = _data.calendar(df.index, freq) if self.calendar_features else np.zeros((len(df), 0))
        m = _data.seasonal_period(freq)
        n = len(df)
        lookback = self.lookback
        if lookback is None:
            lookback = max(2 * m, 2 * H, 8) if m > 1 else max(2 * H, 8)
            lookback = max(2, min(lookback, (n - H) // 2))
        n_val_min = 1 if (self.early_stopping and self.validation_fraction > 0) else 0
        if n < lookback + H + 1 + n_val_min:
            raise ValueError(f"the series is too short: {n} rows, but lookback ({lookback}) + horizon ({H}) "
                             f"+ {1 + n_val_min} window(s) for training/validation need at least "
                             f"{lookback + H + 1 + n_val_min}")
        self.t_loc_, self.t_scale_ = _data.fit_scaler(self.scaler, tv)
        cov = np.concatenate([pv, fv], axis=1)
        self.c_loc_, self.c_scale_ = _data.fit_scaler(self.scaler, cov) if cov.shape[1] else (np.zeros(0), np.ones(0))
        covs = (cov - self.c_loc_) / self.c_scale_
        ps, fs = covs[:, :pv.shape[1]], covs[:, pv.shape[1]:]
        known = np.concatenate([fs, cal], axis=1)
        steps_out = H if self.strategy == "direct" else 1  # outputs per window, and its horizon
        parts = {"X": [], "Y": [], "E": [], "last": [], "series": [], "ends": []}
        val = {"X": [], "Y": [], "E": [], "last": [], "series": [], "ends": []}
        for s in range(len(targets)):
            z = (tv[:, s] - self.t_loc_[s]) / self.t_scale_[s]
            Xw, Yw, Ew, last, ends = _data.windows(z, ps, known, lookback, steps_out, steps_out)
            if self.window_norm == "last":
                Xw[:, :, 0] -= last[:, None]
                Yw -= last[:, None]
            N = len(Xw)
            n_val = int(round(N * self.validation_fraction)) if self.early_stopping else 0
            n_val = min(max(n_val, n_val_min), N - 1)
            for d, sl in ((parts, slice(0, N - n_val)), (val, slice(N - n_val, N))):
                d["X"].append(Xw[sl]), d["Y"].append(Yw[sl]), d["E"].append(Ew[sl])
                d["last"].append(last[sl]), d["series"].append(np.full(len(Xw[sl]), s))
                d["ends"].append(ends[sl])
        cat = {k: np.concatenate(v) for k, v in parts.items()}
        vcat = {k: np.concatenate(v) for k, v in val.items()}
        nq = len(self.quantiles) if (self.loss == "pinball" and self.quantiles) else 1
        dt = np.float32
        n_extra = cat["E"].shape[1]
        Yt = np.repeat(cat["Y"], nq, axis=1) if nq > 1 else cat["Y"]
        Yv = np.repeat(vcat["Y"], nq, axis=1) if nq > 1 else vcat["Y"]
        self.model_ = SequenceModel(self._cell, cat["X"].shape[2], self.hidden_size, steps_out * nq,
                                    n_extra=n_extra, num_layers=self.num_layers,
                                    bidirectional=self.bidirectional, dropout=self.dropout, dtype=dt,
                                    device=self.device, random_state=self.random_state)
        cb = None
        if callable(self.verbose):
            cb = self.verbose
        elif self.verbose:
            cb = lambda e, tl, vl: print(f"epoch {e}: loss={tl:.5f} val_loss={vl:.5f}")  # noqa: E731
        self.history_ = train(
            self.model_, cat["X"].astype(dt), Yt.astype(dt), cat["E"].astype(dt) if n_extra else None,
            X_val=vcat["X"].astype(dt), Y_val=Yv.astype(dt), extra_val=vcat["E"].astype(dt) if n_extra else None,
            loss=self.loss, quantiles=self.quantiles, optimizer=self.optimizer,
            learning_rate=self.learning_rate, weight_decay=self.weight_decay, clip_norm=self.clip_norm,
            max_epochs=self.max_epochs, batch_size=self.batch_size,
            early_stopping=self.early_stopping and len(vcat["X"]) > 0, patience=self.patience,
            random_state=self.random_state, callback=cb)
        # fitted state for prediction
        self.targets_, self.past_covariates_, self.future_covariates_ = targets, past, future
        self.freq_, self.lookback_, self.seasonal_period_ = freq, lookback, m
        self.cutoff_ = df.index[-1]
        self.index_name_ = df.index.name
        self.last_targets_ = tv[-lookback:].copy()
        self.last_past_ = pv[-lookback:].copy()
        self.last_future_ = fv[-lookback:].copy()
        self.n_quantiles_ = nq
        # validation residuals in original units, per horizon step (split-conformal)
        self.val_residuals_ = np.zeros((0, H))
        if len(vcat["X"]) and self.strategy == "direct":
            pv_ = _model_predict(self.model_, vcat["X"].astype(dt), vcat["E"].astype(dt) if n_extra else None)
            pv_ = self._point(pv_.astype(np.float64))
            pr, tr = pv_, vcat["Y"]
            if self.window_norm == "last":
                pr, tr = pr + vcat["last"][:, None], tr + vcat["last"][:, None]
            # residuals in each series' scaled units: pooled over series, then
            # rescaled per series by predict_interval
            self.val_residuals_ = tr - pr
            sc = self.t_scale_[vcat["series"]][:, None]
            # the seasonal naive forecast on the same validation windows
            mm = m if m > 1 else 1
            k = np.arange(1, H + 1)
            lag = mm * np.ceil(k / mm).astype(int)
            naive_err = [np.abs(tv[e + k, s_] - tv[e + k - lag, s_])
                         for e, s_ in zip(vcat["ends"], vcat["series"])]
            self.val_scores_ = {"mae": float(np.mean(np.abs(self.val_residuals_ * sc))),
                                "seasonal_naive_mae": float(np.mean(naive_err)),
                                "n_windows": int(len(vcat["X"]))}
        else:
            self.val_scores_ = {}
        return self

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
        df, freq = _data.as_frame(X, self.time_col, name="X")
        if str(freq) != str(self.freq_):
            raise ValueError(f"X has frequency {freq}, the model was fit on {self.freq_}")
        if len(df) < self.lookback_:
            raise ValueError(f"X needs at least lookback={self.lookback_} rows, got {len(df)}")
        cols = self.targets_ + self.past_covariates_ + self.future_covariates_
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise ValueError(f"X lacks the column(s) {missing} the model was fit with")
        tail = df.iloc[-self.lookback_:]
        self.last_targets_ = _data.numeric_block(tail, self.targets_, "X", self.fill)
        P = self.past_covariates_
        self.last_past_ = _data.numeric_block(tail, P, "X", self.fill) if P else np.zeros((self.lookback_, 0))
        F = self.future_covariates_
        self.last_future_ = _data.numeric_block(tail, F, "X", self.fill) if F else np.zeros((self.lookback_, 0))
        self.cutoff_ = df.index[-1]
        return self

    def _validate_params(self):
        _check_positive_int(self.horizon, "horizon")
        _check_positive_int(self.lookback, "lookback", allow_none=True)
        _check_positive_int(self.hidden_size, "hidden_size")
        _check_positive_int(self.num_layers, "num_layers")
        _check_positive_int(self.max_epochs, "max_epochs")
        _check_positive_int(self.batch_size, "batch_size")
        if self.strategy not in ("direct", "recursive"):
            raise ValueError(f"strategy must be 'direct' or 'recursive', got {self.strategy!r}")
        if self.window_norm not in ("last", None):
            raise ValueError(f"window_norm must be 'last' or None, got {self.window_norm!r}")
        if not 0.0 <= float(self.validation_fraction) < 1.0:
            raise ValueError(f"validation_fraction must be in [0, 1), got {self.validation_fraction!r}")
        if self.loss == "pinball" and self.strategy != "direct":
            raise ValueError("loss='pinball' needs strategy='direct'")
        if self.quantiles is not None:
            q = np.asarray(self.quantiles, dtype=float)
            if q.ndim != 1 or q.size == 0 or ((q <= 0) | (q >= 1)).any():
                raise ValueError(f"quantiles must be a list of numbers in (0, 1), got {self.quantiles!r}")
        if not (isinstance(self.learning_rate, numbers.Real) and self.learning_rate > 0):
            raise ValueError(f"learning_rate must be a positive number, got {self.learning_rate!r}")

    # -------------------------------------------------------------- predict

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
        """Scaled known-future features over the horizon, (horizon, K)."""
        idx = _data.future_index(self.cutoff_, self.freq_, horizon).rename(getattr(self, "index_name_", None))
        parts = []
        if self.future_covariates_:
            if X is None:
                raise ValueError(f"predict needs X with the future covariates {self.future_covariates_} "
                                 f"for the {horizon} timestamps from {idx[0]}")
            xdf, _ = _data.as_frame(X, self.time_col, name="X")
            missing_cols = [c for c in self.future_covariates_ if c not in xdf.columns]
            if missing_cols:
                raise ValueError(f"X lacks the future covariate column(s) {missing_cols}")
            missing = idx.difference(xdf.index)
            if len(missing):
                raise ValueError(f"X has no row for future timestamp {missing[0]} "
                                 f"({len(missing)} of the {horizon} horizon rows missing)")
            fv = _data.numeric_block(xdf.loc[idx], self.future_covariates_, "X", None)
            off = len(self.past_covariates_)
            parts.append((fv - self.c_loc_[off:]) / self.c_scale_[off:])
        if self.calendar_features:
            parts.append(_data.calendar(idx, self.freq_))
        known = np.concatenate(parts, axis=1) if parts else np.zeros((horizon, 0))
        return idx, known

    def _history_known(self):
        parts = []
        if self.future_covariates_:
            off = len(self.past_covariates_)
            parts.append((self.last_future_ - self.c_loc_[off:]) / self.c_scale_[off:])
        if self.calendar_features:
            idx = (pd.date_range(end=self.cutoff_, periods=self.lookback_, freq=self.freq_)
                   if isinstance(self.cutoff_, pd.Timestamp) else None)
            parts.append(_data.calendar(idx, self.freq_))
        return np.concatenate(parts, axis=1) if parts else np.zeros((self.lookback_, 0))

    def _forecast_scaled(self, horizon, X, k=None):
        """Point forecasts (n_targets, horizon) in original units, and the index."""
        H = self.horizon
        if self.strategy == "direct" and horizon > H:
            raise ValueError(f"horizon={horizon} exceeds the horizon the model was fit with ({H}); "
                             "refit with a larger horizon or use strategy='recursive'")
        idx, known_f = self._future_known(horizon, X)
        known_h = self._history_known()
        P = len(self.past_covariates_)
        past = (self.last_past_ - self.c_loc_[:P]) / self.c_scale_[:P] if P else np.zeros((self.lookback_, 0))
        out = np.empty((len(self.targets_), horizon))
        for s in range(len(self.targets_)):
            z = (self.last_targets_[:, s] - self.t_loc_[s]) / self.t_scale_[s]
            if self.strategy == "direct":
                kf = np.zeros((H, known_f.shape[1]))
                kf[:horizon] = known_f
                if horizon < H and kf.shape[1]:
                    kf[horizon:] = known_f[-1]
                base = z[-1] if self.window_norm == "last" else 0.0
                x = np.concatenate([(z - base)[:, None], past, known_h], axis=1)[None].astype(np.float32)
                e = kf.reshape(1, -1).astype(np.float32) if kf.size else None
                pred = self._point(self.model_.forward(x, e).astype(np.float64), k)[0][:horizon] + base
            else:
                zz = list(z)
                kh = known_h.copy()
                pred = np.empty(horizon)
                for k in range(horizon):
                    win = np.asarray(zz[-self.lookback_:])
                    base = win[-1] if self.window_norm == "last" else 0.0
                    x = np.concatenate([(win - base)[:, None], kh[-self.lookback_:]], axis=1)[None].astype(np.float32)
                    e = known_f[k:k + 1].astype(np.float32) if known_f.shape[1] else None
                    pred[k] = float(self.model_.forward(x, e)[0, 0]) + base
                    zz.append(pred[k])
                    kh = np.concatenate([kh, known_f[k:k + 1]], axis=0)
            out[s] = pred * self.t_scale_[s] + self.t_loc_[s]
        return out, idx

    def predict(self, horizon=None, X=None):
        """Forecast the ``horizon`` steps after the end of the training data.

        Parameters
        ----------
        horizon : int, optional
            Steps to forecast (default: the ``horizon`` parameter). With
            ``strategy='direct'`` at most the fitted horizon.
        X : DataFrame, optional
            Values of the known-future covariates on the future timestamps.

        Returns
        -------
        pandas.DataFrame
            Indexed by the future timestamps, one column per target.
        """
        check_is_fitted(self, "model_")
        horizon = self.horizon if horizon is None else _check_positive_int(horizon, "horizon")
        out, idx = self._forecast_scaled(horizon, X)
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
            raise ValueError(f"coverage must be in (0, 1), got {coverage!r}")
        horizon = self.horizon if horizon is None else _check_positive_int(horizon, "horizon")
        point = self.predict(horizon, X)
        if method == "auto":
            method = "quantile" if (self.loss == "pinball" and self.quantiles) else "conformal"
        out = {}
        if method == "conformal":
            res = self.val_residuals_
            if res.shape[0] == 0:
                raise ValueError("no validation residuals for conformal intervals: fit with "
                                 "strategy='direct', early_stopping=True and validation_fraction > 0")
            n = res.shape[0]
            level = min(1.0, math.ceil((n + 1) * coverage) / n)
            q = np.quantile(np.abs(res), level, axis=0, method="higher")[:horizon]
            for s, t in enumerate(self.targets_):
                out[t] = point[t].to_numpy()
                out[f"{t}_lower"] = out[t] - q * self.t_scale_[s]
                out[f"{t}_upper"] = out[t] + q * self.t_scale_[s]
        elif method == "quantile":
            qs = np.asarray(self.quantiles or [], dtype=float)
            lo, hi = (1 - coverage) / 2, (1 + coverage) / 2
            if not (np.isclose(qs, lo).any() and np.isclose(qs, hi).any()):
                raise ValueError(f"coverage={coverage} needs quantiles {lo:g} and {hi:g}; fitted quantiles: {list(qs)}")
            raw = self._quantile_forecasts(horizon, X)
            for s, t in enumerate(self.targets_):
                out[t] = point[t].to_numpy()
                out[f"{t}_lower"] = raw[s, :, int(np.argmin(np.abs(qs - lo)))]
                out[f"{t}_upper"] = raw[s, :, int(np.argmin(np.abs(qs - hi)))]
        else:
            raise ValueError(f"method must be 'auto', 'conformal' or 'quantile', got {method!r}")
        return pd.DataFrame(out, index=point.index)

    def _quantile_forecasts(self, horizon, X):
        """(n_targets, horizon, n_quantiles) forecasts of every quantile output."""
        return np.stack([self._forecast_scaled(horizon, X, k)[0] for k in range(self.n_quantiles_)], axis=2)

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
        df, _ = _data.as_frame(X, self.time_col, name="X")
        h = min(len(df), self.horizon) if self.strategy == "direct" else len(df)
        pred = self.predict(h, df if self.future_covariates_ else None)
        truth = _data.numeric_block(df.iloc[:h], self.targets_, "X", self.fill)
        return -float(np.mean(np.abs(pred.to_numpy() - truth)))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = True
        tags.non_deterministic = False
        return tags

    # -------------------------------------------------------------- files

    def save(self, path):
        """Save the fitted model to ``path`` (pickle-free npz + JSON, atomic)."""
        from .io import save

        save(self, path)
        return path


class LSTMForecaster(_RecurrentForecaster):
    """LSTM forecaster for pandas series (scikit-learn compatible).

    Parameters
    ----------
    lookback : int or None
        Window length read by the network. None: ``max(2*m, 2*horizon, 8)``
        where m is the seasonal period implied by the index frequency
        (12 monthly, 4 quarterly, 52 weekly, 7 daily, 24 hourly), capped at
        half of ``len(series) - horizon``.
    horizon : int
        Steps forecast by one call (direct strategy: the head's outputs).
    hidden_size, num_layers, bidirectional, dropout
        Network shape (bidirectional reads the lookback window both ways).
    max_epochs, batch_size, learning_rate, optimizer, weight_decay, clip_norm
        Training; optimizer 'adam' | 'rmsprop' | 'sgd'; global-norm clipping.
    early_stopping, validation_fraction, patience
        Early stopping on the time-ordered last ``validation_fraction`` of
        windows, restoring the best epoch; the same windows give the
        conformal residuals for :meth:`predict_interval`.
    loss : 'mse' | 'mae' | 'huber' | 'pinball'
    quantiles : list of float
        With ``loss='pinball'``: quantile outputs per horizon step.
    scaler : 'standard' | 'robust' | 'minmax' | None
        Per series and per covariate; inverted on output.
    strategy : 'direct' | 'recursive'
    window_norm : 'last' | None
        Express each window relative to its last target value.
    target, time_col, future_covariates, calendar_features
        Column roles; see :meth:`fit`. Calendar features are cyclical
        encodings of the index (month, weekday, hour...).
    fill : None | 'ffill' | 'interpolate' | 'zero'
        Policy for NaN/inf. None (default) raises an error naming the column
        and the first bad timestamp.
    random_state : int or None
        Same value, same thread count: bit-identical forecasts on the CPU.
    device : 'cpu' | 'cuda' | 'auto'
    verbose : int or callable(epoch, loss, val_loss)

    Attributes
    ----------
    model_, history_, cutoff_, freq_, lookback_, targets_, past_covariates_,
    future_covariates_
    val_residuals_ : ndarray (n_windows, horizon)
        Validation residuals in each series' scaled units (multiply by the
        series' scale to get original units); used by predict_interval.
    val_scores_ : dict
        Validation MAE (original units) next to the seasonal naive MAE on
        the same windows.
    """

    _cell = "lstm"


class GRUForecaster(_RecurrentForecaster):
    """GRU forecaster; same parameters as :class:`LSTMForecaster`."""

    _cell = "gru"


class RNNForecaster(_RecurrentForecaster):
    """Elman RNN (tanh) forecaster; same parameters as :class:`LSTMForecaster`."""

    _cell = "rnn"


FORECASTERS = {"lstm": LSTMForecaster, "gru": GRUForecaster, "rnn": RNNForecaster}
