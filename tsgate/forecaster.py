"""scikit-learn compatible forecasters: LSTMForecaster, GRUForecaster, RNNForecaster.

A thin pandas layer in the style of sktime/pmdarima: ``fit`` remembers the
cutoff (last timestamp) and frequency; ``predict`` returns a DataFrame on the
future index. Windows, scaling and the network live in NumPy
(:mod:`tsgate.windows`, :mod:`tsgate.model`, :mod:`tsgate.training`); the
kernels never see pandas.

Model of the data
-----------------
Each target column is one series; several targets are forecast by one
global model with per-series scaling. The network reads ``lookback`` steps
of [the series itself, past covariates, known-future covariates, calendar
features], over segments when the lookback is long; a dense head on its last
hidden state, the known-future features over the horizon, the window's level
and a linear highway over the last target values outputs the whole horizon
(``strategy='direct'``) or one step that is fed back (``'recursive'``). Each
window is expressed relative to its last value or its last season
(``window_norm``). How the defaults are chosen: :mod:`tsgate.recipe`.
"""

import numpy as np
from sklearn.base import BaseEstimator

from . import learned, nonnegative, persist
from .baselines import BaselineForecaster
from .core import single_threaded_blas
from .ensemble import fit_members
from .attribution import AttributionMixin
from .carried import CarriedStateMixin
from .fitting import FitMixin
from .forecasting import ForecastMixin
from .historical import HistoricalMixin
from .panelio import PanelIOMixin
from .short import ShortSeriesMixin
from .params import FORECASTER, NETWORK, TRAINING, check_forecaster_combinations, seed_from, validate_params

