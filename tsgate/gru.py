"""GRU cell: forward over a sequence and its exact BPTT, one layer, one direction.

Math and layout follow ``torch.nn.GRU`` (gates r, z, n)::

    gx = x_t W_ih^T + b_ih,   gh = h_{t-1} W_hh^T + b_hh         # (B, 3H) each
    r = sigmoid(gx_r + gh_r);  z = sigmoid(gx_z + gh_z)
    n = tanh(gx_n + r * gh_n)
    h_t = (1 - z) * n + z * h_{t-1}

Tiers and speed design as in :mod:`tsgate.lstm`.
"""

from typing import NamedTuple

import numpy as np
from numba import prange

from .blas import dot_rows, recurrent_weights, single_threaded_blas
from .config import pjit
from .core import (
    InferStates,
    check_cell_inputs,
    check_grad_out,
    flush_,
    infer_states,
    n_chunks,
    projection_block,
    run_input_projection,
    run_weight_grads,
    sigmoid_,
    tanh_,
)


@pjit
def _gru_forward_kernel(WhhT, b_hh, Hs, A, Ghn, nchunks, rows):
    """Recurrence. On entry A holds gx = x W_ih^T + b_ih (T, B, 3H); on exit
    the activated gates [r, z, n]. Ghn (T, B, H) receives gh_n, which the
    backward pass needs. Hs (T+1, B, H) holds h0 at index 0. WhhT: W_hh^T in
    column blocks, ``rows``: rows per BLAS call (:func:`tsgate.blas.recurrent_weights`)."""
    T, B, G = A.shape
    H = G // 3
    one = A.dtype.type(1.0)
    bh_r = b_hh[0:H]
    bh_z = b_hh[H:2 * H]
    bh_n = b_hh[2 * H:3 * H]
    for c in prange(nchunks):
        b0 = c * B // nchunks
        b1 = (c + 1) * B // nchunks
        if b1 > b0:
            rec = np.empty((b1 - b0, G), A.dtype)  # (Bc, 3H) = h_{t-1} W_hh^T
            tmp = np.empty((b1 - b0, WhhT.shape[2]), A.dtype)  # a column block's product
            for t in range(T):
                dot_rows(Hs[t, b0:b1], WhhT, rec, tmp, rows)
                for b in range(b1 - b0):
                    bb = b0 + b
                    a_r = A[t, bb, 0:H]
                    a_z = A[t, bb, H:2 * H]
                    a_n = A[t, bb, 2 * H:3 * H]
                    gh_r = rec[b, 0:H]
                    gh_z = rec[b, H:2 * H]
                    gh_n = rec[b, 2 * H:3 * H]
                    ghn = Ghn[t, bb]
                    h_prev = Hs[t, bb]
                    h_new = Hs[t + 1, bb]
                    for j in range(H):
                        r = sigmoid_(a_r[j] + gh_r[j] + bh_r[j])
                        z = sigmoid_(a_z[j] + gh_z[j] + bh_z[j])
                        gn = gh_n[j] + bh_n[j]
                        n = tanh_(a_n[j] + r * gn)
                        a_r[j] = r
                        a_z[j] = z
                        a_n[j] = n
                        ghn[j] = gn
                        h_new[j] = (one - z) * n + z * h_prev[j]


@pjit
def _gru_backward_kernel(Whh, Hs, A, Ghn, dY, dh, dGx, dGh, nchunks, rows):
    """Reverse time loop. dh (B, H) enters as dL/dh_T, leaves as dL/dh_0.
    Writes dGx and dGh (T, B, 3H): gradients of gx and gh. Whh: W_hh in column
    blocks, ``rows``: rows per BLAS call (:func:`tsgate.blas.recurrent_weights`)."""
    T, B, G = A.shape
    H = G // 3
    one = A.dtype.type(1.0)
    for c in prange(nchunks):
        b0 = c * B // nchunks
        b1 = (c + 1) * B // nchunks
        if b1 > b0:
            tmp = np.empty((b1 - b0, Whh.shape[2]), dGh.dtype)  # a column block's product
            direct = np.empty((b1 - b0, H), A.dtype)  # dL/dh_{t-1} through z * h_{t-1}
            for t in range(T - 1, -1, -1):
                for b in range(b0, b1):
                    r_ = A[t, b, 0:H]
                    z_ = A[t, b, H:2 * H]
                    n_ = A[t, b, 2 * H:3 * H]
                    dgx_r = dGx[t, b, 0:H]
                    dgx_z = dGx[t, b, H:2 * H]
                    dgx_n = dGx[t, b, 2 * H:3 * H]
                    dgh_r = dGh[t, b, 0:H]
                    dgh_z = dGh[t, b, H:2 * H]
                    dgh_n = dGh[t, b, 2 * H:3 * H]
                    gn = Ghn[t, b]
                    h_prev = Hs[t, b]
                    dy = dY[t, b]
                    dh_b = dh[b]
                    dir_b = direct[b - b0]
                    for j in range(H):
                        r = r_[j]
                        z = z_[j]
                        n = n_[j]
                        dh_t = flush_(dh_b[j] + dy[j])  # no subnormals far back (core.FLUSH32)
                        dn = dh_t * (one - z) * (one - n * n)  # grad of n's pre-activation
                        dr = dn * gn[j] * r * (one - r)
                        dz = dh_t * (h_prev[j] - n) * z * (one - z)
                        dgx_r[j] = dr
                        dgx_z[j] = dz
                        dgx_n[j] = dn
                        dgh_r[j] = dr
                        dgh_z[j] = dz
                        dgh_n[j] = dn * r
                        dir_b[j] = dh_t * z
                dot_rows(dGh[t, b0:b1], Whh, dh[b0:b1], tmp, rows)  # (Bc, H)
                for b in range(b0, b1):
                    dh_b = dh[b]
                    dir_b = direct[b - b0]
                    for j in range(H):
                        dh_b[j] += dir_b[j]


