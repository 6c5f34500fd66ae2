"""Slow, obvious NumPy references: one time step at a time, exact activations,
BPTT written out by hand from the chain rule. Independent of tsgate's code."""

import numpy as np


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def lstm_forward(x, w_ih, w_hh, b_ih, b_hh, h0, c0):
    T = x.shape[0]
    H = w_hh.shape[1]
    h, c = h0, c0
    ys, steps = [], []
    for t in range(T):
        a = x[t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh
        i = sigmoid(a[:, :H])
        f = sigmoid(a[:, H:2 * H])
        g = np.tanh(a[:, 2 * H:3 * H])
        o = sigmoid(a[:, 3 * H:])
        c_new = f * c + i * g
        h_new = o * np.tanh(c_new)
        steps.append((x[t], h, c, i, f, g, o, c_new))
        h, c = h_new, c_new
        ys.append(h)
    return np.stack(ys), h, c, steps


def lstm_backward(w_ih, w_hh, steps, dy, dh_n, dc_n):
    dw_ih = np.zeros_like(w_ih)
    dw_hh = np.zeros_like(w_hh)
    db = np.zeros(w_ih.shape[0])
    dxs = []
    dh, dc = dh_n.copy(), dc_n.copy()
    for t in reversed(range(len(steps))):
        x_t, h_prev, c_prev, i, f, g, o, c_new = steps[t]
        dh = dh + dy[t]
        do = dh * np.tanh(c_new)
        dc = dc + dh * o * (1 - np.tanh(c_new) ** 2)
        di, df, dg = dc * g, dc * c_prev, dc * i
        da = np.concatenate([di * i * (1 - i), df * f * (1 - f), dg * (1 - g ** 2), do * o * (1 - o)], axis=1)
        dw_ih += da.T @ x_t
        dw_hh += da.T @ h_prev
        db += da.sum(0)
        dxs.append(da @ w_ih)
        dh = da @ w_hh
        dc = dc * f
    return np.stack(dxs[::-1]), dw_ih, dw_hh, db, db.copy(), dh, dc


def gru_forward(x, w_ih, w_hh, b_ih, b_hh, h0):
    H = w_hh.shape[1]
    h = h0
    ys, steps = [], []
    for t in range(x.shape[0]):
        gx = x[t] @ w_ih.T + b_ih
        gh = h @ w_hh.T + b_hh
        r = sigmoid(gx[:, :H] + gh[:, :H])
        z = sigmoid(gx[:, H:2 * H] + gh[:, H:2 * H])
        n = np.tanh(gx[:, 2 * H:] + r * gh[:, 2 * H:])
        h_new = (1 - z) * n + z * h
        steps.append((x[t], h, r, z, n, gh[:, 2 * H:]))
        h = h_new
        ys.append(h)
    return np.stack(ys), h, steps


def gru_backward(w_ih, w_hh, steps, dy, dh_n):
    dw_ih = np.zeros_like(w_ih)
    dw_hh = np.zeros_like(w_hh)
    db_ih = np.zeros(w_ih.shape[0])
    db_hh = np.zeros(w_ih.shape[0])
    dxs = []
    dh = dh_n.copy()
    for t in reversed(range(len(steps))):
        x_t, h_prev, r, z, n, ghn = steps[t]
        dh = dh + dy[t]
        dn_pre = dh * (1 - z) * (1 - n ** 2)
        dr_pre = dn_pre * ghn * r * (1 - r)
        dz_pre = dh * (h_prev - n) * z * (1 - z)
        dgx = np.concatenate([dr_pre, dz_pre, dn_pre], axis=1)
        dgh = np.concatenate([dr_pre, dz_pre, dn_pre * r], axis=1)
        dw_ih += dgx.T @ x_t
        dw_hh += dgh.T @ h_prev
        db_ih += dgx.sum(0)
        db_hh += dgh.sum(0)
        dxs.append(dgx @ w_ih)
        dh = dh * z + dgh @ w_hh
    return np.stack(dxs[::-1]), dw_ih, dw_hh, db_ih, db_hh, dh


def rnn_forward(x, w_ih, w_hh, b_ih, b_hh, h0, nonlinearity="tanh"):
    act = np.tanh if nonlinearity == "tanh" else (lambda v: np.maximum(v, 0.0))
    h = h0
    ys, steps = [], []
    for t in range(x.shape[0]):
        h_new = act(x[t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh)
        steps.append((x[t], h, h_new))
        h = h_new
        ys.append(h)
    return np.stack(ys), h, steps


def rnn_backward(w_ih, w_hh, steps, dy, dh_n, nonlinearity="tanh"):
    dw_ih = np.zeros_like(w_ih)
    dw_hh = np.zeros_like(w_hh)
    db = np.zeros(w_ih.shape[0])
    dxs = []
    dh = dh_n.copy()
    for t in reversed(range(len(steps))):
        x_t, h_prev, h_new = steps[t]
        dh = dh + dy[t]
        da = dh * (1 - h_new ** 2) if nonlinearity == "tanh" else dh * (h_new > 0)
        dw_ih += da.T @ x_t
        dw_hh += da.T @ h_prev
        db += da.sum(0)
        dxs.append(da @ w_ih)
        dh = da @ w_hh
    return np.stack(dxs[::-1]), dw_ih, dw_hh, db, db.copy(), dh


def numeric_gradient(f, arr, eps=1e-6):
    """Central finite differences of the scalar function ``f()`` with respect
    to every entry of ``arr`` (changed in place and restored)."""
    g = np.zeros_like(arr)
    flat, gflat = arr.reshape(-1), g.reshape(-1)
    for k in range(flat.size):
        old = flat[k]
        flat[k] = old + eps
        up = f()
        flat[k] = old - eps
        down = f()
        flat[k] = old
        gflat[k] = (up - down) / (2 * eps)
    return g