class _RecurrentForecaster(FitMixin, ShortSeriesMixin, ForecastMixin, HistoricalMixin, PanelIOMixin, AttributionMixin,
                           CarriedStateMixin, persist.SavingMixin, BaseEstimator):
    """Shared implementation; see :class:`LSTMForecaster` for the parameters."""

    _cell = "lstm"
    _parameter_constraints = {**NETWORK, **TRAINING, **FORECASTER}

    def __init__(self, lookback=None, horizon=None, hidden_size=32, num_layers=1, bidirectional=False,
                 dropout=0.0, max_epochs=200, batch_size=32, learning_rate=3e-3, optimizer="adam",
                 weight_decay=0.0, clip_norm=1.0, early_stopping=True, validation_fraction=0.2,
                 patience=25, loss="mse", quantiles=None, scaler="standard", strategy="direct",
                 window_norm="auto", seasonal_periods=None, ar_window="auto", segment_length="auto",
                 init="chrono", n_models=1, n_jobs=None, refit="mean", fork=False, window_position="auto",
                 stateful=False, tbptt=100, tbptt_depth=None, target=None, time_col=None, id_col=None,
                 future_covariates=None, calendar_features=False, fill=None, outliers="repair", min_length=None,
                 on_short="baseline", stride=1,
                 max_windows_per_series=None, id_embedding=None, train_highway=True, start_weight=0.5,
                 fallback=True, nonnegative="auto", max_windows=10_000, time_budget=None, random_state=0,
                 device="cpu", verbose=0):
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
        self.seasonal_periods = seasonal_periods
        self.ar_window = ar_window
        self.segment_length = segment_length
        self.init = init
        self.n_models = n_models
        self.n_jobs = n_jobs
        self.refit = refit
        self.fork = fork
        self.window_position = window_position
        self.stateful = stateful
        self.tbptt = tbptt
        self.tbptt_depth = tbptt_depth
        self.target = target
        self.time_col = time_col
        self.id_col = id_col
        self.future_covariates = future_covariates
        self.calendar_features = calendar_features
        self.fill = fill
        self.outliers = outliers
        self.min_length = min_length
        self.on_short = on_short
        self.stride = stride
        self.max_windows_per_series = max_windows_per_series
        self.id_embedding = id_embedding
        self.train_highway = train_highway
        self.start_weight = start_weight
        self.fallback = fallback
        self.nonnegative = nonnegative
        self.max_windows = max_windows
        self.time_budget = time_budget
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    # ------------------------------------------------------------------ fit

    def fit(self, X, y=None, static_covariates=None):
        """Fit on one series or a panel of series.

        Parameters
        ----------
        X : pandas Series, DataFrame or dict
            A wide frame with a DatetimeIndex, PeriodIndex or integer index
            (or ``time_col``): the target column(s) are ``target`` (default:
            the only numeric column), other numeric columns are covariates
            shared by the targets; or a long frame with ``id_col`` (one row
            per id and time); or a dict of Series/DataFrames by id. Past
            covariates are every other numeric column; ``future_covariates``
            names those known in advance. Series may start and end at
            different times (:mod:`tsgate.panel`).
        y : pandas Series or DataFrame, optional
            scikit-learn form ``fit(X, y)``: y holds the target(s) and X the
            covariates (X may be None).
        static_covariates : DataFrame, optional
            One row per series id (numeric, boolean or categorical columns;
            :mod:`tsgate.static`): they enter the head and the initial state.

        Returns
        -------
        self
        """
        self._check_params()
        with single_threaded_blas():  # same sums in any process: bit-identical in joblib/Dask workers
            return self._fit(X, y, static_covariates)

    def _fit(self, X, y, static_covariates):
        ys, ps, fs, cals = self._set_layout(self._training_panel(X, y))
        self._choose_lookback(ys)
        ys, ps, fs, cals = self._drop_short(ys, ps, fs, cals)
        nonnegative.check_targets(self.nonnegative, ys, self.ids_, self._indexes)
        ys = self._repair_outliers(ys, self.ids_, self._indexes)
        self._set_static(static_covariates)
        self.scaling_ = self._fit_scaling(ys, ps, fs)
        if self.stateful:  # truncated BPTT over whole series (tsgate.stateful)
            self._fit_stateful(ys, ps, cals)
            return self._remember_tail(ys, ps, fs)
        self._choose_norm(ys, ps, fs, cals)
        windows = self._windows(ys, ps, fs, cals)
        finals, self.histories_, selection = fit_members(
            self._model_spec(*self._sizes(windows.train)), windows.train, windows.val,
            self._train_settings(windows.val), self.n_models, seed_from(self.random_state), self.n_jobs,
            self._highway_start(ys, windows), refit=bool(self.refit), warm=getattr(self, "_warm_flats", None),
            freeze=self._freeze(), choose=self._start_choice, everything=windows.everything(),
            start_weight=self.start_weight)
        paired = self.refit == "mean" and finals[0] is not selection[0]  # no validation windows: nothing refit
        self.models_ = finals + (selection if paired else [])  # members' refits first (warm starts read those)
        self.model_, self.history_ = self.models_[0], self.histories_[0]
        learned.check_learned(self, windows, selection, ys)
        self._remember_tail(ys, ps, fs, getattr(windows.train.base, "hw", None))
        self._calibrate(windows.val, ys, windows.starts, selection, windows.train)
        self._short_baselines(ys)  # the series too short for a window (on_short='baseline')
        self._attribute(windows)  # lag_importance_, column_importance_
        return self

    def _check_params(self):
        """Declared constraints, then the combinations they cannot express."""
        validate_params(self)
        check_forecaster_combinations(self)

    def _validates(self):
        return bool(self.early_stopping and self.validation_fraction > 0)

    def _train_settings(self, val):
        cb = self.verbose if callable(self.verbose) else None
        if self.verbose and not callable(self.verbose):
            cb = lambda e, tl, vl: print(f"epoch {e}: loss={tl:.5f} "  # noqa: E731 (the refit has no validation)
                                         + (f"val_loss={vl:.5f}" if np.isfinite(vl) else "(no validation windows)"))
        return dict(loss=self.loss, quantiles=self.quantiles, optimizer=self.optimizer,
                    learning_rate=self.learning_rate, weight_decay=self.weight_decay, clip_norm=self.clip_norm,
                    max_epochs=self.max_epochs, batch_size=self.batch_size,
                    early_stopping=self.early_stopping and val.n > 0, patience=self.patience, callback=cb,
                    samples_per_epoch=self.max_windows, time_budget=self.time_budget)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = True
        tags.non_deterministic = False
        return tags


