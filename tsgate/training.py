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

from .config import jit
from .network import RecurrentNetwork

LOSSES = {"mse": 0, "mae": 1, "huber": 2, "pinball": 3, "bce": 4, "ce": 5}
OPTIMIZERS = {"adam": 0, "rmsprop": 1, "sgd": 2}


class TrainingDivergedError(FloatingPointError):
    """Raised when the loss or a gradient stops being finite."""


# ---------------------------------------------------------------------------
# Losses: value and gradient with respect to the prediction, in one pass


@jit
def _loss_and_grad(pred, target, tau, code, delta, grad):
    """pred, target (B, M); tau (M,) quantile per column (pinball only).
    Writes dL/dpred into grad; returns the mean loss."""
    B, M = pred.shape
    n = B * M
    total = 0.0
    if code == 5:  # softmax cross-entropy per row; target is one-hot
        for b in range(B):
            mx = pred[b, 0]
            for m in range(1, M):
                mx = max(mx, pred[b, m])
            z = 0.0
            for m in range(M):
                z += np.exp(pred[b, m] - mx)
            lse = mx + np.log(z)
            for m in range(M):
                total -= target[b, m] * (pred[b, m] - lse)
                grad[b, m] = (np.exp(pred[b, m] - lse) - target[b, m]) / B
        return total / B
    for b in range(B):
        for m in range(M):
            e = pred[b, m] - target[b, m]
            if code == 0:  # mse
                total += e * e
                grad[b, m] = 2.0 * e / n
            elif code == 1:  # mae
                total += abs(e)
                grad[b, m] = (1.0 if e > 0 else (-1.0 if e < 0 else 0.0)) / n
            elif code == 2:  # huber
                if abs(e) <= delta:
                    total += 0.5 * e * e
                    grad[b, m] = e / n
                else:
                    total += delta * (abs(e) - 0.5 * delta)
                    grad[b, m] = delta * (1.0 if e > 0 else -1.0) / n
            elif code == 4:  # binary cross-entropy on logits, target in {0, 1}
                x = pred[b, m]
                total += max(x, 0.0) - x * target[b, m] + np.log1p(np.exp(-abs(x)))
                grad[b, m] = (1.0 / (1.0 + np.exp(-x)) - target[b, m]) / n
            else:  # pinball, u = target - pred
                u = -e
                if u >= 0:
                    total += tau[m] * u
                    grad[b, m] = -tau[m] / n
                else:
                    total += (tau[m] - 1.0) * u
                    grad[b, m] = (1.0 - tau[m]) / n
    return total / n


# ---------------------------------------------------------------------------
# Optimizers over the flat parameter vector


@jit
def _optimizer_step(code, p, g, m, v, step, lr, beta1, beta2, eps, momentum, weight_decay):
    """One update in place. Adam (0), RMSprop (1), SGD with momentum (2).
    L2 weight decay is added to the gradient (torch's ``weight_decay``)."""
    if code == 0:
        bc1 = 1.0 - beta1 ** step
        bc2 = 1.0 - beta2 ** step
        for k in range(p.size):
            gk = g[k] + weight_decay * p[k]
            m[k] = beta1 * m[k] + (1.0 - beta1) * gk
            v[k] = beta2 * v[k] + (1.0 - beta2) * gk * gk
            p[k] -= lr * (m[k] / bc1) / (np.sqrt(v[k] / bc2) + eps)
    elif code == 1:
        for k in range(p.size):
            gk = g[k] + weight_decay * p[k]
            v[k] = beta2 * v[k] + (1.0 - beta2) * gk * gk
            p[k] -= lr * gk / (np.sqrt(v[k]) + eps)
    else:
        for k in range(p.size):
            gk = g[k] + weight_decay * p[k]
            m[k] = momentum * m[k] + gk
            p[k] -= lr * m[k]


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
    dt = model.net.dtype
    M = Y.shape[1]
    tau = np.full(M, 0.5)
    if loss == "pinball":
        q = np.asarray(quantiles if quantiles is not None else [0.5], dtype=np.float64)
        tau = q[np.arange(M) % q.size]
    rng = np.random.default_rng(random_state)
    p = model.flat
    grad = np.zeros_like(p)
    m1 = np.zeros_like(p)
    m2 = np.zeros_like(p)
    lr = float(learning_rate)
    step = 0
    have_val = X_val is not None and len(X_val) > 0
    best, best_epoch, best_params, wait, lr_wait, lr_best = np.inf, -1, p.copy(), 0, 0, np.inf
    history = {"loss": [], "val_loss": [], "lr": [], "best_epoch": -1}
    N = X.shape[0]
    for epoch in range(int(max_epochs)):
        order = rng.permutation(N)
        total, count = 0.0, 0
        for start in range(0, N, batch_size):
            idx = np.sort(order[start:start + batch_size])
            xb, yb = X[idx], Y[idx]
            pred = model.forward(xb, None if extra is None else extra[idx], training=True)
            dpred = np.empty_like(pred)
            value = _loss_and_grad(pred, yb.astype(dt, copy=False), tau, LOSSES[loss], huber_delta, dpred)
            gnorm = float("nan")
            if math.isfinite(value) and np.isfinite(dpred).all():
                model.backward(dpred, grad)
                gnorm = math.sqrt(_sum_squares(grad))
            if not (math.isfinite(value) and math.isfinite(gnorm)):
                raise TrainingDivergedError(
                    f"training diverged at epoch {epoch + 1}, batch {start // batch_size + 1}: "
                    f"loss={value}, gradient norm={gnorm}; lower learning_rate or keep clip_norm on")
            if clip_norm is not None and gnorm > clip_norm:
                grad *= dt.type(clip_norm / (gnorm + 1e-6))
            step += 1
            _optimizer_step(OPTIMIZERS[optimizer], p, grad, m1, m2, step, lr, 0.9, 0.999 if optimizer == "adam" else 0.99,
                            1e-8, momentum, weight_decay)
            total += value * len(idx)
            count += len(idx)
        train_loss = total / count
        val_loss = evaluate(model, X_val, Y_val, extra_val, loss, tau, huber_delta) if have_val else float("nan")
        history["loss"].append(train_loss)
        history["val_loss"].append(val_loss)
        history["lr"].append(lr)
        if callback is not None:
            callback(epoch + 1, train_loss, val_loss)
        monitor = val_loss if have_val else train_loss
        if monitor < best - 1e-12:
            best, best_epoch, wait = monitor, epoch, 0
            best_params[...] = p
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
        p[...] = best_params
    history["best_epoch"] = best_epoch + 1
    return history


def evaluate(model, X, Y, extra=None, loss="mse", tau=None, huber_delta=1.0, batch_size=1024):
    """Mean loss of ``model`` on (X, Y) without training-mode dropout."""
    M = Y.shape[1]
    tau = np.full(M, 0.5) if tau is None else tau
    total = 0.0
    for s in range(0, len(X), batch_size):
        pred = model.forward(X[s:s + batch_size], None if extra is None else extra[s:s + batch_size])
        g = np.empty_like(pred)
        total += _loss_and_grad(pred, Y[s:s + batch_size].astype(pred.dtype, copy=False), tau,
                                LOSSES[loss], huber_delta, g) * len(pred)
    return total / len(X)


def predict(model, X, extra=None, batch_size=1024):
    """Model outputs for all of X, (N, M)."""
    out = [model.forward(X[s:s + batch_size], None if extra is None else extra[s:s + batch_size])
           for s in range(0, len(X), batch_size)]
    return np.concatenate(out, axis=0)


