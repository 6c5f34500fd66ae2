"""Shared CUDA device helpers and small kernels (imported only for device='cuda').

Conventions of every kernel here and in ``gpu_lstm``/``gpu_gru``/``gpu_rnn``:

* grid-stride loops, threads per block from :data:`tsgate.config.CUDA_BLOCK_SIZE`;
* reductions are deterministic: every output element is summed by one thread
  in a fixed order, or by a fixed-shape tree inside one block;
* the recurrent kernels are persistent: one launch per layer and direction
  loops over time. A block owns a group of batch rows (:func:`recurrent_grid`),
  so it only ever waits for itself (``syncthreads`` once per step), and it
  stages the flattened recurrent weight matrix in dynamic shared memory when
  it fits in :data:`tsgate.config.CUDA_SHARED_BYTES` (global memory otherwise).

Everything here takes and returns device arrays. Scratch arrays come from
:func:`empty`: inside ``with using(Workspace())`` (the training loop) a buffer
is allocated once per (scope, name, shape, dtype) and reused every step, so a
step makes no ``cudaMalloc`` calls; outside, :func:`empty` allocates.
"""

import contextlib
import contextvars
import math

import numba
import numpy as np
from numba import cuda

from .core import WeightGrads
from .config import (
    CUDA_BLOCK_SIZE, CUDA_JIT_OPTIONS, CUDA_ROWS_PER_BLOCK, CUDA_SHARED_BYTES, CUDA_TARGET_BLOCKS, CUDA_TILE,
    caching, own_cache,
)

ROWS_PER_BLOCK = CUDA_ROWS_PER_BLOCK

#: Zero of the cell kernels: a float32 constant keeps float32 kernels in
#: float32 (a float64 literal promotes whole expressions to float64, slow on
#: GPUs) and is exact in float64 ones. The kernels get their ``one`` as
#: ``nbtype(1.0)`` from the per-dtype factory, which also keeps the CUDA
#: simulator (NumPy scalar rules) in the kernel's precision.
ZERO = np.float32(0.0)


def cuda_kernel(fn):
    """A module-level CUDA kernel with :data:`tsgate.config.CUDA_JIT_OPTIONS`,
    cached in tsgate's own directory like the CPU kernels."""
    options = CUDA_JIT_OPTIONS if caching() else dict(CUDA_JIT_OPTIONS, cache=False)
    with own_cache():
        return cuda.jit(**options)(fn)


@cuda.jit(device=True, inline=True)
def d_sigmoid(x, one):
    return one / (one + math.exp(-x))


@cuda.jit(device=True, inline=True)
def d_tanh(x):
    return math.tanh(x)


@cuda.jit(device=True, inline=True)
def d_stage(W, sW):
    """Copy the flat weights W into the block's shared array sW."""
    for i in range(cuda.threadIdx.x, W.shape[0], cuda.blockDim.x):
        sW[i] = W[i]
    cuda.syncthreads()


@cuda.jit(device=True, inline=True)
def d_dh_prev(dG, W, dh, direct, use_direct, t, b0, nb):
    """dh[b, k] = sum_q dG[t, b, q] W_hh[q, k] (+ direct[b, k]) for the block's
    rows; W is W_hh flattened row-major, (G*H,). The recurrent part of BPTT,
    shared by every cell. The caller synchronises the block before and after."""
    G = dG.shape[2]
    H = dh.shape[1]
    for idx in range(cuda.threadIdx.x, nb * H, cuda.blockDim.x):
        b = b0 + idx // H
        k = idx % H
        s = direct[b, k] if use_direct else ZERO
        for q in range(G):
            s += dG[t, b, q] * W[q * H + k]
        dh[b, k] = s


# ---------------------------------------------------------------------------
# Scratch memory


class Workspace:
    """Device buffers reused across training steps (see :func:`empty`)."""

    def __init__(self):
        self.buffers = {}
        self.scope = ""


_workspace = contextvars.ContextVar("tsgate_cuda_workspace", default=None)


@contextlib.contextmanager
def using(ws):
    """Serve :func:`empty` from ``ws`` inside the block."""
    token = _workspace.set(ws)
    try:
        yield ws
    finally:
        _workspace.reset(token)


@contextlib.contextmanager
def scope(name):
    """Name the buffers allocated inside the block (e.g. per layer and
    direction), so buffers that must live together never share memory."""
    ws = _workspace.get()
    if ws is None:
        yield
        return
    outer = ws.scope
    ws.scope = f"{outer}/{name}"
    try:
        yield
    finally:
        ws.scope = outer


def _buffer(name, shape, dtype):
    """(device array, whether it is newly allocated): from the active workspace, else new."""
    ws = _workspace.get()
    if ws is None:
        return cuda.device_array(shape, dtype), True
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    key = (ws.scope, name, shape, np.dtype(dtype).str)
    buf = ws.buffers.get(key)
    if buf is None:
        buf = ws.buffers[key] = cuda.device_array(shape, dtype)
        return buf, True
    return buf, False


def empty(name, shape, dtype):
    """An uninitialised device array: from the active workspace, else new."""
    return _buffer(name, shape, dtype)[0]


