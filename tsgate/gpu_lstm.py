"""LSTM on the GPU: persistent forward and BPTT kernels (sibling of lstm.py).

Tiers: ``_lstm_*_kernel`` (@cuda.jit); ``_lstm_forward_gpu`` /
``_lstm_backward_gpu`` (drivers: the only code that allocates on and copies
to/from the device); the network layer's CUDA backend calls the drivers.
Same math and layout as :mod:`tsgate.lstm`.
"""

from typing import NamedTuple

import numpy as np
from numba import cuda

from .gpu_core import ROWS_PER_BLOCK, d_dh_prev, d_sigmoid, d_tanh, gemm, recurrent_grid, weight_grads_gpu
from .lstm import LSTMGrads


@cuda.jit
def _lstm_forward_kernel(WhhT, Hs, Cs, A, rows):
    """A (T, B, 4H): x W_ih^T + b on entry, activated gates on exit.
    Each block owns ``rows`` batch rows and loops over time."""
    T, B, G = A.shape
    H = G // 4
    n_groups = (B + rows - 1) // rows
    for grp in range(cuda.blockIdx.x, n_groups, cuda.gridDim.x):
        b0 = grp * rows
        nb = min(rows, B - b0)
        for t in range(T):
            for idx in range(cuda.threadIdx.x, nb * H, cuda.blockDim.x):
                b = b0 + idx // H
                j = idx % H
                ai = A[t, b, j]
                af = A[t, b, H + j]
                ag = A[t, b, 2 * H + j]
                ao = A[t, b, 3 * H + j]
                for k in range(H):
                    hk = Hs[t, b, k]
                    ai += hk * WhhT[k, j]
                    af += hk * WhhT[k, H + j]
                    ag += hk * WhhT[k, 2 * H + j]
                    ao += hk * WhhT[k, 3 * H + j]
                i = d_sigmoid(ai)
                f = d_sigmoid(af)
                g = d_tanh(ag)
                o = d_sigmoid(ao)
                cn = f * Cs[t, b, j] + i * g
                A[t, b, j] = i
                A[t, b, H + j] = f
                A[t, b, 2 * H + j] = g
                A[t, b, 3 * H + j] = o
                Cs[t + 1, b, j] = cn
                Hs[t + 1, b, j] = o * d_tanh(cn)
            cuda.syncthreads()


@cuda.jit
def _lstm_backward_kernel(Whh, Cs, A, dY, dh, dc, dA, rows):
    """Reverse time loop; dh, dc (B, H): dL/dh_T, dL/dc_T in, dL/dh_0, dL/dc_0 out."""
    T, B, G = A.shape
    H = G // 4
    n_groups = (B + rows - 1) // rows
    for grp in range(cuda.blockIdx.x, n_groups, cuda.gridDim.x):
        b0 = grp * rows
        nb = min(rows, B - b0)
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
                dc_t = dc[b, j] + dh_t * o * (1.0 - tc * tc)
                dA[t, b, j] = dc_t * g * i * (1.0 - i)
                dA[t, b, H + j] = dc_t * Cs[t, b, j] * f * (1.0 - f)
                dA[t, b, 2 * H + j] = dc_t * i * (1.0 - g * g)
                dA[t, b, 3 * H + j] = dh_t * tc * o * (1.0 - o)
                dc[b, j] = dc_t * f
            cuda.syncthreads()
            d_dh_prev(dA, Whh, dh, dh, 0, t, b0, nb)
            cuda.syncthreads()


class LSTMCacheGPU(NamedTuple):
    x: object  # device (T, B, D)
    w_ih: object  # device (4H, D)
    w_hh: object  # device (4H, H)
    hs: object  # device (T+1, B, H)
    cs: object  # device (T+1, B, H)
    gates: object  # device (T, B, 4H)


def _lstm_forward_gpu(x, w_ih, w_hh, b_ih, b_hh, h0, c0):
    """Host arrays in; host (hs, cs) out plus a device-resident cache."""
    T, B, D = x.shape
    H = w_hh.shape[1]
    d_x = cuda.to_device(x)
    d_wih = cuda.to_device(w_ih)
    d_whh = cuda.to_device(w_hh)
    d_whhT = cuda.to_device(np.ascontiguousarray(w_hh.T))
    gates = cuda.device_array((T, B, 4 * H), x.dtype)
    gemm(d_x.reshape(T * B, D), d_wih, gates.reshape(T * B, 4 * H), cuda.to_device(b_ih + b_hh), tb=1)
    hs_host = np.empty((T + 1, B, H), x.dtype)
    cs_host = np.empty((T + 1, B, H), x.dtype)
    hs_host[0], cs_host[0] = h0, c0
    hs, cs = cuda.to_device(hs_host), cuda.to_device(cs_host)
    blocks, threads = recurrent_grid(B)
    _lstm_forward_kernel[blocks, threads](d_whhT, hs, cs, gates, ROWS_PER_BLOCK)
    return hs.copy_to_host(), cs.copy_to_host(), LSTMCacheGPU(d_x, d_wih, d_whh, hs, cs, gates)


def _lstm_backward_gpu(cache, dy, dh_n, dc_n):
    T, B, _ = cache.x.shape
    d_dh, d_dc = cuda.to_device(dh_n), cuda.to_device(dc_n)
    d_gates = cuda.device_array(cache.gates.shape, cache.gates.dtype)
    blocks, threads = recurrent_grid(B)
    _lstm_backward_kernel[blocks, threads](cache.w_hh, cache.cs, cache.gates, cuda.to_device(dy),
                                           d_dh, d_dc, d_gates, ROWS_PER_BLOCK)
    dx, dw_ih, dw_hh, db_ih, db_hh = weight_grads_gpu(d_gates, d_gates, cache.x, cache.hs, cache.w_ih)
    return LSTMGrads(dx, dw_ih, dw_hh, db_ih, db_hh, d_dh.copy_to_host(), d_dc.copy_to_host())
