"""GPU backend entry point. ``import tsgate`` never imports numba.cuda.

The @cuda.jit kernels are not part of this release yet (tracked in the GPU
issue); :func:`cuda_available` reports that clearly so ``device='cuda'`` fails
with a ValueError naming the argument, and ``device='auto'`` falls back to
the CPU.
"""


def cuda_available():
    """Return ``(ok, reason)``: whether ``device='cuda'`` can run here."""
    try:
        from numba import cuda
    except Exception as exc:  # pragma: no cover - numba without cuda support
        return False, f"numba.cuda cannot be imported ({exc})"
    try:
        if not cuda.is_available():
            return False, "no CUDA driver or GPU was found by numba.cuda"
    except Exception as exc:  # pragma: no cover
        return False, f"numba.cuda failed to initialise ({exc})"
    return False, "tsgate's CUDA kernels are not implemented in this version"
