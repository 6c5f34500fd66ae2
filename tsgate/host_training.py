"""Training steps, evaluation and prediction on the CPU (sibling of gpu_training.py).

:func:`tsgate.training.train` owns the epoch loop (shuffling, early stopping,
learning-rate schedule); each epoch's batches run in a runner from the
backend: :class:`HostRunner` here, :class:`tsgate.gpu_training.DeviceRunner`
on the GPU. A runner reads batches from a data source (``source.batch(idx)``
returns ``X (B, T, D), Y (B, M), extra (B, E) or None``), so windows can be
gathered per batch instead of being held as one (N, T, D) array.

The loss and optimizer element math comes from :mod:`tsgate.elementmath`,
compiled here for the CPU with tsgate's decorator policy.
"""

import math

import numpy as np

from .config import jit, jit_inline
from .elementmath import LOSS_CE, adam_beta2, loss_term, optimizer_term, softmax_ce_row
from .errors import diverged

_loss_term = jit_inline(loss_term)
_softmax_ce_row = jit_inline(softmax_ce_row)
_optimizer_term = jit_inline(optimizer_term)


@jit
def _loss_and_grad(pred, target, tau, code, delta, grad):
    """pred, target (B, M); tau (M,) quantile per column (pinball only).
    Writes dL/dpred into grad; returns the mean loss."""
    B, M = pred.shape
    total = 0.0
    if code == LOSS_CE:  # softmax cross-entropy per row; target is one-hot
        for b in range(B):
            total += _softmax_ce_row(pred, b, target, b, grad)
        return total / B
    for b in range(B):
        for m in range(M):
            value, g = _loss_term(code, 1.0 * pred[b, m], 1.0 * target[b, m], tau[m], delta, B * M)
            total += value
            grad[b, m] = g
    return total / (B * M)


@jit
def _row_losses(pred, target, tau, code, delta, grad, out):
    """Per row b of pred (B, M): the mean loss of that row alone (what
    :func:`_loss_and_grad` returns for ``pred[b:b + 1]``) into out (B,);
    grad (B, M) is scratch."""
    B, M = pred.shape
    for b in range(B):
        if code == LOSS_CE:
            out[b] = _softmax_ce_row(pred, b, target, b, grad)
            continue
        total = 0.0
        for m in range(M):
            value, g = _loss_term(code, 1.0 * pred[b, m], 1.0 * target[b, m], tau[m], delta, M)
            total += value
        out[b] = total / M


@jit
def _optimizer_step(code, p, g, m, v, step, lr, beta1, beta2, eps, momentum, weight_decay):
    """One update in place (elementmath's optimizer codes). L2 weight decay is
    added to the gradient (torch's ``weight_decay``)."""
    bc1 = 1.0 - beta1 ** step
    bc2 = 1.0 - beta2 ** step
    for k in range(p.size):
        p[k], m[k], v[k] = _optimizer_term(code, p[k], g[k] + weight_decay * p[k], m[k], v[k], lr, bc1, bc2,
                                           beta1, beta2, eps, momentum)


@jit
def _sum_squares(g):
    s = 0.0
    for k in range(g.size):
        s += g[k] * g[k]
    return s


class HostRunner:
    """Epochs of :func:`tsgate.training.train` on the CPU: batches through the
    NumPy network API, loss and optimizer steps compiled."""

    def __init__(self, model, data, val, *, loss_code, tau, huber_delta, optimizer_code, weight_decay, momentum,
                 clip_norm, batch_size, random_state):
        self.model, self.data, self.val = model, data, val
        self.loss_code, self.tau, self.huber_delta = loss_code, tau, huber_delta
        self.optimizer_code, self.weight_decay, self.momentum = optimizer_code, weight_decay, momentum
        self.clip_norm, self.batch_size = clip_norm, batch_size
        p = model.flat
        self.grad, self.m1, self.m2 = np.zeros_like(p), np.zeros_like(p), np.zeros_like(p)
        self.best = p.copy()
        self.step = 0

    def epoch(self, order, lr, epoch):
        """One pass over the batches of the permutation ``order``; mean loss."""
        model, dt, bs = self.model, self.model.net.dtype, self.batch_size
        total, count = 0.0, 0
        for start in range(0, len(order), bs):
            idx = np.sort(order[start:start + bs])
            X, Y, E = self.data.batch(idx)
            pred = model.forward(X, E, training=True)
            dpred = np.empty_like(pred)
            M = model.n_outputs  # rows of M: one per sample, or per step of a per-step model
            value = _loss_and_grad(pred.reshape(-1, M), Y.astype(dt, copy=False).reshape(-1, M), self.tau,
                                   self.loss_code, self.huber_delta, dpred.reshape(-1, M))
            gnorm = float("nan")
            if math.isfinite(value) and np.isfinite(dpred).all():
                model.backward(dpred, self.grad)
                gnorm = math.sqrt(_sum_squares(self.grad))
            if not (math.isfinite(value) and math.isfinite(gnorm)):
                raise diverged(epoch, start // bs + 1, value, gnorm)
            if self.clip_norm is not None and gnorm > self.clip_norm:
                self.grad *= dt.type(self.clip_norm / (gnorm + 1e-6))
            self.step += 1
            _optimizer_step(self.optimizer_code, model.flat, self.grad, self.m1, self.m2, self.step, lr, 0.9,
                            adam_beta2(self.optimizer_code), 1e-8, self.momentum, self.weight_decay)
            if model.frozen is not None:  # weight decay must not move a frozen linear start either
                lo, hi = model.linear_range()
                model.flat[lo:hi] = model.frozen
            total += value * len(idx)
            count += len(idx)
        return total / count

    def evaluate_val(self):
        return evaluate(self.model, self.val, self.loss_code, self.tau, self.huber_delta)

    def save_best(self):
        self.best[...] = self.model.flat

    def restore_best(self):
        self.model.flat[...] = self.best

    def finish(self):
        pass


def evaluate(model, source, loss_code, tau, huber_delta, batch_size=1024):
    """Mean loss of ``model`` over a data source, without training-mode dropout."""
    total = 0.0
    for s in range(0, source.n, batch_size):
        X, Y, E = source.batch(np.arange(s, min(s + batch_size, source.n)))
        pred = model.forward(X, E, tape=False)
        M = model.n_outputs
        g = np.empty_like(pred).reshape(-1, M)
        total += _loss_and_grad(pred.reshape(-1, M), Y.astype(pred.dtype, copy=False).reshape(-1, M), tau, loss_code,
                                huber_delta, g) * len(pred)
    return total / source.n


def predict(model, source, batch_size=1024):
    """Model outputs (N, M) for every row of a data source."""
    out = []
    for s in range(0, source.n, batch_size):
        X, _, E = source.batch(np.arange(s, min(s + batch_size, source.n)))
        out.append(model.forward(X, E, tape=False))
    return np.concatenate(out, axis=0)
