"""Device-resident training, evaluation and prediction (sibling of training.py).

When a :class:`tsgate.training.SequenceModel` lives on ``device='cuda'``,
:func:`tsgate.training.train` hands each epoch to :class:`DeviceRunner`
(sibling of :class:`tsgate.host_training.HostRunner`):

* the flat parameter vector, its gradient and the optimizer moments are
  device arrays; the network's weights and the head are views into them;
* the training and validation windows are uploaded once when they fit in
  :data:`tsgate.config.CUDA_WINDOW_BYTES` (each step then gathers its batch
  on the device from the epoch's permutation, the only upload per epoch);
  larger sets are gathered on the host and uploaded a piece of whole
  batches at a time (:class:`DeviceWindows`), so memory on either side
  does not grow with the number of windows;
* forward, loss, BPTT, the gradient norm, clipping and the optimizer update
  run as kernels; a non-finite loss or gradient sets a device flag that
  freezes the parameters, so nothing is lost;
* the per-batch losses and the divergence flag come back once per epoch.

Batches, the shuffling RNG and the epoch bookkeeping are the CPU loop's, so
a float64 CUDA fit follows the same trajectory as the CPU fit. Dropout masks
come from a counter-based generator (SplitMix64 of a key derived from
``random_state`` and the mask number): reproducible for a fixed
``random_state`` on any grid, but not equal to the CPU's masks.
"""

import math

import numpy as np
from numba import cuda

from . import config
from .config import CUDA_BLOCK_SIZE, CUDA_NORM_BLOCKS
from .gpu_core import copy, cuda_kernel, empty, flat, launch_1d, reshaped, rows, using, zeros
from .gpu_model import DeviceModel
from .elementmath import LOSS_CE, adam_beta2, loss_term, optimizer_term, softmax_ce_row
from .errors import diverged

_SM_GAMMA = np.uint64(0x9E3779B97F4A7C15)  # SplitMix64 constants
_SM_M1 = np.uint64(0xBF58476D1CE4E5B9)
_SM_M2 = np.uint64(0x94D049BB133111EB)
_U30, _U27, _U31, _U11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)


# ---------------------------------------------------------------------------
# Kernels

d_loss_term = cuda.jit(device=True, inline=True)(loss_term)  # the CPU's element math, compiled for CUDA
d_softmax_ce_row = cuda.jit(device=True, inline=True)(softmax_ce_row)
d_optimizer_term = cuda.jit(device=True, inline=True)(optimizer_term)


@cuda_kernel
def loss_rows_kernel(pred, Y, idx, tau, code, delta, grad, row_loss):
    """Per row b: the summed loss of pred[b] against Y[idx[b]] into row_loss[b]
    and dL/dpred into grad, normalised like :func:`tsgate.host_training._loss_and_grad`."""
    B, M = pred.shape
    n = B * M
    for b in range(cuda.grid(1), B, cuda.gridsize(1)):
        r = idx[b]
        total = 0.0
        if code == LOSS_CE:  # softmax cross-entropy, one-hot target
            total = d_softmax_ce_row(pred, b, Y, r, grad)
        else:
            for m in range(M):
                value, g = d_loss_term(code, 1.0 * pred[b, m], 1.0 * Y[r, m], tau[m], delta, n)
                total += value
                grad[b, m] = g
        row_loss[b] = total


@cuda_kernel
def sum_rows_kernel(row_loss, denom, out, k):
    """out[k] = sum(row_loss) / denom, summed in row order by one thread."""
    if cuda.grid(1) == 0:
        s = 0.0
        for b in range(row_loss.shape[0]):
            s += row_loss[b]
        out[k] = s / denom


@cuda_kernel
def sumsq_partial_kernel(g, partial):
    """partial[block] = sum of g[i]^2 over the block's grid-stride share, in a
    fixed order (thread partials, then thread 0 sums them in order)."""
    buf = cuda.shared.array(CUDA_BLOCK_SIZE, np.float64)
    s = 0.0
    for i in range(cuda.grid(1), g.shape[0], cuda.gridsize(1)):
        s += g[i] * g[i]
    buf[cuda.threadIdx.x] = s
    cuda.syncthreads()
    if cuda.threadIdx.x == 0:
        total = 0.0
        for j in range(cuda.blockDim.x):
            total += buf[j]
        partial[cuda.blockIdx.x] = total


@cuda_kernel
def finish_norm_kernel(partial, losses, k, batch_no, norms, status):
    """norms[k] = sqrt(sum partial); the first non-finite loss or norm sets
    status = (1, batch number)."""
    if cuda.grid(1) == 0:
        s = 0.0
        for j in range(partial.shape[0]):
            s += partial[j]
        norm = math.sqrt(s)
        norms[k] = norm
        bad = not (math.isfinite(norm) and math.isfinite(losses[k]))
        if bad and status[0] == 0:
            status[0] = 1
            status[1] = batch_no


