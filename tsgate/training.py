"""Training engine: a recurrent network plus a dense head, trained by mini-batch.

Numeric only (no pandas). All parameters live in ONE flat vector; the
network's weight arrays and the head are views into it, so an optimizer step
is a single compiled call over a contiguous array, and gradient clipping is
one norm. Losses and optimizer steps are compiled (``tsgate.config.jit``).

Non-finite values: a batch whose loss or gradient is not finite raises
:class:`TrainingDivergedError` naming the epoch and batch, never a silent NaN.
(With clipping on, the check happens before clipping, so inf gradients are
not hidden by the rescale.)
"""

import math

import numpy as np

from .config import jit, jit_inline
from .network import RecurrentNetwork

LOSSES = {"mse": 0, "mae": 1, "huber": 2, "pinball": 3, "bce": 4, "ce": 5}
OPTIMIZERS = {"adam": 0, "rmsprop": 1, "sgd": 2}


class TrainingDivergedError(FloatingPointError):
    """Raised when the loss or a gradient stops being finite."""


# ---------------------------------------------------------------------------
# Element math shared by the CPU kernels here and the CUDA kernels in
# gpu_training.py: plain Python, compiled once per target, one source of truth.


def loss_term(code, x, y, tau, delta, n):
    """Loss of one prediction ``x`` against target ``y`` and dL/dx, for
    mse (0), mae (1), huber (2), bce on logits (4), pinball (3, quantile
    ``tau``); ``n`` is the element count of the mean. (Softmax cross-entropy,
    code 5, works on whole rows.)"""
    e = x - y
    if code == 0:
        return e * e, 2.0 * e / n
    if code == 1:
        return abs(e), (1.0 if e > 0 else (-1.0 if e < 0 else 0.0)) / n
    if code == 2:
        if abs(e) <= delta:
            return 0.5 * e * e, e / n
        return delta * (abs(e) - 0.5 * delta), delta * (1.0 if e > 0 else -1.0) / n
    if code == 4:
        return max(x, 0.0) - x * y + math.log1p(math.exp(-abs(x))), (1.0 / (1.0 + math.exp(-x)) - y) / n
    u = -e  # pinball
    if u >= 0:
        return tau * u, -tau / n
    return (tau - 1.0) * u, (1.0 - tau) / n


def optimizer_term(code, p, g, m, v, lr, bc1, bc2, beta1, beta2, eps, momentum):
    """One parameter's update: Adam (0, bias corrections bc1, bc2),
    RMSprop (1), SGD with momentum (2). Returns the new (p, m, v)."""
    if code == 0:
        m = beta1 * m + (1.0 - beta1) * g
        v = beta2 * v + (1.0 - beta2) * g * g
        return p - lr * (m / bc1) / (math.sqrt(v / bc2) + eps), m, v
    if code == 1:
        v = beta2 * v + (1.0 - beta2) * g * g
        return p - lr * g / (math.sqrt(v) + eps), 1.0 * m, v
    m = momentum * m + g
    return p - lr * m, m, 1.0 * v


def softmax_ce_row(pred, b, target, r, grad):
    """Softmax cross-entropy of row b of pred (B, M) against the one-hot row r
    of target; writes dL/dpred[b] (mean over the B rows) into grad[b] and
    returns the row's loss."""
    B, M = pred.shape
    mx = pred[b, 0]
    for m in range(1, M):
        mx = max(mx, pred[b, m])
    z = 0.0
    for m in range(M):
        z += math.exp(pred[b, m] - mx)
    lse = mx + math.log(z)
    total = 0.0
    for m in range(M):
        total -= target[r, m] * (pred[b, m] - lse)
        grad[b, m] = (math.exp(pred[b, m] - lse) - target[r, m]) / B
    return total


def adam_beta2(optimizer_code):
    """beta2 of Adam (0.999) or the RMSprop decay (0.99), torch's defaults."""
    return 0.999 if optimizer_code == 0 else 0.99


def diverged(epoch, batch, value, gnorm):
    """The error for a non-finite loss or gradient norm at (epoch, batch), 0-based epoch."""
    return TrainingDivergedError(
        f"training diverged at epoch {epoch + 1}, batch {batch}: loss={value}, gradient norm={gnorm}; "
        "lower learning_rate or keep clip_norm on")


_loss_term = jit_inline(loss_term)
_softmax_ce_row = jit_inline(softmax_ce_row)
_optimizer_term = jit_inline(optimizer_term)


@jit
def _loss_and_grad(pred, target, tau, code, delta, grad):
    """pred, target (B, M); tau (M,) quantile per column (pinball only).
    Writes dL/dpred into grad; returns the mean loss."""
    B, M = pred.shape
    total = 0.0
    if code == 5:  # softmax cross-entropy per row; target is one-hot
        for b in range(B):
            total += _softmax_ce_row(pred, b, target, b, grad)
        return total / B
    for b in range(B):
        for m in range(M):
            value, g = _loss_term(code, 1.0 * pred[b, m], 1.0 * target[b, m], tau[m], delta, B * M)
            total += value
            grad[b, m] = g
    return total / (B * M)


