"""Stacked, bidirectional recurrent networks on device arrays (sibling of network.py).

:class:`DeviceNetwork` runs :class:`tsgate.network.RecurrentNetwork`'s
forward and BPTT with every array on the GPU: parameters, activations,
dropout masks and gradients. It is what the device-resident training loop
(:mod:`tsgate.gpu_training`) drives, step after step, with no host copies.
:func:`host_forward` / :func:`host_backward` wrap it for the NumPy API of
``RecurrentNetwork(device='cuda')``: one upload and one download per call.
"""

from numba import cuda

from .gpu_core import accumulate_dx, empty, multiply, put_direction, reverse_time, scope, take_direction, zeros
from .gpu_gru import _gru_backward_gpu, _gru_forward_gpu
from .gpu_lstm import _lstm_backward_gpu, _lstm_forward_gpu
from .gpu_rnn import _rnn_backward_gpu, _rnn_forward_gpu


def _layer_forward(cell, x, w_ih, w_hh, b_ih, b_hh, h0, c0, act):
    if cell == "lstm":
        return _lstm_forward_gpu(x, w_ih, w_hh, b_ih, b_hh, h0, c0)
    if cell == "gru":
        return _gru_forward_gpu(x, w_ih, w_hh, b_ih, b_hh, h0)
    return _rnn_forward_gpu(x, w_ih, w_hh, b_ih, b_hh, h0, act)


def _layer_backward(cell, cache, dy, dh_n, dc_n, grads):
    """Returns (dx, dh0, dc0 or None); weight gradients go into ``grads``."""
    if cell == "lstm":
        return _lstm_backward_gpu(cache, dy, dh_n, dc_n, grads)
    if cell == "gru":
        return _gru_backward_gpu(cache, dy, dh_n, grads) + (None,)
    return _rnn_backward_gpu(cache, dy, dh_n, grads) + (None,)


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
        net = self.net
        cell, H, ND = net.cell, net.hidden_size, net.num_directions
        act = {"tanh": 0, "relu": 1}[net.nonlinearity]
        T, B, _ = x.shape
        h_n = empty("h_n", (net.num_layers * ND, B, H), x.dtype)
        c_n = empty("c_n", (net.num_layers * ND, B, H), x.dtype) if cell == "lstm" else None
        tape = []
        inp = x
        for layer in range(net.num_layers):
            mask = None if masks is None else masks[layer]
            if mask is not None:
                inp = multiply(f"x{layer}_dropped", inp, mask)
            out = empty(f"y{layer}", (T, B, ND * H), x.dtype)  # (T, B, ND*H)
            caches = []
            for d in range(ND):
                idx = layer * ND + d
                s = net._suffix(layer, d)
                p = self.params
                with scope(f"l{layer}d{d}"):
                    xin = inp if d == 0 else reverse_time(inp)
                    cache = _layer_forward(cell, xin, p["weight_ih" + s], p["weight_hh" + s], p["bias_ih" + s],
                                           p["bias_hh" + s], h0[idx], None if c_n is None else c0[idx], act)
                put_direction(cache.hs, out, d * H, d == 1)
                h_n[idx].copy_to_device(cache.hs[T])
                if c_n is not None:
                    c_n[idx].copy_to_device(cache.cs[T])
                caches.append(cache)
            tape.append((caches, mask))
            inp = out
        self._tape = (tape, T, B)
        return inp, h_n, c_n

    def backward(self, dy, dh_n, dc_n, grads):
        """BPTT through the last :meth:`forward`.

        dy (T, B, ND*H) device or None (zero); dh_n, dc_n (L*ND, B, H) device
        (dc_n for LSTM only); ``grads``: parameter name -> device array,
        written in place. Returns device ``dx (T, B, D), dh0, dc0``.
        """
        if self._tape is None:
            raise RuntimeError("backward() needs a forward() first (one backward per forward)")
        net = self.net
        cell, H, ND = net.cell, net.hidden_size, net.num_directions
        tape, T, B = self._tape
        dtype = dh_n.dtype
        dh0 = empty("dh0", dh_n.shape, dtype)
        dc0 = empty("dc0", dh_n.shape, dtype) if cell == "lstm" else None
        for layer in range(net.num_layers - 1, -1, -1):
            caches, mask = tape[layer]
            dx = None
            for d in range(ND):
                idx = layer * ND + d
                s = net._suffix(layer, d)
                g = (grads["weight_ih" + s], grads["weight_hh" + s], grads["bias_ih" + s], grads["bias_hh" + s])
                with scope(f"l{layer}d{d}"):
                    dyd = zeros("dy_zero", (T, B, H), dtype) if dy is None else take_direction(dy, H, d * H, d == 1)
                    gx, gh0, gc0 = _layer_backward(cell, caches[d], dyd, dh_n[idx],
                                                   None if dc0 is None else dc_n[idx], g)
                dh0[idx].copy_to_device(gh0)
                if dc0 is not None:
                    dc0[idx].copy_to_device(gc0)
                if ND == 1:
                    dx = gx
                else:
                    if dx is None:
                        dx = empty(f"dx{layer}", gx.shape, dtype)
                    accumulate_dx(dx, gx, d == 1, d == 0)
            if mask is not None:
                dx = multiply(f"dx{layer}_dropped", dx, mask)
            dy = dx
        self._tape = None
        return dy, dh0, dc0


def host_forward(net, x, h0, c0, masks):
    """NumPy in, NumPy out: one upload of parameters and inputs, one download.
    Returns ``(y, h_n, c_n, tape)``; ``tape`` feeds :func:`host_backward`."""
    params = {name: cuda.to_device(p) for name, p in net.params.items()}
    dnet = DeviceNetwork(net, params)
    d_masks = None if masks is None else [None if m is None else cuda.to_device(m) for m in masks]
    y, h_n, c_n = dnet.forward(cuda.to_device(x), cuda.to_device(h0),
                               None if c0 is None else cuda.to_device(c0), d_masks)
    return y.copy_to_host(), h_n.copy_to_host(), None if c_n is None else c_n.copy_to_host(), dnet


def host_backward(dnet, dy, dh_n, dc_n):
    """NumPy gradients ``(grads, dx, dh0, dc0)`` for the forward that made ``dnet``."""
    grads = {name: cuda.device_array(p.shape, p.dtype) for name, p in dnet.params.items()}
    dx, dh0, dc0 = dnet.backward(cuda.to_device(dy), cuda.to_device(dh_n),
                                 None if dc_n is None else cuda.to_device(dc_n), grads)
    return ({name: g.copy_to_host() for name, g in grads.items()}, dx.copy_to_host(), dh0.copy_to_host(),
            None if dc0 is None else dc0.copy_to_host())
