"""Device-resident training (tsgate.gpu_training) against the CPU engine.

Runs under Numba's CUDA simulator in .ci/run's second pass (or on a GPU);
skips otherwise. Sizes are tiny: every simulated thread is a Python thread.
"""

import numpy as np
import pytest

from tsgate.backend import cuda_available
from tsgate.training import LOSSES, OPTIMIZERS, SequenceModel, TrainingDivergedError, evaluate, predict, train

CUDA_OK, WHY = cuda_available()
pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not CUDA_OK, reason=f"no CUDA device or simulator: {WHY}")]


def _pair(cell, layers=1, bi=False, n_extra=0, dropout=0.0, dtype="float64", seed=0, n_ar=0, segment=1):
    kw = dict(num_layers=layers, bidirectional=bi, dropout=dropout, dtype=dtype, random_state=seed, n_ar=n_ar,
              segment_length=segment)
    cpu = SequenceModel(cell, 2, 3, 2, n_extra=n_extra, **kw)
    gpu = SequenceModel(cell, 2, 3, 2, n_extra=n_extra, device="cuda", **kw)
    gpu.set_flat(cpu.flat)
    return cpu, gpu


def _data(N=7, T=3, n_extra=0, seed=1):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, T, 2))
    Y = rng.standard_normal((N, 2))
    E = rng.standard_normal((N, n_extra)) if n_extra else None
    return X, Y, E


@pytest.mark.parametrize("cell,layers,bi", [("lstm", 1, False), ("gru", 2, True), ("rnn", 1, True),
                                            ("lstm", 2, False)])
def test_device_training_follows_the_cpu_trajectory(cell, layers, bi):
    cpu, gpu = _pair(cell, layers, bi, n_extra=1)
    X, Y, E = _data(N=5, n_extra=1)  # batches of 3 and 2
    Xv, Yv, Ev = X[:2], Y[:2], E[:2]  # validation that training improves: an epoch beats the start (epoch 0)
    kw = dict(extra=E, X_val=Xv, Y_val=Yv, extra_val=Ev, max_epochs=3, batch_size=3, learning_rate=0.05,
              clip_norm=0.5, random_state=3, patience=1, lr_patience=1)
    h_cpu = train(cpu, X, Y, **kw)
    h_gpu = train(gpu, X, Y, **kw)
    assert np.allclose(h_gpu["loss"], h_cpu["loss"], rtol=1e-10, atol=1e-12)
    assert np.allclose(h_gpu["val_loss"], h_cpu["val_loss"], rtol=1e-10, atol=1e-12)
    assert h_gpu["lr"] == h_cpu["lr"] and h_gpu["best_epoch"] == h_cpu["best_epoch"] > 0
    assert not np.array_equal(gpu.flat, _pair(cell, layers, bi, n_extra=1)[1].flat)  # it trained
    assert np.allclose(gpu.flat, cpu.flat, rtol=1e-9, atol=1e-11)
    assert np.allclose(predict(gpu, X, E), predict(cpu, X, E), rtol=1e-10, atol=1e-12)
    assert np.isclose(evaluate(gpu, Xv, Yv, Ev), evaluate(cpu, Xv, Yv, Ev), rtol=1e-10)


@pytest.mark.parametrize("cell,n_ar,segment", [("lstm", 2, 3), ("gru", 3, 1), ("rnn", 0, 2)])
def test_device_training_with_segments_and_highway_follows_the_cpu(cell, n_ar, segment):
    cpu, gpu = _pair(cell, n_extra=1, n_ar=n_ar, segment=segment)
    X, Y, E = _data(N=5, T=6, n_extra=1)
    Xv, Yv, Ev = X[:2], Y[:2], E[:2]  # an epoch beats the start, so the trained state is compared
    kw = dict(extra=E, X_val=Xv, Y_val=Yv, extra_val=Ev, max_epochs=3, batch_size=3, learning_rate=0.05,
              random_state=3)
    h_cpu, h_gpu = train(cpu, X, Y, **kw), train(gpu, X, Y, **kw)
    assert np.allclose(h_gpu["loss"], h_cpu["loss"], rtol=1e-10, atol=1e-12)
    assert np.allclose(gpu.flat, cpu.flat, rtol=1e-9, atol=1e-11)
    assert not np.array_equal(gpu.flat, _pair(cell, n_extra=1, n_ar=n_ar, segment=segment)[1].flat)  # it trained
    assert np.allclose(predict(gpu, X, E), predict(cpu, X, E), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cell,layers,id_dim,n_ar,segment", [("lstm", 1, 2, 2, 1), ("gru", 2, 0, 0, 2),
                                                              ("rnn", 1, 3, 1, 1)])