@cuda_kernel
def optimizer_kernel(code, p, g, m, v, step, lr, beta1, beta2, eps, momentum, weight_decay, clip_norm,
                     norms, k, status):
    """Clip by the global norm, then Adam (0) / RMSprop (1) / SGD+momentum (2),
    elementwise; a set divergence flag freezes the parameters."""
    if status[0] != 0:
        return
    norm = norms[k]
    scale = clip_norm / (norm + 1e-6) if (clip_norm >= 0.0 and norm > clip_norm) else 1.0
    bc1 = 1.0 - beta1 ** step
    bc2 = 1.0 - beta2 ** step
    for i in range(cuda.grid(1), p.shape[0], cuda.gridsize(1)):
        p[i], m[i], v[i] = d_optimizer_term(code, p[i], g[i] * scale + weight_decay * p[i], m[i], v[i], lr,
                                            bc1, bc2, beta1, beta2, eps, momentum)


@cuda.jit(device=True, inline=True)
def d_splitmix64(z):
    """SplitMix64 finaliser of z + golden gamma: a counter-based random uint64."""
    z = z + _SM_GAMMA
    z = (z ^ (z >> _U30)) * _SM_M1
    z = (z ^ (z >> _U27)) * _SM_M2
    return z ^ (z >> _U31)


def splitmix64(z):
    """Host twin of :func:`d_splitmix64` (Python ints, mod 2**64)."""
    mask = (1 << 64) - 1
    z = (z + int(_SM_GAMMA)) & mask
    z = ((z ^ (z >> 30)) * int(_SM_M1)) & mask
    z = ((z ^ (z >> 27)) * int(_SM_M2)) & mask
    return z ^ (z >> 31)


@cuda_kernel
def dropout_mask_kernel(key, keep, mask):
    """mask[i] = 1/keep with probability keep, else 0. Counter-based: element
    i draws from hash(key + i), so the mask depends on the key alone, not on
    the grid or the thread that draws it."""
    for i in range(cuda.grid(1), mask.shape[0], cuda.gridsize(1)):
        u = (d_splitmix64(key + np.uint64(i)) >> _U11) * (1.0 / 9007199254740992.0)  # 53 bits -> [0, 1)
        mask[i] = 1.0 / keep if u < keep else 0.0


