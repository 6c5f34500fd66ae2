"""Training engine: a recurrent network plus a dense head, trained by mini-batch.

Numeric only (no pandas). All parameters live in ONE flat vector; the
network's weight arrays and the head are views into it, so an optimizer step
is a single compiled call over a contiguous array, and gradient clipping is
one norm. :func:`train` owns the epochs (shuffling, early stopping, the
learning-rate schedule); the device's backend runs each epoch's batches
(:class:`tsgate.host_training.HostRunner` or the GPU's ``DeviceRunner``).

Data reach the runners as a *source*: ``source.n`` rows, ``source.batch(idx)``
returning ``X (B, T, D), Y (B, M), extra (B, E) or None`` for the rows
``idx`` (the GPU gathers its windows through ``batch`` too:
:class:`tsgate.gpu_training.DeviceWindows`).
:class:`ArraySource` wraps arrays; the forecasters' window store
(:class:`tsgate.windows.WindowSource`) gathers windows per batch.

Non-finite values: a batch whose loss or gradient is not finite raises
:class:`~tsgate.errors.TrainingDivergedError` naming the epoch and batch,
never a silent NaN. (With clipping on, the check happens before clipping, so
inf gradients are not hidden by the rescale.)
"""

import time

import numpy as np

from .core import single_threaded_blas
from .elementmath import LOSSES, OPTIMIZERS  # noqa: F401 (public names)
from .errors import ParameterError, TrainingDivergedError  # noqa: F401 (public name, re-exported)
from .model import SequenceModel  # noqa: F401 (public name, re-exported)


class ArraySource:
    """A data source over arrays: X (N, T, D), Y (N, M) or None, extra (N, E) or None."""

    def __init__(self, X, Y=None, extra=None):
        self.X, self.Y, self.extra = X, Y, extra
        self.n = len(X)

    def batch(self, idx):
        return (self.X[idx], None if self.Y is None else self.Y[idx],
                None if self.extra is None else self.extra[idx])


def as_source(X, Y=None, extra=None):
    """``X`` itself when it is a data source, else an :class:`ArraySource`."""
    return X if hasattr(X, "batch") else ArraySource(X, Y, extra)


def train(model, X, Y=None, extra=None, *, X_val=None, Y_val=None, extra_val=None, loss="mse",
          quantiles=None, huber_delta=1.0, optimizer="adam", learning_rate=1e-3, weight_decay=0.0,
          momentum=0.9, clip_norm=1.0, max_epochs=100, batch_size=32, early_stopping=True,
          patience=10, lr_patience=5, lr_factor=0.5, min_lr=1e-5, random_state=None,
          callback=None, samples_per_epoch=None, time_budget=None, learning_rates=None):
    """Mini-batch training of a :class:`SequenceModel` in place.

    Parameters
    ----------
    model : SequenceModel
    X : ndarray (N, T, D), or a data source (then Y and extra are not given)
    Y : ndarray (N, M); extra : ndarray (N, E) or None
    X_val, Y_val, extra_val : validation arrays or source (time-ordered tail), optional
    loss : {'mse', 'mae', 'huber', 'pinball', 'bce', 'ce'}
        'bce': binary cross-entropy on logits; 'ce': softmax cross-entropy
        with one-hot targets.
    quantiles : sequence of float, for 'pinball': column m of Y uses
        ``quantiles[m % len(quantiles)]``.
    optimizer : {'adam', 'rmsprop', 'sgd'}
    clip_norm : float or None
        Global L2 norm clipping of the gradient (on by default).
    early_stopping : bool
        Stop after ``patience`` epochs without validation improvement and
        restore the best parameters; the starting point competes as epoch 0
        (``history['best_epoch'] == 0``: no epoch beat it).
    lr_patience, lr_factor, min_lr : reduce-on-plateau of the learning rate
        (on validation loss when given, else training loss).
    callback : callable(epoch, train_loss, val_loss) or None
    samples_per_epoch : int or None
        Train each epoch on a fresh random sample of this many rows (without
        replacement) instead of all of them; None: all rows.
    time_budget : float or None
        Seconds: no epoch starts after this much time has passed (the best
        epoch is still restored). None: no limit.
    learning_rates : sequence of float or None
        One learning rate per epoch (replaying another run's schedule); the
        epochs are then ``len(learning_rates)`` and the plateau schedule is off.

    Returns
    -------
    history : dict with lists 'loss', 'val_loss', 'lr' and 'best_epoch'
    """
    if loss not in LOSSES:
        raise ParameterError(f"loss must be one of {sorted(LOSSES)}, got {loss!r}")
    if optimizer not in OPTIMIZERS:
        raise ParameterError(f"optimizer must be one of {sorted(OPTIMIZERS)}, got {optimizer!r}")
    with single_threaded_blas():  # NumPy's own small matmuls too: BLAS threads would fight Numba's for the cores
        return _train(model, as_source(X, Y, extra), None if X_val is None else as_source(X_val, Y_val, extra_val),
                      loss, quantiles, huber_delta, optimizer, learning_rate, weight_decay, momentum, clip_norm,
                      max_epochs, batch_size, early_stopping, patience, lr_patience, lr_factor, min_lr, random_state,
                      callback, samples_per_epoch, time_budget, learning_rates)


