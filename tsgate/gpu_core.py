"""Shared CUDA device helpers and small kernels (imported only for device='cuda').

Conventions of every kernel here and in ``gpu_lstm``/``gpu_gru``/``gpu_rnn``:

* grid-stride loops, threads per block from :data:`tsgate.config.CUDA_BLOCK_SIZE`;
* reductions are deterministic: every output element is summed by one thread
  in a fixed order, or by a fixed-shape tree inside one block, or in chunks
  fixed by the shapes and then in chunk order (:mod:`tsgate.gpu_gemm`);
* the recurrent kernels are persistent: one launch per layer and direction
  loops over time. A block owns a group of batch rows (:func:`recurrent_grid`),
  so it only ever waits for itself (``syncthreads`` once per step), and it
  stages the flattened recurrent weight matrix in dynamic shared memory when
  it fits in :data:`tsgate.config.CUDA_SHARED_BYTES` (global memory otherwise).
  From H = 64 each thread carries several of the block's rows in registers
  (:func:`row_tile`), reading each weight once for all of them.

Everything here takes and returns device arrays. Scratch arrays come from
:func:`empty`: inside ``with using(Workspace())`` (the training loop) a buffer
is allocated once per (scope, name, shape, dtype) and reused every step, so a
step makes no ``cudaMalloc`` calls; outside, :func:`empty` allocates.
"""

import contextlib
import contextvars
import math
import threading
import warnings

import numba
import numpy as np
from numba import cuda