def test_device_training_with_static_covariates_and_id_embedding_follows_the_cpu(cell, layers, id_dim, n_ar,
                                                                                 segment):
    # extra columns: [series number, 2 static covariates, 1 more head feature]; h0 = tanh([emb, static] W_0)
    kw = dict(num_layers=layers, dtype="float64", random_state=0, n_ar=n_ar, segment_length=segment, n_static=2,
              n_ids=4 if id_dim else 0, id_dim=id_dim)
    n_extra = 3 + bool(id_dim)
    cpu = SequenceModel(cell, 2, 3, 2, n_extra=n_extra, **kw)
    gpu = SequenceModel(cell, 2, 3, 2, n_extra=n_extra, device="cuda", **kw)
    rng = np.random.default_rng(5)
    cpu.views["init_weight"][...] = 0.5 * rng.standard_normal(cpu.views["init_weight"].shape)  # starts at zero
    gpu.set_flat(cpu.flat)
    start = {name: cpu.views[name].copy() for name in ["init_weight"] + (["id_embedding"] if id_dim else [])}
    X, Y, E = _data(N=6, T=4, n_extra=n_extra)
    if id_dim:
        E[:, 0] = [0, 2, 2, 3, 0, 2]  # series numbers, repeated within a batch (series 1 unused)
    kw = dict(extra=E, X_val=X[:2], Y_val=Y[:2], extra_val=E[:2], max_epochs=3, batch_size=4,
              learning_rate=0.05, random_state=3)
    h_cpu, h_gpu = train(cpu, X, Y, **kw), train(gpu, X, Y, **kw)
    assert np.allclose(h_gpu["loss"], h_cpu["loss"], rtol=1e-10, atol=1e-12)
    assert np.allclose(gpu.flat, cpu.flat, rtol=1e-9, atol=1e-11)
    for name, before in start.items():  # the context's weights trained, alike on both
        assert not np.allclose(cpu.views[name], before), name
        assert np.allclose(gpu.views[name], cpu.views[name], rtol=1e-9, atol=1e-11), name
    assert np.allclose(predict(gpu, X, E), predict(cpu, X, E), rtol=1e-10, atol=1e-12)


