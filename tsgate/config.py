"""Decorator policy and tunables, in one place.

Every compiled kernel in tsgate is decorated through :func:`jit` (serial) or
:func:`pjit` (parallel), so caching, the error model and the fast-math flags
are decided here and nowhere else.

Compiled kernels are cached in tsgate's own directory (:func:`cache_dir`), never
inside the installed package: a cache written into ``site-packages/tsgate``
would outlive ``pip uninstall`` and leave an empty ``tsgate`` namespace
package behind. Other libraries' Numba caching is left as it is.

Numba freezes module globals at compile time, and cached kernels keep the
values they were compiled with. Options that change per call (nonlinearity,
approximate activations, number of chunks) are therefore passed to kernels as
integer arguments, never as globals or function objects (function arguments
would also break ``cache=True``).
"""

import contextlib
import os
import sys
import tempfile

import numba

#: Fast-math flags. Deliberately *not* ``nnan``/``ninf``: non-finite values
#: must propagate so that the callers can detect them and raise.
FASTMATH = {"contract", "reassoc", "nsz", "arcp", "afn"}

#: Parallel chunks of the CPU kernels' batch loops: one per core (override with
#: TSGATE_CHUNKS). Fixed per machine, not per live thread count, so results do
#: not depend on how many threads a process was given (see tsgate.core.n_chunks).
#: Not NUMBA_NUM_THREADS: joblib sets it to 1 in its workers, which would make
#: a worker chunk (and so round) differently from the parent.
CHUNKS = int(os.environ.get("TSGATE_CHUNKS") or os.cpu_count() or 1)

#: Gate values (steps x batch x gates) the CPU inference forward projects per block of steps:
#: it projects and runs a block of steps at a time and reuses one block buffer instead of
#: storing every step's gates (override with TSGATE_PROJECTION_BLOCK).
#: About 1 MB of float32: fastest of 2^14..2^22 on B x T x H = 256 x 336 x 128 and 32 x 336 x 128.
PROJECTION_BLOCK = int(os.environ.get("TSGATE_PROJECTION_BLOCK") or 1 << 18)

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

#: Most bytes of windows (inputs, targets, extra features) a device fit keeps
#: on the device at once: below it they are uploaded once, above it gathered
#: on the host and uploaded a piece at a time (tsgate.gpu_training.DeviceWindows).
CUDA_WINDOW_BYTES = int(os.environ.get("TSGATE_CUDA_WINDOW_BYTES", str(1 << 30)))


def _user_cache_root():
    if sys.platform == "win32":
        return os.environ.get("LOCALAPPDATA") or os.path.expanduser("~\\AppData\\Local")
    if sys.platform == "darwin":
        return os.path.expanduser("~/Library/Caches")
    return os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")


def _writable(path):
    try:
        os.makedirs(path, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
        return True
    except OSError:
        return False


def cache_dir():
    """Where tsgate's compiled kernels are cached: ``$NUMBA_CACHE_DIR`` when
    set, else ``<user cache>/tsgate/numba`` (``$XDG_CACHE_HOME`` or ``~/.cache`` on
    Linux), else a per-user directory under the system temp dir, whichever is
    writable first. Numba keys the files by the full source path, so every
    install and version keeps its own."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return os.environ["NUMBA_CACHE_DIR"]
    uid = os.getuid() if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
    for path in (os.path.join(_user_cache_root(), "tsgate", "numba"),
                 os.path.join(tempfile.gettempdir(), f"tsgate-numba-{uid}")):
        if _writable(path):
            return path
    return None  # nowhere writable: kernels compile in every process


_CACHE_DIR = cache_dir()


def caching():
    """Whether compiled kernels are cached on disk (a writable cache dir exists)."""
    return _CACHE_DIR is not None


@contextlib.contextmanager
def own_cache():
    """Point Numba's cache locators at :func:`cache_dir` while kernels are
    decorated (Numba fixes a kernel's cache location at decoration)."""
    configs = [numba.config]
    cuda_config = sys.modules.get("numba.cuda.core.config")  # numba-cuda keeps its own copy
    if cuda_config is not None:
        configs.append(cuda_config)
    old = [c.CACHE_DIR for c in configs]
    for c in configs:
        c.CACHE_DIR = _CACHE_DIR or ""
    try:
        yield
    finally:
        for c, value in zip(configs, old):
            c.CACHE_DIR = value


def _compile(options, fn):
    if not caching():
        options = dict(options, cache=False)
    with own_cache():
        return numba.njit(**options)(fn)


def jit(fn=None, **overrides):
    """Compile ``fn`` with tsgate's serial kernel policy."""
    options = dict(JIT_OPTIONS, **overrides)
    if fn is None:
        return lambda f: _compile(options, f)
    return _compile(options, fn)


def pjit(fn=None, **overrides):
    """Compile ``fn`` with tsgate's parallel kernel policy (``prange`` regions)."""
    return jit(fn, parallel=True, **overrides)


def jitable(fn):
    """A plain-Python helper that kernels compile along (``numba.extending.register_jitable``,
    with the kernel policy's math flags): one definition for NumPy code and kernels alike."""
    from numba.extending import register_jitable

    return register_jitable(fastmath=FASTMATH, error_model=JIT_OPTIONS["error_model"])(fn)


def jit_inline(fn):
    """Small device-like helpers inlined into every kernel that calls them."""
    return _compile(dict(JIT_OPTIONS, inline="always"), fn)