def load(path, device="cpu"):
    """Load a forecaster written by ``save`` (any machine, any device) from a path or a binary file object.

    Raises
    ------
    ModelFileError
        Missing, truncated or corrupt files, other formats or versions.
    """
    from .local import LocalForecaster

    return persist.load(path, [*FORECASTERS.values(), BaselineForecaster, LocalForecaster], device)


class LSTMForecaster(_RecurrentForecaster):
    """LSTM forecaster for pandas series (scikit-learn compatible).

    Parameters
    ----------
    lookback : int or None
        Window length read by the network. None: ``max(2*m, 2*horizon, 8)``
        with m the longest seasonal period detected (below), capped at half
        of ``len(series) - horizon``; rounded up to a multiple of the segment
        length.
    horizon : int or None
        Steps forecast by one call (direct strategy: the head's outputs).
        None: the seasonal period of the frequency, at least 12
        (:func:`tsgate.seasonality.default_horizon`; the CLI uses the same).
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
    window_norm : 'auto' | 'last' | 'seasonal' | 'seasonal_ratio' | 'ets' | None
        Express each window, and its targets, relative to its last target
        value ('last'), to the last season's values ('seasonal': the network
        learns the deviation from seasonal naive), as ratios to them
        ('seasonal_ratio', positive series whose seasonal swing grows with
        the level), or the targets relative to a Holt-Winters forecast whose
        state has run over the whole history ('ets', as in ES-RNN; direct
        strategy; :mod:`tsgate.esnorm`). 'auto' (default): the one whose
        linear start has the lowest validation error. With a norm, the
        window's level enters the head.
    seasonal_periods : list of int, int or None
        None: detected from the frequency's calendar periods (half-hourly 48
        and 336, hourly 24 and 168, daily 7 and 365, weekly 52, monthly 12,
        quarterly 4) confirmed by the autocorrelation, or the dominant cycle
        of the autocorrelation (:mod:`tsgate.seasonality`). ``[]``: no
        season (seasonal naive is naive; 'auto' windows are 'last').
    ar_window : 'auto' | int
        The linear highway: the head also reads the last ``ar_window``
        normalised target values, so AR(p), seasonal naive and Holt-Winters
        lie in the model family (LSTNet, NLinear). It starts at the mean of
        the linear forecasters near the best on validation
        (:mod:`tsgate.highway`). 'auto': the whole lookback; 0: off.
        ``train_highway``: True (default) trains it with the network; False
        keeps it at that start (the network learns its residual); 'auto'
        keeps it when it beats the trivial forecast (the norm's) on
        validation and trains it otherwise (README: worse on the benchmarks).
    start_weight : float in [0, 1]
        Unless the trained network beats its linear start clearly on
        validation (a paired test over blocks of windows,
        :mod:`tsgate.shrinkage`), the forecast is ``start_weight`` x the
        start + (1 - ``start_weight``) x the network. 0: the network alone.
        A series without a calendar season whose differences are white noise
        by AICc, ARIMA(0, 1, 0), starts from that model (naive, or naive with
        drift) with weight 1 (:data:`tsgate.recipe.RANDOM_WALK_START`).
    fallback : bool
        Panels: each series whose own naive, seasonal naive or AR(p) forecasts its validation
        windows better than the network is forecast by it, with its own band (:mod:`tsgate.fallback`;
        ``fit_report_['fallback']``). One series: the best baseline takes half of the forecast where
        it validated better by a paired t below -1 (:mod:`tsgate.blend`; ``fit_report_['blend']``,
        ``blend_``). Point losses and the direct strategy only.
    nonnegative : 'auto' | bool
        Keep forecasts and interval bounds at or above zero (:mod:`tsgate.nonnegative`):
        True for every series (a negative target value is an error), 'auto' (default) for
        each series whose history has no negative value and whose lowest is at most 1% of its
        highest (counts, sunspots, lynx trappings), False never.
    segment_length : 'auto' | int
        Segment recurrence (SegRNN): the network steps over segments of this
        many points, each linearly embedded. 'auto': 1 up to a lookback of
        96, else about 16 steps, one seasonal period per segment when one fits.
    init : 'chrono' | 'forget' | 'torch'
        Starting values of the network (:class:`tsgate.network.RecurrentNetwork`).
        'chrono' (default) uses the recurrent steps of a window as its T_max:
        on the adding problem at T=100 it takes the LSTM from 849 of 1,000
        test sequences wrong ('forget') to 0 in 40 epochs
        (benchmarks/results/long_delays_*.md).
    n_models : int
        Ensemble size: members differ by seed; forecasts are their median
        (with ``refit='mean'``, the median of each member's mean of its two
        models); intervals combine the spread of all their networks with
        conformal calibration.
    n_jobs : int or None
        Train ensemble members in parallel (joblib; -1: all cores).
    refit : 'mean' | bool
        After choosing the epochs (and the linear start) on the validation
        windows, train each member once more on all windows for as many
        epochs, so that it has seen the latest data too. 'mean' (default):
        forecast the mean of that refit and the model chosen on validation
        (one member of the ensemble's median); True: the refit alone; False:
        the chosen model alone ('mean' wins the most series: README).
    max_windows : int or None
        Training windows sampled afresh each epoch (validation: a quarter of
        it, evenly spaced over the tail); None: all.
    time_budget : float or None
        Seconds of training per member after which no new epoch starts.
    fork : bool
        Forking sequences (MQ-RNN, Wen et al. 2017): the head reads the
        state at every step of the window, each with its own next-horizon
        targets, so one window trains ``lookback`` targets and BPTT gets
        gradients at every step. Windows are then raw (no norm), with no
        highway and no segments.
    window_position : 'auto' | bool
        One more input, each step's place in the window (-1 oldest, 1 the origin; Darts'
        relative position encoder): an input's lag is read, not counted (README: Long
        delays). 'auto': on where the network reads covariates, off for a target alone
        (it costs on smooth series). Stateful models have no window and ignore it.
    stateful, tbptt, tbptt_depth : bool, int, int or None
        Stateful training by truncated BPTT (:mod:`tsgate.stateful`): the
        network reads each whole series, carrying its state from chunk to
        chunk of ``tbptt`` steps, every step predicting the next horizon;
        forecasts start from the state warmed over the whole history, and
        :meth:`update` advances it over the new rows only. So a dependency
        longer than any window can be used. ``tbptt_depth`` (Williams &
        Peng's h' >= h = ``tbptt``; None: ``tbptt``): each update
        backpropagates this many steps, the chunk and the chunks before it,
        so a delay up to the depth (not only up to the chunk) can be
        learned, at depth / tbptt times the compute. No lookback, highway,
        segments or reverse direction (``bidirectional``).
    target, time_col, id_col, future_covariates, calendar_features
        Column roles; see :meth:`fit`. ``id_col``: the series id column of
        a long frame. Calendar features are cyclical encodings of the index
        (month, weekday, hour...).
    min_length, on_short : int or None, 'baseline' | 'raise' | 'skip'
        Series shorter than ``min_length`` rows, or than one training window.
        'baseline' (default): the lookback fits the lower quartile of the
        lengths; a shorter series trains nothing and is forecast by the network if it has a
        lookback of rows, else by its own best local baseline, with its band (:mod:`tsgate.short`),
        so one new series does not cut every series' lookback; as 'raise' with pinball loss or stateful.
        'raise': the lookback fits the shortest series, one too short even
        then is an error naming it. 'skip': the lookback fits the median
        series, shorter ones are left out.
    stride, max_windows_per_series : int, int or None
        Training windows of a series: every ``stride``-th end, at most
        ``max_windows_per_series`` (the most recent), as Darts'
        ``max_samples_per_ts``: a panel of many series trains in bounded memory.
    id_embedding : int or None
        A learned vector of this size per series, read by the head and the
        initial state (as ``static_covariates`` of :meth:`fit`).
    fill : None | 'ffill' | 'interpolate' | 'zero'
        Policy for NaN/inf. None (default) raises an error naming the column
        and the first bad timestamp.
    outliers : 'repair' | 'keep'
        'repair': a target value that stands more than 8 robust standard deviations apart
        from its neighbours in time and one season away (a typo, a sensor spike:
        :mod:`tsgate.outliers`) is replaced by its seasonal neighbours' mean before
        training and in :meth:`update`; an ``OutlierWarning`` names it, and
        ``fit_report_['outliers']`` lists it. Level shifts and spikes that repeat every
        season are kept.
    random_state : int, RandomState instance or None
        Same value, same thread count: bit-identical forecasts on the CPU.
    device : 'cpu' | 'cuda' | 'auto'
    verbose : int or callable(epoch, loss, val_loss)

    Attributes
    ----------
    model_ (the first of models_), history_, cutoff_, freq_, horizon_, lookback_,
    targets_, ids_, cutoffs_ (per series), form_, static_columns_, past_covariates_, future_covariates_,
    scaling_, seasonal_periods_, seasonal_period_, window_norm_, ar_window_, segment_length_
    models_ : list of SequenceModel
        The networks whose median is the forecast: the members' refits and,
        with ``refit='mean'``, then the members' chosen models.
    val_residuals_ : ndarray (n_windows, horizon)
        Validation residuals in each series' scaled units (multiply by the
        series' scale to get original units), of the series the network
        forecasts (not the fallen-back ones); used by predict_interval, with
        ``train_residuals_`` (its in-sample ones on training windows: the floor).
    val_scores_ : dict
        Validation MAE (original units) next to the seasonal naive MAE on
        the same windows.
    lag_importance_ : DataFrame
        Mean |d forecast / d input| per lag and input column over the
        validation windows (:meth:`lag_importance`): how far back the model looks.
    column_importance_ : DataFrame
        The MAE's increase when each input column is shuffled (:meth:`column_importance`).
    fit_report_ : dict
        Validation MAE of the network and of every baseline (naive, seasonal
        naive, drift, AR(p) by AIC: :mod:`tsgate.baselines`) from the same
        origins, the best baseline, and whether the network beats it (a
        ``BaselineWarning`` says when it does not); in a panel, under
        ``'fallback'``, the series a local baseline forecasts and which;
        under ``'short'`` those too short for the network's windows (``on_short='baseline'``),
        ``'short_baselines'`` those of them under a lookback of rows, ``'skipped'`` those left out.
    fallback_ : dict
        Series id -> the baseline that forecasts it (``fallback=True``, or a
        short series); its band: ``fallback_residuals_`` (validation),
        floored by ``fallback_floor_``.
    """

    _cell = "lstm"


class GRUForecaster(_RecurrentForecaster):
    """GRU forecaster; same parameters as :class:`LSTMForecaster`."""

    _cell = "gru"


class RNNForecaster(_RecurrentForecaster):
    """Elman RNN (tanh) forecaster; same parameters as :class:`LSTMForecaster`."""

    _cell = "rnn"


FORECASTERS = {"lstm": LSTMForecaster, "gru": GRUForecaster, "rnn": RNNForecaster}
