"""The one place that turns ``device='cpu'|'cuda'|'auto'`` into a backend.

A backend bundles what differs between devices:

* ``ops``: the cell drivers and array operations of the layer loop
  (:mod:`tsgate.stack`): :class:`NumpyOps` here, ``DeviceOps`` on the GPU;
* ``network_forward`` / ``network_backward``: a whole stacked network,
  NumPy arrays in and out;
* ``runner``, ``evaluate``, ``predict``: the training epochs and batched
  inference of :mod:`tsgate.training`.

``numba.cuda`` is imported here (to ask whether a GPU is usable) and in the
``gpu_*`` modules, which load only when a CUDA backend is asked for:
``import tsgate`` never imports it.
"""

import contextlib
import functools

import numpy as np

from . import gru, host_training, lstm, rnn
from .errors import ParameterError, name
from .stack import cell_backward, cell_forward, stack_backward, stack_forward

DEVICES = ("cpu", "cuda", "auto")


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


def resolve_device(device):
    """Map ``device`` ('cpu', 'cuda', 'auto') to the device that will run.

    Raises a ParameterError naming the argument when CUDA is asked for and
    no usable GPU backend exists.
    """
    if device not in DEVICES:
        raise ParameterError(f"device must be one of {DEVICES}, got {device!r}")
    if device == "cpu":
        return "cpu"
    ok, why = cuda_available()
    if device == "auto":
        return "cuda" if ok else "cpu"
    if not ok:
        raise ParameterError(f"{name('device', device)} is not usable here: {why}")
    return "cuda"


def get_backend(device):
    """The backend object for ``device`` (resolved first: 'auto' picks)."""
    if resolve_device(device) == "cuda":
        from .gpu_backend import CUDA_BACKEND

        return CUDA_BACKEND
    return CPU_BACKEND


class NumpyOps:
    """Cell drivers and array operations of :mod:`tsgate.stack` on NumPy arrays."""

    layer_forward = staticmethod(functools.partial(cell_forward, {"lstm": lstm, "gru": gru, "rnn": rnn}))
    layer_infer = staticmethod(functools.partial(cell_forward, {"lstm": lstm, "gru": gru, "rnn": rnn}, stage="infer"))
    layer_backward = staticmethod(functools.partial(cell_backward, {"lstm": lstm, "gru": gru, "rnn": rnn}))

    @staticmethod
    def empty(name, shape, dtype):
        return np.empty(shape, dtype)

    @staticmethod
    def zeros(name, shape, dtype):
        return np.zeros(shape, dtype)

    @staticmethod
    def reverse_time(x):
        return np.ascontiguousarray(x[::-1])

    @staticmethod
    def put_direction(hs, y, col0, reverse):
        y[:, :, col0:col0 + hs.shape[2]] = hs[:0:-1] if reverse else hs[1:]

    @staticmethod
    def take_direction(dy, H, col0, reverse):
        part = dy[:, :, col0:col0 + H]
        return np.ascontiguousarray(part[::-1] if reverse else part)

    @staticmethod
    def accumulate(dx, g, reverse, first):
        src = g[::-1] if reverse else g
        if first:
            dx[...] = src
        else:
            dx += src

    @staticmethod
    def multiply(name, a, b):
        return a * b

    @staticmethod
    def copy(dst, src):
        dst[...] = src

    @staticmethod
    def scope(name):
        return contextlib.nullcontext()

    @staticmethod
    def at(a, i):
        return a[i]


class CPUBackend:
    """NumPy arrays and Numba CPU kernels."""

    name = "cpu"
    ops = NumpyOps
    runner = host_training.HostRunner

    @staticmethod
    def network_forward(net, params, x, h0, c0, masks, tape=True):
        """Returns ``y, h_n, c_n, tape`` (NumPy; ``tape`` False: inference, tape None)."""
        return stack_forward(NumpyOps, net, params, x, h0, c0, masks, tape)

    @staticmethod
    def network_backward(net, tape, dy, dh_n, dc_n, out=None):
        """Returns ``grads (dict: ``out`` when given), dx, dh0, dc0`` (NumPy)."""
        grads = out if out is not None else {name: np.empty(p.shape, p.dtype) for name, p in net.params.items()}
        dx, dh0, dc0 = stack_backward(NumpyOps, net, tape, dy, dh_n, dc_n, grads)
        return grads, dx, dh0, dc0

    evaluate = staticmethod(host_training.evaluate)  # (model, source, loss_code, tau, huber_delta, batch_size)
    predict = staticmethod(host_training.predict)  # (model, source, batch_size)


CPU_BACKEND = CPUBackend()
