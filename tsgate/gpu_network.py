"""Stacked, bidirectional networks on device arrays (sibling of network.py).

:class:`DeviceOps` implements the array operations and cell drivers of the
layer loop (:mod:`tsgate.stack`) on CUDA device arrays, so the same loop that
runs on the CPU runs here with every array on the GPU: parameters,
activations, dropout masks and gradients. :class:`DeviceNetwork` is what the
device-resident training loop (:mod:`tsgate.gpu_training`) drives, step after
step, with no host copies.
"""

import functools

from . import gpu_gru, gpu_lstm, gpu_rnn
from .gpu_core import accumulate_dx, empty, multiply, put_direction, reverse_time, scope, take_direction, zeros
from .stack import cell_backward, cell_forward, stack_backward, stack_forward

_CELLS = {"lstm": gpu_lstm, "gru": gpu_gru, "rnn": gpu_rnn}


class DeviceOps:
    """Cell drivers and array operations of :mod:`tsgate.stack` on device arrays.
    Scratch arrays come from the active workspace (:func:`tsgate.gpu_core.empty`)."""

    layer_forward = staticmethod(functools.partial(cell_forward, _CELLS))
    layer_backward = staticmethod(functools.partial(cell_backward, _CELLS))
    empty = staticmethod(empty)
    zeros = staticmethod(zeros)
    reverse_time = staticmethod(reverse_time)
    put_direction = staticmethod(put_direction)
    take_direction = staticmethod(take_direction)
    accumulate = staticmethod(accumulate_dx)
    multiply = staticmethod(multiply)
    scope = staticmethod(scope)

    @staticmethod
    def copy(dst, src):
        dst.copy_to_device(src)


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
