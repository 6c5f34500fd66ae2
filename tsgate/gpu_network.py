"""Stacked, bidirectional networks on device arrays (sibling of network.py).

:class:`DeviceOps` implements the array operations and cell drivers of the
layer loop (:mod:`tsgate.stack`) on CUDA device arrays, so the same loop that
runs on the CPU runs here with every array on the GPU: parameters,
activations, dropout masks and gradients. :class:`DeviceNetwork` is what the
device-resident training loop (:mod:`tsgate.gpu_training`) drives, step after
step, with no host copies.
"""

import functools

from numba import cuda

from . import gpu_gru, gpu_lstm, gpu_rnn
from .gpu_core import at, copy, cuda_kernel, empty, flat, launch_1d, scope, zeros
from .stack import cell_backward, cell_forward, stack_backward, stack_forward

_CELLS = {"lstm": gpu_lstm, "gru": gpu_gru, "rnn": gpu_rnn}


# ---------------------------------------------------------------------------
# Layout kernels of the layer loop


@cuda_kernel
def reverse_time_kernel(x, out):
    """out[t] = x[T-1-t] for (T, B, D) arrays."""
    T, B, D = x.shape
    for idx in range(cuda.grid(1), T * B * D, cuda.gridsize(1)):
        t = idx // (B * D)
        r = idx % (B * D)
        out[t, r // D, r % D] = x[T - 1 - t, r // D, r % D]


@cuda_kernel
def put_direction_kernel(hs, y, col0, reverse):
    """y[t, :, col0:col0+H] = hs[t+1] (forward) or hs[T-t] (reverse), hs (T+1, B, H)."""
    T, B, _ = y.shape
    H = hs.shape[2]
    for idx in range(cuda.grid(1), T * B * H, cuda.gridsize(1)):
        t = idx // (B * H)
        b = (idx // H) % B
        j = idx % H
        y[t, b, col0 + j] = hs[T - t, b, j] if reverse else hs[t + 1, b, j]


@cuda_kernel
def take_direction_kernel(dy, out, col0, reverse):
    """out[t] = dy[t, :, col0:col0+H] (forward) or dy[T-1-t, ...] (reverse)."""
    T, B, H = out.shape
    for idx in range(cuda.grid(1), T * B * H, cuda.gridsize(1)):
        t = idx // (B * H)
        b = (idx // H) % B
        j = idx % H
        out[t, b, j] = dy[T - 1 - t, b, col0 + j] if reverse else dy[t, b, col0 + j]


@cuda_kernel
def accumulate_dx_kernel(dx, g, reverse, first):
    """dx (=|+=) g, time-reversed when ``reverse``; (T, B, D) arrays."""
    T, B, D = dx.shape
    for idx in range(cuda.grid(1), T * B * D, cuda.gridsize(1)):
        t = idx // (B * D)
        r = idx % (B * D)
        v = g[T - 1 - t, r // D, r % D] if reverse else g[t, r // D, r % D]
        if first:
            dx[t, r // D, r % D] = v
        else:
            dx[t, r // D, r % D] += v


@cuda_kernel
def multiply_kernel(a, b, out):
    for i in range(cuda.grid(1), a.shape[0], cuda.gridsize(1)):
        out[i] = a[i] * b[i]


def reverse_time(x):
    out = empty("x_reversed", x.shape, x.dtype)
    blocks, threads = launch_1d(x.size)
    reverse_time_kernel[blocks, threads](x, out)
    return out


def put_direction(hs, y, col0, reverse):
    blocks, threads = launch_1d(y.shape[0] * y.shape[1] * hs.shape[2])
    put_direction_kernel[blocks, threads](hs, y, col0, 1 if reverse else 0)


def take_direction(dy, H, col0, reverse):
    out = empty("dy_direction", (dy.shape[0], dy.shape[1], H), dy.dtype)
    blocks, threads = launch_1d(out.size)
    take_direction_kernel[blocks, threads](dy, out, col0, 1 if reverse else 0)
    return out


def accumulate_dx(dx, g, reverse, first):
    blocks, threads = launch_1d(dx.size)
    accumulate_dx_kernel[blocks, threads](dx, g, 1 if reverse else 0, 1 if first else 0)


def multiply(key, a, b):
    out = empty(key, a.shape, a.dtype)
    blocks, threads = launch_1d(a.size)
    multiply_kernel[blocks, threads](flat(a), flat(b), flat(out))
    return out


class DeviceOps:
    """Cell drivers and array operations of :mod:`tsgate.stack` on device arrays.
    Scratch arrays come from the active workspace (:func:`tsgate.gpu_core.empty`)."""

    layer_forward = staticmethod(functools.partial(cell_forward, _CELLS))
    layer_infer = layer_forward  # the device forward keeps its (reused) workspace buffers either way
    layer_backward = staticmethod(functools.partial(cell_backward, _CELLS))
    empty = staticmethod(empty)
    zeros = staticmethod(zeros)
    reverse_time = staticmethod(reverse_time)
    put_direction = staticmethod(put_direction)
    take_direction = staticmethod(take_direction)
    accumulate = staticmethod(accumulate_dx)
    multiply = staticmethod(multiply)
    scope = staticmethod(scope)
    at = staticmethod(at)

    copy = staticmethod(copy)


class DeviceNetwork:
    """Forward/backward of a recurrent network whose parameters are device arrays.

    Parameters
    ----------
    net : RecurrentNetwork
        Supplies the architecture (cell, sizes, layers, directions, activation).
    params : dict
        Torch parameter name -> device array (views into one flat device
        vector work: nothing is copied).
    """

    def __init__(self, net, params):
        self.net = net
        self.params = params
        self._tape = None

    def forward(self, x, h0, c0=None, masks=None):
        """x (T, B, D) device; h0, c0 (L*ND, B, H) device (c0 for LSTM only);
        masks: per-layer dropout masks (T, B, ND*H) or None (layer 0 is never
        masked). Returns device ``y (T, B, ND*H), h_n, c_n``."""
        y, h_n, c_n, self._tape = stack_forward(DeviceOps, self.net, self.params, x, h0, c0, masks)
        return y, h_n, c_n

    def backward(self, dy, dh_n, dc_n, grads):
        """BPTT through the last :meth:`forward`; ``grads`` (name -> device
        array) written in place. Returns device ``dx (T, B, D), dh0, dc0``."""
        if self._tape is None:
            raise RuntimeError("backward() needs a forward() first (one backward per forward)")
        tape, self._tape = self._tape, None
        return stack_backward(DeviceOps, self.net, tape, dy, dh_n, dc_n, grads)
