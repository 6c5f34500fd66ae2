"""LSTM on the GPU: persistent forward and BPTT kernels (sibling of lstm.py).

Tiers: the ``@cuda.jit`` kernels (one launch per layer and direction, looping
over time); the drivers ``_lstm_forward`` / ``_lstm_backward``, the only code
here that allocates device memory (device arrays in and out, no host copies),
with the names, arguments and NamedTuples of their CPU siblings in
:mod:`tsgate.lstm`; the layer loop (:mod:`tsgate.stack`) runs whole networks
on them. Same math and weight layout as :mod:`tsgate.lstm`.
"""

from numba import cuda

from .gpu_core import (
    d_rows, d_sigmoid, d_stage, d_tanh, empty, launch_recurrent, make_dh_prev, make_row, per_dtype,
    reshaped, transpose,
)
from .gpu_gemm import gemm, run_weight_grads
from .lstm import LSTMCache, LSTMGrads


def _make_steps(nbtype, RT):
    """The forward and backward time loops for threads that each carry RT
    batch rows (:func:`tsgate.gpu_core.row_tile`): a thread reads each weight
    once for its RT rows. Rows past the block's last repeat it, unwritten."""
    dh_prev = make_dh_prev(nbtype, RT)
    row = make_row(RT)

    @cuda.jit(device=True, inline=True)
    def forward_steps(W, h0, c0, Hs, Cs, A, rows, one):
        """W = W_hh^T flattened, (H*4H,); A (T, B, 4H): x W_ih^T + b on entry,
        activated gates [i, f, g, o] on exit; Hs, Cs (T+1, B, H), step 0 from h0, c0 (B, H)."""
        T, B, G = A.shape
        H = G // 4
        for grp in range(cuda.blockIdx.x, (B + rows - 1) // rows, cuda.gridDim.x):
            b0 = grp * rows
            last = min(b0 + rows, B) - 1
            d_rows(Hs[0], h0, b0, last - b0 + 1)
            d_rows(Cs[0], c0, b0, last - b0 + 1)
            for t in range(T):
                for idx in range(cuda.threadIdx.x, ((last - b0 + RT) // RT) * H, cuda.blockDim.x):
                    r0 = b0 + (idx // H) * RT
                    j = idx % H
                    ai = cuda.local.array(RT, nbtype)  # (RT,) per gate: pre-activations of the thread's rows
                    af = cuda.local.array(RT, nbtype)
                    ag = cuda.local.array(RT, nbtype)
                    ao = cuda.local.array(RT, nbtype)
                    for r in range(RT):
                        b = row(r0, r, last)
                        ai[r] = A[t, b, j]
                        af[r] = A[t, b, H + j]
                        ag[r] = A[t, b, 2 * H + j]
                        ao[r] = A[t, b, 3 * H + j]
                    for k in range(H):
                        wi = W[k * G + j]
                        wf = W[k * G + H + j]
                        wg = W[k * G + 2 * H + j]
                        wo = W[k * G + 3 * H + j]
                        for r in range(RT):
                            hk = Hs[t, row(r0, r, last), k]
                            ai[r] += hk * wi
                            af[r] += hk * wf
                            ag[r] += hk * wg
                            ao[r] += hk * wo
                    for r in range(RT):
                        b = r0 + r
                        if b <= last:
                            i = d_sigmoid(ai[r], one)
                            f = d_sigmoid(af[r], one)
                            g = d_tanh(ag[r])
                            o = d_sigmoid(ao[r], one)
                            cn = f * Cs[t, b, j] + i * g
                            A[t, b, j] = i
                            A[t, b, H + j] = f
                            A[t, b, 2 * H + j] = g
                            A[t, b, 3 * H + j] = o
                            Cs[t + 1, b, j] = cn
                            Hs[t + 1, b, j] = o * d_tanh(cn)
                cuda.syncthreads()

    @cuda.jit(device=True, inline=True)
    def backward_steps(W, Cs, A, dY, dh_n, dc_n, dh, dc, dA, rows, one):
        """Reverse time loop. W = W_hh flattened (4H*H,); dh, dc (B, H): dL/dh_T,
        dL/dc_T (from dh_n, dc_n) in, dL/dh_0, dL/dc_0 out; dA (T, B, 4H) gets dL/d(pre-activations)."""
        T, B, G = A.shape
        H = G // 4
        for grp in range(cuda.blockIdx.x, (B + rows - 1) // rows, cuda.gridDim.x):
            b0 = grp * rows
            nb = min(rows, B - b0)
            d_rows(dh, dh_n, b0, nb)
            d_rows(dc, dc_n, b0, nb)
            for t in range(T - 1, -1, -1):
                for idx in range(cuda.threadIdx.x, nb * H, cuda.blockDim.x):
                    b = b0 + idx // H
                    j = idx % H
                    i = A[t, b, j]
                    f = A[t, b, H + j]
                    g = A[t, b, 2 * H + j]
                    o = A[t, b, 3 * H + j]
                    tc = d_tanh(Cs[t + 1, b, j])
                    dh_t = dh[b, j] + dY[t, b, j]
                    dc_t = dc[b, j] + dh_t * o * (one - tc * tc)
                    dA[t, b, j] = dc_t * g * i * (one - i)
                    dA[t, b, H + j] = dc_t * Cs[t, b, j] * f * (one - f)
                    dA[t, b, 2 * H + j] = dc_t * i * (one - g * g)
                    dA[t, b, 3 * H + j] = dh_t * tc * o * (one - o)
                    dc[b, j] = dc_t * f
                cuda.syncthreads()
                dh_prev(dA, W, dh, dh, 0, t, b0, nb)
                cuda.syncthreads()

    return forward_steps, backward_steps


def _make_kernels(nbtype, RT=1):
    """Forward and backward kernels for one dtype and row tile RT; ``use_shared``
    stages W in dynamic shared memory (launched with its size), else W is read globally."""
    forward_steps, backward_steps = _make_steps(nbtype, RT)

    @cuda.jit
    def forward(W, h0, c0, Hs, Cs, A, rows, use_shared):
        if use_shared:
            sW = cuda.shared.array(0, nbtype)
            d_stage(W, sW)
            forward_steps(sW, h0, c0, Hs, Cs, A, rows, nbtype(1.0))
        else:
            forward_steps(W, h0, c0, Hs, Cs, A, rows, nbtype(1.0))

    @cuda.jit
    def backward(W, Cs, A, dY, dh_n, dc_n, dh, dc, dA, rows, use_shared):
        if use_shared:
            sW = cuda.shared.array(0, nbtype)
            d_stage(W, sW)
            backward_steps(sW, Cs, A, dY, dh_n, dc_n, dh, dc, dA, rows, nbtype(1.0))
        else:
            backward_steps(W, Cs, A, dY, dh_n, dc_n, dh, dc, dA, rows, nbtype(1.0))

    return forward, backward


_kernels = per_dtype(_make_kernels)


def _lstm_forward(x, w_ih, w_hh, b_ih, b_hh, h0, c0):
    """Device arrays in: x (T, B, D), weights, h0/c0 (B, H). Returns the
    cache, whose ``hs``/``cs`` (T+1, B, H) hold every state."""
    T, B, D = x.shape
    H = w_hh.shape[1]
    gates = empty("gates", (T, B, 4 * H), x.dtype)  # (T, B, 4H)
    gemm(reshaped(x, T * B, D), w_ih, reshaped(gates, T * B, 4 * H), b_ih, b_hh, tb=1)
    hs = empty("hs", (T + 1, B, H), x.dtype)
    cs = empty("cs", (T + 1, B, H), x.dtype)
    launch_recurrent(_kernels, 0, transpose(w_hh), B, H, h0, c0, hs, cs, gates)  # W_hh^T (H, 4H); hs[0] = h0
    return LSTMCache(x, w_ih, w_hh, hs, cs, gates)


def _lstm_backward(cache, dy, dh_n, dc_n, out=None):
    """dy (T, B, H), dh_n, dc_n (B, H) device arrays; ``out`` = device
    (dw_ih, dw_hh, db_ih, db_hh) written in place. Returns LSTMGrads."""
    B, H = cache.x.shape[1], cache.w_hh.shape[1]
    dh = empty("dh", dh_n.shape, dh_n.dtype)  # dL/dh_T (set by the kernel from dh_n) .. dL/dh_0
    dc = empty("dc", dc_n.shape, dc_n.dtype)
    dA = empty("dA", cache.gates.shape, cache.gates.dtype)
    launch_recurrent(_kernels, 1, cache.w_hh, B, H, cache.cs, cache.gates, dy, dh_n, dc_n, dh, dc, dA)
    return LSTMGrads(*run_weight_grads(dA, dA, cache.x, cache.hs, cache.w_ih, out), dh, dc)
