"""Decorator policy and tunables, in one place.

Every compiled kernel in tsgate is decorated through :func:`jit` (serial) or
:func:`pjit` (parallel), so caching, the error model and the fast-math flags
are decided here and nowhere else.

Numba freezes module globals at compile time, and cached kernels keep the
values they were compiled with. Options that change per call (nonlinearity,
approximate activations, number of chunks) are therefore passed to kernels as
integer arguments, never as globals or function objects (function arguments
would also break ``cache=True``).
"""

import os

import numba

#: Fast-math flags. Deliberately *not* ``nnan``/``ninf``: non-finite values
#: must propagate so that the callers can detect them and raise.
FASTMATH = {"contract", "reassoc", "nsz", "arcp", "afn"}

#: Options shared by every CPU kernel.
JIT_OPTIONS = dict(cache=True, nogil=True, error_model="numpy", fastmath=FASTMATH)

#: Options of every module-level CUDA kernel: numba-cuda caches them on disk
#: (per compute capability), like the CPU kernels. Kernels that a factory
#: builds per dtype (their shared arrays need the element type) are closures
#: and compile once per process.
CUDA_JIT_OPTIONS = dict(cache=True)

#: Threads per block for every CUDA kernel (grid-stride loops cover the rest).
#: Smaller under Numba's CUDA simulator, where every thread is a Python thread.
#: Override with TSGATE_CUDA_BLOCK_SIZE.
CUDA_BLOCK_SIZE = int(os.environ.get("TSGATE_CUDA_BLOCK_SIZE",
                                     "8" if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1" else "128"))

#: Tile edge of the shared-memory GEMM kernel (blocks of CUDA_TILE x CUDA_TILE threads).
CUDA_TILE = int(os.environ.get("TSGATE_CUDA_TILE",
                               "4" if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1" else "16"))

#: Fixed grid (blocks) of the gradient-norm reduction, whose summation order
#: depends on the grid. Fixed, so a seed gives the same result on every device.
CUDA_NORM_BLOCKS = int(os.environ.get("TSGATE_CUDA_NORM_BLOCKS",
                                       "4" if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1" else "64"))

#: Most batch rows owned by one block of the persistent recurrent kernels;
#: fewer when the batch is small, so that it still spreads over about
#: CUDA_TARGET_BLOCKS blocks (see tsgate.gpu_core.recurrent_grid).
CUDA_ROWS_PER_BLOCK = int(os.environ.get("TSGATE_CUDA_ROWS_PER_BLOCK", "4"))
CUDA_TARGET_BLOCKS = int(os.environ.get("TSGATE_CUDA_TARGET_BLOCKS",
                                        "1" if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1" else "128"))

#: Largest recurrent weight matrix (bytes) staged in a block's dynamic shared
#: memory; larger ones are read from global memory. 48 KiB is the limit every
#: CUDA device grants without an opt-in.
CUDA_SHARED_BYTES = int(os.environ.get("TSGATE_CUDA_SHARED_BYTES", str(48 * 1024)))

def jit(fn=None, **overrides):
    """Compile ``fn`` with tsgate's serial kernel policy."""
    options = dict(JIT_OPTIONS, **overrides)
    if fn is None:
        return lambda f: numba.njit(**options)(f)
    return numba.njit(**options)(fn)


def pjit(fn=None, **overrides):
    """Compile ``fn`` with tsgate's parallel kernel policy (``prange`` regions)."""
    return jit(fn, parallel=True, **overrides)


def jit_inline(fn):
    """Small device-like helpers inlined into every kernel that calls them."""
    return numba.njit(inline="always", **JIT_OPTIONS)(fn)
