"""scikit-learn estimators on sequence windows: LSTMRegressor, LSTMClassifier,
and LagWindowTransformer to build windows inside a Pipeline.

X is ``(n, T, D)``, or ``(n, T*D)`` with ``n_features=D`` (time-major within a
row: the D features of step 0, then of step 1...). A 2-D X without
``n_features`` is read as ``T = n_columns`` steps of one feature. The ``cell``
parameter picks LSTM, GRU or RNN.
"""

import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from . import recipe
from .errors import DataError, TrainingDivergedError
from .errors import name as pname
from .params import NETWORK, TRAINING, Interval, StrOptions, seed_from, validate_params
from .model import SequenceModel
from .training import predict as _predict, train
from .windows import scaled, usable_scale

#: Sequences (evenly spaced) on which a fit's training loss is checked against the trivial model's.
CHECKED_SEQUENCES = 2_000


def ragged(X):
    """A DataError where ``X`` is a list of sequences of different lengths
    (NumPy's "inhomogeneous shape" otherwise)."""
    if isinstance(X, (list, tuple)) and len(X) and all(hasattr(x, "__len__") for x in X):
        lengths = {len(x) for x in X}
        if len(lengths) > 1:
            raise DataError(f"X holds sequences of {min(lengths)} to {max(lengths)} steps: pad them to one length "
                            "(zeros before the shorter ones, as Keras' pad_sequences does) and stack them (n, T, D)")


def standardised(values, loc, scale, what):
    """``(values - loc) / scale`` (values (n, ..., k): samples first, columns last), or a DataError naming
    ``what`` ('X feature', 'y column') and the column and sample, where that is
    not a finite float32 number: a mean or spread that overflows, or a value
    farther from the mean than :data:`tsgate.windows.SCALED_LIMIT` spreads (:func:`tsgate.windows.scaled`)."""
    z, problem = scaled(values, loc, scale)
    if problem is not None and problem[0] == "spread":
        raise DataError(f"{what} {problem[1]} has values too large to standardise (its mean or spread overflows); "
                        f"rescale it")
    if problem is not None:
        i = problem[1]
        raise DataError(f"{what} {i[-1]} of sample {i[0]}: {values[i]:.4g} lies {abs(z[i]):.3g} spreads from "
                        "its mean, too far for the network's float32 arithmetic")
    return z


def _losses(out, Y, loss):
    """(the network's mean loss, the trivial model's) on outputs ``out`` and targets ``Y``, both (N, M):
    MSE against predicting the mean; cross-entropy (logits) against the class frequencies."""
    if loss == "mse":
        return float(np.mean((out - Y) ** 2)), float(np.mean((Y - Y.mean(axis=0)) ** 2))
    p = np.clip(Y.mean(axis=0), 1e-12, 1 - 1e-12)
    if loss == "bce":
        trivial = -np.mean(Y * np.log(p) + (1 - Y) * np.log(1 - p))
        return float(np.mean(np.logaddexp(0.0, out) - Y * out)), float(trivial)
    top = out.max(axis=1, keepdims=True)
    log_z = (top + np.log(np.exp(out - top).sum(axis=1, keepdims=True)))[:, 0]
    return float(np.mean(log_z - (Y * out).sum(axis=1))), float(-np.mean((Y * np.log(p)).sum(axis=1)))


