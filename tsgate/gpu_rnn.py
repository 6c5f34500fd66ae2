"""Elman RNN on the GPU: persistent forward and BPTT kernels (sibling of rnn.py).

Same tiers and conventions as :mod:`tsgate.gpu_lstm`; activation by integer
code (:data:`tsgate.elementmath.ACT_TANH`, :data:`tsgate.elementmath.ACT_RELU`).
"""

from numba import cuda

from .gpu_core import (
    ZERO, d_rows, d_stage, d_tanh, empty, launch_recurrent, make_dh_prev, make_row, per_dtype,
    reshaped, transpose,
)
from .gpu_gemm import gemm, run_weight_grads
from .elementmath import ACT_RELU
from .rnn import RNNCache, RNNGrads


def _make_steps(nbtype, RT):
    """The forward and backward time loops for threads that each carry RT
    batch rows (:func:`tsgate.gpu_core.row_tile`), as in :mod:`tsgate.gpu_lstm`."""
    dh_prev = make_dh_prev(nbtype, RT)
    row = make_row(RT)

    @cuda.jit(device=True, inline=True)
    def forward_steps(W, h0, Hs, A, act, rows, one):
        """W = W_hh^T flattened (H*H,); A (T, B, H): x W_ih^T + b (kept);
        Hs (T+1, B, H), step 0 from h0 (B, H); act 0 tanh, 1 relu."""
        T, B, H = A.shape
        for grp in range(cuda.blockIdx.x, (B + rows - 1) // rows, cuda.gridDim.x):
            b0 = grp * rows
            last = min(b0 + rows, B) - 1
            d_rows(Hs[0], h0, b0, last - b0 + 1)
            for t in range(T):
                for idx in range(cuda.threadIdx.x, ((last - b0 + RT) // RT) * H, cuda.blockDim.x):
                    r0 = b0 + (idx // H) * RT
                    j = idx % H
                    s = cuda.local.array(RT, nbtype)  # (RT,) pre-activations of the thread's rows
                    for r in range(RT):
                        s[r] = A[t, row(r0, r, last), j]
                    for k in range(H):
                        w = W[k * H + j]
                        for r in range(RT):
                            s[r] += Hs[t, row(r0, r, last), k] * w
                    for r in range(RT):
                        if r0 + r <= last:
                            Hs[t + 1, r0 + r, j] = max(s[r], ZERO) if act == ACT_RELU else d_tanh(s[r])
                cuda.syncthreads()

    @cuda.jit(device=True, inline=True)
    def backward_steps(W, Hs, dY, dh_n, dh, dA, act, rows, one):
        """Reverse time loop. W = W_hh flattened; dh (B, H): dL/dh_T (from dh_n) in, dL/dh_0 out."""
        T, B, H = dA.shape
        n_groups = (B + rows - 1) // rows
        for grp in range(cuda.blockIdx.x, n_groups, cuda.gridDim.x):
            b0 = grp * rows
            nb = min(rows, B - b0)
            d_rows(dh, dh_n, b0, nb)
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
                dh_prev(dA, W, dh, dh, 0, t, b0, nb)
                cuda.syncthreads()

    return forward_steps, backward_steps


def _make_kernels(nbtype, RT=1):
    """Forward and backward kernels for one dtype (W staged in shared memory
    when ``use_shared``), row tile RT."""
    forward_steps, backward_steps = _make_steps(nbtype, RT)

    @cuda.jit
    def forward(W, h0, Hs, A, act, rows, use_shared):
        if use_shared:
            sW = cuda.shared.array(0, nbtype)
            d_stage(W, sW)
            forward_steps(sW, h0, Hs, A, act, rows, nbtype(1.0))
        else:
            forward_steps(W, h0, Hs, A, act, rows, nbtype(1.0))

    @cuda.jit
    def backward(W, Hs, dY, dh_n, dh, dA, act, rows, use_shared):
        if use_shared:
            sW = cuda.shared.array(0, nbtype)
            d_stage(W, sW)
            backward_steps(sW, Hs, dY, dh_n, dh, dA, act, rows, nbtype(1.0))
        else:
            backward_steps(W, Hs, dY, dh_n, dh, dA, act, rows, nbtype(1.0))

    return forward, backward


_kernels = per_dtype(_make_kernels)


def _rnn_forward(x, w_ih, w_hh, b_ih, b_hh, h0, act):
    """Device arrays in (x (T, B, D), h0 (B, H)); returns the cache."""
    T, B, D = x.shape
    H = w_hh.shape[1]
    pre = empty("pre", (T, B, H), x.dtype)  # (T, B, H)
    gemm(reshaped(x, T * B, D), w_ih, reshaped(pre, T * B, H), b_ih, b_hh, tb=1)
    hs = empty("hs", (T + 1, B, H), x.dtype)
    launch_recurrent(_kernels, 0, transpose(w_hh), B, H, h0, hs, pre, act)  # W_hh^T (H, H); hs[0] = h0
    return RNNCache(x, w_ih, w_hh, hs, act)


def _rnn_backward(cache, dy, dh_n, out=None):
    """dy (T, B, H), dh_n (B, H) device arrays; ``out`` (dw_ih, dw_hh, db_ih,
    db_hh) written in place. Returns RNNGrads."""
    T, B, _ = cache.x.shape
    H = cache.w_hh.shape[1]
    dh = empty("dh", dh_n.shape, dh_n.dtype)  # dL/dh_T (set by the kernel from dh_n) .. dL/dh_0
    dA = empty("dA", (T, B, H), dh_n.dtype)
    launch_recurrent(_kernels, 1, cache.w_hh, B, H, cache.hs, dy, dh_n, dh, dA, cache.act)
    return RNNGrads(*run_weight_grads(dA, dA, cache.x, cache.hs, cache.w_ih, out), dh)
