"""GRU on the GPU: persistent forward and BPTT kernels (sibling of gru.py)."""

from typing import NamedTuple

import numpy as np
from numba import cuda

from .gpu_core import ROWS_PER_BLOCK, d_dh_prev, d_sigmoid, d_tanh, gemm, recurrent_grid, weight_grads_gpu
from .gru import GRUGrads


@cuda.jit
def _gru_forward_kernel(WhhT, b_hh, Hs, A, Ghn, rows):
    """A (T, B, 3H): gx on entry, activated [r, z, n] on exit; Ghn gets gh_n."""
    T, B, G = A.shape
    H = G // 3
    n_groups = (B + rows - 1) // rows
    for grp in range(cuda.blockIdx.x, n_groups, cuda.gridDim.x):
        b0 = grp * rows
        nb = min(rows, B - b0)
        for t in range(T):
            for idx in range(cuda.threadIdx.x, nb * H, cuda.blockDim.x):
                b = b0 + idx // H
                j = idx % H
                hr = b_hh[j]
                hz = b_hh[H + j]
                hn = b_hh[2 * H + j]
                for k in range(H):
                    hk = Hs[t, b, k]
                    hr += hk * WhhT[k, j]
                    hz += hk * WhhT[k, H + j]
                    hn += hk * WhhT[k, 2 * H + j]
                r = d_sigmoid(A[t, b, j] + hr)
                z = d_sigmoid(A[t, b, H + j] + hz)
                n = d_tanh(A[t, b, 2 * H + j] + r * hn)
                A[t, b, j] = r
                A[t, b, H + j] = z
                A[t, b, 2 * H + j] = n
                Ghn[t, b, j] = hn
                Hs[t + 1, b, j] = (1.0 - z) * n + z * Hs[t, b, j]
            cuda.syncthreads()


@cuda.jit
def _gru_backward_kernel(Whh, Hs, A, Ghn, dY, dh, direct, dGx, dGh, rows):
    """Reverse time loop; dh (B, H): dL/dh_T in, dL/dh_0 out."""
    T, B, G = A.shape
    H = G // 3
    n_groups = (B + rows - 1) // rows
    for grp in range(cuda.blockIdx.x, n_groups, cuda.gridDim.x):
        b0 = grp * rows
        nb = min(rows, B - b0)
        for t in range(T - 1, -1, -1):
            for idx in range(cuda.threadIdx.x, nb * H, cuda.blockDim.x):
                b = b0 + idx // H
                j = idx % H
                r = A[t, b, j]
                z = A[t, b, H + j]
                n = A[t, b, 2 * H + j]
                dh_t = dh[b, j] + dY[t, b, j]
                dn = dh_t * (1.0 - z) * (1.0 - n * n)
                dr = dn * Ghn[t, b, j] * r * (1.0 - r)
                dz = dh_t * (Hs[t, b, j] - n) * z * (1.0 - z)
                dGx[t, b, j] = dr
                dGx[t, b, H + j] = dz
                dGx[t, b, 2 * H + j] = dn
                dGh[t, b, j] = dr
                dGh[t, b, H + j] = dz
                dGh[t, b, 2 * H + j] = dn * r
                direct[b, j] = dh_t * z
            cuda.syncthreads()
            d_dh_prev(dGh, Whh, dh, direct, 1, t, b0, nb)
            cuda.syncthreads()


class GRUCacheGPU(NamedTuple):
    x: object
    w_ih: object
    w_hh: object
    hs: object
    gates: object
    ghn: object


def _gru_forward_gpu(x, w_ih, w_hh, b_ih, b_hh, h0):
    T, B, D = x.shape
    H = w_hh.shape[1]
    d_x, d_wih, d_whh = cuda.to_device(x), cuda.to_device(w_ih), cuda.to_device(w_hh)
    gates = cuda.device_array((T, B, 3 * H), x.dtype)
    gemm(d_x.reshape(T * B, D), d_wih, gates.reshape(T * B, 3 * H), cuda.to_device(b_ih), tb=1)
    hs_host = np.empty((T + 1, B, H), x.dtype)
    hs_host[0] = h0
    hs = cuda.to_device(hs_host)
    ghn = cuda.device_array((T, B, H), x.dtype)
    blocks, threads = recurrent_grid(B)
    _gru_forward_kernel[blocks, threads](cuda.to_device(np.ascontiguousarray(w_hh.T)), cuda.to_device(b_hh),
                                         hs, gates, ghn, ROWS_PER_BLOCK)
    return hs.copy_to_host(), None, GRUCacheGPU(d_x, d_wih, d_whh, hs, gates, ghn)


def _gru_backward_gpu(cache, dy, dh_n):
    T, B, _ = cache.x.shape
    d_dh = cuda.to_device(dh_n)
    direct = cuda.device_array(dh_n.shape, dh_n.dtype)
    d_gx = cuda.device_array(cache.gates.shape, cache.gates.dtype)
    d_gh = cuda.device_array(cache.gates.shape, cache.gates.dtype)
    blocks, threads = recurrent_grid(B)
    _gru_backward_kernel[blocks, threads](cache.w_hh, cache.hs, cache.gates, cache.ghn, cuda.to_device(dy),
                                          d_dh, direct, d_gx, d_gh, ROWS_PER_BLOCK)
    dx, dw_ih, dw_hh, db_ih, db_hh = weight_grads_gpu(d_gx, d_gh, cache.x, cache.hs, cache.w_ih)
    return GRUGrads(dx, dw_ih, dw_hh, db_ih, db_hh, d_dh.copy_to_host())
