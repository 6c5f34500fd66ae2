"""Shared CUDA device helpers and kernels (imported only when device='cuda').

Grid-stride loops everywhere, block size from :data:`tsgate.config.CUDA_BLOCK_SIZE`.
Reductions are deterministic: each output element is summed by one thread
in a fixed order. This first version keeps recurrent state in global memory
(the stored ``Hs`` array) and synchronises each block once per time step; a
block owns a group of batch rows, so no grid-wide synchronisation is needed.
"""

import math

import numba
from numba import cuda

from .config import CUDA_BLOCK_SIZE, CUDA_TILE

ROWS_PER_BLOCK = 4  # batch rows owned by one block in the recurrent kernels


@cuda.jit(device=True, inline=True)
def d_sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


@cuda.jit(device=True, inline=True)
def d_tanh(x):
    return math.tanh(x)


@cuda.jit(device=True)
def d_dh_prev(dG, Whh, dh, direct, use_direct, t, b0, nb):
    """dh[b, k] = sum_q dG[t, b, q] Whh[q, k] (+ direct[b, k]) for the block's
    rows: the recurrent part of BPTT, shared by every cell. The caller
    synchronises the block before and after."""
    G, H = Whh.shape
    for idx in range(cuda.threadIdx.x, nb * H, cuda.blockDim.x):
        b = b0 + idx // H
        k = idx % H
        s = direct[b, k] if use_direct else 0.0
        for q in range(G):
            s += dG[t, b, q] * Whh[q, k]
        dh[b, k] = s


def _make_gemm_kernel(nbtype):
    """Tiled GEMM kernel for one element type (shared arrays need it at compile time).

    C (M, N) = op(A) @ op(B) (+ bias[N]); op transposes when ta/tb is 1.
    Blocks of TILE x TILE threads stage tiles of op(A) and op(B) in shared
    memory; output tiles are covered by a grid-stride loop. Each output is
    summed by one thread in a fixed k order: deterministic.
    """
    TILE = CUDA_TILE

    @cuda.jit
    def gemm_kernel(A, B, C, bias, ta, tb, use_bias):
        sA = cuda.shared.array((TILE, TILE), nbtype)
        sB = cuda.shared.array((TILE, TILE), nbtype)
        tx = cuda.threadIdx.x
        ty = cuda.threadIdx.y
        M, N = C.shape
        K = A.shape[0] if ta else A.shape[1]
        n_tn = (N + TILE - 1) // TILE
        n_tiles = ((M + TILE - 1) // TILE) * n_tn
        for tile in range(cuda.blockIdx.x, n_tiles, cuda.gridDim.x):
            i = (tile // n_tn) * TILE + ty
            j = (tile % n_tn) * TILE + tx
            acc = nbtype(0.0)
            for k0 in range(0, K, TILE):
                ka = k0 + tx
                kb = k0 + ty
                if i < M and ka < K:
                    sA[ty, tx] = A[ka, i] if ta else A[i, ka]
                else:
                    sA[ty, tx] = 0.0
                if kb < K and j < N:
                    sB[ty, tx] = B[j, kb] if tb else B[kb, j]
                else:
                    sB[ty, tx] = 0.0
                cuda.syncthreads()
                for kk in range(TILE):
                    acc += sA[ty, kk] * sB[kk, tx]
                cuda.syncthreads()
            if i < M and j < N:
                C[i, j] = acc + bias[j] if use_bias else acc

    return gemm_kernel


_GEMM_KERNELS = {}


def _gemm_kernel_for(dtype):
    key = str(dtype)
    if key not in _GEMM_KERNELS:
        _GEMM_KERNELS[key] = _make_gemm_kernel(numba.float32 if key == "float32" else numba.float64)
    return _GEMM_KERNELS[key]


@cuda.jit
def colsum_kernel(G, out):
    """out[j] = sum_i G[i, j], rows summed in order by one thread per column."""
    M, N = G.shape
    for j in range(cuda.grid(1), N, cuda.gridsize(1)):
        s = 0.0
        for i in range(M):
            s += G[i, j]
        out[j] = s


def launch_1d(n):
    """(blocks, threads) for a grid-stride kernel over n items."""
    return max(1, min(1024, math.ceil(n / CUDA_BLOCK_SIZE))), CUDA_BLOCK_SIZE


def gemm(A, B, C, bias=None, ta=0, tb=0):
    """Launch the tiled GEMM kernel for C's dtype on device arrays."""
    use_bias = bias is not None
    if bias is None:
        bias = cuda.device_array(1, dtype=C.dtype)
    n_tiles = math.ceil(C.shape[0] / CUDA_TILE) * math.ceil(C.shape[1] / CUDA_TILE)
    kernel = _gemm_kernel_for(C.dtype)
    kernel[max(1, min(n_tiles, 4096)), (CUDA_TILE, CUDA_TILE)](A, B, C, bias, ta, tb, 1 if use_bias else 0)


def colsum(G, out):
    blocks, threads = launch_1d(G.shape[1])
    colsum_kernel[blocks, threads](G, out)


def recurrent_grid(B):
    """(blocks, threads) for the persistent recurrent kernels."""
    return max(1, min(1024, math.ceil(B / ROWS_PER_BLOCK))), CUDA_BLOCK_SIZE


def weight_grads_gpu(dGx, dGh, x, hs, w_ih):
    """Device dG -> host (dx, dw_ih, dw_hh, db_ih, db_hh), all by GEMM/colsum."""
    T, B, D = x.shape
    GH = dGx.shape[2]
    H = hs.shape[2]
    dGx2 = dGx.reshape(T * B, GH)
    dGh2 = dGh.reshape(T * B, GH)
    x2 = x.reshape(T * B, D)
    hp2 = hs[:T].reshape(T * B, H)
    dw_ih = cuda.device_array((GH, D), x.dtype)
    dw_hh = cuda.device_array((GH, H), x.dtype)
    dx2 = cuda.device_array((T * B, D), x.dtype)
    db_ih = cuda.device_array(GH, x.dtype)
    db_hh = cuda.device_array(GH, x.dtype)
    gemm(dGx2, x2, dw_ih, ta=1)
    gemm(dGh2, hp2, dw_hh, ta=1)
    gemm(dGx2, w_ih, dx2)
    colsum(dGx2, db_ih)
    colsum(dGh2, db_hh)
    return (dx2.copy_to_host().reshape(T, B, D), dw_ih.copy_to_host(), dw_hh.copy_to_host(),
            db_ih.copy_to_host(), db_hh.copy_to_host())
