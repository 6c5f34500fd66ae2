"""Backend-independent element math: loss and optimizer terms, their codes.

A leaf module: it imports only ``math``. The functions are plain Python on
scalars and 2-D rows; :mod:`tsgate.host_training` compiles them for the CPU
(``numba.njit``) and :mod:`tsgate.gpu_training` for CUDA
(``cuda.jit(device=True)``), so the math has one source of truth. Options reach
compiled code as the integer codes below, never as function objects.
"""

import math

# Loss codes (LOSSES maps the public names to them).
LOSS_MSE = 0
LOSS_MAE = 1
LOSS_HUBER = 2
LOSS_PINBALL = 3
LOSS_BCE = 4  # binary cross-entropy on logits
LOSS_CE = 5  # softmax cross-entropy on one-hot rows
LOSSES = {"mse": LOSS_MSE, "mae": LOSS_MAE, "huber": LOSS_HUBER, "pinball": LOSS_PINBALL,
          "bce": LOSS_BCE, "ce": LOSS_CE}

# Optimizer codes.
OPT_ADAM = 0
OPT_RMSPROP = 1
OPT_SGD = 2
OPTIMIZERS = {"adam": OPT_ADAM, "rmsprop": OPT_RMSPROP, "sgd": OPT_SGD}

# Activation codes of the Elman RNN cell.
ACT_TANH = 0
ACT_RELU = 1
NONLINEARITIES = {"tanh": ACT_TANH, "relu": ACT_RELU}


def loss_term(code, x, y, tau, delta, n):
    """Loss of one prediction ``x`` against target ``y``, and dL/dx.

    ``code`` is one of LOSS_MSE, LOSS_MAE, LOSS_HUBER (threshold ``delta``),
    LOSS_BCE (x is a logit) or LOSS_PINBALL (quantile ``tau``); ``n`` is the
    element count of the mean. (LOSS_CE works on whole rows:
    :func:`softmax_ce_row`.)
    """
    e = x - y
    if code == LOSS_MSE:
        return e * e, 2.0 * e / n
    if code == LOSS_MAE:
        return abs(e), (1.0 if e > 0 else (-1.0 if e < 0 else 0.0)) / n
    if code == LOSS_HUBER:
        if abs(e) <= delta:
            return 0.5 * e * e, e / n
        return delta * (abs(e) - 0.5 * delta), delta * (1.0 if e > 0 else -1.0) / n
    if code == LOSS_BCE:
        return max(x, 0.0) - x * y + math.log1p(math.exp(-abs(x))), (1.0 / (1.0 + math.exp(-x)) - y) / n
    u = -e  # LOSS_PINBALL
    if u >= 0:
        return tau * u, -tau / n
    return (tau - 1.0) * u, (1.0 - tau) / n


def optimizer_term(code, p, g, m, v, lr, bc1, bc2, beta1, beta2, eps, momentum):
    """One parameter's update: OPT_ADAM (bias corrections bc1, bc2),
    OPT_RMSPROP, or OPT_SGD with momentum. Returns the new (p, m, v)."""
    if code == OPT_ADAM:
        m = beta1 * m + (1.0 - beta1) * g
        v = beta2 * v + (1.0 - beta2) * g * g
        return p - lr * (m / bc1) / (math.sqrt(v / bc2) + eps), m, v
    if code == OPT_RMSPROP:
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
    return 0.999 if optimizer_code == OPT_ADAM else 0.99