from .config import (
    CUDA_BLOCK_SIZE, CUDA_JIT_OPTIONS, CUDA_ROWS_PER_BLOCK, CUDA_SHARED_BYTES, CUDA_TARGET_BLOCKS,
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
    cached in tsgate's own directory like the CPU kernels, launched through
    :func:`configured` (``kernel[grid, block](...)`` as usual)."""
    options = CUDA_JIT_OPTIONS if caching() else dict(CUDA_JIT_OPTIONS, cache=False)
    with own_cache():
        return Kernel(cuda.jit(**options)(fn))


_configs = {}
_LOW_OCCUPANCY = r".*Grid size \d+ will likely result in GPU under-utilization"  # numba-cuda's message (highlighted)
_configs_lock = threading.Lock()


def configured(kernel, config):
    """``kernel[config]``, made once per (kernel, config) and kept: a launch then costs a dict
    lookup instead of a new launch configuration. Made without numba-cuda's low-occupancy
    warning, which tsgate's deliberately small grids (one block per group of batch rows)
    would otherwise show the user on every fit. The simulator's kernels are configured in
    place (``kernel[...]`` returns the kernel itself), so there nothing is kept."""
    launch = _configs.get((kernel, config))
    if launch is None:
        with _configs_lock, warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=_LOW_OCCUPANCY)
            launch = kernel[config]
            if not numba.config.ENABLE_CUDASIM:
                if len(_configs) >= 4096:  # bounded: batch sizes that vary without end make new grids
                    _configs.clear()
                _configs[(kernel, config)] = launch
    return launch


class Kernel:
    """A CUDA dispatcher whose ``[grid, block(, stream, shared bytes)]`` goes through
    :func:`configured`; every other attribute is the dispatcher's."""

    def __init__(self, dispatcher):
        self.dispatcher = dispatcher

    def __getitem__(self, config):
        return configured(self.dispatcher, config)

    def __getattr__(self, name):
        return getattr(self.dispatcher, name)


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
def d_rows(dst, src, b0, nb):
    """dst[b, :] = src[b, :] for a block's rows b0 .. b0+nb-1, then a block barrier: set by
    the recurrent kernel itself (no copy launch), e.g. the state a recurrence starts from
    (``dst`` = Hs[0]) or BPTT's dL/dh_T, dL/dc_T in the buffers it carries back through time."""
    H = src.shape[1]
    for idx in range(cuda.threadIdx.x, nb * H, cuda.blockDim.x):
        dst[b0 + idx // H, idx % H] = src[b0 + idx // H, idx % H]
    cuda.syncthreads()


def make_row(RT):
    """``row(r0, r, last)``: the batch row of the r-th of a thread's RT rows
    (tile starting at r0). Rows past the block's last repeat it and are never
    written; with RT = 1 there is nothing to clamp, and the kernel is the
    plain one-row-per-thread kernel."""

    @cuda.jit(device=True, inline=True)
    def row(r0, r, last):
        return min(r0 + r, last) if RT > 1 else r0

    return row


def make_dh_prev(nbtype, RT):
    """The recurrent part of BPTT, shared by every cell, for threads that each
    carry RT batch rows (:func:`row_tile`; RT a compile-time constant):
    ``dh_prev(dG, W, dh, direct, use_direct, t, b0, nb)`` sets
    dh[b, k] = sum_q dG[t, b, q] W_hh[q, k] (+ direct[b, k]) for the block's
    rows b0 .. b0+nb-1, with W = W_hh flattened row-major, (G*H,). Each thread
    reads W[q, k] once for its RT rows. The caller synchronises the block
    before and after."""

    row = make_row(RT)

    @cuda.jit(device=True, inline=True)
    def dh_prev(dG, W, dh, direct, use_direct, t, b0, nb):
        G = dG.shape[2]
        H = dh.shape[1]
        last = b0 + nb - 1
        for idx in range(cuda.threadIdx.x, ((nb + RT - 1) // RT) * H, cuda.blockDim.x):
            r0 = b0 + (idx // H) * RT
            k = idx % H
            s = cuda.local.array(RT, nbtype)  # (RT,) one sum per row, in registers
            for r in range(RT):
                s[r] = direct[row(r0, r, last), k] if use_direct else ZERO
            for q in range(G):
                w = W[q * H + k]
                for r in range(RT):
                    s[r] += dG[t, row(r0, r, last), q] * w
            for r in range(RT):
                if r0 + r <= last:
                    dh[r0 + r, k] = s[r]

    return dh_prev


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
    """Memoise ``factory(numba_type, *extra)`` by NumPy dtype and ``extra``:
    kernels with shared or local arrays need their element type (and the
    recurrent kernels their row tile) at compile time."""
    kernels = {}

    def get(dtype, *extra):
        key = (str(dtype), *extra)
        if key not in kernels:
            kernels[key] = factory(numba.float32 if key[0] == "float32" else numba.float64, *extra)
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


def row_tile(rows, H):
    """Batch rows each thread of a recurrent kernel carries in registers: the
    largest power of two up to ``rows`` once H reaches :data:`ROW_TILE_MIN_H`,
    else 1. A thread then reads each recurrent weight once for all its rows
    instead of once per row: at H = 256 the LSTM's W_hh is 1 MiB, read by
    every block every step, and that traffic bounds the step. Small H keeps
    one row per thread, for more threads per block."""
    rt = 1
    while H >= ROW_TILE_MIN_H and rt * 2 <= rows:
        rt *= 2
    return rt


#: Smallest H at which the recurrent kernels tile rows (:func:`row_tile`).
ROW_TILE_MIN_H = 64


def launch_recurrent(kernels, which, W, B, H, *args):
    """Launch the persistent recurrent kernel ``kernels(dtype, rt)[which]``
    (0: forward, 1: backward) as ``kernel(W_flat, *args, rows, use_shared)``
    over a batch of B rows and H units: the grid from :func:`recurrent_grid`,
    ``rt`` rows per thread from :func:`row_tile`; W (2-D, flattened here)
    staged in dynamic shared memory when :func:`shared_bytes` says it fits."""
    W = flat(W)
    smem = shared_bytes(W)
    blocks, threads, rows = recurrent_grid(B, H)
    rt = row_tile(rows, H)
    threads = min(threads, 32 * math.ceil(math.ceil(rows / rt) * H / 32))
    configured(kernels(W.dtype, rt)[which], (blocks, threads, 0, smem))(W, *args, rows, 1 if smem else 0)


def launch_1d(n):
    """(blocks, threads) for a grid-stride kernel over n items."""
    return max(1, min(1024, math.ceil(n / CUDA_BLOCK_SIZE))), CUDA_BLOCK_SIZE


# ---------------------------------------------------------------------------
# Elementwise kernels


@cuda_kernel
def fill_kernel(a, value):
    for i in range(cuda.grid(1), a.shape[0], cuda.gridsize(1)):
        a[i] = value


@cuda_kernel
def copy_kernel(dst, src):
    for i in range(cuda.grid(1), dst.shape[0], cuda.gridsize(1)):
        dst[i] = src[i]


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


def derived(a, key, make):
    """``make()``, a view of device array ``a`` (a reshape or slice), made once per ``a`` and ``key``.

    numba-cuda spends host time on every view (on an H200's host: about 50 us per slice and
    9 us per reshape, against 30 us for a whole kernel launch), and the workspace hands back
    the same buffers on every call, so the views of a step are made on its first call only.
    The memo lives on ``a`` itself and dies with it; views share ``a``'s memory."""
    memo = a.__dict__.setdefault("_tsgate_views", {})
    view = memo.get(key)
    if view is None:
        view = memo[key] = make()
    return view


def flat(a):
    """``a.reshape(a.size)``, memoised."""
    return derived(a, ("flat",), lambda: a.reshape(a.size))


def reshaped(a, *shape):
    """``a.reshape(*shape)``, memoised."""
    return derived(a, ("reshape", *shape), lambda: a.reshape(*shape))


def at(a, i):
    """``a[i]`` (one index along the first axis), memoised."""
    return derived(a, ("at", i), lambda: a[i])


def rows(a, start, stop):
    """``a[start:stop]``, memoised."""
    return derived(a, ("rows", start, stop), lambda: a[start:stop])


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


def copy(dst, src):
    """``dst[...] = src`` for contiguous device arrays of one shape and dtype, by a kernel: on
    the H200's host numba-cuda's device-to-device ``copy_to_device`` took 232 us of host time,
    a launch with one array 42 us."""
    if dst.shape != src.shape or dst.dtype != src.dtype:
        raise ValueError(f"copy: {src.shape} {src.dtype} into {dst.shape} {dst.dtype}")
    if dst.size:
        blocks, threads = launch_1d(dst.size)
        copy_kernel[blocks, threads](flat(dst), flat(src))


def transpose(W):
    WT = empty("WT", (W.shape[1], W.shape[0]), W.dtype)
    blocks, threads = launch_1d(W.size)
    transpose_kernel[blocks, threads](W, WT)
    return WT
