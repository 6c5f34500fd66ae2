"""Stateful training by truncated BPTT over whole series (Williams & Peng 1990; Keras ``stateful=True``).

Windows cut a series into pieces no longer than the lookback; a dependency
longer than that cannot be learned from them. Here the network reads each
series from its start and carries its state (h, c) forward:

* **Training**: each epoch, B parallel *streams* (contiguous stretches of the
  training steps, at random offsets, each three quarters of them long, so the
  state learns to run as long as it will when forecasting) walk
  forward in chunks of ``tbptt`` steps. A chunk starts from the state the
  stream's previous chunk ended in, with no gradient across the cut
  (truncated BPTT); every step's hidden state predicts that step's next
  ``horizon`` values (a per-step head). A batch is one chunk of every stream.
  With a ``depth`` h' > h = ``tbptt`` (Williams & Peng's TBPTT(h, h')), each
  update runs again from the state saved ceil((h' - h) / h) chunks earlier
  and backpropagates through those chunks too, with the loss on the new
  chunk's steps only: the gradient then reaches h' steps back, and a delay
  up to h' is learned while the state still advances h steps per update.
* **Validation**: the model runs over each whole series from a cold state;
  the loss is taken on the validation steps (the last part of each series).
* **Forecasting**: the state is warmed over the whole history once
  (:func:`warm`); ``update`` advances it over the new rows only.

Targets are the next ``horizon`` scaled values, relative to the current
value with ``norm='last'`` (known at that step: nothing leaks).
"""

import math

import numpy as np

from .core import single_threaded_blas
from .elementmath import LOSSES, OPTIMIZERS, adam_beta2
from .errors import diverged
from .host_training import _loss_and_grad, _optimizer_step, _sum_squares


def step_targets(z, horizon, norm):
    """(n, horizon) targets of every step: z[t+1 .. t+horizon] (minus z[t]
    with ``norm='last'``); NaN where the series ends."""
    n = len(z)
    ahead = np.arange(1, horizon + 1)
    idx = np.arange(n)[:, None] + ahead
    Y = np.where(idx < n, z[np.minimum(idx, n - 1)], np.nan)
    return Y - z[:, None] if norm == "last" else Y


def _chunks(rng, span, n_streams, length, k):
    """Start positions (C, B) of every stream's chunks for one epoch."""
    offsets = np.sort(rng.integers(0, span - length + 1, n_streams))
    C = length // k
    return offsets[None, :] + k * np.arange(C)[:, None]


def _loss(model, pred, Y, tau, code, delta):
    """Mean loss over the finite targets of a (B, T*M) prediction, and its gradient."""
    M = model.n_outputs
    P, T_ = pred.reshape(-1, M), Y.reshape(-1, M).astype(pred.dtype)
    ok = np.isfinite(T_).all(axis=1)
    grad = np.zeros_like(P)
    if not ok.any():
        return 0.0, grad.reshape(pred.shape), 0
    g = np.empty((int(ok.sum()), M), pred.dtype)
    value = _loss_and_grad(np.ascontiguousarray(P[ok]), np.ascontiguousarray(T_[ok]), tau, code, delta, g)
    grad[ok] = g
    return value, grad.reshape(pred.shape), int(ok.sum())


def evaluate(model, rows, targets, starts, tau, code, delta):
    """Mean loss over the steps from ``starts[s]`` on of every series s, each
    run from a cold state (the state then carries through its training steps)."""
    total, count = 0.0, 0
    for X, Y, start in zip(rows, targets, starts):
        pred = model.forward(X[None].astype(model.net.dtype), tape=False)
        value, _, n = _loss(model, pred[:, start * model.n_outputs:], Y[None, start:], tau, code, delta)
        total, count = total + value * n, count + n
    return total / max(count, 1)


def _chunk_batch(X, Y, starts, c, back, k, saved):
    """Inputs (B, s, D), targets (B, s, M) with NaN but on the last ``k``
    steps, and initial state of update ``c``: from chunk max(0, c - back) on,
    ``saved[j]`` being the state at the start of chunk j."""
    j = max(0, c - back)
    take = starts[j][:, None] + np.arange((c - j + 1) * k)  # (B, s)
    Yc = Y[take].astype(np.float64)  # (B, s, M)
    Yc[:, :(c - j) * k] = np.nan  # the chunks before run again for the gradient, not for the loss
    return X[take], Yc, saved[j]


