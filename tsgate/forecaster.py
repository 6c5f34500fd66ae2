"""scikit-learn compatible forecasters: LSTMForecaster, GRUForecaster, RNNForecaster.

A thin pandas layer in the style of sktime/pmdarima: ``fit`` remembers the
cutoff (last timestamp) and frequency; ``predict`` returns a DataFrame on the
future index. Windows, scaling and the network live in NumPy
(:mod:`tsgate.windows`, :mod:`tsgate.training`); the kernels never see pandas.

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

import numbers

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from . import bundle, frames
from .elementmath import TrainingDivergedError
from .errors import DataError, ModelFileError, ParameterError
from .errors import name as pname
from .forecasting import ForecastMixin
from .params import NETWORK, TRAINING, Interval, ListOf, StrOptions, seed_from, validate_params
from .training import SequenceModel, _quantile_levels as _levels, evaluate, train, zero_prediction_loss
from .windows import SCALERS, Scaling, check_scaled, make_windows, spread_sample

FORMAT, VERSION = "tsgate-model", 1
_STATE_ARRAYS = ("last_targets_", "last_past_", "last_future_", "val_residuals_")


class _RecurrentForecaster(ForecastMixin, BaseEstimator):
    """Shared implementation; see :class:`LSTMForecaster` for the parameters."""

    _cell = "lstm"
    _parameter_constraints = {
        **NETWORK, **TRAINING,
        "lookback": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "horizon": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "loss": [StrOptions({"mse", "mae", "huber", "pinball"})],
        "quantiles": [ListOf(Interval(numbers.Real, 0, 1, closed="neither")), None],
        "scaler": [StrOptions(SCALERS), None],
        "strategy": [StrOptions({"direct", "recursive"})],
        "window_norm": [StrOptions({"last"}), None],
        "target": [str, numbers.Integral, list, tuple, None],
        "time_col": [str, numbers.Integral, None],
        "future_covariates": [list, tuple, None],
        "calendar_features": ["boolean"],
        "fill": [StrOptions(frames.FILLS), None],
        "max_windows": [Interval(numbers.Integral, 1, None, closed="left"), None],
    }

    def __init__(self, lookback=None, horizon=None, hidden_size=32, num_layers=1, bidirectional=False,
                 dropout=0.0, max_epochs=200, batch_size=32, learning_rate=3e-3, optimizer="adam",
                 weight_decay=0.0, clip_norm=1.0, early_stopping=True, validation_fraction=0.2,
                 patience=25, loss="mse", quantiles=None, scaler="standard", strategy="direct",
                 window_norm="last", target=None, time_col=None, future_covariates=None,
                 calendar_features=False, fill=None, max_windows=10_000, random_state=0, device="cpu",
                 verbose=0):
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
        self.max_windows = max_windows
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    # ------------------------------------------------------------------ fit

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
        self._check_params()
        df, freq, target = self._training_frame(X, y)
        targets, past, future = frames.column_roles(df, target, self.future_covariates, self.strategy)
        tv, pv, fv = (frames.numeric_block(df, cols, "X", self.fill) for cols in (targets, past, future))
        cal = frames.calendar(df.index, freq) if self.calendar_features else np.zeros((len(df), 0))
        self._set_layout(df, freq, targets, past, future)
        self.scaling_ = self._fit_scaling(df.index, tv, np.concatenate([pv, fv], axis=1))
        windows = self._windows(tv, pv, fv, cal)
        self.model_ = self._build_model(windows.train)
        self.history_ = train(self.model_, windows.train, X_val=windows.val, **self._train_settings(windows.val))
        self._check_learned(windows)
        self._remember_tail(tv, pv, fv)
        self._calibrate(windows.val, tv)
        return self

    def _check_params(self):
        """Declared constraints, then the combinations they cannot express."""
        validate_params(self)
        if self.loss == "pinball" and self.strategy != "direct":
            raise ParameterError(f"{pname('loss', 'pinball')} needs {pname('strategy', 'direct')}")

    def _training_frame(self, X, y):
        """(frame, freq, target) from the ``fit(X)`` or ``fit(X, y)`` form."""
        self.index_kind_ = frames.index_kind(X if y is None else y)
        if y is None:
            df, freq = frames.as_frame(X, self.time_col, name="X")
            return df, freq, self.target
        ydf, _ = frames.as_frame(y, name="y")
        if X is not None:
            xdf, _ = frames.as_frame(X, self.time_col, name="X")
            if not xdf.index.equals(ydf.index):
                raise DataError("X and y must share the same index")
            ydf = pd.concat([ydf, xdf], axis=1)
        df, freq = frames.as_frame(ydf, name="X")
        return df, freq, list(frames.as_frame(y, name="y")[0].columns)

    def _set_layout(self, df, freq, targets, past, future):
        """Column roles, frequency, horizon and lookback of the fit."""
        self.targets_, self.past_covariates_, self.future_covariates_ = targets, past, future
        self.freq_, self.seasonal_period_ = freq, frames.seasonal_period(freq)
        self.cutoff_, self.index_name_ = df.index[-1], df.index.name
        self.horizon_ = frames.default_horizon(freq) if self.horizon is None else self.horizon
        H, m, n = self.horizon_, self.seasonal_period_, len(df)
        lookback = self.lookback
        if lookback is None:
            lookback = max(2 * m, 2 * H, 8) if m > 1 else max(2 * H, 8)
            lookback = max(2, min(lookback, (n - H) // 2))
        n_val_min = 1 if self._validates() else 0
        if n < lookback + H + 1 + n_val_min:
            raise DataError(f"the series is too short: {n} rows, but {pname('lookback')} ({lookback}) + "
                            f"{pname('horizon')} ({H}) "
                            f"+ {1 + n_val_min} window(s) for training/validation need at least "
                            f"{lookback + H + 1 + n_val_min}")
        self.lookback_ = lookback

    def _fit_scaling(self, index, tv, cov):
        """Per-series and per-covariate scaling, checked to give finite float32 inputs."""
        sc = Scaling.fit(self.scaler, tv, cov)
        check_scaled(tv, sc.t_loc, sc.t_scale, self.targets_, index)
        check_scaled(cov, sc.c_loc, sc.c_scale, self.past_covariates_ + self.future_covariates_, index)
        return sc

    def _check_learned(self, windows):
        """Raise when the trained network forecasts far worse than repeating
        the last value (with window_norm=None: the mean), e.g. after a far too
        large learning rate, instead of returning its forecasts."""
        src = windows.val if windows.val.n else spread_sample(windows.train, 2_000)
        loss = evaluate(self.model_, src, loss=self.loss, tau=_levels(self.loss, self.quantiles, self.model_))
        naive = zero_prediction_loss(src, self.loss, self.quantiles, self.model_)
        if not loss <= 10.0 * naive + 1e-12:
            what = "repeating the last value" if self.window_norm == "last" else "predicting the mean"
            raise TrainingDivergedError(
                f"training failed: the network's {'validation' if windows.val.n else 'training'} loss {loss:.4g} "
                f"is {loss / max(naive, 1e-300):.3g} times that of {what} ({naive:.4g}); lower "
                f"{pname('learning_rate')} (now {self.learning_rate:g})")

    def _validates(self):
        return bool(self.early_stopping and self.validation_fraction > 0)

    def _windows(self, tv, pv, fv, cal):
        """Training and validation windows of the scaled series."""
        sc = self.scaling_
        covs = (np.concatenate([pv, fv], axis=1) - sc.c_loc) / sc.c_scale
        known = np.concatenate([covs[:, pv.shape[1]:], cal], axis=1)
        H = self.horizon_
        steps_out = H if self.strategy == "direct" else 1
        self.n_quantiles_ = len(self.quantiles) if (self.loss == "pinball" and self.quantiles) else 1
        windows = make_windows((tv - sc.t_loc) / sc.t_scale, covs[:, :pv.shape[1]], known, self.lookback_,
                               steps_out, steps_out, self.validation_fraction if self.early_stopping else 0.0,
                               1 if self._validates() else 0, self.window_norm, repeat=self.n_quantiles_)
        if self.max_windows is not None:  # validation runs every epoch: a quarter of the training sample
            windows.val = spread_sample(windows.val, max(1, self.max_windows // 4))
        return windows

    def _build_model(self, source):
        """The network and head for windows like ``source``'s."""
        X, Y, E = source.batch(np.arange(1))
        return SequenceModel(self._cell, X.shape[2], self.hidden_size, Y.shape[1],
                             n_extra=0 if E is None else E.shape[1], num_layers=self.num_layers,
                             bidirectional=self.bidirectional, dropout=self.dropout, dtype=np.float32,
                             device=self.device, random_state=seed_from(self.random_state))

    def _train_settings(self, val):
        cb = self.verbose if callable(self.verbose) else None
        if self.verbose and not callable(self.verbose):
            cb = lambda e, tl, vl: print(f"epoch {e}: loss={tl:.5f} val_loss={vl:.5f}")  # noqa: E731
        return dict(loss=self.loss, quantiles=self.quantiles, optimizer=self.optimizer,
                    learning_rate=self.learning_rate, weight_decay=self.weight_decay, clip_norm=self.clip_norm,
                    max_epochs=self.max_epochs, batch_size=self.batch_size,
                    early_stopping=self.early_stopping and val.n > 0, patience=self.patience,
                    random_state=seed_from(self.random_state), callback=cb, samples_per_epoch=self.max_windows)

    def _remember_tail(self, tv, pv, fv):
        """The last ``lookback_`` rows: the input of the next forecast."""
        L = self.lookback_
        self.last_targets_, self.last_past_, self.last_future_ = tv[-L:].copy(), pv[-L:].copy(), fv[-L:].copy()

    # ------------------------------------------------------------ state

    def _fitted_state(self):
        """(metadata, arrays) that describe the fitted forecaster completely."""
        check_is_fitted(self, "model_")
        params = {k: (int(v) if isinstance(v, np.integer) else v) for k, v in self.get_params().items()}
        params["verbose"] = 0 if callable(params["verbose"]) else params["verbose"]
        params["random_state"] = seed_from(params["random_state"])
        cutoff = self.cutoff_
        meta = {
            "class": type(self).__name__, "params": params, "targets": list(self.targets_),
            "past_covariates": list(self.past_covariates_), "future_covariates": list(self.future_covariates_),
            "freq": self.freq_, "cutoff": cutoff.isoformat() if isinstance(cutoff, pd.Timestamp) else int(cutoff),
            "cutoff_kind": "timestamp" if isinstance(cutoff, pd.Timestamp) else "int",
            "lookback": int(self.lookback_), "horizon": int(self.horizon_),
            "seasonal_period": int(self.seasonal_period_), "n_quantiles": int(self.n_quantiles_),
            "model": {"input_size": self.model_.net.input_size, "n_outputs": self.model_.n_outputs,
                      "n_extra": self.model_.n_extra},
            "val_scores": self.val_scores_, "index_name": self.index_name_, "index_kind": self.index_kind_,
            "history": {k: [float(x) for x in v] if isinstance(v, list) else v for k, v in self.history_.items()},
        }
        sc = self.scaling_
        arrays = {name: np.asarray(getattr(self, name)) for name in _STATE_ARRAYS}
        arrays.update(t_loc_=sc.t_loc, t_scale_=sc.t_scale, c_loc_=sc.c_loc, c_scale_=sc.c_scale,
                      params_flat=self.model_.flat)
        return meta, arrays

    @classmethod
    def _from_fitted_state(cls, meta, arrays, device="cpu"):
        """Rebuild a fitted forecaster from :meth:`_fitted_state`'s output."""
        _check_state(meta, arrays)
        params = dict(meta["params"], device=device)
        est = cls(**params)
        validate_params(est)
        est.scaling_ = Scaling(arrays["t_loc_"], arrays["t_scale_"], arrays["c_loc_"], arrays["c_scale_"])
        for name in _STATE_ARRAYS:
            setattr(est, name, arrays[name])
        m = meta["model"]
        est.model_ = SequenceModel(cls._cell, m["input_size"], params["hidden_size"], m["n_outputs"],
                                   n_extra=m["n_extra"], num_layers=params["num_layers"],
                                   bidirectional=params["bidirectional"], dropout=params["dropout"], device=device)
        flat = arrays["params_flat"]
        if flat.shape != est.model_.flat.shape or not np.isfinite(flat).all():
            raise ModelFileError(f"parameter vector has shape {flat.shape}, expected {est.model_.flat.shape} "
                                 "(or holds non-finite values)")
        est.model_.set_flat(flat)
        est.targets_, est.past_covariates_ = meta["targets"], meta["past_covariates"]
        est.future_covariates_ = meta["future_covariates"]
        est.freq_, est.lookback_ = meta["freq"], meta["lookback"]
        est.horizon_ = meta.get("horizon", params["horizon"])
        est.seasonal_period_, est.n_quantiles_ = meta["seasonal_period"], meta["n_quantiles"]
        est.cutoff_ = pd.Timestamp(meta["cutoff"]) if meta["cutoff_kind"] == "timestamp" else int(meta["cutoff"])
        est.history_, est.val_scores_ = meta["history"], meta.get("val_scores", {})
        est.index_name_, est.index_kind_ = meta.get("index_name"), meta.get("index_kind", "datetime")
        return est

    def save(self, path):
        """Save the fitted model to ``path`` (pickle-free npz + JSON, written
        atomically), or into a writable binary file object."""
        meta, arrays = self._fitted_state()
        bundle.write(path, FORMAT, VERSION, meta, arrays)
        return path

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = True
        tags.non_deterministic = False
        return tags