# ---------------------------------------------------------------------------
# Optimizers over the flat parameter vector


@jit
def _optimizer_step(code, p, g, m, v, step, lr, beta1, beta2, eps, momentum, weight_decay):
    """One update in place. Adam (0), RMSprop (1), SGD with momentum (2).
    L2 weight decay is added to the gradient (torch's ``weight_decay``)."""
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


# ---------------------------------------------------------------------------
# Network + head with flat parameters


class SequenceModel:
    """Recurrent network whose last hidden state feeds a dense head.

    ``pred = [h_last, extra] @ W + b`` where ``h_last`` is the last layer's
    final state (both directions concatenated when bidirectional) and
    ``extra`` optional per-sample features (e.g. known-future covariates over
    the horizon). Inputs are batch-first ``(B, T, D)``.
    """

    def __init__(self, cell, input_size, hidden_size, n_outputs, n_extra=0, num_layers=1,
                 bidirectional=False, dropout=0.0, dtype="float32", device="cpu", random_state=None):
        self.net = RecurrentNetwork(cell, input_size, hidden_size, num_layers=num_layers,
                                    bidirectional=bidirectional, dropout=dropout, dtype=dtype,
                                    device=device, random_state=random_state, batch_first=True)
        self.n_outputs, self.n_extra = int(n_outputs), int(n_extra)
        nd = self.net.num_directions
        self.n_features = nd * hidden_size + self.n_extra
        rng = np.random.default_rng(None if random_state is None else random_state + 7919)
        shapes = dict(self.net.param_shapes())
        shapes["head_weight"] = (self.n_features, self.n_outputs)
        shapes["head_bias"] = (self.n_outputs,)
        self.shapes = shapes
        total = sum(int(np.prod(s)) for s in shapes.values())
        self.flat = np.zeros(total, self.net.dtype)
        self.views = self._views(self.flat)
        for name, p in self.net.params.items():
            self.views[name][...] = p
        k = 1.0 / math.sqrt(self.n_features)
        self.views["head_weight"][...] = rng.uniform(-k, k, shapes["head_weight"])
        self.net.params = {n: self.views[n] for n in self.net.params}
        self._cache = None

    def _views(self, flat):
        out, o = {}, 0
        for name, shape in self.shapes.items():
            size = int(np.prod(shape))
            out[name] = flat[o:o + size].reshape(shape)
            o += size
        return out

    def __getstate__(self):
        # pickle turns views into separate arrays; __setstate__ re-links them
        state = dict(self.__dict__)
        state["views"] = None
        state["_cache"] = None
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.views = self._views(self.flat)
        self.net.params = {n: self.views[n] for n in self.net.param_shapes()}

    def set_flat(self, values):
        self.flat[...] = values

    def _features(self, h_n, extra):
        nd = self.net.num_directions
        h_last = np.concatenate([h_n[-nd + d] for d in range(nd)], axis=1) if nd == 2 else h_n[-1]
        if self.n_extra:
            return np.concatenate([h_last, extra.astype(self.net.dtype, copy=False)], axis=1)
        return h_last

    def forward(self, X, extra=None, training=False):
        """X (B, T, D) -> predictions (B, n_outputs)."""
        y, h_n, _ = self.net.forward(X, training=training)
        feats = self._features(h_n, extra)
        self._cache = (feats, y.shape, h_n.shape)
        return feats @ self.views["head_weight"] + self.views["head_bias"]

    def backward(self, dpred, grad_flat):
        """Fill ``grad_flat`` with dL/dparams for the last forward."""
        feats, yshape, hshape = self._cache
        g = self._views(grad_flat)
        np.dot(feats.T, dpred, out=g["head_weight"])
        g["head_bias"][...] = dpred.sum(0)
        dfeat = dpred @ self.views["head_weight"].T
        nd, H = self.net.num_directions, self.net.hidden_size
        dh_n = np.zeros(hshape, self.net.dtype)
        for d in range(nd):
            dh_n[hshape[0] - nd + d] = dfeat[:, d * H:(d + 1) * H]
        grads, _, _, _ = self.net.backward(None, dh_n, None)
        for name, arr in grads.items():
            g[name][...] = arr


