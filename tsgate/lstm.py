"""LSTM cell: forward over a sequence and its exact BPTT, one layer, one direction.

Math and layout follow ``torch.nn.LSTM`` (gates i, f, g, o)::

    a_t = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh          # (B, 4H)
    i, f, o = sigmoid(a_i), sigmoid(a_f), sigmoid(a_o);  g = tanh(a_g)
    c_t = f * c_{t-1} + i * g
    h_t = o * tanh(c_t)

Three tiers: ``_lstm_*_kernel`` (compiled), ``_lstm_forward``/``_lstm_backward``
(drivers: the only place that allocates; ``_lstm_infer``, the forward without a
tape, for inference), ``lstm_forward``/``lstm_backward`` (public: validate,
return NumPy). The GPU sibling :mod:`tsgate.gpu_lstm` has the forward and
backward drivers of the same names, taking and returning the same NamedTuples.

Speed: the input projection of all steps is one GEMM (split over row chunks;
without a tape, per block of steps: :func:`tsgate.core.project_blocks`);
the time loop runs inside ONE parallel region over batch chunks, each chunk
calling single-threaded BLAS for ``h W_hh^T``; weight gradients are GEMMs over
the stored states, reduced per chunk and then summed serially (deterministic).
"""

from typing import NamedTuple

import numpy as np
from numba import prange

from .blas import dot_rows, recurrent_weights, single_threaded_blas
from .config import pjit
from .core import (
    InferStates,
    check_cell_inputs,
    infer_states,
    projection_block,
    run_input_projection,
    run_weight_grads,
    check_grad_out,
    flush_,
    n_chunks,
    sigmoid_,
    tanh_,
)


# ---------------------------------------------------------------------------
# Forward


@pjit
def _lstm_forward_kernel(WhhT, Hs, Cs, A, nchunks, rows):
    """Recurrence. On entry A holds x W_ih^T + b (T, B, 4H); on exit the
    activated gates [i, f, g, o]. Hs, Cs (T+1, B, H) hold h0, c0 at index 0.
    WhhT: W_hh^T in column blocks, ``rows``: rows per BLAS call (:func:`tsgate.blas.recurrent_weights`)."""
    T, B, G = A.shape
    H = G // 4
    for c in prange(nchunks):
        b0 = c * B // nchunks
        b1 = (c + 1) * B // nchunks
        if b1 > b0:
            rec = np.empty((b1 - b0, G), A.dtype)  # (Bc, 4H) = h_{t-1} W_hh^T
            tmp = np.empty((b1 - b0, WhhT.shape[2]), A.dtype)  # a column block's product
            for t in range(T):
                dot_rows(Hs[t, b0:b1], WhhT, rec, tmp, rows)
                for b in range(b1 - b0):
                    bb = b0 + b
                    a_i = A[t, bb, 0:H]
                    a_f = A[t, bb, H:2 * H]
                    a_g = A[t, bb, 2 * H:3 * H]
                    a_o = A[t, bb, 3 * H:4 * H]
                    r_i = rec[b, 0:H]
                    r_f = rec[b, H:2 * H]
                    r_g = rec[b, 2 * H:3 * H]
                    r_o = rec[b, 3 * H:4 * H]
                    c_prev = Cs[t, bb]
                    c_new = Cs[t + 1, bb]
                    h_new = Hs[t + 1, bb]
                    for j in range(H):
                        i = sigmoid_(a_i[j] + r_i[j])
                        f = sigmoid_(a_f[j] + r_f[j])
                        g = tanh_(a_g[j] + r_g[j])
                        o = sigmoid_(a_o[j] + r_o[j])
                        cn = f * c_prev[j] + i * g
                        a_i[j] = i
                        a_f[j] = f
                        a_g[j] = g
                        a_o[j] = o
                        c_new[j] = cn
                        h_new[j] = o * tanh_(cn)


# ---------------------------------------------------------------------------
# Backward (BPTT), right next to the forward it differentiates