def _check_state(meta, arrays):
    """Raise ModelFileError naming the field of a damaged fitted state."""
    for name, a in arrays.items():
        if a.dtype.kind not in "fiu" or not np.isfinite(a).all():
            raise ModelFileError(f"array {name!r} holds non-finite or non-numeric values")
    for name in ("t_scale_", "c_scale_"):
        if (arrays[name] <= 0).any():
            raise ModelFileError(f"array {name!r} holds a scale <= 0")
    L, S = int(meta["lookback"]), len(meta["targets"])
    if not 1 <= L <= 1_000_000 or arrays["last_targets_"].shape != (L, S):
        raise ModelFileError(f"lookback {L} does not match the stored last window of shape "
                             f"{arrays['last_targets_'].shape}")
    if len(arrays["t_scale_"]) != S or int(meta.get("horizon", meta["params"].get("horizon") or 0)) < 1:
        raise ModelFileError("the targets, their scales and the horizon do not match")


def load(path, device="cpu"):
    """Load a forecaster written by ``save`` (any machine, any device).

    Raises
    ------
    ModelFileError
        Missing, truncated or corrupt files, other formats or versions.
    """
    try:
        meta, arrays = bundle.read(path, FORMAT, versions=(1,))
    except bundle.BundleError as exc:
        raise ModelFileError(str(exc)) from None
    classes = {c.__name__: c for c in FORECASTERS.values()}
    try:
        return classes[meta["class"]]._from_fitted_state(meta, arrays, device)
    except ModelFileError as exc:
        raise ModelFileError(f"{str(path)!r}: {exc}") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(f"{str(path)!r} is a damaged tsgate model file ({type(exc).__name__}: {exc})") from None


class LSTMForecaster(_RecurrentForecaster):
    """LSTM forecaster for pandas series (scikit-learn compatible).

    Parameters
    ----------
    lookback : int or None
        Window length read by the network. None: ``max(2*m, 2*horizon, 8)``
        where m is the seasonal period implied by the index frequency
        (12 monthly, 4 quarterly, 52 weekly, 7 daily, 24 hourly), capped at
        half of ``len(series) - horizon``.
    horizon : int or None
        Steps forecast by one call (direct strategy: the head's outputs).
        None: the seasonal period of the frequency, at least 12
        (:func:`tsgate.frames.default_horizon`; the CLI uses the same).
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
    random_state : int, RandomState instance or None
        Same value, same thread count: bit-identical forecasts on the CPU.
    device : 'cpu' | 'cuda' | 'auto'
    verbose : int or callable(epoch, loss, val_loss)

    Attributes
    ----------
    model_, history_, cutoff_, freq_, horizon_, lookback_, targets_,
    past_covariates_, future_covariates_, scaling_
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