def train(model, X, Y, extra=None, *, X_val=None, Y_val=None, extra_val=None, loss="mse",
          quantiles=None, huber_delta=1.0, optimizer="adam", learning_rate=1e-3, weight_decay=0.0,
          momentum=0.9, clip_norm=1.0, max_epochs=100, batch_size=32, early_stopping=True,
          patience=10, lr_patience=5, lr_factor=0.5, min_lr=1e-5, random_state=None,
          callback=None):
    """Mini-batch training of a :class:`SequenceModel` in place.

    Parameters
    ----------
    model : SequenceModel
    X : ndarray (N, T, D); Y : ndarray (N, M); extra : ndarray (N, E) or None
    X_val, Y_val, extra_val : validation arrays (time-ordered tail), optional
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
        restore the best parameters.
    lr_patience, lr_factor, min_lr : reduce-on-plateau of the learning rate
        (on validation loss when given, else training loss).
    callback : callable(epoch, train_loss, val_loss) or None

    Returns
    -------
    history : dict with lists 'loss', 'val_loss', 'lr' and 'best_epoch'
    """
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {sorted(LOSSES)}, got {loss!r}")
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {sorted(OPTIMIZERS)}, got {optimizer!r}")
    M = Y.shape[1]
    tau = np.full(M, 0.5)
    if loss == "pinball":
        q = np.asarray(quantiles if quantiles is not None else [0.5], dtype=np.float64)
        tau = q[np.arange(M) % q.size]
    rng = np.random.default_rng(random_state)
    have_val = X_val is not None and len(X_val) > 0
    settings = dict(loss=loss, tau=tau, huber_delta=huber_delta, optimizer_code=OPTIMIZERS[optimizer],
                    weight_decay=weight_decay, momentum=momentum, clip_norm=clip_norm, batch_size=batch_size,
                    random_state=random_state)
    if model.net.device == "cuda":
        from .gpu_training import DeviceRunner

        runner = DeviceRunner(model, X, Y, extra, X_val, Y_val, extra_val, **settings)
    else:
        runner = _HostRunner(model, X, Y, extra, X_val, Y_val, extra_val, **settings)
    lr = float(learning_rate)
    best, best_epoch, wait, lr_wait, lr_best = np.inf, -1, 0, 0, np.inf
    history = {"loss": [], "val_loss": [], "lr": [], "best_epoch": -1}
    for epoch in range(int(max_epochs)):
        train_loss = runner.epoch(rng.permutation(X.shape[0]), lr, epoch)
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
            if lr_wait >= lr_patience and lr > min_lr:
                lr, lr_wait = max(lr * lr_factor, min_lr), 0
        if early_stopping and have_val and wait >= patience:
            break
    if early_stopping and have_val and best_epoch >= 0:
        runner.restore_best()
    runner.finish()
    history["best_epoch"] = best_epoch + 1
    return history


class _HostRunner:
    """Epochs of :func:`train` on the CPU: batches through the NumPy network
    API, loss and optimizer steps compiled. (Its device twin is
    :class:`tsgate.gpu_training.DeviceRunner`.)"""

    def __init__(self, model, X, Y, extra, X_val, Y_val, extra_val, *, loss, tau, huber_delta,
                 optimizer_code, weight_decay, momentum, clip_norm, batch_size, random_state):
        self.model, self.X, self.Y, self.extra = model, X, Y, extra
        self.X_val, self.Y_val, self.extra_val = X_val, Y_val, extra_val
        self.loss, self.tau, self.huber_delta = loss, tau, huber_delta
        self.optimizer_code, self.weight_decay, self.momentum = optimizer_code, weight_decay, momentum
        self.clip_norm, self.batch_size = clip_norm, batch_size
        p = model.flat
        self.grad, self.m1, self.m2 = np.zeros_like(p), np.zeros_like(p), np.zeros_like(p)
        self.best = p.copy()
        self.step = 0

    def epoch(self, order, lr, epoch):
        model, dt, bs = self.model, self.model.net.dtype, self.batch_size
        total, count = 0.0, 0
        for start in range(0, self.X.shape[0], bs):
            idx = np.sort(order[start:start + bs])
            pred = model.forward(self.X[idx], None if self.extra is None else self.extra[idx], training=True)
            dpred = np.empty_like(pred)
            value = _loss_and_grad(pred, self.Y[idx].astype(dt, copy=False), self.tau, LOSSES[self.loss],
                                   self.huber_delta, dpred)
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
            total += value * len(idx)
            count += len(idx)
        return total / count

    def evaluate_val(self):
        return evaluate(self.model, self.X_val, self.Y_val, self.extra_val, self.loss, self.tau, self.huber_delta)

    def save_best(self):
        self.best[...] = self.model.flat

    def restore_best(self):
        self.model.flat[...] = self.best

    def finish(self):
        pass


def evaluate(model, X, Y, extra=None, loss="mse", tau=None, huber_delta=1.0, batch_size=1024):
    """Mean loss of ``model`` on (X, Y) without training-mode dropout."""
    M = Y.shape[1]
    tau = np.full(M, 0.5) if tau is None else tau
    if model.net.device == "cuda":
        from .gpu_training import evaluate_model_on_device

        return evaluate_model_on_device(model, X, Y, extra, LOSSES[loss], tau, huber_delta, batch_size)
    total = 0.0
    for s in range(0, len(X), batch_size):
        pred = model.forward(X[s:s + batch_size], None if extra is None else extra[s:s + batch_size])
        g = np.empty_like(pred)
        total += _loss_and_grad(pred, Y[s:s + batch_size].astype(pred.dtype, copy=False), tau,
                                LOSSES[loss], huber_delta, g) * len(pred)
    return total / len(X)


def predict(model, X, extra=None, batch_size=1024):
    """Model outputs for all of X, (N, M)."""
    if model.net.device == "cuda":
        from .gpu_training import predict_on_device

        return predict_on_device(model, X, extra, batch_size)
    out = [model.forward(X[s:s + batch_size], None if extra is None else extra[s:s + batch_size])
           for s in range(0, len(X), batch_size)]
    return np.concatenate(out, axis=0)


