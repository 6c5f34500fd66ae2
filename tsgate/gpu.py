"""GPU backend entry point. ``import tsgate`` never imports numba.cuda; this
module imports it only when ``device='cuda'`` or ``'auto'`` is asked for.

Layout (STUMPY-style siblings of the CPU modules):

* ``gpu_core``: device helpers, the tiled GEMM, layout kernels;
* ``gpu_lstm`` / ``gpu_gru`` / ``gpu_rnn``: persistent per-layer kernels and
  their drivers (device arrays in and out);
* ``gpu_network``: stacked/bidirectional networks on device arrays;
* ``gpu_training``: the device-resident training loop, evaluation and
  prediction used by :func:`tsgate.training.train` when ``device='cuda'``.
"""


def cuda_available():
    """Return ``(ok, reason)``: whether ``device='cuda'`` can run here."""
    try:
        from numba import cuda
    except Exception as exc:  # pragma: no cover - numba without cuda support
        return False, f"numba.cuda cannot be imported ({exc}); pip install 'tsgate[cuda]'"
    try:
        if not cuda.is_available():
            return False, "no CUDA driver or GPU was found by numba.cuda"
    except Exception as exc:  # pragma: no cover
        return False, f"numba.cuda failed to initialise ({exc})"
    return True, ""