def test_device_training_keeps_a_frozen_linear_start_like_the_cpu():
    cpu, gpu = _pair("lstm", n_extra=1, n_ar=2)
    cpu.freeze_linear(), gpu.freeze_linear()
    lo, hi = cpu.linear_range()
    start = cpu.flat[lo:hi].copy()
    X, Y, E = _data(N=5, T=4, n_extra=1)
    kw = dict(extra=E, max_epochs=2, batch_size=3, learning_rate=0.05, weight_decay=0.1, random_state=3,
              early_stopping=False)
    h_cpu, h_gpu = train(cpu, X, Y, **kw), train(gpu, X, Y, **kw)
    assert np.allclose(h_gpu["loss"], h_cpu["loss"], rtol=1e-10, atol=1e-12)
    assert np.array_equal(gpu.flat[lo:hi], start) and np.array_equal(cpu.flat[lo:hi], start)
    assert np.allclose(gpu.flat, cpu.flat, rtol=1e-9, atol=1e-11) and not np.array_equal(cpu.flat[:lo], 0 * cpu.flat[:lo])


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_loss_kernel_matches_cpu(loss):
    from numba import cuda

    from tsgate.gpu_training import device_loss
    from tsgate.host_training import _loss_and_grad

    rng = np.random.default_rng(0)
    pred = rng.standard_normal((5, 3))
    Y = rng.standard_normal((8, 3))
    if loss == "bce":
        Y = (Y > 0).astype(float)
    if loss == "ce":
        Y = np.eye(3)[rng.integers(0, 3, 8)]
    idx = np.array([0, 2, 3, 5, 7])
    tau = np.array([0.1, 0.5, 0.9])
    want_grad = np.empty_like(pred)
    want = _loss_and_grad(pred, Y[idx], tau, LOSSES[loss], 0.7, want_grad)
    out = cuda.device_array(2, np.float64)
    dpred = cuda.device_array(pred.shape, pred.dtype)
    device_loss(cuda.to_device(pred), cuda.to_device(Y), cuda.to_device(idx), cuda.to_device(tau),
                LOSSES[loss], 0.7, dpred, out, 1)
    assert np.isclose(out.copy_to_host()[1], want, rtol=1e-12)
    assert np.allclose(dpred.copy_to_host(), want_grad, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@pytest.mark.parametrize("clip", [None, 0.3])
def test_optimizer_kernel_matches_cpu_with_clipping(optimizer, clip):
    from numba import cuda

    from tsgate.gpu_training import finish_norm_kernel, optimizer_kernel, sumsq_partial_kernel
    from tsgate.config import CUDA_BLOCK_SIZE
    from tsgate.host_training import _optimizer_step

    rng = np.random.default_rng(0)
    p, g = rng.standard_normal(37), rng.standard_normal(37)
    m, v = rng.standard_normal(37) * 0.1, rng.random(37)
    norm = np.sqrt(np.sum(g * g))
    gs = g * (clip / (norm + 1e-6)) if clip is not None and norm > clip else g
    code = OPTIMIZERS[optimizer]
    beta2 = 0.999 if code == 0 else 0.99
    want = [a.copy() for a in (p, m, v)]
    _optimizer_step(code, want[0], gs, want[1], want[2], 3, 0.01, 0.9, beta2, 1e-8, 0.8, 0.01)
    d = [cuda.to_device(a) for a in (p, g, m, v)]
    partial = cuda.device_array(4, np.float64)
    norms = cuda.device_array(1, np.float64)
    status = cuda.to_device(np.zeros(2, np.int64))
    sumsq_partial_kernel[4, CUDA_BLOCK_SIZE](d[1], partial)
    finish_norm_kernel[1, 1](partial, cuda.to_device(np.zeros(1)), 0, 1, norms, status)
    assert np.isclose(norms.copy_to_host()[0], norm, rtol=1e-13)
    optimizer_kernel[2, CUDA_BLOCK_SIZE](code, d[0], d[1], d[2], d[3], 3, 0.01, 0.9, beta2, 1e-8, 0.8, 0.01,
                                         -1.0 if clip is None else clip, norms, 0, status)
    for got, w in zip((d[0], d[2], d[3]), want):
        assert np.allclose(got.copy_to_host(), w, rtol=1e-12, atol=1e-14)


def test_no_per_step_host_transfers(monkeypatch):
    """Host<->device copies and device allocations per fit depend on the
    number of epochs, never on the number of batches (scratch buffers are
    reused step after step), and no kernel is ever handed a host array."""
    import os

    if os.environ.get("NUMBA_ENABLE_CUDASIM") != "1":
        pytest.skip("counts transfers through the simulator's array and kernel classes")
    from numba import cuda
    from numba.cuda.simulator import kernel as sim_kernel
    from numba.cuda.simulator.cudadrv import devicearray
    counts = {"up": 0, "down": 0, "alloc": 0}
    real_to_device, real_down, real_call = cuda.to_device, devicearray.FakeCUDAArray.copy_to_host, \
        sim_kernel.FakeCUDAKernel.__call__
    real_alloc = cuda.device_array

    def device_array(*a, **k):
        counts["alloc"] += 1
        return real_alloc(*a, **k)

    def to_device(*a, **k):
        counts["up"] += 1
        return real_to_device(*a, **k)

    def copy_to_host(self, *a, **k):
        counts["down"] += 1
        return real_down(self, *a, **k)

    def call(self, *args):
        if not self._device:  # device functions get shared arrays, which the simulator keeps in NumPy
            assert not any(isinstance(a, np.ndarray) for a in args), f"host array passed to {self.fn.__name__}"
        return real_call(self, *args)

    monkeypatch.setattr(cuda, "to_device", to_device)
    monkeypatch.setattr(cuda, "device_array", device_array)
    monkeypatch.setattr(devicearray.FakeCUDAArray, "copy_to_host", copy_to_host)
    monkeypatch.setattr(sim_kernel.FakeCUDAKernel, "__call__", call)
    X, Y, _ = _data(N=4, T=2)
    Xv, Yv, _ = _data(N=3, T=2, seed=2)  # a batch shape of its own in both runs
    seen = []
    for batch_size in (4, 2):
        counts.update(up=0, down=0, alloc=0)
        _, gpu = _pair("gru", layers=2, dropout=0.3)
        train(gpu, X, Y, X_val=Xv, Y_val=Yv, max_epochs=2, batch_size=batch_size, random_state=0)
        seen.append(dict(counts))
    assert seen[0] == seen[1], seen
    # the starting point's validation loss (epoch 0), then per epoch: losses, status, val losses; then the params
    assert seen[0]["down"] == 1 + 2 * 3 + 1, seen


@pytest.mark.parametrize("cell,infer,step", [("lstm", 9, 26), ("gru", 8, 24), ("rnn", 8, 24)])
def test_kernel_launches_per_call(monkeypatch, cell, infer, step):
    """Launches per inference and per training step of a one-layer network (each costs the
    host 15-100 us on the lent H200s, the bound at small sizes): the recurrent kernels set their
    starting state and BPTT's dL/dh_T themselves; the copies left are the stack's final states
    (h_n, and c_n for the LSTM). Before, each cell made two (LSTM: four) more."""
    import os

    if os.environ.get("NUMBA_ENABLE_CUDASIM") != "1":
        pytest.skip("counts launches through the simulator's kernel class")
    from numba.cuda.simulator import kernel as sim_kernel

    from tsgate.elementmath import LOSS_MSE, OPT_ADAM
    from tsgate.gpu_core import using
    from tsgate.gpu_training import DeviceRunner
    from tsgate.training import ArraySource

    launched = []
    real_call = sim_kernel.FakeCUDAKernel.__call__

    def call(self, *args):
        if self.grid_dim is not None:  # a launch, not a device function
            launched.append(self.fn.__name__)
        return real_call(self, *args)

    monkeypatch.setattr(sim_kernel.FakeCUDAKernel, "__call__", call)
    X, Y, _ = _data(N=4, T=3)
    model = SequenceModel(cell, 2, 3, 2, device="cuda", dtype="float32", random_state=0)
    runner = DeviceRunner(model, ArraySource(X.astype(np.float32), Y.astype(np.float32)), None, loss_code=LOSS_MSE,
                          tau=np.full(2, 0.5), huber_delta=1.0, optimizer_code=OPT_ADAM, weight_decay=0.0,
                          momentum=0.9, clip_norm=1.0, batch_size=4, random_state=0)
    order = np.arange(4)
    d_X, _, d_E = runner.data.resident
    from numba import cuda

    idx = cuda.to_device(order)
    for _ in range(2):  # the first calls allocate the workspace
        runner.epoch(order, 1e-3, 0)
        with using(runner.dm.ws):
            runner.dm.forward(d_X, d_E, idx)
    launched.clear()
    with using(runner.dm.ws):
        runner.dm.forward(d_X, d_E, idx)
    assert len(launched) == infer and launched.count("copy_kernel") == (2 if cell == "lstm" else 1), launched
    launched.clear()
    runner.epoch(order, 1e-3, 0)
    assert len(launched) == step, launched


def test_divergence_on_device_is_an_error_and_keeps_the_last_good_parameters():
    _, gpu = _pair("lstm")
    before = gpu.flat.copy()
    X, Y, _ = _data(N=6)
    Y[:] = np.inf
    with pytest.raises(TrainingDivergedError, match=r"epoch 1, batch 1: loss=inf"):
        train(gpu, X, Y, max_epochs=2, batch_size=3, random_state=0)
    assert np.array_equal(gpu.flat, before)


def test_dropout_mask_kernel_matches_its_host_definition():
    from numba import cuda

    from tsgate.gpu_training import dropout_mask_kernel, splitmix64

    key, keep, n = 0x1234_5678_9ABC_DEF0, 0.7, 300
    mask = cuda.device_array(n, np.float64)
    dropout_mask_kernel[3, 8](np.uint64(key), keep, mask)
    u = np.array([(splitmix64(key + i) >> 11) / 2.0 ** 53 for i in range(n)])
    want = np.where(u < keep, 1.0 / keep, 0.0)
    assert np.array_equal(mask.copy_to_host(), want)
    assert 0.6 < np.mean(want > 0) < 0.8


def test_device_dropout_is_seeded_and_reproducible():
    X, Y, _ = _data(N=4)
    fits = []
    for seed in (5, 5, 6):
        _, gpu = _pair("rnn", layers=2, dropout=0.5, dtype="float32")
        train(gpu, X, Y, max_epochs=1, batch_size=2, random_state=seed)
        fits.append(gpu.flat.copy())
    _, plain = _pair("rnn", layers=2, dtype="float32")
    train(plain, X, Y, max_epochs=1, batch_size=2, random_state=5)
    assert np.array_equal(fits[0], fits[1])
    assert not np.array_equal(fits[0], fits[2])
    assert not np.array_equal(fits[0], plain.flat)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_global_memory_path_matches_shared_memory_path(cell, monkeypatch):
    """W_hh is staged in shared memory when it fits; forcing the limit to 0
    takes the global-memory path, which must give the same numbers."""
    from tsgate import gpu_core
    from tsgate.network import RecurrentNetwork

    net = RecurrentNetwork(cell, 2, 3, bidirectional=True, dtype="float64", device="cuda", random_state=0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 2, 2))
    dy = rng.standard_normal((3, 2, 6))
    assert gpu_core.shared_bytes(np.zeros(net.params["weight_hh_l0"].size)) > 0
    runs = []
    for limit in (gpu_core.CUDA_SHARED_BYTES, 0):
        monkeypatch.setattr(gpu_core, "CUDA_SHARED_BYTES", limit)
        y, h_n, _ = net.forward(x)
        grads, dx, _, _ = net.backward(dy, None, None)
        runs.append([y, h_n, dx] + [grads[k] for k in sorted(grads)])
    assert gpu_core.shared_bytes(np.zeros(4)) == 0
    for a, b in zip(*runs):
        assert np.allclose(a, b, rtol=1e-13, atol=1e-14)


