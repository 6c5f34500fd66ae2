"""Elman RNN on the GPU: persistent forward and BPTT kernels (sibling of rnn.py).

Same tiers and conventions as :mod:`tsgate.gpu_lstm`; activation by integer
code (:data:`tsgate.elementmath.ACT_TANH`, :data:`tsgate.elementmath.ACT_RELU`).
"""

from numba import cuda

from .gpu_core import (
    ZERO, d_dh_prev, d_stage, d_tanh, empty, gemm, launch_recurrent, per_dtype,
    run_weight_grads, transpose,
)
from .elementmath import ACT_RELU
from .rnn import RNNCache, RNNGrads


@cuda.jit(device=True, inline=True)
def _rnn_forward_steps(W, Hs, A, act, rows, one):
    """W = W_hh^T flattened (H*H,); A (T, B, H): x W_ih^T + b (kept);
    Hs (T+1, B, H), step 0 given; act 0 tanh, 1 relu."""
    T, B, H = A.shape
    n_groups = (B + rows - 1) // rows
    for grp in range(cuda.blockIdx.x, n_groups, cuda.gridDim.x):
        b0 = grp * rows
        nb = min(rows, B - b0)
        for t in range(T):
            for idx in range(cuda.threadIdx.x, nb * H, cuda.blockDim.x):
                b = b0 + idx // H
                j = idx % H
                s = A[t, b, j]
                for k in range(H):
                    s += Hs[t, b, k] * W[k * H + j]
                Hs[t + 1, b, j] = max(s, ZERO) if act == ACT_RELU else d_tanh(s)
            cuda.syncthreads()


@cuda.jit(device=True, inline=True)
def _rnn_backward_steps(W, Hs, dY, dh, dA, act, rows, one):
    """Reverse time loop. W = W_hh flattened; dh (B, H): dL/dh_T in, dL/dh_0 out."""
    T, B, H = dA.shape
    n_groups = (B + rows - 1) // rows
    for grp in range(cuda.blockIdx.x, n_groups, cuda.gridDim.x):
        b0 = grp * rows
        nb = min(rows, B - b0)
        for t in range(T - 1, -1, -1):
            for idx in range(cuda.threadIdx.x, nb * H, cuda.blockDim.x):
                b = b0 + idx // H
                j = idx % H
                h = Hs[t + 1, b, j]
                g = dh[b, j] + dY[t, b, j]
                if act == ACT_RELU:
                    dA[t, b, j] = g if h > 0 else ZERO
                else:
                    dA[t, b, j] = g * (one - h * h)
            cuda.syncthreads()
            d_dh_prev(dA, W, dh, dh, 0, t, b0, nb)
            cuda.syncthreads()


def _make_kernels(nbtype):
    """Forward and backward kernels for one dtype (W staged in shared memory
    when ``use_shared``)."""

    @cuda.jit
    def forward(W, Hs, A, act, rows, use_shared):
        if use_shared:
            sW = cuda.shared.array(0, nbtype)
            d_stage(W, sW)
            _rnn_forward_steps(sW, Hs, A, act, rows, nbtype(1.0))
        else:
            _rnn_forward_steps(W, Hs, A, act, rows, nbtype(1.0))

    @cuda.jit
    def backward(W, Hs, dY, dh, dA, act, rows, use_shared):
        if use_shared:
            sW = cuda.shared.array(0, nbtype)
            d_stage(W, sW)
            _rnn_backward_steps(sW, Hs, dY, dh, dA, act, rows, nbtype(1.0))
        else:
            _rnn_backward_steps(W, Hs, dY, dh, dA, act, rows, nbtype(1.0))

    return forward, backward


_kernels = per_dtype(_make_kernels)


def _rnn_forward(x, w_ih, w_hh, b_ih, b_hh, h0, act):
    """Device arrays in (x (T, B, D), h0 (B, H)); returns the cache."""
    T, B, D = x.shape
    H = w_hh.shape[1]
    pre = empty("pre", (T, B, H), x.dtype)  # (T, B, H)
    gemm(x.reshape(T * B, D), w_ih, pre.reshape(T * B, H), b_ih, b_hh, tb=1)
    hs = empty("hs", (T + 1, B, H), x.dtype)
    hs[0].copy_to_device(h0)
    launch_recurrent(_kernels(x.dtype)[0], transpose(w_hh), B, H, hs, pre, act)  # W_hh^T (H, H)
    return RNNCache(x, w_ih, w_hh, hs, act)


def _rnn_backward(cache, dy, dh_n, out=None):
    """dy (T, B, H), dh_n (B, H) device arrays; ``out`` (dw_ih, dw_hh, db_ih,
    db_hh) written in place. Returns RNNGrads."""
    T, B, _ = cache.x.shape
    H = cache.w_hh.shape[1]
    dh = empty("dh", dh_n.shape, dh_n.dtype)
    dh.copy_to_device(dh_n)
    dA = empty("dA", (T, B, H), dh_n.dtype)
    launch_recurrent(_kernels(dh.dtype)[1], cache.w_hh, B, H, cache.hs, dy, dh, dA, cache.act)
    return RNNGrads(*run_weight_grads(dA, dA, cache.x, cache.hs, cache.w_ih, out), dh)