def train_stateful(model, rows, targets, val_starts, *, tbptt, streams, depth=None, loss="mse", learning_rate=1e-3,
                   optimizer="adam", weight_decay=0.0, clip_norm=1.0, max_epochs=100, early_stopping=True,
                   patience=10, random_state=None, callback=None, time_budget=None):
    """Train a per-step :class:`tsgate.model.SequenceModel` by truncated BPTT.

    ``rows`` / ``targets``: per series, (n_s, D) inputs and (n_s, M) step
    targets; ``val_starts[s]``: the first validation step of series s (its
    training steps are those before). ``depth``: steps of backpropagation per
    update (None: ``tbptt``; see the module doc). Returns a history like
    :func:`tsgate.training.train`'s.
    """
    import time

    code, opt = LOSSES[loss], OPTIMIZERS[optimizer]
    tau, delta = np.full(model.n_outputs, 0.5), 1.0
    rng = np.random.default_rng(random_state)
    p = model.flat
    grad, m1, m2, best_flat = np.zeros_like(p), np.zeros_like(p), np.zeros_like(p), p.copy()
    history = {"loss": [], "val_loss": [], "lr": [], "best_epoch": 0}
    have_val = any(v < len(r) for v, r in zip(val_starts, rows))
    t0, step, wait = time.perf_counter(), 0, 0
    with single_threaded_blas():
        best = evaluate(model, rows, targets, val_starts, tau, code, delta) if have_val and early_stopping else np.inf
        history["initial_val_loss"] = best
        for epoch in range(int(max_epochs)):
            losses = []
            for X, Y, span in zip(rows, targets, val_starts):
                k = min(tbptt, span)
                length = max(k, span - span // 4)  # long runs, as forecasting warms over the whole history
                starts = _chunks(rng, span, max(1, min(streams, span // k)), length, k)  # (C, B)
                back = math.ceil(((depth or k) - k) / k)  # earlier chunks each update runs through again
                saved = [None]  # saved[j]: the state at the start of chunk j (None: cold)
                for c in range(len(starts)):
                    Xc, Yc, state = _chunk_batch(X, Y, starts, c, back, k, saved)
                    pred = model.forward(Xc.astype(model.net.dtype), state=state, training=True)
                    value, dpred, n = _loss(model, pred, Yc, tau, code, delta)
                    model.backward(dpred, grad)
                    gnorm = math.sqrt(_sum_squares(grad))
                    if not (math.isfinite(value) and math.isfinite(gnorm)):
                        raise diverged(epoch, c + 1, value, gnorm)
                    if clip_norm is not None and gnorm > clip_norm:
                        grad *= grad.dtype.type(clip_norm / (gnorm + 1e-6))
                    step += 1
                    _optimizer_step(opt, p, grad, m1, m2, step, float(learning_rate), 0.9, adam_beta2(opt), 1e-8,
                                    0.9, weight_decay)
                    h, cst = model.last_state
                    saved.append((h.copy(), None if cst is None else cst.copy()))  # carried to chunk c + 1
                    if c >= back:
                        saved[c - back] = None  # update c + 1 starts from chunk c + 1 - back
                    losses.append(value)
            val = evaluate(model, rows, targets, val_starts, tau, code, delta) if have_val else float("nan")
            history["loss"].append(float(np.mean(losses)) if losses else float("nan"))
            history["val_loss"].append(val)
            history["lr"].append(float(learning_rate))
            if callback is not None:
                callback(epoch + 1, history["loss"][-1], val)
            if have_val and val < best - 1e-12:
                best, wait, history["best_epoch"] = val, 0, epoch + 1
                best_flat[...] = p
            else:
                wait += 1
            if early_stopping and have_val and wait >= patience:
                break
            if time_budget is not None and time.perf_counter() - t0 >= time_budget:
                break
        if early_stopping and have_val:
            p[...] = best_flat
    return history


def warm(model, X, state=None):
    """The state after reading rows X (n, D) from ``state`` (None: cold)."""
    with single_threaded_blas():
        model.forward(X[None].astype(model.net.dtype), state=state, tape=False)
    h, c = model.last_state
    return h.copy(), None if c is None else c.copy()


def forecast(model, state):
    """The per-step head on a warmed state: the forecast after its last row, (M,)."""
    h = state[0][-1, 0]  # the last layer's state, (H,)
    return (h @ model.views["head_weight"] + model.views["head_bias"]).astype(np.float64)


def step_predictions(model, X):
    """Per-step outputs (n, M) of a cold pass over the rows X (n, D)."""
    with single_threaded_blas():
        return model.forward(X[None].astype(model.net.dtype), tape=False)[0].reshape(len(X), -1).astype(np.float64)