def test_sequence_classifier_on_cuda_matches_cpu():
    """LSTMClassifier (softmax cross-entropy, early stopping on a validation
    split) trained on the device predicts like the CPU fit, float32."""
    from tsgate import LSTMClassifier

    rng = np.random.default_rng(0)
    X = rng.standard_normal((9, 3, 2))
    y = np.array(["a", "b", "c"] * 3)
    kw = dict(hidden_size=3, max_epochs=2, batch_size=4, early_stopping=True, validation_fraction=0.3,
              random_state=0)
    cpu = LSTMClassifier(**kw).fit(X, y)
    gpu = LSTMClassifier(device="cuda", **kw).fit(X, y)
    assert gpu.model_.net.device == "cuda"
    assert np.allclose(gpu.history_["loss"], cpu.history_["loss"], rtol=1e-5)
    assert np.allclose(gpu.predict_proba(X), cpu.predict_proba(X), rtol=1e-4, atol=1e-5)


def test_windows_beyond_the_device_budget_stream_in_pieces_with_the_same_results(monkeypatch):
    # Above config.CUDA_WINDOW_BYTES the windows are gathered on the host and
    # uploaded a piece of whole batches at a time: the same batches in the
    # same order, so the same trajectory, validation losses and predictions.
    from tsgate import config, gpu_training
    from tsgate.training import ArraySource

    X, Y, E = _data(N=11, T=3, n_extra=1)
    kw = dict(extra=E, X_val=X[:5], Y_val=Y[:5], extra_val=E[:5], max_epochs=2, batch_size=2, learning_rate=0.05,
              random_state=3)
    _, resident = _pair("lstm", n_extra=1)
    h_resident = train(resident, X, Y, **kw)
    per_window = (3 * 2 + 2 + 1) * 8  # float64 inputs (T=3, D=2), targets (2) and one extra feature
    monkeypatch.setattr(config, "CUDA_WINDOW_BYTES", 3 * per_window)  # room for one batch of 2, not two
    uploads = []
    real = gpu_training.DeviceWindows._upload
    monkeypatch.setattr(gpu_training.DeviceWindows, "_upload", lambda self, rows: uploads.append(len(rows))
                        or real(self, rows))
    _, streamed = _pair("lstm", n_extra=1)
    h_streamed = train(streamed, X, Y, **kw)
    assert uploads[:7] == [5, 2, 2, 2, 2, 2, 1]  # validation (whole), then the first epoch's pieces
    assert h_streamed["loss"] == h_resident["loss"] and h_streamed["val_loss"] == h_resident["val_loss"]
    assert np.array_equal(streamed.flat, resident.flat)
    src = ArraySource(X, Y, E)
    windows = gpu_training.DeviceWindows(src, np.float64, 2)
    assert windows.resident is None and windows.piece == 2
    dm, tau = gpu_training.DeviceModel(streamed), gpu_training.cuda.to_device(np.full(2, 0.5))
    monkeypatch.setattr(config, "CUDA_WINDOW_BYTES", 1 << 30)
    whole = gpu_training.DeviceWindows(src, np.float64, 2)
    assert whole.resident is not None
    for loss in (0, 2):
        assert gpu_training.evaluate_on_device(dm, windows, tau, loss, 1.0, batch_size=2) == \
            gpu_training.evaluate_on_device(dm, whole, tau, loss, 1.0, batch_size=2)
    assert np.array_equal(gpu_training.predict_on_device(streamed, src, batch_size=2), predict(resident, X, E))


