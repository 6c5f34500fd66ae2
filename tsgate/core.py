"""Shared helpers for the CPU kernels: activations, chunking, BLAS guard, checks.

Activations
-----------
float32 kernels use a vectorisable rational approximation of tanh (the
13/6 minimax form used by Eigen for float32); sigmoid is derived from it
through the exact identity ``sigmoid(x) = 0.5 + 0.5 * tanh(x / 2)``. It has
only multiplies, adds, one division and a clamp, so LLVM vectorises the gate
loops. Maximum absolute error against ``np.tanh`` is below 1e-6 (tested in
``tests/test_core.py``). float64 kernels call libm (exact to the last ulp),
so finite-difference gradient checks stay exact. The choice is made at
compile time from the dtype (``@overload``), so no branch sits in the loops.

Gate loops index per-gate slices (``a_i = a[0:H]``...) rather than
``a[H + j]``: measured 6x faster, as LLVM then vectorises without runtime
alias checks.
"""

from typing import NamedTuple

import numpy as np
from numba import prange, types
from numba.extending import overload

from . import config
from .blas import single_threaded_blas  # noqa: F401 (re-exported: tsgate.core.single_threaded_blas)
from .config import CHUNKS, FASTMATH, jit_inline, pjit
from .errors import DataError

# ---------------------------------------------------------------------------
# Activations (float32 constants keep float32 kernels in float32 arithmetic)

_CLAMP = np.float32(7.90531110763549805)
_A1 = np.float32(4.89352455891786e-03)
_A3 = np.float32(6.37261928875436e-04)
_A5 = np.float32(1.48572235717979e-05)
_A7 = np.float32(5.12229709037114e-08)
_A9 = np.float32(-8.60467152213735e-11)
_A11 = np.float32(2.00018790482477e-13)
_A13 = np.float32(-2.76076847742355e-16)
_B0 = np.float32(4.89352518554385e-03)
_B2 = np.float32(2.26843463243900e-03)
_B4 = np.float32(1.18534705686654e-04)
_B6 = np.float32(1.19825839466702e-06)
_HALF32 = np.float32(0.5)


@jit_inline
def tanh_approx(x):
    """Rational approximation of tanh, max abs error < 1e-6, vectorisable."""
    x = min(max(x, -_CLAMP), _CLAMP)
    x2 = x * x
    p = _A13 * x2 + _A11
    p = p * x2 + _A9
    p = p * x2 + _A7
    p = p * x2 + _A5
    p = p * x2 + _A3
    p = p * x2 + _A1
    p = p * x
    q = _B6 * x2 + _B4
    q = q * x2 + _B2
    q = q * x2 + _B0
    return p / q


def tanh_(x):
    """tanh chosen at compile time: the approximation for float32, libm for float64."""
    return np.tanh(x)


@overload(tanh_, inline="always", fastmath=FASTMATH)
def _tanh_impl(x):
    if x == types.float32:
        return lambda x: tanh_approx(x)
    return lambda x: np.tanh(x)


def sigmoid_(x):
    """Logistic sigmoid chosen at compile time (float32: through tanh_approx)."""
    return 1.0 / (1.0 + np.exp(-x))


@overload(sigmoid_, inline="always", fastmath=FASTMATH)
def _sigmoid_impl(x):
    if x == types.float32:
        return lambda x: _HALF32 * tanh_approx(_HALF32 * x) + _HALF32
    return lambda x: 1.0 / (1.0 + np.exp(-x))


#: float32 gradients smaller than this are flushed to zero where BPTT carries
#: them from step to step: otherwise, far back in a long sequence, they decay
#: into subnormal numbers, which x86 cores handle in microcode (measured: an
#: LSTM backward over 336 steps at 12x the time per step of one over 48, with
#: 16% of dL/dx subnormal). Adam moves a weight by about g / 1e-8 for so small
#: a g, so nothing a fit could see is lost; float64 is left exact.
FLUSH32 = np.float32(1e-24)
_ZERO32 = np.float32(0.0)


def flush_(x):
    """A gradient carried back one step, flushed to zero below :data:`FLUSH32` in float32."""
    return x


@overload(flush_, inline="always", fastmath=FASTMATH)
def _flush_impl(x):
    if x == types.float32:
        def flush32(x):
            if abs(x) < FLUSH32:
                return _ZERO32
            return x

        return flush32
    return lambda x: x


# ---------------------------------------------------------------------------
# Work split


def n_chunks(n):
    """Number of parallel chunks for ``n`` independent rows (batch entries).

    :data:`tsgate.config.CHUNKS` (one per core of the machine), never more
    chunks than rows. The chunking decides the BLAS call shapes and the order
    of the serial reduction of partial sums, so it does not follow the live
    Numba thread count: a worker process limited to one thread (ensembles,
    joblib, Dask) computes bit for bit what the full process computes.
    """
    return max(1, min(CHUNKS, int(n)))


