"""A SequenceModel on the device (sibling of model.py): segments, network, highway, head.

:class:`DeviceModel` holds a :class:`tsgate.model.SequenceModel`'s flat
parameters as one device vector with the same views, and runs its forward and
backward on device data: the batch gathered from the uploaded windows (as
steps or segments), the segment embedding by GEMM, the initial state from
the context of static covariates and the series embedding (h0 = tanh(ctx W_0)),
the network (:class:`tsgate.gpu_network.DeviceNetwork`), the head's features
(last states, the embedding, extra features, the linear highway) and the head
by GEMM; or, for a per-step model (sequence labelling, forking sequences,
stateful training), the head on every step's state. It is the
driver tier of the device-resident training loop (:mod:`tsgate.gpu_training`).
"""

import math

from numba import cuda

from .gpu_core import Workspace, cuda_kernel, empty, launch_1d, reshaped, zeros
from .gpu_gemm import colsum, gemm
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
def features_kernel(h_n, ctx, E, X, idx, nd, id_dim, e0, n_head_extra, n_ar, out):
    """out (B, nd*H + id_dim + n_head_extra + n_ar) = [h_n of the last layer's
    directions, the series embedding ctx[:, :id_dim], E[idx]'s head columns
    from e0 on, the last n_ar values of X[idx]'s column 0 (the linear highway)]."""
    LD, B, H = h_n.shape
    F = out.shape[1]
    L = X.shape[1]
    for i in range(cuda.grid(1), B * F, cuda.gridsize(1)):
        b = i // F
        f = i % F
        if f < nd * H:
            out[b, f] = h_n[LD - nd + f // H, b, f % H]
        elif f < nd * H + id_dim:
            out[b, f] = ctx[b, f - nd * H]
        elif f < nd * H + id_dim + n_head_extra:
            out[b, f] = E[idx[b], e0 + f - nd * H - id_dim]
        else:
            out[b, f] = X[idx[b], L - n_ar + f - nd * H - id_dim - n_head_extra, 0]


@cuda_kernel
def context_kernel(E, idx, emb, first, id_dim, ctx):
    """ctx (B, id_dim + n_static) = [emb[series E[idx[b], 0]] (id_dim > 0), E[idx[b], first:first + n_static]]."""
    B, C = ctx.shape
    for i in range(cuda.grid(1), B * C, cuda.gridsize(1)):
        b = i // C
        f = i % C
        if f < id_dim:
            ctx[b, f] = emb[int(E[idx[b], 0]), f]
        else:
            ctx[b, f] = E[idx[b], first + f - id_dim]


@cuda_kernel
def initial_state_kernel(pre, h0flat, h0):
    """h0flat (B, LD*H) = tanh(pre), and the same values layer-major in h0 (LD, B, H)."""
    LD, B, H = h0.shape
    for i in range(cuda.grid(1), B * LD * H, cuda.gridsize(1)):
        b = i // (LD * H)
        r = i % (LD * H)
        v = math.tanh(pre[b, r])
        h0flat[b, r] = v
        h0[r // H, b, r % H] = v


@cuda_kernel
def initial_state_grad_kernel(dh0, h0flat, dpre):
    """dpre (B, LD*H) = dL/d(ctx W_0): dh0 (LD, B, H) batch-major, times tanh' = 1 - h0^2."""
    LD, B, H = dh0.shape
    for i in range(cuda.grid(1), B * LD * H, cuda.gridsize(1)):
        b = i // (LD * H)
        r = i % (LD * H)
        v = h0flat[b, r]
        d = dh0[r // H, b, r % H]
        dpre[b, r] = d - d * v * v  # d * (1 - h0^2), in the kernel's precision


@cuda_kernel
def embedding_grad_kernel(dctx, dfeat, E, idx, start, g):
    """g (n_ids, id_dim): for each series, the sum over its batch rows, in
    batch order (deterministic, no atomics), of dctx[b, j] + dfeat[b, start + j]."""
    n_ids, D = g.shape
    B = dctx.shape[0]
    for i in range(cuda.grid(1), n_ids * D, cuda.gridsize(1)):
        r = i // D
        j = i % D
        g[r, j] = 0.0
        for b in range(B):
            if int(E[idx[b], 0]) == r:
                g[r, j] += dctx[b, j] + dfeat[b, start + j]


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


@cuda_kernel
def steps_to_columns_kernel(rows, out):
    """out (B, L*M)[b, t*M + m] = rows (L*B, M)[t*B + b, m]: the per-step head's
    time-major outputs as one row per sample, step t's in columns t*M .. (t+1)*M."""
    B, LM = out.shape
    M = rows.shape[1]
    for i in range(cuda.grid(1), B * LM, cuda.gridsize(1)):
        b = i // LM
        col = i % LM
        out[b, col] = rows[(col // M) * B + b, col % M]


@cuda_kernel
def columns_to_steps_kernel(d, rows):
    """The inverse of :func:`steps_to_columns_kernel`: rows (L*B, M)[t*B + b, m] = d (B, L*M)[b, t*M + m]."""
    LB, M = rows.shape
    B = d.shape[0]
    for i in range(cuda.grid(1), LB * M, cuda.gridsize(1)):
        r = i // M
        rows[r, i % M] = d[r % B, (r // B) * M + i % M]


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
        self._cache = self._context = None

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
            gemm(reshaped(xb, xb.shape[0] * B, w * D), self.views["embed_weight"],
                 reshaped(z, xb.shape[0] * B, net.hidden_size), self.views["embed_bias"])
        zero = zeros("h0", (self.LD, B, net.hidden_size), self.dtype)
        ctx, h0flat, h0 = self._initial_state(d_E, idx) if model.n_context else \
            (empty("ctx", (1, 1), self.dtype), None, zero)  # a 1x1 placeholder the kernels never read
        y, h_n, _ = self.net.forward(z, h0, zero if net.cell == "lstm" else None, masks)
        if model.per_step:
            return self._head_per_step(y)
        feats = empty("feats", (B, model.n_features), self.dtype)  # (B, F)
        blocks, threads = launch_1d(feats.size)
        features_kernel[blocks, threads](h_n, ctx, d_E, d_X, idx, self.nd, model.id_dim,
                                         model.n_extra - model.n_head_extra, model.n_head_extra, model.n_ar, feats)
        pred = empty("pred", (B, model.n_outputs), self.dtype)  # (B, M)
        gemm(feats, self.views["head_weight"], pred, self.views["head_bias"])
        self._cache = (feats, h_n.shape, xb)
        self._context = (ctx, h0flat, d_E, idx)  # what _backward_context reads
        return pred

    def _head_per_step(self, y):
        """Predictions (B, L*M) from every step's state y (L, B, H): one GEMM over
        the L*B time-major rows, then step t's outputs into columns t*M .. (t+1)*M."""
        L, B, H = y.shape
        M = self.model.n_outputs
        rows = empty("step_rows", (L * B, M), self.dtype)  # (L*B, M), row t*B + b
        gemm(reshaped(y, L * B, H), self.views["head_weight"], rows, self.views["head_bias"])
        pred = empty("pred", (B, L * M), self.dtype)  # (B, L*M)
        blocks, threads = launch_1d(pred.size)
        steps_to_columns_kernel[blocks, threads](rows, pred)
        self._cache = y  # (L, B, H): what _backward_per_step reads
        return pred

    def _backward_per_step(self, dpred, grad_views):
        """The head's gradients from every step, and BPTT with dL/dy at every step (no final-state gradient)."""
        y = self._cache  # (L, B, H)
        L, B, H = y.shape
        drows = empty("step_drows", (L * B, self.model.n_outputs), self.dtype)  # (L*B, M)
        blocks, threads = launch_1d(drows.size)
        columns_to_steps_kernel[blocks, threads](dpred, drows)
        gemm(reshaped(y, L * B, H), drows, grad_views["head_weight"], ta=1)  # (H, M)
        colsum(drows, grad_views["head_bias"])
        dy = empty("step_dy", (L, B, H), self.dtype)
        gemm(drows, self.views["head_weight"], reshaped(dy, L * B, H), tb=1)  # (L*B, H) = dL/dy
        zero = zeros("step_dh_n", (self.LD, B, H), self.dtype)  # read only
        self.net.backward(dy, zero, zero if self.model.net.cell == "lstm" else None, grad_views)

    def _initial_state(self, d_E, idx):
        """The context [emb, static] (B, C), h0 = tanh(ctx W_0) batch-major (B, LD*H) and as (LD, B, H)."""
        model, B, H = self.model, idx.shape[0], self.model.net.hidden_size
        ctx = empty("ctx", (B, model.n_context), self.dtype)
        emb = self.views["id_embedding"] if model.id_dim else ctx
        blocks, threads = launch_1d(ctx.size)
        context_kernel[blocks, threads](d_E, idx, emb, 1 if model.n_ids else 0, model.id_dim, ctx)
        pre = empty("pre", (B, self.LD * H), self.dtype)  # (B, LD*H) = ctx W_0
        gemm(ctx, self.views["init_weight"], pre)
        h0flat, h0 = empty("h0flat", pre.shape, self.dtype), empty("h0ctx", (self.LD, B, H), self.dtype)
        blocks, threads = launch_1d(pre.size)
        initial_state_kernel[blocks, threads](pre, h0flat, h0)
        return ctx, h0flat, h0

    def _backward_context(self, dfeat, dh0, grad_views):
        """Gradients of W_0 and of the embedding rows (:meth:`tsgate.model.SequenceModel._backward_context`)."""
        ctx, h0flat, d_E, idx = self._context
        dpre = empty("dpre", h0flat.shape, self.dtype)  # (B, LD*H)
        blocks, threads = launch_1d(dpre.size)
        initial_state_grad_kernel[blocks, threads](dh0, h0flat, dpre)
        gemm(ctx, dpre, grad_views["init_weight"], ta=1)  # (C, LD*H)
        if self.model.id_dim:
            dctx = empty("dctx", ctx.shape, self.dtype)
            gemm(dpre, self.views["init_weight"], dctx, tb=1)  # (B, C)
            g = grad_views["id_embedding"]
            blocks, threads = launch_1d(g.size)
            embedding_grad_kernel[blocks, threads](dctx, dfeat, d_E, idx, self.nd * self.model.net.hidden_size, g)

    def backward(self, dpred, grad_views):
        """Write dL/dparams for the last forward into the gradient views."""
        if self.model.per_step:
            return self._backward_per_step(dpred, grad_views)
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
        dz, dh0, _ = self.net.backward(None, dh_n, dc_n, grad_views)  # (S, B, E)
        if self.model.n_context:
            self._backward_context(dfeat, dh0, grad_views)
        if self.model.segment_length > 1:
            S, E = dz.shape[0], dz.shape[2]
            gemm(reshaped(xb, S * B, xb.shape[2]), reshaped(dz, S * B, E), grad_views["embed_weight"], ta=1)  # (wD, E)
            colsum(reshaped(dz, S * B, E), grad_views["embed_bias"])