@pjit
def _lstm_backward_kernel(Whh, Cs, A, dY, dh, dc, dA, nchunks, rows):
    """Reverse time loop. dh, dc (B, H) enter as dL/dh_T, dL/dc_T and leave as
    dL/dh_0, dL/dc_0. Writes dA (T, B, 4H), the gradient of the gate
    pre-activations, used afterwards for every weight gradient. Whh: W_hh in
    column blocks, ``rows``: rows per BLAS call (:func:`tsgate.blas.recurrent_weights`)."""
    T, B, G = A.shape
    H = G // 4
    one = A.dtype.type(1.0)
    for c in prange(nchunks):
        b0 = c * B // nchunks
        b1 = (c + 1) * B // nchunks
        if b1 > b0:
            tmp = np.empty((b1 - b0, Whh.shape[2]), dA.dtype)  # a column block's product
            for t in range(T - 1, -1, -1):
                for b in range(b0, b1):
                    i_ = A[t, b, 0:H]
                    f_ = A[t, b, H:2 * H]
                    g_ = A[t, b, 2 * H:3 * H]
                    o_ = A[t, b, 3 * H:4 * H]
                    da_i = dA[t, b, 0:H]
                    da_f = dA[t, b, H:2 * H]
                    da_g = dA[t, b, 2 * H:3 * H]
                    da_o = dA[t, b, 3 * H:4 * H]
                    c_t = Cs[t + 1, b]
                    c_prev = Cs[t, b]
                    dy = dY[t, b]
                    dh_b = dh[b]
                    dc_b = dc[b]
                    for j in range(H):
                        i = i_[j]
                        f = f_[j]
                        g = g_[j]
                        o = o_[j]
                        tc = tanh_(c_t[j])
                        dh_t = flush_(dh_b[j] + dy[j])  # no subnormals far back (core.FLUSH32)
                        dc_t = flush_(dc_b[j] + dh_t * o * (one - tc * tc))
                        da_i[j] = dc_t * g * i * (one - i)
                        da_f[j] = dc_t * c_prev[j] * f * (one - f)
                        da_g[j] = dc_t * i * (one - g * g)
                        da_o[j] = dh_t * tc * o * (one - o)
                        dc_b[j] = dc_t * f
                dot_rows(dA[t, b0:b1], Whh, dh[b0:b1], tmp, rows)  # dL/dh_{t-1}, (Bc, H)


# ---------------------------------------------------------------------------
# Drivers (allocate, call kernels) and the public API


class LSTMCache(NamedTuple):
    """What BPTT needs from the forward pass (arrays are owned by the cache)."""

    x: np.ndarray  # (T, B, D)
    w_ih: np.ndarray  # (4H, D)
    w_hh: np.ndarray  # (4H, H)
    hs: np.ndarray  # (T+1, B, H): h0, h1 .. hT
    cs: np.ndarray  # (T+1, B, H): c0, c1 .. cT
    gates: np.ndarray  # (T, B, 4H): activated i, f, g, o


class LSTMGrads(NamedTuple):
    dx: np.ndarray  # (T, B, D)
    dw_ih: np.ndarray  # (4H, D)
    dw_hh: np.ndarray  # (4H, H)
    db_ih: np.ndarray  # (4H,)
    db_hh: np.ndarray  # (4H,)
    dh0: np.ndarray  # (B, H)
    dc0: np.ndarray  # (B, H)


def _lstm_forward(x, w_ih, w_hh, b_ih, b_hh, h0, c0):
    T, B, _ = x.shape
    H = w_hh.shape[1]
    gates = run_input_projection(x, w_ih, b_ih + b_hh)  # (T, B, 4H)
    hs = np.empty((T + 1, B, H), x.dtype)
    cs = np.empty((T + 1, B, H), x.dtype)
    hs[0] = h0
    cs[0] = c0
    with single_threaded_blas():
        WhhT, rows = recurrent_weights(w_hh)
        _lstm_forward_kernel(WhhT, hs, cs, gates, n_chunks(B), rows)
    return LSTMCache(x, w_ih, w_hh, hs, cs, gates)


