"""Vanilla (Elman) RNN cell: forward over a sequence and its exact BPTT.

Math and layout follow ``torch.nn.RNN``::

    h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh),   act = tanh | relu

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
    run_input_projection,
    run_weight_grads,
    tanh_,
)
from .elementmath import ACT_RELU, NONLINEARITIES
from .errors import ParameterError


@pjit
def _rnn_forward_kernel(WhhT, Hs, A, act, nchunks, rows):
    """Recurrence. A (T, B, H) holds x W_ih^T + b on entry (kept as is).
    Hs (T+1, B, H) holds h0 at index 0. WhhT: W_hh^T in column blocks, ``rows``:
    rows per BLAS call (:func:`tsgate.blas.recurrent_weights`)."""
    T, B, H = A.shape
    zero = A.dtype.type(0.0)
    for c in prange(nchunks):
        b0 = c * B // nchunks
        b1 = (c + 1) * B // nchunks
        if b1 > b0:
            rec = np.empty((b1 - b0, H), A.dtype)  # (Bc, H) = h_{t-1} W_hh^T
            tmp = np.empty((b1 - b0, WhhT.shape[2]), A.dtype)  # a column block's product
            for t in range(T):
                dot_rows(Hs[t, b0:b1], WhhT, rec, tmp, rows)
                for b in range(b1 - b0):
                    a = A[t, b0 + b]
                    r = rec[b]
                    h_new = Hs[t + 1, b0 + b]
                    if act == ACT_RELU:
                        for j in range(H):
                            h_new[j] = max(a[j] + r[j], zero)
                    else:
                        for j in range(H):
                            h_new[j] = tanh_(a[j] + r[j])


@pjit
def _rnn_backward_kernel(Whh, Hs, dY, dh, dA, act, nchunks, rows):
    """Reverse time loop. dh (B, H): dL/dh_T in, dL/dh_0 out. Writes dA
    (T, B, H), the gradient of the pre-activation. Whh: W_hh in column blocks,
    ``rows``: rows per BLAS call (:func:`tsgate.blas.recurrent_weights`)."""
    T, B, H = dA.shape
    one = dA.dtype.type(1.0)
    zero = dA.dtype.type(0.0)
    for c in prange(nchunks):
        b0 = c * B // nchunks
        b1 = (c + 1) * B // nchunks
        if b1 > b0:
            tmp = np.empty((b1 - b0, Whh.shape[2]), dA.dtype)  # a column block's product
            for t in range(T - 1, -1, -1):
                for b in range(b0, b1):
                    h = Hs[t + 1, b]
                    da = dA[t, b]
                    if act == ACT_RELU:
                        for j in range(H):
                            da[j] = flush_(dh[b, j] + dY[t, b, j]) if h[j] > zero else zero
                    else:
                        for j in range(H):
                            da[j] = flush_(dh[b, j] + dY[t, b, j]) * (one - h[j] * h[j])  # core.FLUSH32
                dot_rows(dA[t, b0:b1], Whh, dh[b0:b1], tmp, rows)


class RNNCache(NamedTuple):
    x: np.ndarray  # (T, B, D)
    w_ih: np.ndarray  # (H, D)
    w_hh: np.ndarray  # (H, H)
    hs: np.ndarray  # (T+1, B, H)
    act: int


class RNNGrads(NamedTuple):
    dx: np.ndarray
    dw_ih: np.ndarray
    dw_hh: np.ndarray
    db_ih: np.ndarray
    db_hh: np.ndarray
    dh0: np.ndarray


def _rnn_forward(x, w_ih, w_hh, b_ih, b_hh, h0, act):
    T, B, _ = x.shape
    H = w_hh.shape[1]
    pre = run_input_projection(x, w_ih, b_ih + b_hh)  # (T, B, H)
    hs = np.empty((T + 1, B, H), x.dtype)
    hs[0] = h0
    with single_threaded_blas():
        WhhT, rows = recurrent_weights(w_hh)
        _rnn_forward_kernel(WhhT, hs, pre, act, n_chunks(B), rows)
    return RNNCache(x, w_ih, w_hh, hs, act)


def _rnn_infer(x, w_ih, w_hh, b_ih, b_hh, h0, act):
    """The forward without a tape (see :func:`tsgate.lstm._lstm_infer`): blocks of steps,
    the same as :func:`_rnn_forward` to rounding."""
    WhhT, rows = recurrent_weights(w_hh)

    def advance(Hs, A):  # A (n, B, H)
        _rnn_forward_kernel(WhhT, Hs, A, act, n_chunks(A.shape[1]), rows)

    return InferStates(infer_states(x, w_ih, b_ih + b_hh, h0, advance))


def _rnn_backward(cache, dy, dh_n, out=None):
    """``out``: optional (dw_ih, dw_hh, db_ih, db_hh) arrays to write into."""
    x, w_ih, w_hh, hs, act = cache
    dh = dh_n.copy()
    d_pre = np.empty((x.shape[0], x.shape[1], w_hh.shape[0]), x.dtype)
    with single_threaded_blas():
        Whh, rows = recurrent_weights(w_hh, transpose=False)
        _rnn_backward_kernel(Whh, hs, dy, dh, d_pre, act, n_chunks(x.shape[1]), rows)
    return RNNGrads(*run_weight_grads(d_pre, d_pre, x, hs, w_ih, out), dh)


def rnn_forward(x, w_ih, w_hh, b_ih, b_hh, h0=None, *, nonlinearity="tanh"):
    """Run one Elman RNN layer (one direction) over a whole sequence.

    Parameters
    ----------
    x : ndarray, shape (T, B, D), float32 or float64
    w_ih : ndarray, shape (H, D)
    w_hh : ndarray, shape (H, H)
    b_ih, b_hh : ndarray, shape (H,)
    h0 : ndarray, shape (B, H), optional
    nonlinearity : {'tanh', 'relu'}

    Returns
    -------
    y : ndarray, shape (T, B, H)
    h_n : ndarray, shape (B, H)
    cache : RNNCache
    """
    if nonlinearity not in NONLINEARITIES:
        raise ParameterError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    x, w_ih, w_hh, b_ih, b_hh, h0, _ = check_cell_inputs(x, w_ih, w_hh, b_ih, b_hh, 1, h0)
    cache = _rnn_forward(x, w_ih, w_hh, b_ih, b_hh, h0, NONLINEARITIES[nonlinearity])
    return cache.hs[1:], cache.hs[-1].copy(), cache


def rnn_backward(cache, dy=None, dh_n=None):
    """Backpropagation through time for :func:`rnn_forward`.

    Returns
    -------
    RNNGrads
        ``dx, dw_ih, dw_hh, db_ih, db_hh, dh0``.
    """
    if not isinstance(cache, RNNCache):
        raise TypeError("cache must be the RNNCache returned by rnn_forward")
    T, B, _ = cache.x.shape
    H = cache.w_hh.shape[1]
    dt = cache.x.dtype
    dy = check_grad_out(dy, "dy", (T, B, H), dt)
    dh_n = check_grad_out(dh_n, "dh_n", (B, H), dt)
    return _rnn_backward(cache, dy, dh_n)