class _SequenceEstimator(BaseEstimator):
    _parameter_constraints = {
        **NETWORK, **TRAINING,
        "cell": [StrOptions({"lstm", "gru", "rnn"})],
        "n_features": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "target_shape": [StrOptions({"auto", "sequence", "step"})],
    }

    def __init__(self, cell="lstm", hidden_size=32, num_layers=1, bidirectional=False, dropout=0.0,
                 n_features=None, target_shape="auto", max_epochs=100, batch_size=32, learning_rate=1e-2, optimizer="adam",
                 weight_decay=0.0, clip_norm=1.0, early_stopping=False, validation_fraction=0.1,
                 patience=10, init="chrono", random_state=0, device="cpu", verbose=0):
        self.cell = cell
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.n_features = n_features
        self.target_shape = target_shape
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.optimizer = optimizer
        self.weight_decay = weight_decay
        self.clip_norm = clip_norm
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.init = init
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    def _sequences(self, X, reset):
        """Already-validated X -> standardised float32 (n, T, D)."""
        if X.ndim == 3:
            if self.n_features is not None and X.shape[2] != self.n_features:
                raise DataError(f"X has {X.shape[2]} features per step but n_features={self.n_features}")
            seq = X
        elif X.ndim == 2:
            D = 1 if self.n_features is None else self.n_features
            if X.shape[1] % D:
                raise DataError(f"n_features={self.n_features!r} must be a positive integer dividing "
                                f"the {X.shape[1]} columns of X")
            seq = X.reshape(X.shape[0], X.shape[1] // D, D)
        else:
            raise DataError(f"X must be 2-D (n, T*D) or 3-D (n, T, D), got {X.ndim} dimensions")
        if 0 in seq.shape[1:]:
            raise DataError(f"X must have at least one time step and one feature, got sequences of shape "
                            f"{seq.shape[1:]} (T, D)")
        if reset:
            with np.errstate(all="ignore"):  # an overflow is named by standardised
                self.x_mean_ = seq.mean(axis=(0, 1))
                std = seq.std(axis=(0, 1))
            self.x_std_ = usable_scale(std, self.x_mean_)
        elif seq.shape[2] != self.x_mean_.shape[0]:
            raise DataError(f"X has {seq.shape[2]} features per step, fit had {self.x_mean_.shape[0]}")
        return standardised(seq, self.x_mean_, self.x_std_, "X feature").astype(np.float32)

    def _validated(self, X, y, **kw):
        """(X, y) through scikit-learn's validation; a 3-D y (n, T, k) too."""
        ragged(X)
        y = np.asarray(y) if y is not None and not hasattr(y, "iloc") else y
        if y is not None and np.ndim(y) == 3:
            X, y2 = validate_data(self, X, y.reshape(len(y), -1), reset=True, allow_nd=True,
                                  dtype=[np.float64, np.float32], **dict(kw, multi_output=True))
            return X, y2.reshape(y.shape)
        return validate_data(self, X, y, reset=True, allow_nd=True, dtype=[np.float64, np.float32], **kw)

    def _is_per_step(self, y, seq):
        """Per-step targets: y (n, T, k), or y (n, T) with target_shape='step'."""
        T = seq.shape[1]
        step = np.ndim(y) == 3 or (self.target_shape == "step" and np.ndim(y) == 2)
        if step and np.shape(y)[1] != T:
            raise DataError(f"per-step targets y need {T} steps like X, got shape {np.shape(y)}")
        if self.target_shape == "step" and np.ndim(y) == 1:
            raise DataError("target_shape='step' needs y of shape (n, T) or (n, T, k)")
        return step

    def _fit_model(self, seq, Y, loss, per_step=False):
        seed = seed_from(self.random_state)
        self.per_step_ = per_step
        M = Y.shape[2] if per_step else Y.shape[1]
        Y = Y.reshape(len(Y), -1)  # per step: (n, T * M), step t's outputs in columns t*M..
        self.model_ = SequenceModel(self.cell, seq.shape[2], self.hidden_size, M, per_step=per_step,
                                    num_layers=self.num_layers, bidirectional=self.bidirectional,
                                    dropout=self.dropout, device=self.device, random_state=seed, init=self.init,
                                    chrono_max=max(3, seq.shape[1]))
        n = len(seq)
        n_val = int(n * self.validation_fraction) if self.early_stopping else 0
        n_val = n_val if n - n_val >= 1 else 0
        cut = n - n_val
        cb = self.verbose if callable(self.verbose) else None
        self.history_ = train(self.model_, seq[:cut], Y[:cut].astype(np.float32),
                              X_val=seq[cut:] if n_val else None, Y_val=Y[cut:].astype(np.float32) if n_val else None,
                              loss=loss, optimizer=self.optimizer, learning_rate=self.learning_rate,
                              weight_decay=self.weight_decay, clip_norm=self.clip_norm,
                              max_epochs=self.max_epochs, batch_size=self.batch_size,
                              early_stopping=bool(n_val), patience=self.patience, random_state=seed,
                              callback=cb)
        self.n_iter_ = len(self.history_["loss"])
        self._check_learned(seq[:cut], Y[:cut], loss, M)

    def _check_learned(self, seq, Y, loss, M):
        """A TrainingDivergedError naming ``learning_rate`` when the fitted
        network's loss on (up to :data:`CHECKED_SEQUENCES` of) its training
        sequences is not finite or above ten times the trivial model's
        (:func:`_losses`; a loss below ``recipe.FAILED_TRAINING_LOSS`` has not failed)."""
        idx = np.unique(np.linspace(0, len(seq) - 1, min(len(seq), CHECKED_SEQUENCES)).astype(np.int64))
        out = _predict(self.model_, seq[idx]).astype(np.float64).reshape(-1, M)  # (N * steps, M)
        with np.errstate(all="ignore"):
            net, trivial = _losses(out, Y[idx].reshape(-1, M), loss)
        if not net <= max(10.0 * trivial, recipe.FAILED_TRAINING_LOSS):
            what = "predicting the mean" if loss == "mse" else "predicting the class frequencies"
            raise TrainingDivergedError(
                f"training failed: the network's loss on its training sequences, {net:.4g}, is over ten times "
                f"that of {what} ({trivial:.4g}); lower {pname('learning_rate')} (now {self.learning_rate:g})")

    def _raw(self, X):
        """Model outputs (n, M), or (n, T, M) for per-step targets."""
        check_is_fitted(self, "model_")
        X = validate_data(self, X, reset=False, allow_nd=True, dtype=[np.float64, np.float32])
        seq = self._sequences(X, reset=False)
        out = _predict(self.model_, seq).astype(np.float64)
        return out.reshape(len(seq), seq.shape[1], -1) if self.per_step_ else out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags


class LSTMRegressor(RegressorMixin, _SequenceEstimator):
    """Recurrent regressor on sequence windows (MSE, standardised X and y).

    Parameters
    ----------
    cell : {'lstm', 'gru', 'rnn'}
    hidden_size, num_layers, bidirectional, dropout : network shape
    n_features : int or None
        Features per step when X is 2-D ``(n, T*D)``.
    target_shape : {'auto', 'sequence', 'step'}
        'step': one target per step of each sequence (sequence labelling),
        y of shape (n, T) or (n, T, k); the head reads every step's state.
        'auto' (default): a 3-D y is per step, else one target per sequence.
    max_epochs, batch_size, learning_rate, optimizer, weight_decay, clip_norm
    early_stopping, validation_fraction, patience
        Validation on the last rows of X (time-ordered data assumed).
    init : {'chrono', 'forget', 'torch'}
        Starting values (:class:`tsgate.network.RecurrentNetwork`); 'chrono'
        (default) takes the sequence length as its T_max.
    random_state : int, RandomState or None, default 0
    device : {'cpu', 'cuda', 'auto'}

    Defaults shared with the forecasters are the same values
    (:data:`tsgate.params.SHARED_DEFAULTS`); those that differ are listed,
    with the reason, in :data:`tsgate.params.DIFFERENT_DEFAULTS`.
    """

    def fit(self, X, y):
        """Fit on X (n, T, D) or (n, T*D) and y (n,) or (n, k). Returns self."""
        validate_params(self)
        X, y = self._validated(X, y, multi_output=True, y_numeric=True)
        seq = self._sequences(X, reset=True)
        y = np.asarray(y, dtype=np.float64)
        per_step = self._is_per_step(y, seq)
        self._y_ndim = y.ndim
        Y = (y.reshape(len(y), seq.shape[1], -1) if per_step else y.reshape(len(y), -1))
        axes = (0, 1) if per_step else 0
        with np.errstate(all="ignore"):  # an overflow is named by standardised
            self.y_mean_ = Y.mean(axes)
            std = Y.std(axes)
        self.y_std_ = usable_scale(std, self.y_mean_)
        self._fit_model(seq, standardised(Y, self.y_mean_, self.y_std_, "y column"), "mse", per_step)
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def predict(self, X):
        """Predictions shaped like y: (n,), (n, k), or per step (n, T) / (n, T, k)."""
        out = self._raw(X) * self.y_std_ + self.y_mean_
        if self.per_step_:
            return out[:, :, 0] if self._y_ndim == 2 else out
        return out[:, 0] if self._y_ndim == 1 else out


class LSTMClassifier(ClassifierMixin, _SequenceEstimator):
    """Recurrent sequence classifier.

    Binary: one logit, sigmoid, binary cross-entropy. Multiclass: softmax
    cross-entropy. The classic Keras stacked-LSTM example is
    ``LSTMClassifier(num_layers=2, optimizer='rmsprop')``. Parameters as in
    :class:`LSTMRegressor`.
    """

    def fit(self, X, y):
        """Fit on X (n, T, D) or (n, T*D) and class labels y (n,), or per
        step (n, T) with ``target_shape='step'``. Returns self."""
        validate_params(self)
        shape = np.asarray(y).shape
        if self.target_shape != "step" and len(shape) == 2 and shape[1] > 1:
            raise DataError(f"y of shape {shape} holds several labels per sequence: for one label per step "
                            "(sequence labelling) set target_shape='step'; several labels per sequence are not "
                            "supported")
        X, y = self._validated(X, y, multi_output=self.target_shape == "step")
        seq = self._sequences(X, reset=True)
        per_step = self._is_per_step(y, seq)
        check_classification_targets(np.ravel(y) if per_step else y)
        self._le = LabelEncoder().fit(np.ravel(y))
        self.classes_ = self._le.classes_
        codes = self._le.transform(np.ravel(y)).reshape(np.shape(y))  # (n,) or (n, T)
        if len(self.classes_) < 2:
            raise DataError(f"LSTMClassifier needs samples of at least 2 classes in y; got 1 class "
                            f"({self.classes_.tolist()[0]!r})")
        if len(self.classes_) == 2:
            self._fit_model(seq, codes[..., None].astype(np.float64), "bce", per_step)
        else:
            self._fit_model(seq, np.eye(len(self.classes_))[codes], "ce", per_step)
        return self

    def decision_function(self, X):
        raw = self._raw(X)
        return raw[..., 0] if raw.shape[-1] == 1 else raw

    def predict_proba(self, X):
        """Class probabilities, shape (n, n_classes), or (n, T, n_classes) per step."""
        raw = self._raw(X)
        if raw.shape[-1] == 1:
            p = 1.0 / (1.0 + np.exp(-raw[..., 0]))
            return np.stack([1 - p, p], axis=-1)
        e = np.exp(raw - raw.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    def predict(self, X):
        """Predicted class labels, shape (n,), or (n, T) per step."""
        check_is_fitted(self, "model_")
        return self.classes_[np.argmax(self.predict_proba(X), axis=-1)]


class LagWindowTransformer(TransformerMixin, BaseEstimator):
    """Rows of lagged values, for recurrent estimators inside a Pipeline.

    Row i of the output holds ``X[i - window + 1], ..., X[i]`` (oldest
    first, all D columns of each step), so the number of rows is unchanged
    and y stays aligned. The first ``window - 1`` rows are padded with the
    first row's values. Pair with ``LSTMRegressor(n_features=D)``.

    Parameters
    ----------
    window : int
        Steps per output row.
    """

    _parameter_constraints = {"window": [Interval(numbers.Integral, 1, None, closed="left")]}

    def __init__(self, window=12):
        self.window = window

    def fit(self, X, y=None):
        validate_params(self)
        validate_data(self, X, reset=True)
        return self

    def transform(self, X):
        check_is_fitted(self, "n_features_in_")
        X = validate_data(self, X, reset=False)
        n, D = X.shape
        W = self.window
        padded = np.concatenate([np.repeat(X[:1], W - 1, axis=0), X], axis=0)
        out = np.empty((n, W * D), dtype=X.dtype)
        for k in range(W):
            out[:, k * D:(k + 1) * D] = padded[k:k + n]
        return out
