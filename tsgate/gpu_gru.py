"""GRU on the GPU: persistent forward and BPTT kernels (sibling of gru.py).

Same tiers and conventions as :mod:`tsgate.gpu_lstm`; same math and weight
layout as :mod:`tsgate.gru` (torch's: ``n = tanh(gx_n + r * (W_hn h + b_hn))``).
"""

from numba import cuda

from .gpu_core import (
    d_rows, d_sigmoid, d_stage, d_tanh, empty, launch_recurrent, make_dh_prev, make_row, per_dtype,
    reshaped, transpose,
)
from .gpu_gemm import gemm, run_weight_grads
from .gru import GRUCache, GRUGrads


def _make_steps(nbtype, RT):
    """The forward and backward time loops for threads that each carry RT
    batch rows (:func:`tsgate.gpu_core.row_tile`), as in :mod:`tsgate.gpu_lstm`."""
    dh_prev = make_dh_prev(nbtype, RT)
    row = make_row(RT)

    @cuda.jit(device=True, inline=True)
    def forward_steps(W, b_hh, h0, Hs, A, Ghn, rows, one):
        """W = W_hh^T flattened (H*3H,); A (T, B, 3H): x W_ih^T + b_ih on entry,
        activated [r, z, n] on exit; Ghn (T, B, H) gets W_hn h + b_hn; Hs[0] from h0 (B, H)."""
        T, B, G = A.shape
        H = G // 3
        for grp in range(cuda.blockIdx.x, (B + rows - 1) // rows, cuda.gridDim.x):
            b0 = grp * rows
            last = min(b0 + rows, B) - 1
            d_rows(Hs[0], h0, b0, last - b0 + 1)
            for t in range(T):
                for idx in range(cuda.threadIdx.x, ((last - b0 + RT) // RT) * H, cuda.blockDim.x):
                    r0 = b0 + (idx // H) * RT
                    j = idx % H
                    hr = cuda.local.array(RT, nbtype)  # (RT,) per gate: W_h h + b_h of the thread's rows
                    hz = cuda.local.array(RT, nbtype)
                    hn = cuda.local.array(RT, nbtype)
                    for r in range(RT):
                        hr[r] = b_hh[j]
                        hz[r] = b_hh[H + j]
                        hn[r] = b_hh[2 * H + j]
                    for k in range(H):
                        wr = W[k * G + j]
                        wz = W[k * G + H + j]
                        wn = W[k * G + 2 * H + j]
                        for r in range(RT):
                            hk = Hs[t, row(r0, r, last), k]
                            hr[r] += hk * wr
                            hz[r] += hk * wz
                            hn[r] += hk * wn
                    for r in range(RT):
                        b = r0 + r
                        if b <= last:
                            rg = d_sigmoid(A[t, b, j] + hr[r], one)
                            z = d_sigmoid(A[t, b, H + j] + hz[r], one)
                            n = d_tanh(A[t, b, 2 * H + j] + rg * hn[r])
                            A[t, b, j] = rg
                            A[t, b, H + j] = z
                            A[t, b, 2 * H + j] = n
                            Ghn[t, b, j] = hn[r]
                            Hs[t + 1, b, j] = (one - z) * n + z * Hs[t, b, j]
                cuda.syncthreads()

    @cuda.jit(device=True, inline=True)
    def backward_steps(W, Hs, A, Ghn, dY, dh_n, dh, direct, dGx, dGh, rows, one):
        """Reverse time loop. W = W_hh flattened (3H*H,); dh (B, H): dL/dh_T (from dh_n) in,
        dL/dh_0 out; dGx, dGh (T, B, 3H): gradients of the x- and h-projections."""
        T, B, G = A.shape
        H = G // 3
        for grp in range(cuda.blockIdx.x, (B + rows - 1) // rows, cuda.gridDim.x):
            b0 = grp * rows
            nb = min(rows, B - b0)
            d_rows(dh, dh_n, b0, nb)
            for t in range(T - 1, -1, -1):
                for idx in range(cuda.threadIdx.x, nb * H, cuda.blockDim.x):
                    b = b0 + idx // H
                    j = idx % H
                    r = A[t, b, j]
                    z = A[t, b, H + j]
                    n = A[t, b, 2 * H + j]
                    dh_t = dh[b, j] + dY[t, b, j]
                    dn = dh_t * (one - z) * (one - n * n)
                    dr = dn * Ghn[t, b, j] * r * (one - r)
                    dz = dh_t * (Hs[t, b, j] - n) * z * (one - z)
                    dGx[t, b, j] = dr
                    dGx[t, b, H + j] = dz
                    dGx[t, b, 2 * H + j] = dn
                    dGh[t, b, j] = dr
                    dGh[t, b, H + j] = dz
                    dGh[t, b, 2 * H + j] = dn * r
                    direct[b, j] = dh_t * z
                cuda.syncthreads()
                dh_prev(dGh, W, dh, direct, 1, t, b0, nb)
                cuda.syncthreads()

    return forward_steps, backward_steps


def _make_kernels(nbtype, RT=1):
    """Forward and backward kernels for one dtype and row tile RT (W staged in
    shared memory when ``use_shared``)."""
    forward_steps, backward_steps = _make_steps(nbtype, RT)

    @cuda.jit
    def forward(W, b_hh, h0, Hs, A, Ghn, rows, use_shared):
        if use_shared:
            sW = cuda.shared.array(0, nbtype)
            d_stage(W, sW)
            forward_steps(sW, b_hh, h0, Hs, A, Ghn, rows, nbtype(1.0))
        else:
            forward_steps(W, b_hh, h0, Hs, A, Ghn, rows, nbtype(1.0))

    @cuda.jit
    def backward(W, Hs, A, Ghn, dY, dh_n, dh, direct, dGx, dGh, rows, use_shared):
        if use_shared:
            sW = cuda.shared.array(0, nbtype)
            d_stage(W, sW)
            backward_steps(sW, Hs, A, Ghn, dY, dh_n, dh, direct, dGx, dGh, rows, nbtype(1.0))
        else:
            backward_steps(W, Hs, A, Ghn, dY, dh_n, dh, direct, dGx, dGh, rows, nbtype(1.0))

    return forward, backward


_kernels = per_dtype(_make_kernels)


def _gru_forward(x, w_ih, w_hh, b_ih, b_hh, h0):
    """Device arrays in (x (T, B, D), h0 (B, H)); returns the cache."""
    T, B, D = x.shape
    H = w_hh.shape[1]
    gates = empty("gates", (T, B, 3 * H), x.dtype)  # (T, B, 3H)
    gemm(reshaped(x, T * B, D), w_ih, reshaped(gates, T * B, 3 * H), b_ih, tb=1)
    hs = empty("hs", (T + 1, B, H), x.dtype)
    ghn = empty("ghn", (T, B, H), x.dtype)
    launch_recurrent(_kernels, 0, transpose(w_hh), B, H, b_hh, h0, hs, gates, ghn)  # W_hh^T (H, 3H); hs[0] = h0
    return GRUCache(x, w_ih, w_hh, hs, gates, ghn)


def _gru_backward(cache, dy, dh_n, out=None):
    """dy (T, B, H), dh_n (B, H) device arrays; ``out`` (dw_ih, dw_hh, db_ih,
    db_hh) written in place. Returns GRUGrads."""
    B, H = cache.x.shape[1], cache.w_hh.shape[1]
    dh = empty("dh", dh_n.shape, dh_n.dtype)  # dL/dh_T (set by the kernel from dh_n) .. dL/dh_0
    direct = empty("direct", dh_n.shape, dh_n.dtype)
    dgx = empty("dgx", cache.gates.shape, cache.gates.dtype)
    dgh = empty("dgh", cache.gates.shape, cache.gates.dtype)
    launch_recurrent(_kernels, 1, cache.w_hh, B, H, cache.hs, cache.gates, cache.ghn, dy, dh_n, dh, direct,
                     dgx, dgh)
    return GRUGrads(*run_weight_grads(dgx, dgh, cache.x, cache.hs, cache.w_ih, out), dh)