# ---------------------------------------------------------------------------
# Validation used by the public kernel functions (never a Numba traceback)

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def check_array(a, name, shape, dtype=None):
    """Return ``a`` as a C-contiguous float array of ``shape`` or raise.

    ``shape`` is a tuple of ints or None (any size) and is shown in the error
    message with ``names`` like ``(T, B, D)``. ``dtype`` None accepts float32
    and float64; otherwise the array must have exactly that dtype.
    """
    spec, labels = shape
    if a is None:
        raise DataError(f"{name} is required, expected an array of shape {labels}")
    arr = np.asarray(a)
    if arr.dtype not in FLOAT_DTYPES:
        raise DataError(
            f"{name} must be float32 or float64, got dtype {arr.dtype}"
        )
    if dtype is not None and arr.dtype != dtype:
        raise DataError(
            f"{name} has dtype {arr.dtype} but the input x is {np.dtype(dtype)}; "
            "all arrays of one call must share the dtype"
        )
    if arr.ndim != len(spec) or any(
        want is not None and got != want for got, want in zip(arr.shape, spec)
    ):
        raise DataError(
            f"{name} must have shape {labels} = "
            f"{tuple('?' if s is None else s for s in spec)}, got {arr.shape}"
        )
    if not np.isfinite(arr).all():
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise DataError(
            f"{name} contains NaN or inf (first at index {tuple(int(i) for i in bad)})"
        )
    return np.ascontiguousarray(arr)


def check_cell_inputs(x, w_ih, w_hh, b_ih, b_hh, gates, h0, c0=None, with_c=False):
    """Validate one layer/direction call of a cell (torch layout).

    Returns ``x, w_ih, w_hh, b_ih, b_hh, h0, c0`` as C-contiguous arrays of
    x's dtype; missing initial states become zeros.
    """
    x = check_array(x, "x", ((None, None, None), "(T, B, D)"))
    T, B, D = x.shape
    if T == 0 or B == 0:
        raise DataError(f"x must have at least one time step and one sequence, got shape {x.shape}")
    w_hh = check_array(w_hh, "w_hh", ((None, None), f"({gates}*H, H)"), x.dtype)
    GH, H = w_hh.shape
    if GH != gates * H or H == 0:
        raise DataError(f"w_hh must have shape ({gates}*H, H), got {w_hh.shape}")
    w_ih = check_array(w_ih, "w_ih", ((GH, D), f"({gates}*H, D) with H={H}, D={D}"), x.dtype)
    b_ih = check_array(b_ih, "b_ih", ((GH,), f"({gates}*H,) with H={H}"), x.dtype)
    b_hh = check_array(b_hh, "b_hh", ((GH,), f"({gates}*H,) with H={H}"), x.dtype)
    if h0 is None:
        h0 = np.zeros((B, H), x.dtype)
    h0 = check_array(h0, "h0", ((B, H), f"(B, H) = ({B}, {H})"), x.dtype)
    if with_c:
        if c0 is None:
            c0 = np.zeros((B, H), x.dtype)
        c0 = check_array(c0, "c0", ((B, H), f"(B, H) = ({B}, {H})"), x.dtype)
    return x, w_ih, w_hh, b_ih, b_hh, h0, c0


def check_grad_out(g, name, shape, dtype):
    """Gradient of an output: zeros when None, else validated like an input."""
    if g is None:
        return np.zeros(shape, dtype)
    labels = "(" + ", ".join(str(s) for s in shape) + ")"
    return check_array(g, name, (shape, labels), dtype)


# ---------------------------------------------------------------------------
# GEMM stages shared by every cell


@pjit
def input_projection(X, WihT, bias, A, nchunks):
    """A = X W_ih^T + bias over all steps at once: (T*B, D) @ (D, GH)."""
    T, B, D = X.shape
    GH = WihT.shape[1]
    TB = T * B
    X2 = X.reshape(TB, D)
    A2 = A.reshape(TB, GH)
    for c in prange(nchunks):
        r0 = c * TB // nchunks
        r1 = (c + 1) * TB // nchunks
        if r1 > r0:
            np.dot(X2[r0:r1], WihT, A2[r0:r1])
            for r in range(r0, r1):
                for j in range(GH):
                    A2[r, j] += bias[j]


@pjit
def weight_grads(dGx, dGh, X, Hprev, W_ih, dX, part_ih, part_hh, part_bih, part_bhh, nchunks):
    """dW_ih = dGx^T X, dW_hh = dGh^T Hprev, db_ih = sum dGx, db_hh = sum dGh,
    dX = dGx W_ih.

    dGx, dGh (T*B, GH) are the gradients of the input-side and recurrent-side
    pre-activations (the same array for LSTM and RNN; they differ for GRU).
    X (T*B, D), Hprev (T*B, H). Partial sums per chunk of rows go to
    ``part_*[c]``; the caller sums them serially with :func:`reduce_chunks`,
    so the result does not depend on thread scheduling.
    """
    TB, GH = dGx.shape
    for c in prange(nchunks):
        r0 = c * TB // nchunks
        r1 = (c + 1) * TB // nchunks
        if r1 > r0:
            np.dot(dGx[r0:r1].T, X[r0:r1], part_ih[c])
            np.dot(dGh[r0:r1].T, Hprev[r0:r1], part_hh[c])
            np.dot(dGx[r0:r1], W_ih, dX[r0:r1])
            for r in range(r0, r1):
                for j in range(GH):
                    part_bih[c, j] += dGx[r, j]
                    part_bhh[c, j] += dGh[r, j]


