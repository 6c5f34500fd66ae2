"""Elman RNN on the GPU: persistent forward and BPTT kernels (sibling of rnn.py)."""

from typing import NamedTuple

import numpy as np
from numba import cuda

from .gpu_core import ROWS_PER_BLOCK, d_dh_prev, d_tanh, gemm, recurrent_grid, weight_grads_gpu
from .rnn import RNNGrads


@cuda.jit
def _rnn_forward_kernel(WhhT, Hs, A, act, rows):
    """A (T, B, H): x W_ih^T + b (kept); act 0 tanh, 1 relu."""
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
                    s += Hs[t, b, k] * WhhT[k, j]
                Hs[t + 1, b, j] = max(s, 0.0) if act == 1 else d_tanh(s)
            cuda.syncthreads()


@cuda.jit
def _rnn_backward_kernel(Whh, Hs, dY, dh, dA, act, rows):
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
                if act == 1:
                    dA[t, b, j] = g if h > 0 else 0.0
                else:
                    dA[t, b, j] = g * (1.0 - h * h)
            cuda.syncthreads()
            d_dh_prev(dA, Whh, dh, dh, 0, t, b0, nb)
            cuda.syncthreads()


class RNNCacheGPU(NamedTuple):
    x: object
    w_ih: object
    w_hh: object
    hs: object
    act: int


def _rnn_forward_gpu(x, w_ih, w_hh, b_ih, b_hh, h0, act):
    T, B, D = x.shape
    H = w_hh.shape[1]
    d_x, d_wih, d_whh = cuda.to_device(x), cuda.to_device(w_ih), cuda.to_device(w_hh)
    pre = cuda.device_array((T, B, H), x.dtype)
    gemm(d_x.reshape(T * B, D), d_wih, pre.reshape(T * B, H), cuda.to_device(b_ih + b_hh), tb=1)
    hs_host = np.empty((T + 1, B, H), x.dtype)
    hs_host[0] = h0
    hs = cuda.to_device(hs_host)
    blocks, threads = recurrent_grid(B)
    _rnn_forward_kernel[blocks, threads](cuda.to_device(np.ascontiguousarray(w_hh.T)), hs, pre, act,
                                         ROWS_PER_BLOCK)
    return hs.copy_to_host(), None, RNNCacheGPU(d_x, d_wih, d_whh, hs, act)


def _rnn_backward_gpu(cache, dy, dh_n):
    T, B, _ = cache.x.shape
    H = cache.w_hh.shape[1]
    d_dh = cuda.to_device(dh_n)
    d_pre = cuda.device_array((T, B, H), dh_n.dtype)
    blocks, threads = recurrent_grid(B)
    _rnn_backward_kernel[blocks, threads](cache.w_hh, cache.hs, cuda.to_device(dy), d_dh, d_pre, cache.act,
                                          ROWS_PER_BLOCK)
    dx, dw_ih, dw_hh, db_ih, db_hh = weight_grads_gpu(d_pre, d_pre, cache.x, cache.hs, cache.w_ih)
    return RNNGrads(dx, dw_ih, dw_hh, db_ih, db_hh, d_dh.copy_to_host())