@cuda_kernel
def scatter_rows_kernel(src, out, start):
    """out[start + b, :] = src[b, :]."""
    B, M = src.shape
    for i in range(cuda.grid(1), B * M, cuda.gridsize(1)):
        out[start + i // M, i % M] = src[i // M, i % M]


@cuda_kernel
def step_rows_kernel(idx, steps, rows):
    """rows[b*steps + t] = idx[b]*steps + t: the rows of a per-step model's
    targets (N*steps, M) that the batch's steps read."""
    for i in range(cuda.grid(1), rows.shape[0], cuda.gridsize(1)):
        rows[i] = idx[i // steps] * steps + i % steps


def device_loss(pred, d_Y, idx, d_tau, code, delta, dpred, out, k, steps=1):
    """dL/dpred into ``dpred`` (B, M) and the mean loss of ``pred`` against
    rows ``idx`` of ``d_Y`` into ``out[k]``, all on the device. A per-step
    model's (B, steps*M) outputs are ``steps`` rows of M each, as on the CPU
    (one softmax per step; ``d_tau`` per column of M)."""
    if steps > 1:
        B, M = idx.shape[0], pred.shape[1] // steps
        step_rows = empty("step_rows_idx", B * steps, np.int64)  # not `rows`: that is gpu_core's view helper
        blocks, threads = launch_1d(step_rows.shape[0])
        step_rows_kernel[blocks, threads](idx, steps, step_rows)
        pred, dpred, idx = reshaped(pred, B * steps, M), reshaped(dpred, B * steps, M), step_rows
        d_Y = reshaped(d_Y, d_Y.shape[0] * steps, M)
    B, M = pred.shape
    row_loss = empty("row_loss", B, np.float64)
    blocks, threads = launch_1d(B)
    loss_rows_kernel[blocks, threads](pred, d_Y, idx, d_tau, code, delta, dpred, row_loss)
    sum_rows_kernel[1, 1](row_loss, float(B if code == LOSS_CE else B * M), out, k)


def _steps(model, X):
    """Steps per window whose outputs are separate loss rows: L for a per-step model, else 1."""
    return X.shape[1] if model.per_step else 1


def _upload(a, dtype):
    return cuda.to_device(np.ascontiguousarray(a, dtype=dtype))


def _upload_extra(E, dtype):
    """Extra features, or a 1x1 placeholder the kernels never read (n_extra = 0)."""
    return _upload(np.zeros((1, 1)) if E is None else E, dtype)


class DeviceWindows:
    """A data source's windows on the device: all uploaded once when they fit
    in :data:`tsgate.config.CUDA_WINDOW_BYTES`, else gathered on the host and
    uploaded a piece (whole batches of ``batch_size``) at a time."""

    def __init__(self, source, dtype, batch_size):
        self.source, self.dtype, self.n = source, dtype, source.n
        X, Y, E = source.batch(np.arange(min(1, source.n)))
        per_window = sum(0 if a is None else a.size for a in (X, Y, E)) * np.dtype(dtype).itemsize
        fit = config.CUDA_WINDOW_BYTES // max(per_window, 1)
        self.piece = max(batch_size, fit // batch_size * batch_size)
        self.resident = self._upload(np.arange(source.n)) if source.n <= self.piece else None

    def _upload(self, rows):
        X, Y, E = self.source.batch(rows)
        return _upload(X, self.dtype), None if Y is None else _upload(Y, self.dtype), _upload_extra(E, self.dtype)

    def pieces(self, order):
        """Per piece of ``order`` (row numbers): (X, Y, E, idx) on the device, idx the piece's rows in X."""
        if self.resident is not None:
            yield (*self.resident, cuda.to_device(np.ascontiguousarray(order, dtype=np.int64)))
            return
        for s in range(0, len(order), self.piece):
            rows = np.asarray(order[s:s + self.piece])
            yield (*self._upload(rows), cuda.to_device(np.arange(len(rows), dtype=np.int64)))

    def batches(self, order, batch_size):
        """(X, Y, E, idx) per batch of ``batch_size`` consecutive rows of ``order``: idx the batch's rows in X."""
        for X, Y, E, d_idx in self.pieces(order):  # one piece unless the windows exceed the budget
            for s in range(0, d_idx.shape[0], batch_size):
                yield X, Y, E, d_idx[s:s + batch_size]


class DeviceRunner:
    """Epochs of :func:`tsgate.training.train` on the device (see module doc)."""

    def __init__(self, model, data, val, *, loss_code, tau, huber_delta, optimizer_code, weight_decay, momentum,
                 clip_norm, batch_size, random_state):
        self.model = model
        dt = model.net.dtype
        self.dm = DeviceModel(model)
        self.grad = zeros("grad", model.flat.shape, dt)
        self.grad_views = model._views(self.grad)
        self.m1 = zeros("m1", model.flat.shape, dt)
        self.m2 = zeros("m2", model.flat.shape, dt)
        self.best = cuda.device_array_like(self.dm.flat)
        self.save_best()
        self.data = DeviceWindows(data, dt, batch_size)
        self.have_val = val is not None and val.n > 0
        self.val = DeviceWindows(val, dt, 1024) if self.have_val else None
        self.tau = cuda.to_device(np.asarray(tau, dtype=np.float64))
        self.loss_code, self.huber_delta = loss_code, float(huber_delta)
        self.opt_code, self.weight_decay, self.momentum = optimizer_code, float(weight_decay), float(momentum)
        self.beta2 = adam_beta2(optimizer_code)
        self.clip_norm = -1.0 if clip_norm is None else float(clip_norm)
        self.batch_size = int(batch_size)
        self.n_batches = math.ceil(data.n / self.batch_size)
        self.losses = cuda.device_array(self.n_batches, np.float64)
        self.norms = cuda.device_array(self.n_batches, np.float64)
        self.status = cuda.to_device(np.zeros(2, np.int64))
        self.partial = cuda.device_array(CUDA_NORM_BLOCKS, np.float64)
        self.step = 0
        self.dropout_seed = np.random.SeedSequence(random_state).generate_state(2, np.uint64)
        self.n_masks = 0
        self.frozen = None  # a frozen linear start: (lo, hi, its values, zeros), on the device
        if model.frozen is not None:
            lo, hi = model.linear_range()
            self.frozen = (lo, hi, cuda.to_device(model.frozen.astype(dt)), zeros("frozen_zero", (hi - lo,), dt))

    def _masks(self, T, B):
        net = self.model.net
        if not (net.dropout > 0.0 and net.num_layers > 1):
            return None
        masks = [None]
        for layer in range(1, net.num_layers):
            mask = empty(f"mask{layer}", (T, B, net.num_directions * net.hidden_size), net.dtype)
            # a fresh key per mask: hash(seed, mask number), computed on the host
            self.n_masks += 1
            key = splitmix64(int(self.dropout_seed[0]) ^ splitmix64(int(self.dropout_seed[1]) + self.n_masks))
            blocks, threads = launch_1d(mask.size)
            dropout_mask_kernel[blocks, threads](np.uint64(key), 1.0 - net.dropout, flat(mask))
            masks.append(mask)
        return masks

    def epoch(self, order, lr, epoch):
        """One pass over the batches given by ``order`` (a permutation of the
        rows, or of a sample of them)."""
        bs, N = self.batch_size, len(order)
        order = np.concatenate([np.sort(order[s:s + bs]) for s in range(0, N, bs)])
        with using(self.dm.ws):
            for k, (X, Y, E, idx) in enumerate(self.data.batches(order, bs)):
                self._step(X, Y, E, idx, k, lr)
        status = self.status.copy_to_host()
        losses = self.losses.copy_to_host()
        if status[0]:
            self.finish()
            b = int(status[1])
            raise diverged(epoch, b, losses[b - 1], self.norms.copy_to_host()[b - 1])
        n_batches = math.ceil(N / bs)
        sizes = np.minimum(bs, N - np.arange(n_batches) * bs)
        return float(np.sum(losses[:n_batches] * sizes) / N)

    def _step(self, X, Y, E, idx, k, lr):
        """Batch number ``k`` (rows ``idx`` of X): forward, loss, BPTT, norm, update, all on the device."""
        blocks, threads = launch_1d(self.grad.size)
        pred = self.dm.forward(X, E, idx, self._masks(X.shape[1], idx.shape[0]))
        dpred = empty("dpred", pred.shape, pred.dtype)
        device_loss(pred, Y, idx, self.tau, self.loss_code, self.huber_delta, dpred, self.losses, k,
                    _steps(self.model, X))
        self.dm.backward(dpred, self.grad_views)
        if self.frozen is not None:  # no gradient, no share of the clipping norm
            copy(rows(self.grad, self.frozen[0], self.frozen[1]), self.frozen[3])
        sumsq_partial_kernel[CUDA_NORM_BLOCKS, CUDA_BLOCK_SIZE](self.grad, self.partial)
        finish_norm_kernel[1, 1](self.partial, self.losses, k, k + 1, self.norms, self.status)
        self.step += 1
        optimizer_kernel[blocks, threads](self.opt_code, self.dm.flat, self.grad, self.m1, self.m2,
                                          self.step, lr, 0.9, self.beta2, 1e-8, self.momentum,
                                          self.weight_decay, self.clip_norm, self.norms, k, self.status)
        if self.frozen is not None:  # nor a move by weight decay
            copy(rows(self.dm.flat, self.frozen[0], self.frozen[1]), self.frozen[2])

    def evaluate_val(self):
        return evaluate_on_device(self.dm, self.val, self.tau, self.loss_code, self.huber_delta)

    def save_best(self):
        copy(self.best, self.dm.flat)

    def restore_best(self):
        copy(self.dm.flat, self.best)

    def finish(self):
        """Copy the parameters back into the host model (one download)."""
        self.dm.flat.copy_to_host(self.model.flat)


def evaluate_on_device(dm, windows, d_tau, loss_code, huber_delta, batch_size=1024):
    """Mean loss over :class:`DeviceWindows`, one download."""
    N = windows.n
    sizes = np.minimum(batch_size, N - np.arange(math.ceil(N / batch_size)) * batch_size)
    out = cuda.device_array(len(sizes), np.float64)
    with using(dm.ws):
        for k, (X, Y, E, idx) in enumerate(windows.batches(np.arange(N), batch_size)):
            pred = dm.forward(X, E, idx)
            dpred = empty("dpred", pred.shape, pred.dtype)
            device_loss(pred, Y, idx, d_tau, loss_code, huber_delta, dpred, out, k, _steps(dm.model, X))
    return float(np.sum(out.copy_to_host() * sizes) / N)


def predict_on_device(model, source, batch_size=1024):
    """Model outputs (N, M) with one upload of parameters and data (unless
    the windows exceed the budget) and one download."""
    dm = DeviceModel(model)
    windows = DeviceWindows(source, model.net.dtype, batch_size)
    out = None
    with using(dm.ws):
        for k, (X, _, E, idx) in enumerate(windows.batches(np.arange(source.n), batch_size)):
            pred = dm.forward(X, E, idx)
            if out is None:  # (N, M), or (N, L*M) for a per-step model
                out = cuda.device_array((source.n, pred.shape[1]), model.net.dtype)
            blocks, threads = launch_1d(pred.size)
            scatter_rows_kernel[blocks, threads](pred, out, k * batch_size)
    return np.zeros((0, model.n_outputs), model.net.dtype) if out is None else out.copy_to_host()


def evaluate_model_on_device(model, source, loss_code, tau, huber_delta, batch_size=1024):
    """:func:`tsgate.training.evaluate` for a model on the device."""
    windows = DeviceWindows(source, model.net.dtype, batch_size)
    return evaluate_on_device(DeviceModel(model), windows, cuda.to_device(np.asarray(tau, np.float64)), loss_code,
                              huber_delta, batch_size)