class GRUCache(NamedTuple):
    """What BPTT needs from the forward pass."""

    x: np.ndarray  # (T, B, D)
    w_ih: np.ndarray  # (3H, D)
    w_hh: np.ndarray  # (3H, H)
    hs: np.ndarray  # (T+1, B, H): h0 .. hT
    gates: np.ndarray  # (T, B, 3H): activated r, z, n
    ghn: np.ndarray  # (T, B, H): h_{t-1} W_hn^T + b_hn


class GRUGrads(NamedTuple):
    dx: np.ndarray  # (T, B, D)
    dw_ih: np.ndarray  # (3H, D)
    dw_hh: np.ndarray  # (3H, H)
    db_ih: np.ndarray  # (3H,)
    db_hh: np.ndarray  # (3H,)
    dh0: np.ndarray  # (B, H)


def _gru_forward(x, w_ih, w_hh, b_ih, b_hh, h0):
    T, B, _ = x.shape
    H = w_hh.shape[1]
    gates = run_input_projection(x, w_ih, b_ih)  # (T, B, 3H)
    hs = np.empty((T + 1, B, H), x.dtype)
    hs[0] = h0
    ghn = np.empty((T, B, H), x.dtype)
    with single_threaded_blas():
        WhhT, rows = recurrent_weights(w_hh)
        _gru_forward_kernel(WhhT, b_hh, hs, gates, ghn, n_chunks(B), rows)
    return GRUCache(x, w_ih, w_hh, hs, gates, ghn)


def _gru_infer(x, w_ih, w_hh, b_ih, b_hh, h0):
    """The forward without a tape (see :func:`tsgate.lstm._lstm_infer`): blocks of steps,
    the same as :func:`_gru_forward` to rounding."""
    T, B, _ = x.shape
    H = w_hh.shape[1]
    ghn = np.empty((projection_block(T, B, 3 * H), B, H), x.dtype)  # gh_n, which only backward reads
    WhhT, rows = recurrent_weights(w_hh)

    def advance(Hs, A):  # A (n, B, 3H)
        _gru_forward_kernel(WhhT, b_hh, Hs, A, ghn[:A.shape[0]], n_chunks(B), rows)

    return InferStates(infer_states(x, w_ih, b_ih, h0, advance))


def _gru_backward(cache, dy, dh_n, out=None):
    """``out``: optional (dw_ih, dw_hh, db_ih, db_hh) arrays to write into."""
    x, w_ih, w_hh, hs, gates, ghn = cache
    dh = dh_n.copy()
    d_gx = np.empty_like(gates)
    d_gh = np.empty_like(gates)
    with single_threaded_blas():
        Whh, rows = recurrent_weights(w_hh, transpose=False)
        _gru_backward_kernel(Whh, hs, gates, ghn, dy, dh, d_gx, d_gh, n_chunks(x.shape[1]), rows)
    return GRUGrads(*run_weight_grads(d_gx, d_gh, x, hs, w_ih, out), dh)


def gru_forward(x, w_ih, w_hh, b_ih, b_hh, h0=None):
    """Run one GRU layer (one direction) over a whole sequence.

    Parameters
    ----------
    x : ndarray, shape (T, B, D), float32 or float64
        Input sequence, time-major.
    w_ih : ndarray, shape (3H, D)
        Input weights, gates stacked [r, z, n] (torch ``weight_ih_l0``).
    w_hh : ndarray, shape (3H, H)
        Recurrent weights.
    b_ih, b_hh : ndarray, shape (3H,)
        Biases (kept separate: b_hh_n sits inside ``r * (...)``).
    h0 : ndarray, shape (B, H), optional
        Initial hidden state; zeros when omitted.

    Returns
    -------
    y : ndarray, shape (T, B, H)
    h_n : ndarray, shape (B, H)
    cache : GRUCache
    """
    x, w_ih, w_hh, b_ih, b_hh, h0, _ = check_cell_inputs(x, w_ih, w_hh, b_ih, b_hh, 3, h0)
    cache = _gru_forward(x, w_ih, w_hh, b_ih, b_hh, h0)
    return cache.hs[1:], cache.hs[-1].copy(), cache


def gru_backward(cache, dy=None, dh_n=None):
    """Backpropagation through time for :func:`gru_forward`.

    Parameters
    ----------
    cache : GRUCache
    dy : ndarray, shape (T, B, H), optional
    dh_n : ndarray, shape (B, H), optional

    Returns
    -------
    GRUGrads
        ``dx, dw_ih, dw_hh, db_ih, db_hh, dh0``.
    """
    if not isinstance(cache, GRUCache):
        raise TypeError("cache must be the GRUCache returned by gru_forward")
    T, B, _ = cache.x.shape
    H = cache.w_hh.shape[1]
    dt = cache.x.dtype
    dy = check_grad_out(dy, "dy", (T, B, H), dt)
    dh_n = check_grad_out(dh_n, "dh_n", (B, H), dt)
    return _gru_backward(cache, dy, dh_n)