@pytest.mark.parametrize("cell,layers,loss", [("lstm", 1, "mse"), ("gru", 2, "ce"), ("rnn", 1, "pinball")])
def test_per_step_model_on_the_device_follows_the_cpu_trajectory(cell, layers, loss):
    """The head on every step (sequence labelling, forking sequences): each
    step's M outputs are one loss row (one softmax per step under 'ce'; the
    quantile per column under 'pinball'), dL/dy enters BPTT at every step."""
    kw = dict(num_layers=layers, dtype="float64", random_state=0, per_step=True)
    cpu = SequenceModel(cell, 2, 3, 2, **kw)
    gpu = SequenceModel(cell, 2, 3, 2, device="cuda", **kw)
    gpu.set_flat(cpu.flat)
    rng = np.random.default_rng(1)
    N, T = 5, 4
    X = rng.standard_normal((N, T, 2))
    Y = np.eye(2)[rng.integers(0, 2, (N, T))].reshape(N, T * 2) if loss == "ce" else rng.standard_normal((N, T * 2))
    Xv, Yv = X[:2], Y[:2]
    fit = dict(X_val=Xv, Y_val=Yv, loss=loss, max_epochs=3, batch_size=3, learning_rate=0.1, random_state=3)
    if loss == "pinball":
        fit["quantiles"] = [0.2, 0.8]
    h_cpu, h_gpu = train(cpu, X, Y, **fit), train(gpu, X, Y, **fit)
    assert np.allclose(h_gpu["loss"], h_cpu["loss"], rtol=1e-10, atol=1e-12)
    assert np.allclose(h_gpu["val_loss"], h_cpu["val_loss"], rtol=1e-10, atol=1e-12)
    assert h_gpu["best_epoch"] == h_cpu["best_epoch"] > 0
    assert np.allclose(gpu.flat, cpu.flat, rtol=1e-9, atol=1e-11)
    out = predict(gpu, X)
    assert out.shape == (N, T * 2)
    assert np.allclose(out, predict(cpu, X), rtol=1e-10, atol=1e-12)


