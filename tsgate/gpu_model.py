"""A SequenceModel on the device (sibling of model.py): segments, network, highway, head.

:class:`DeviceModel` holds a :class:`tsgate.model.SequenceModel`'s flat
parameters as one device vector with the same views, and runs its forward and
backward on device data: the batch gathered from the uploaded windows (as
steps or segments), the segment embedding by GEMM, the network
(:class:`tsgate.gpu_network.DeviceNetwork`), the head's features (last
states, extra features, the linear highway) and the head by GEMM. It is the
driver tier of the device-resident training loop (:mod:`tsgate.gpu_training`).
"""

from numba import cuda

from .gpu_core import Workspace, colsum, cuda_kernel, empty, gemm, launch_1d, zeros
from .gpu_network import DeviceNetwork


@cuda_kernel
def gather_sequences_kernel(X, idx, out):
    """out[s, b, j*D + d] = X[idx[b], s*w + j, d] with w = out.shape[2] // D:
    batch-first rows -> a time-major batch of segments of w steps (w = 1:
    the steps themselves)."""
    S, B, WD = out.shape
    D = X.shape[2]
    w = WD // D
    for i in range(cuda.grid(1), S * B * WD, cuda.gridsize(1)):
        s = i // (B * WD)
        b = (i // WD) % B
        r = i % WD
        out[s, b, r] = X[idx[b], s * w + r // D, r % D]


@cuda_kernel
def features_kernel(h_n, E, X, idx, nd, n_extra, n_ar, out):
    """out (B, nd*H + n_extra + n_ar) = [h_n of the last layer's directions,
    E[idx], the last n_ar values of X[idx]'s column 0 (the linear highway)]."""
    LD, B, H = h_n.shape
    F = out.shape[1]
    L = X.shape[1]
    for i in range(cuda.grid(1), B * F, cuda.gridsize(1)):
        b = i // F
        f = i % F
        if f < nd * H:
            out[b, f] = h_n[LD - nd + f // H, b, f % H]
        elif f < nd * H + n_extra:
            out[b, f] = E[idx[b], f - nd * H]
        else:
            out[b, f] = X[idx[b], L - n_ar + f - nd * H - n_extra, 0]


@cuda_kernel
def scatter_dh_kernel(dfeat, nd, dh_n):
    """dh_n (LD, B, H): the head's gradient on the last layer's final states, 0 elsewhere."""
    LD, B, H = dh_n.shape
    for i in range(cuda.grid(1), LD * B * H, cuda.gridsize(1)):
        layer = i // (B * H)
        b = (i // H) % B
        j = i % H
        d = layer - (LD - nd)
        dh_n[layer, b, j] = dfeat[b, d * H + j] if d >= 0 else 0.0


class DeviceModel:
    """A SequenceModel's parameters and data path on the device (the driver
    tier: the only place that allocates for training)."""

    def __init__(self, model):
        self.model = model
        self.dtype = model.net.dtype
        self.flat = cuda.to_device(model.flat)
        self.views = model._views(self.flat)  # device arrays slice and reshape like NumPy
        self.net = DeviceNetwork(model.net, {n: self.views[n] for n in model.net.params})
        self.ws = Workspace()  # scratch buffers, reused step after step
        nd = model.net.num_directions
        self.nd, self.LD = nd, model.net.num_layers * nd
        self._cache = None

    def forward(self, d_X, d_E, idx, masks=None):
        """Predictions (B, M) for rows ``idx`` of the device data."""
        net, model = self.model.net, self.model
        B, w = idx.shape[0], model.segment_length
        L, D = d_X.shape[1], d_X.shape[2]
        xb = empty("xb", (L // w, B, w * D), self.dtype)  # (S, B, wD): steps, or segments of w steps
        blocks, threads = launch_1d(xb.size)
        gather_sequences_kernel[blocks, threads](d_X, idx, xb)
        z = xb
        if w > 1:  # segment embedding: Z = X_seg W_e + b_e, (S, B, E)
            z = empty("z", (L // w, B, net.hidden_size), self.dtype)
            gemm(xb.reshape(xb.shape[0] * B, w * D), self.views["embed_weight"],
                 z.reshape(xb.shape[0] * B, net.hidden_size), self.views["embed_bias"])
        h0 = zeros("h0", (self.LD, B, net.hidden_size), self.dtype)
        c0 = h0 if net.cell == "lstm" else None
        _, h_n, _ = self.net.forward(z, h0, c0, masks)
        feats = empty("feats", (B, model.n_features), self.dtype)  # (B, F)
        blocks, threads = launch_1d(feats.size)
        features_kernel[blocks, threads](h_n, d_E, d_X, idx, self.nd, model.n_extra, model.n_ar, feats)
        pred = empty("pred", (B, model.n_outputs), self.dtype)  # (B, M)
        gemm(feats, self.views["head_weight"], pred, self.views["head_bias"])
        self._cache = (feats, h_n.shape, xb)
        return pred

    def backward(self, dpred, grad_views):
        """Write dL/dparams for the last forward into the gradient views."""
        feats, hshape, xb = self._cache
        B = dpred.shape[0]
        gemm(feats, dpred, grad_views["head_weight"], ta=1)  # (F, M)
        colsum(dpred, grad_views["head_bias"])
        dfeat = empty("dfeat", (B, self.model.n_features), self.dtype)
        gemm(dpred, self.views["head_weight"], dfeat, tb=1)  # (B, F)
        dh_n = empty("dh_n", hshape, self.dtype)
        blocks, threads = launch_1d(dh_n.size)
        scatter_dh_kernel[blocks, threads](dfeat, self.nd, dh_n)
        dc_n = zeros("dc_n", hshape, self.dtype) if self.model.net.cell == "lstm" else None
        dz, _, _ = self.net.backward(None, dh_n, dc_n, grad_views)  # (S, B, E)
        if self.model.segment_length > 1:
            S, E = dz.shape[0], dz.shape[2]
            gemm(xb.reshape(S * B, xb.shape[2]), dz.reshape(S * B, E), grad_views["embed_weight"], ta=1)  # (wD, E)
            colsum(dz.reshape(S * B, E), grad_views["embed_bias"])