def per_dtype(factory):
    """Memoise ``factory(numba_type)`` by NumPy dtype: kernels with shared
    arrays need their element type at compile time."""
    kernels = {}

    def get(dtype):
        key = str(dtype)
        if key not in kernels:
            kernels[key] = factory(numba.float32 if key == "float32" else numba.float64)
        return kernels[key]

    return get


def shared_bytes(W):
    """Dynamic shared memory for staging device array W, or 0 if it does not fit."""
    n = W.size * W.dtype.itemsize
    return n if n <= CUDA_SHARED_BYTES else 0


def recurrent_grid(B, H):
    """(blocks, threads, rows) for the persistent recurrent kernels.

    ``rows`` batch rows per block, at most ``CUDA_ROWS_PER_BLOCK`` and fewer
    when B is small, so that a small batch still spreads over about
    ``CUDA_TARGET_BLOCKS`` blocks (the SMs) instead of a handful. Threads: the
    block's rows*H units rounded up to whole warps, at most CUDA_BLOCK_SIZE.
    """
    rows = max(1, min(ROWS_PER_BLOCK, B // CUDA_TARGET_BLOCKS))
    threads = min(CUDA_BLOCK_SIZE, 32 * math.ceil(rows * H / 32))
    return max(1, min(65535, math.ceil(B / rows))), threads, rows


def launch_recurrent(kernel, W, B, H, *args):
    """Launch a persistent recurrent kernel ``kernel(W_flat, *args, rows,
    use_shared)`` over a batch of B rows and H units: the grid from
    :func:`recurrent_grid`; W (2-D, flattened here) staged in dynamic shared
    memory when :func:`shared_bytes` says it fits."""
    W = flat(W)
    smem = shared_bytes(W)
    blocks, threads, rows = recurrent_grid(B, H)
    kernel[blocks, threads, 0, smem](W, *args, rows, 1 if smem else 0)


def launch_1d(n):
    """(blocks, threads) for a grid-stride kernel over n items."""
    return max(1, min(1024, math.ceil(n / CUDA_BLOCK_SIZE))), CUDA_BLOCK_SIZE


# ---------------------------------------------------------------------------
# Tiled GEMM: the input projection of all steps, and the weight gradients


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

    return gemm_kernel


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
    A function of the shapes alone, so the summation order is reproducible."""
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
    P = C.reshape(1, M, N) if splits == 1 else empty("gemm_partial", (splits, M, N), C.dtype)
    _gemm_kernel(C.dtype)[max(1, min(n_tiles * splits, 4096)), (CUDA_TILE, CUDA_TILE)](
        A, B, P, dummy if bias1 is None else bias1, dummy if bias2 is None else bias2, ta, tb, n_bias, chunk)
    if splits > 1:
        blocks, threads = launch_1d(M * N)
        sum_splits_kernel[blocks, threads](P.reshape(splits, M * N), flat(C))


# ---------------------------------------------------------------------------
# Elementwise kernels


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


@cuda_kernel
def fill_kernel(a, value):
    for i in range(cuda.grid(1), a.shape[0], cuda.gridsize(1)):
        a[i] = value


@cuda_kernel
def transpose_kernel(W, WT):
    """WT (N, M) = W (M, N)^T."""
    M, N = W.shape
    for idx in range(cuda.grid(1), M * N, cuda.gridsize(1)):
        i = idx // N
        j = idx % N
        WT[j, i] = W[i, j]


# ---------------------------------------------------------------------------
# Host-side launch helpers (device arrays in, nothing copied to the host)


def flat(a):
    return a.reshape(a.size)


def colsum(G, out):
    """out[j] = sum_i G[i, j]: rows summed in chunks (:func:`k_splits`), then the chunks in order."""
    M, N = G.shape
    splits, chunk = k_splits(N, M, CUDA_TARGET_BLOCKS * CUDA_BLOCK_SIZE)
    P = out.reshape(1, N) if splits == 1 else empty("colsum_partial", (splits, N), out.dtype)
    blocks, threads = launch_1d(splits * N)
    colsum_kernel[blocks, threads](G, P, chunk)
    if splits > 1:
        blocks, threads = launch_1d(N)
        sum_splits_kernel[blocks, threads](P, out)


def zeros(name, shape, dtype):
    """A zero device array. Inside a workspace it is zeroed once, when
    allocated, and reused: callers only read it (initial states, absent
    output gradients)."""
    a, fresh = _buffer(name, shape, dtype)
    if fresh:
        fill(a, 0.0)
    return a


def fill(a, value):
    blocks, threads = launch_1d(a.size)
    fill_kernel[blocks, threads](flat(a), value)


def transpose(W):
    WT = empty("WT", (W.shape[1], W.shape[0]), W.dtype)
    blocks, threads = launch_1d(W.size)
    transpose_kernel[blocks, threads](W, WT)
    return WT


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
    dGx2 = dGx.reshape(T * B, GH)
    dGh2 = dGh.reshape(T * B, GH)
    dx = empty("dx", (T, B, D), x.dtype)
    gemm(dGx2, x.reshape(T * B, D), dw_ih, ta=1)
    gemm(dGh2, hs[:T].reshape(T * B, H), dw_hh, ta=1)
    gemm(dGx2, w_ih, dx.reshape(T * B, D))
    colsum(dGx2, db_ih)
    colsum(dGh2, db_hh)
    return WeightGrads(dx, dw_ih, dw_hh, db_ih, db_hh)
