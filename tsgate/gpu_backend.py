"""The CUDA backend (sibling of :class:`tsgate.backend.CPUBackend`).

Loaded only by :func:`tsgate.backend.get_backend` when ``device='cuda'`` (or
``'auto'`` with a GPU). Layout of the GPU modules:

* ``gpu_core``: device helpers, the tiled GEMM, layout kernels, workspace;
* ``gpu_lstm`` / ``gpu_gru`` / ``gpu_rnn``: persistent per-layer kernels and
  their drivers (device arrays in and out; names as in the CPU modules);
* ``gpu_network``: the layer loop's device operations, DeviceNetwork;
* ``gpu_model``: a SequenceModel's parameters and data path on the device;
* ``gpu_training``: device-resident training, evaluation and prediction.
"""

from numba import cuda

from . import gpu_training
from .gpu_network import DeviceNetwork, DeviceOps


class CUDABackend:
    """Device arrays and @cuda.jit kernels."""

    name = "cuda"
    ops = DeviceOps
    runner = gpu_training.DeviceRunner

    @staticmethod
    def network_forward(net, params, x, h0, c0, masks, tape=True):
        """NumPy in, NumPy out: one upload of parameters and inputs, one
        download. Returns ``(y, h_n, c_n, tape)``; ``tape`` feeds
        :meth:`network_backward` (None when ``tape`` is False)."""
        d_params = {name: cuda.to_device(p) for name, p in params.items()}
        dnet = DeviceNetwork(net, d_params)
        d_masks = None if masks is None else [None if m is None else cuda.to_device(m) for m in masks]
        y, h_n, c_n = dnet.forward(cuda.to_device(x), cuda.to_device(h0),
                                   None if c0 is None else cuda.to_device(c0), d_masks)
        return (y.copy_to_host(), h_n.copy_to_host(), None if c_n is None else c_n.copy_to_host(),
                dnet if tape else None)

    @staticmethod
    def network_backward(net, dnet, dy, dh_n, dc_n, out=None):
        """NumPy gradients ``(grads, dx, dh0, dc0)`` for the forward that made
        ``dnet``; ``grads`` is ``out`` (filled) when given."""
        d_grads = {name: cuda.device_array(p.shape, p.dtype) for name, p in dnet.params.items()}
        dx, dh0, dc0 = dnet.backward(cuda.to_device(dy), cuda.to_device(dh_n),
                                     None if dc_n is None else cuda.to_device(dc_n), d_grads)
        grads = out if out is not None else {}
        for name, g in d_grads.items():
            if name in grads:
                g.copy_to_host(grads[name])
            else:
                grads[name] = g.copy_to_host()
        return grads, dx.copy_to_host(), dh0.copy_to_host(), None if dc0 is None else dc0.copy_to_host()

    evaluate = staticmethod(gpu_training.evaluate_model_on_device)  # same arguments as the CPU's
    predict = staticmethod(gpu_training.predict_on_device)


CUDA_BACKEND = CUDABackend()
