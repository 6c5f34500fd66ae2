"""The tiled GEMM and column sums of the GPU backend: the input projection
of all steps, the head, and the weight gradients (imported only for
device='cuda'; sibling of the BLAS calls in :mod:`tsgate.core`).

Reductions are deterministic. A long reduction into few outputs (the weight
gradients sum over all T*B rows) is split into chunks fixed by the shapes
(:func:`k_splits`), summed apart by many blocks, then added in chunk order.
"""

import math

from numba import cuda

from .config import CUDA_BLOCK_SIZE, CUDA_TARGET_BLOCKS, CUDA_TILE
from .core import WeightGrads
from .gpu_core import ZERO, Kernel, cuda_kernel, empty, flat, launch_1d, per_dtype, reshaped, rows


def _make_gemm_kernel(nbtype):
    """P[s] (M, N) = op(A)[:, K_s] @ op(B)[K_s, :] (+ bias1[N]) (+ bias2[N] in
    P[0]): the product over the s-th chunk K_s of ``chunk`` consecutive k;
    op transposes when ta/tb is 1. Blocks of TILE x TILE threads stage tiles
    of op(A) and op(B) in shared memory; (output tile, chunk) pairs are covered
    by a grid-stride loop. Each partial is summed by one thread in a fixed k
    order, and the partials by :func:`sum_splits_kernel` in chunk order:
    deterministic, for a split that depends on the shapes alone."""
    TILE = CUDA_TILE

    @cuda.jit
    def gemm_kernel(A, B, P, bias1, bias2, ta, tb, n_bias, chunk):
        sA = cuda.shared.array((TILE, TILE), nbtype)
        sB = cuda.shared.array((TILE, TILE), nbtype)
        tx = cuda.threadIdx.x
        ty = cuda.threadIdx.y
        S, M, N = P.shape
        K = A.shape[0] if ta else A.shape[1]
        n_tn = (N + TILE - 1) // TILE
        n_tiles = ((M + TILE - 1) // TILE) * n_tn
        for item in range(cuda.blockIdx.x, n_tiles * S, cuda.gridDim.x):
            tile = item % n_tiles
            s = item // n_tiles
            k_end = min(K, (s + 1) * chunk)
            i = (tile // n_tn) * TILE + ty
            j = (tile % n_tn) * TILE + tx
            acc = nbtype(0.0)
            for k0 in range(s * chunk, k_end, TILE):
                ka = k0 + tx
                kb = k0 + ty
                if i < M and ka < k_end:
                    sA[ty, tx] = A[ka, i] if ta else A[i, ka]
                else:
                    sA[ty, tx] = 0.0
                if kb < k_end and j < N:
                    sB[ty, tx] = B[j, kb] if tb else B[kb, j]
                else:
                    sB[ty, tx] = 0.0
                cuda.syncthreads()
                for kk in range(TILE):
                    acc += sA[ty, kk] * sB[kk, tx]
                cuda.syncthreads()
            if i < M and j < N:
                if n_bias >= 1 and s == 0:
                    acc += bias1[j]
                if n_bias >= 2 and s == 0:
                    acc += bias2[j]
                P[s, i, j] = acc

    return Kernel(gemm_kernel)


_gemm_kernel = per_dtype(_make_gemm_kernel)


@cuda_kernel
def sum_splits_kernel(P, C):
    """C[i] = sum_s P[s, i], the partials added in chunk order by one thread per output."""
    S, n = P.shape
    for i in range(cuda.grid(1), n, cuda.gridsize(1)):
        acc = P[0, i]
        for s in range(1, S):
            acc += P[s, i]
        C[i] = acc


def k_splits(outputs, K, parallel):
    """(splits, chunk): how many chunks of the reduction of length K to sum
    apart, so that ``outputs`` independent sums times the splits reach about
    ``parallel`` workers, with chunks of at least :data:`SPLIT_MIN` terms.
    The weight gradients reduce over all T*B time steps and rows into a few
    thousand outputs: summed whole, a handful of blocks would do all the work.
    A function of the shapes (and of tsgate.config's grid sizes) alone, so the
    summation order is reproducible."""
    splits = max(1, min(math.ceil(K / SPLIT_MIN), math.ceil(parallel / max(outputs, 1))))
    chunk = math.ceil(K / splits)
    return math.ceil(K / chunk), chunk


#: Fewest terms in one chunk of a split reduction (:func:`k_splits`).
SPLIT_MIN = 256


def gemm(A, B, C, bias1=None, bias2=None, ta=0, tb=0):
    """C = op(A) @ op(B) + bias1 + bias2 on device arrays (biases optional).
    A long reduction (K) over few output tiles is split into chunks summed
    apart and then added in order (:func:`k_splits`)."""
    n_bias = 0 if bias1 is None else (1 if bias2 is None else 2)
    M, N = C.shape
    K = A.shape[0] if ta else A.shape[1]
    dummy = flat(C)
    n_tiles = math.ceil(M / CUDA_TILE) * math.ceil(N / CUDA_TILE)
    splits, chunk = k_splits(n_tiles, K, 4 * CUDA_TARGET_BLOCKS)
    P = reshaped(C, 1, M, N) if splits == 1 else empty("gemm_partial", (splits, M, N), C.dtype)
    _gemm_kernel(C.dtype)[max(1, min(n_tiles * splits, 4096)), (CUDA_TILE, CUDA_TILE)](
        A, B, P, dummy if bias1 is None else bias1, dummy if bias2 is None else bias2, ta, tb, n_bias, chunk)
    if splits > 1:
        blocks, threads = launch_1d(M * N)
        sum_splits_kernel[blocks, threads](reshaped(P, splits, M * N), flat(C))


@cuda_kernel
def colsum_kernel(G, P, chunk):
    """P[s, j] = sum of G[i, j] over the s-th chunk of ``chunk`` rows, the rows
    summed in order by one thread per (chunk, column)."""
    M, N = G.shape
    S = P.shape[0]
    for idx in range(cuda.grid(1), S * N, cuda.gridsize(1)):
        s = idx // N
        j = idx % N
        acc = ZERO  # float32 stays float32; float64 G promotes it
        for i in range(s * chunk, min(M, (s + 1) * chunk)):
            acc += G[i, j]
        P[s, j] = acc


def colsum(G, out):
    """out[j] = sum_i G[i, j]: rows summed in chunks (:func:`k_splits`), then the chunks in order."""
    M, N = G.shape
    splits, chunk = k_splits(N, M, CUDA_TARGET_BLOCKS * CUDA_BLOCK_SIZE)
    P = reshaped(out, 1, N) if splits == 1 else empty("colsum_partial", (splits, N), out.dtype)
    blocks, threads = launch_1d(splits * N)
    colsum_kernel[blocks, threads](G, P, chunk)
    if splits > 1:
        blocks, threads = launch_1d(N)
        sum_splits_kernel[blocks, threads](P, out)


def run_weight_grads(dGx, dGh, x, hs, w_ih, out=None):
    """Weight gradients of one layer/direction by GEMM and column sums
    (sibling of :func:`tsgate.core.run_weight_grads`, same arguments and
    return type).

    ``out`` is ``(dw_ih, dw_hh, db_ih, db_hh)``: device arrays written in
    place (views into a flat gradient vector work); new ones when None.
    Returns :class:`tsgate.core.WeightGrads` of device arrays.
    """
    T, B, D = x.shape
    GH = dGx.shape[2]
    H = hs.shape[2]
    if out is None:
        out = (empty("dw_ih", (GH, D), x.dtype), empty("dw_hh", (GH, H), x.dtype),
               empty("db_ih", GH, x.dtype), empty("db_hh", GH, x.dtype))
    dw_ih, dw_hh, db_ih, db_hh = out
    dGx2 = reshaped(dGx, T * B, GH)
    dGh2 = reshaped(dGh, T * B, GH)
    dx = empty("dx", (T, B, D), x.dtype)
    gemm(dGx2, reshaped(x, T * B, D), dw_ih, ta=1)
    gemm(dGh2, reshaped(rows(hs, 0, T), T * B, H), dw_hh, ta=1)
    gemm(dGx2, w_ih, reshaped(dx, T * B, D))
    colsum(dGx2, db_ih)
    colsum(dGh2, db_hh)
    return WeightGrads(dx, dw_ih, dw_hh, db_ih, db_hh)