def _train(model, data, val, loss, quantiles, huber_delta, optimizer, learning_rate, weight_decay, momentum,
           clip_norm, max_epochs, batch_size, early_stopping, patience, lr_patience, lr_factor, min_lr, random_state,
           callback, samples_per_epoch, time_budget, learning_rates):
    have_val = val is not None and val.n > 0
    runner = model.net._backend.runner(
        model, data, val if have_val else None, loss_code=LOSSES[loss], tau=_quantile_levels(loss, quantiles, model),
        huber_delta=huber_delta, optimizer_code=OPTIMIZERS[optimizer], weight_decay=weight_decay,
        momentum=momentum, clip_norm=clip_norm, batch_size=batch_size, random_state=random_state)
    rng = np.random.default_rng(random_state)
    t0 = time.perf_counter()
    lr = float(learning_rate)
    best, best_epoch, wait, lr_wait, lr_best = np.inf, -1, 0, 0, np.inf
    history = {"loss": [], "val_loss": [], "lr": [], "best_epoch": -1}
    if early_stopping and have_val:  # the starting point competes too (epoch 0)
        best = history["initial_val_loss"] = runner.evaluate_val()
    n_epochs = int(max_epochs) if learning_rates is None else len(learning_rates)
    for epoch in range(n_epochs):
        lr = lr if learning_rates is None else float(learning_rates[epoch])
        train_loss = runner.epoch(_epoch_order(rng, data.n, samples_per_epoch), lr, epoch)
        val_loss = runner.evaluate_val() if have_val else float("nan")
        history["loss"].append(train_loss)
        history["val_loss"].append(val_loss)
        history["lr"].append(lr)
        if callback is not None:
            callback(epoch + 1, train_loss, val_loss)
        monitor = val_loss if have_val else train_loss
        if monitor < best - 1e-12:
            best, best_epoch, wait = monitor, epoch, 0
            runner.save_best()
        else:
            wait += 1
        if monitor < lr_best - 1e-12:
            lr_best, lr_wait = monitor, 0
        else:
            lr_wait += 1
            if lr_wait >= lr_patience and lr > min_lr and learning_rates is None:
                lr, lr_wait = max(lr * lr_factor, min_lr), 0
        if early_stopping and have_val and wait >= patience:
            break
        if time_budget is not None and time.perf_counter() - t0 >= time_budget:
            history["stopped_by_time"] = True
            break
    if early_stopping and have_val:
        runner.restore_best()  # the best epoch, or the starting point (best_epoch 0)
    runner.finish()
    history["best_epoch"] = best_epoch + 1
    return history


def _epoch_order(rng, n, samples):
    """The rows of one epoch, shuffled: all of them, or a sample of ``samples``."""
    if samples is None or samples >= n:
        return rng.permutation(n)
    return rng.choice(n, size=int(samples), replace=False)


def _quantile_levels(loss, quantiles, model):
    """tau (M,): the quantile of each output column (pinball), else 0.5."""
    M = model.n_outputs
    if loss != "pinball":
        return np.full(M, 0.5)
    q = np.asarray(quantiles if quantiles is not None else [0.5], dtype=np.float64)
    return q[np.arange(M) % q.size]


def zero_prediction_loss(source, loss, quantiles, model, huber_delta=1.0, batch_size=4096):
    """Mean loss of predicting 0 for every target of ``source``: in a window
    normalised to its last value, that is repeating the last value."""
    from .host_training import _loss_and_grad

    tau, total = _quantile_levels(loss, quantiles, model), 0.0
    for s in range(0, source.n, batch_size):
        _, Y, _ = source.batch(np.arange(s, min(s + batch_size, source.n)))
        zero = np.zeros_like(Y)
        total += _loss_and_grad(zero, Y, tau, LOSSES[loss], huber_delta, np.empty_like(Y)) * len(Y)
    return total / source.n


def evaluate(model, X, Y=None, extra=None, loss="mse", tau=None, huber_delta=1.0, batch_size=1024):
    """Mean loss of ``model`` on (X, Y) (or a data source) without training-mode dropout."""
    tau = np.full(model.n_outputs, 0.5) if tau is None else tau
    with single_threaded_blas():
        return model.net._backend.evaluate(model, as_source(X, Y, extra), LOSSES[loss], tau, huber_delta, batch_size)


def predict(model, X, extra=None, batch_size=1024):
    """Model outputs for all of X (or a data source), (N, M)."""
    with single_threaded_blas():
        return model.net._backend.predict(model, as_source(X, None, extra), batch_size)
