"""The BLAS that the CPU kernels call: its thread limit, and the shape of its calls.

Numba's ``np.dot`` calls SciPy's OpenBLAS. The kernels call it from inside
their parallel regions, one call per chunk of batch rows and time step (the
recurrent GEMM ``h_{t-1} W_hh^T``, and ``dA W_hh`` in BPTT), so:

* :func:`single_threaded_blas` limits that BLAS to one thread while they run
  (a multithreaded BLAS inside ``prange`` would oversubscribe the cores);
* :func:`gemm_rows` sets how many batch rows one such call takes, and
  :func:`dot_rows` makes the calls. On the cores where OpenBLAS has a
  small-matrix GEMM kernel (SkylakeX and its successors: AVX-512), a product
  of ``M x K`` by ``K x N`` with ``M N K <= 100^3`` runs that kernel, which
  reads the operands where they are; a larger one packs ``W_hh`` (``K x N``)
  into a buffer first, on every call. A chunk of 16 rows at H = 128 (LSTM:
  K = 128, N = 512) is just above the bound: two calls of 8 rows take 0.47 of
  one call's time, and 128 rows as 16 calls of 8 take 0.83 (measured on a
  2-core AMD EPYC, OpenBLAS 0.3.30; ``benchmarks/results/cpu_kernels_2026-12-04_rows.md``).
  A chunk within the bound stays one call (H = 32: up to 244 rows); a larger
  one is cut into calls of 8 rows, or of 4 where the bound allows fewer than 8
  (GRU H = 256). Where it allows fewer than 4 (LSTM H = 256), the small kernel
  is slower than one packed call, and a chunk stays one call, as it does on
  every other core and BLAS.

The choice depends on the BLAS's core, read once through threadpoolctl (the
rounding of a GEMM can depend on its kernel, so results are bit-identical
under one BLAS core, as they are already). ``TSGATE_GEMM_ROWS`` overrides it
(0: one call per chunk).
"""

import contextlib
import os
import threading

import numpy as np

from .config import jitable

#: OpenBLAS cores (threadpoolctl's ``architecture``, lower case) with the small-matrix GEMM kernel.
SMALL_GEMM_CORES = ("skylakex", "cooperlake", "sapphirerapids")
#: OpenBLAS takes that kernel for M x N x K up to this many multiply-adds.
SMALL_GEMM_MNK = 100 ** 3
#: Rows per call when a block is cut (8, else 4 where the bound allows fewer than 8): the fastest measured.
SMALL_GEMM_ROWS = (8, 4)
#: Rows per call meaning "all the chunk's rows in one call".
ALL_ROWS = 1 << 30

_blas_lock = threading.Lock()
_blas_depth = 0
_blas_limiter = None
_controller = None
_small_gemm = None


def _controller_once():
    global _controller
    if _controller is None:
        # Numba's np.dot calls SciPy's BLAS: load it before the controller
        # takes its inventory of BLAS libraries, or it would not be limited.
        import scipy.linalg.cython_blas  # noqa: F401 (side effect: loads the BLAS library)
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController()
    return _controller


@contextlib.contextmanager
def single_threaded_blas():
    """Limit BLAS to one thread while tsgate's parallel kernels run.
    Re-entrant: nested uses cost nothing."""
    global _blas_depth, _blas_limiter
    with _blas_lock:
        if _blas_depth == 0:
            try:
                _blas_limiter = _controller_once().limit(limits=1, user_api="blas")
            except Exception:  # pragma: no cover - threadpoolctl missing/broken
                _blas_limiter = None
        _blas_depth += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_depth -= 1
            if _blas_depth == 0 and _blas_limiter is not None:
                _blas_limiter.restore_original_limits()
                _blas_limiter = None


def small_gemm_kernel():
    """Whether the BLAS that Numba calls is an OpenBLAS on a core with the small-matrix kernel."""
    global _small_gemm
    if _small_gemm is None:
        try:
            import scipy

            home = os.path.dirname(scipy.__file__)  # its wheel's libraries: site-packages/scipy.libs
            libs = [m for m in _controller_once().info() if m.get("internal_api") == "openblas"]
            mine = [m for m in libs if str(m.get("filepath", "")).startswith(home)] or libs
            _small_gemm = bool(mine) and str(mine[0].get("architecture", "")).lower() in SMALL_GEMM_CORES
        except Exception:  # pragma: no cover - threadpoolctl missing/broken: one call per chunk
            _small_gemm = False
    return _small_gemm


def gemm_rows(k, n):
    """Most batch rows one BLAS call of a kernel's ``(rows x k) @ (k x n)`` takes (see the
    module doc): as many as the small-matrix kernel's bound allows where it pays (4 or more),
    else :data:`ALL_ROWS`. :func:`dot_rows` cuts a larger block into calls of 8 or 4 rows."""
    forced = os.environ.get("TSGATE_GEMM_ROWS")
    if forced is not None and forced.strip():
        return int(forced) if int(forced) > 0 else ALL_ROWS
    fits = SMALL_GEMM_MNK // max(1, int(k) * int(n))
    return fits if small_gemm_kernel() and fits >= min(SMALL_GEMM_ROWS) else ALL_ROWS


def recurrent_rows(w_hh):
    """:func:`gemm_rows` of a cell's recurrent GEMMs: ``h W_hh^T`` and BPTT's ``dA W_hh``
    (``w_hh`` (G H, H); both products have the same multiply-adds per row)."""
    return gemm_rows(w_hh.shape[1], w_hh.shape[0])


@jitable
def dot_rows(A, B, out, limit):
    """``out = A @ B``: one BLAS call if A has at most ``limit`` rows (:func:`gemm_rows`), else
    calls of 8 rows (4 where ``limit`` is below 8), as equal as can be (8 + 8, not 15 + 1)."""
    n = A.shape[0]
    if n <= limit:
        np.dot(A, B, out)
        return
    step = 8 if limit >= 8 else min(4, limit)
    calls = (n + step - 1) // step
    for i in range(calls):
        r0 = i * n // calls
        r1 = (i + 1) * n // calls
        np.dot(A[r0:r1], B, out[r0:r1])
