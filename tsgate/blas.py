"""The BLAS that the CPU kernels call: its thread limit, and the shape of its calls.

Numba's ``np.dot`` calls SciPy's OpenBLAS. The kernels call it from inside
their parallel regions, one call per chunk of batch rows and time step (the
recurrent GEMM ``h_{t-1} W_hh^T``, and ``dA W_hh`` in BPTT), so:

* :func:`single_threaded_blas` limits that BLAS to one thread while they run
  (a multithreaded BLAS inside ``prange`` would oversubscribe the cores);
* :func:`gemm_plan` sets how many batch rows one such call takes and in how
  many column blocks it reads the weights, :func:`recurrent_weights` lays the
  weights out so, and :func:`dot_rows` makes the calls. On the cores where
  OpenBLAS has a small-matrix GEMM kernel (SkylakeX and its successors:
  AVX-512), a product of ``M x K`` by ``K x N`` with ``M N K <= 100^3`` runs
  that kernel, which reads the operands where they are; a larger one packs
  ``W_hh`` (``K x N``) into a buffer first, on every call. A chunk of 16 rows
  at H = 128 (LSTM: K = 128, N = 512) is just above the bound: two calls of 8
  rows take 0.47 of one call's time, and 128 rows as 16 calls of 8 take 0.83.
  At H = 256 (K = 256, N = 1024) only 3 rows fit, and calls of 3 rows are
  slower than one packed call; there the weights are read in column blocks
  (4 of 256 columns) in which 8 rows fit: 0.51 of one call's time at 16 rows,
  0.90 at 128 (measured on a 2-core AMD EPYC, OpenBLAS 0.3.30;
  ``benchmarks/results/cpu_kernels_2026-12-04_rows.md``). A chunk within the
  bound stays one call (H = 32: up to 244 rows); a larger one is cut into
  calls of 8 rows, or of 4 where fewer than 8 fit but 4 do (GRU H = 256).
  On other cores and BLAS libraries a chunk stays one call, as before.

The choice depends on the BLAS's core, read once through threadpoolctl, so
results are bit-identical from run to run under one BLAS core, as they are
already. The rounding of a GEMM can depend on its kernel: on the machine
measured, the forward's outputs were bit-identical to one call per chunk, but
BPTT's ``dA W_hh`` (K = 4H) sums in another order (gradients differ at
float32 rounding, up to ~1e-5 there), so a training at H >= 128 takes a
slightly different path than before the change. ``TSGATE_GEMM_ROWS``
overrides the plan (a number of rows per call, without column blocks; 0: one
call per chunk).
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
#: Rows per call when a chunk is cut (8, else 4 where the bound allows fewer than 8): the fastest measured.
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


def gemm_plan(k, n):
    """(rows, blocks) of a kernel's ``(rows x k) @ (k x n)`` (see the module doc): the most rows
    one BLAS call takes (:data:`ALL_ROWS`: no limit) and the column blocks of the ``k x n``
    operand (1: none). Where at least 4 rows fit the small-matrix bound: that many rows, one
    block; where fewer fit: the fewest (power of two) column blocks in which 8 rows fit."""
    forced = os.environ.get("TSGATE_GEMM_ROWS")
    if forced is not None and forced.strip():
        return (int(forced) if int(forced) > 0 else ALL_ROWS), 1
    k, n = max(1, int(k)), max(1, int(n))
    if not small_gemm_kernel():
        return ALL_ROWS, 1
    if SMALL_GEMM_MNK // (k * n) >= min(SMALL_GEMM_ROWS):
        return SMALL_GEMM_MNK // (k * n), 1
    blocks = 2
    while blocks <= n and n % blocks == 0:
        if max(SMALL_GEMM_ROWS) * k * (n // blocks) <= SMALL_GEMM_MNK:
            return SMALL_GEMM_MNK // (k * (n // blocks)), blocks
        blocks *= 2
    return ALL_ROWS, 1


def recurrent_weights(w_hh, transpose=True):
    """The recurrent weights as the kernels read them, and their rows per call:
    ``(W_hh^T in column blocks (blocks, H, G H / blocks), rows)`` for ``h W_hh^T``, or with
    ``transpose=False`` ``(W_hh in column blocks (blocks, G H, H / blocks), rows)`` for
    BPTT's ``dA W_hh`` (``w_hh`` (G H, H))."""
    W = w_hh.T if transpose else w_hh
    rows, blocks = gemm_plan(*W.shape)
    K, N = W.shape
    return np.ascontiguousarray(W.reshape(K, blocks, N // blocks).transpose(1, 0, 2)), rows


@jitable
def dot_rows(A, Wb, out, tmp, limit):
    """``out = A @ W`` for W given as column blocks ``Wb`` (blocks, K, N / blocks): one BLAS call
    per block if A has at most ``limit`` rows, else calls of 8 rows (4 where ``limit`` is
    below 8), as equal as can be (8 + 8, not 15 + 1). ``tmp`` (rows of A, N / blocks): scratch
    for the blocks' products (unused with one block)."""
    n = A.shape[0]
    blocks, _, width = Wb.shape
    wide, narrow = SMALL_GEMM_ROWS
    step = n if n <= limit else (wide if limit >= wide else min(narrow, limit))
    calls = (n + step - 1) // step
    for i in range(calls):
        r0 = i * n // calls
        r1 = (i + 1) * n // calls
        if blocks == 1:
            np.dot(A[r0:r1], Wb[0], out[r0:r1])
        else:
            for j in range(blocks):
                np.dot(A[r0:r1], Wb[j], tmp[:r1 - r0])
                out[r0:r1, j * width:(j + 1) * width] = tmp[:r1 - r0]