def _lstm_infer(x, w_ih, w_hh, b_ih, b_hh, h0, c0):
    """The forward without a tape: projects and runs a block of steps at a time, so the
    gates (T, B, 4H) and cell states are never all stored. The same kernel as
    :func:`_lstm_forward`; the results agree to rounding (bit for bit when the
    sequence fits in one block; :func:`tsgate.core.project_blocks`)."""
    T, B, _ = x.shape
    H = w_hh.shape[1]
    cs = np.empty((projection_block(T, B, 4 * H) + 1, B, H), x.dtype)  # c of a block's steps
    cs[0] = c0
    WhhT, rows = recurrent_weights(w_hh)

    def advance(Hs, A):  # A (n, B, 4H)
        n = A.shape[0]
        _lstm_forward_kernel(WhhT, Hs, cs[:n + 1], A, n_chunks(B), rows)
        cs[0] = cs[n]  # the next block starts from c_n

    return InferStates(infer_states(x, w_ih, b_ih + b_hh, h0, advance), cs[:1])


def _lstm_backward(cache, dy, dh_n, dc_n, out=None):
    """``out``: optional (dw_ih, dw_hh, db_ih, db_hh) arrays to write into."""
    x, w_ih, w_hh, hs, cs, gates = cache
    dh = dh_n.copy()
    dc = dc_n.copy()
    d_gates = np.empty_like(gates)  # (T, B, 4H)
    with single_threaded_blas():
        Whh, rows = recurrent_weights(w_hh, transpose=False)
        _lstm_backward_kernel(Whh, cs, gates, dy, dh, dc, d_gates, n_chunks(x.shape[1]), rows)
    return LSTMGrads(*run_weight_grads(d_gates, d_gates, x, hs, w_ih, out), dh, dc)


def lstm_forward(x, w_ih, w_hh, b_ih, b_hh, h0=None, c0=None):
    """Run one LSTM layer (one direction) over a whole sequence.

    Parameters
    ----------
    x : ndarray, shape (T, B, D), float32 or float64
        Input sequence, time-major as in torch.
    w_ih : ndarray, shape (4H, D)
        Input weights, gates stacked [i, f, g, o] (torch ``weight_ih_l0``).
    w_hh : ndarray, shape (4H, H)
        Recurrent weights (torch ``weight_hh_l0``).
    b_ih, b_hh : ndarray, shape (4H,)
        Biases.
    h0, c0 : ndarray, shape (B, H), optional
        Initial hidden and cell state; zeros when omitted.

    Returns
    -------
    y : ndarray, shape (T, B, H)
        Hidden state at every step (a view into ``cache.hs``).
    h_n, c_n : ndarray, shape (B, H)
        Final hidden and cell state.
    cache : LSTMCache
        Stored activations for :func:`lstm_backward`.
    """
    x, w_ih, w_hh, b_ih, b_hh, h0, c0 = check_cell_inputs(
        x, w_ih, w_hh, b_ih, b_hh, 4, h0, c0, with_c=True
    )
    cache = _lstm_forward(x, w_ih, w_hh, b_ih, b_hh, h0, c0)
    return cache.hs[1:], cache.hs[-1].copy(), cache.cs[-1].copy(), cache


def lstm_backward(cache, dy=None, dh_n=None, dc_n=None):
    """Backpropagation through time for :func:`lstm_forward`.

    Parameters
    ----------
    cache : LSTMCache
        Returned by :func:`lstm_forward`.
    dy : ndarray, shape (T, B, H), optional
        Gradient of the loss with respect to every output ``y``.
    dh_n, dc_n : ndarray, shape (B, H), optional
        Gradient with respect to the final states.

    Returns
    -------
    LSTMGrads
        ``dx, dw_ih, dw_hh, db_ih, db_hh, dh0, dc0``.
    """
    if not isinstance(cache, LSTMCache):
        raise TypeError("cache must be the LSTMCache returned by lstm_forward")
    T, B, _ = cache.x.shape
    H = cache.w_hh.shape[1]
    dt = cache.x.dtype
    dy = check_grad_out(dy, "dy", (T, B, H), dt)
    dh_n = check_grad_out(dh_n, "dh_n", (B, H), dt)
    dc_n = check_grad_out(dc_n, "dc_n", (B, H), dt)
    return _lstm_backward(cache, dy, dh_n, dc_n)
