"""GPU backend entry point. ``import tsgate`` never imports numba.cuda; this
module imports it only when ``device='cuda'`` or ``'auto'`` is asked for.

The kernels live in the sibling modules ``gpu_lstm``, ``gpu_gru``,
``gpu_rnn`` (shared helpers in ``gpu_core``). This first version is driven
from the host per layer call: inputs and weights are copied to the device,
the forward cache stays there for BPTT, and outputs and gradients come back
as NumPy arrays, so the optimizer runs on the host.
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


class CUDABackend:
    """Dispatch one layer/direction to the GPU drivers (inputs validated)."""

    @staticmethod
    def forward(cell, x, w_ih, w_hh, b_ih, b_hh, h0, c0, act):
        if cell == "lstm":
            from .gpu_lstm import _lstm_forward_gpu

            return _lstm_forward_gpu(x, w_ih, w_hh, b_ih, b_hh, h0, c0)
        if cell == "gru":
            from .gpu_gru import _gru_forward_gpu

            return _gru_forward_gpu(x, w_ih, w_hh, b_ih, b_hh, h0)
        from .gpu_rnn import _rnn_forward_gpu

        return _rnn_forward_gpu(x, w_ih, w_hh, b_ih, b_hh, h0, act)

    @staticmethod
    def backward(cell, cache, dy, dh_n, dc_n):
        if cell == "lstm":
            from .gpu_lstm import _lstm_backward_gpu

            return _lstm_backward_gpu(cache, dy, dh_n, dc_n)
        if cell == "gru":
            from .gpu_gru import _gru_backward_gpu

            return _gru_backward_gpu(cache, dy, dh_n)
        from .gpu_rnn import _rnn_backward_gpu

        return _rnn_backward_gpu(cache, dy, dh_n)