def test_sequence_labelling_forking_and_stateful_estimators_on_cuda_match_cpu():
    """LSTMRegressor with per-step targets (n, T), LSTMForecaster(fork=True)
    and GRUForecaster(stateful=True) fit on the device forecast like the CPU
    fits (float32)."""
    import pandas as pd

    from tsgate import GRUForecaster, LSTMForecaster, LSTMRegressor

    rng = np.random.default_rng(0)
    X = rng.standard_normal((6, 3, 2))
    y = np.cumsum(X[:, :, 0], axis=1)  # per step: the running sum so far
    kw = dict(hidden_size=3, max_epochs=2, batch_size=4, random_state=0)
    cpu = LSTMRegressor(**kw).fit(X, y)
    gpu = LSTMRegressor(device="cuda", **kw).fit(X, y)
    assert gpu.model_.net.device == "cuda" and gpu.predict(X).shape == (6, 3)
    assert np.allclose(gpu.history_["loss"], cpu.history_["loss"], rtol=1e-5)
    assert np.allclose(gpu.predict(X), cpu.predict(X), rtol=1e-4, atol=1e-5)
    t = np.arange(30)
    df = pd.DataFrame({"y": np.sin(t / 3.0) + 0.1 * rng.standard_normal(30)},
                      index=pd.date_range("2024-01-01", periods=30, freq="h"))
    for cls, extra in ((LSTMForecaster, dict(fork=True, lookback=4)), (GRUForecaster, dict(stateful=True, tbptt=6))):
        fkw = dict(horizon=2, hidden_size=3, max_epochs=1, batch_size=4, seasonal_periods=[], refit=False,
                   random_state=0, **extra)
        f_cpu = cls(**fkw).fit(df)
        f_gpu = cls(device="cuda", **fkw).fit(df)
        assert f_gpu.model_.net.device == "cuda"
        assert np.allclose(f_gpu.history_["loss"], f_cpu.history_["loss"], rtol=1e-4), cls
        assert np.allclose(f_gpu.predict()["y"], f_cpu.predict()["y"], rtol=1e-3, atol=1e-4), cls