def reduce_chunks(part, out=None):
    """Serial, ordered sum of per-chunk partial results (deterministic),
    written into ``out`` when given."""
    total = part[0].copy()
    for k in range(1, part.shape[0]):
        total += part[k]
    if out is None:
        return total
    out[...] = total
    return out


class WeightGrads(NamedTuple):
    """Gradients of one layer/direction's input and weights."""

    dx: np.ndarray  # (T, B, D)
    dw_ih: np.ndarray  # (G*H, D)
    dw_hh: np.ndarray  # (G*H, H)
    db_ih: np.ndarray  # (G*H,)
    db_hh: np.ndarray  # (G*H,)


def run_weight_grads(dGx, dGh, x, hs, w_ih, out=None):
    """Driver for :func:`weight_grads`: allocates, runs, reduces.

    ``out`` optionally holds ``(dw_ih, dw_hh, db_ih, db_hh)`` arrays to write
    into (e.g. views of a flat gradient vector), as in the GPU sibling
    :func:`tsgate.gpu_gemm.run_weight_grads`. Returns :class:`WeightGrads`.
    """
    T, B, D = x.shape
    GH, H = dGx.shape[2], hs.shape[2]
    nch = n_chunks(T * B)
    part_ih = np.zeros((nch, GH, D), x.dtype)
    part_hh = np.zeros((nch, GH, H), x.dtype)
    part_bih = np.zeros((nch, GH), x.dtype)
    part_bhh = np.zeros((nch, GH), x.dtype)
    dx = np.empty_like(x)
    with single_threaded_blas():
        weight_grads(
            dGx.reshape(T * B, GH), dGh.reshape(T * B, GH), x.reshape(T * B, D),
            hs[:T].reshape(T * B, H), w_ih, dx.reshape(T * B, D),
            part_ih, part_hh, part_bih, part_bhh, nch,
        )
    outs = (None,) * 4 if out is None else out
    return WeightGrads(dx, *(reduce_chunks(p, o) for p, o in zip((part_ih, part_hh, part_bih, part_bhh), outs)))


def projection_block(T, B, G):
    """Steps per block of the inference forward's input projection: about
    :data:`tsgate.config.PROJECTION_BLOCK` gate values, at least one step."""
    return max(1, min(T, config.PROJECTION_BLOCK // max(1, B * G)))


def project_blocks(x, w_ih, bias):
    """Yield ``(t0, A)`` per block of steps, A (n, B, G) = x[t0:t0+n] W_ih^T + bias,
    in one (block, B, G) buffer rewritten per block: the forward without a tape.

    Callers run the recurrence over each block before the next; the generator
    holds the single-threaded BLAS context around both. A block's rows are the
    same products as in :func:`run_input_projection`, but BLAS may round a row
    differently in a call of another shape, so the results agree to rounding
    (bit for bit when the sequence fits in one block).
    """
    T, B, _ = x.shape
    G = w_ih.shape[0]
    blk = projection_block(T, B, G)
    buf = np.empty((blk, B, G), x.dtype)
    WihT = np.ascontiguousarray(w_ih.T)
    with single_threaded_blas():
        for t0 in range(0, T, blk):
            n = min(blk, T - t0)
            input_projection(x[t0:t0 + n], WihT, bias, buf[:n], n_chunks(n * B))
            yield t0, buf[:n]


class InferStates(NamedTuple):
    """What a forward without a tape keeps: every step's h, and for the LSTM the last c."""

    hs: np.ndarray  # (T+1, B, H): h0, h1 .. hT
    cs: object = None  # (1, B, H): cT (LSTM), else None


def infer_states(x, w_ih, bias, h0, advance):
    """hs (T+1, B, H) of a forward without a tape: ``advance(Hs, A)`` runs a cell's
    recurrence over one block, Hs the block's view of hs (h at its start in Hs[0]),
    A its gates from :func:`project_blocks`."""
    hs = np.empty((x.shape[0] + 1, *h0.shape), x.dtype)
    hs[0] = h0
    for t0, A in project_blocks(x, w_ih, bias):
        advance(hs[t0:t0 + A.shape[0] + 1], A)
    return hs


def run_input_projection(x, w_ih, bias):
    """Driver for :func:`input_projection`: returns (T, B, GH) = x W_ih^T + bias."""
    T, B, _ = x.shape
    out = np.empty((T, B, w_ih.shape[0]), x.dtype)
    with single_threaded_blas():
        input_projection(x, np.ascontiguousarray(w_ih.T), bias, out, n_chunks(T * B))
    return out
