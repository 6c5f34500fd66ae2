"""GPU backend. The parity tests run under Numba's CUDA simulator
(.ci/run's second pass sets NUMBA_ENABLE_CUDASIM=1) or on a real GPU, at tiny
sizes; without either they skip, and device='cuda' must be a clear error."""

import os
import subprocess
import sys

import numpy as np
import pytest

from tsgate.backend import cuda_available
from tsgate.network import RecurrentNetwork

CUDA_OK, WHY = cuda_available()
needs_cuda = pytest.mark.skipif(not CUDA_OK, reason=f"no CUDA device or simulator: {WHY}")
SIMULATED = os.environ.get("NUMBA_ENABLE_CUDASIM") == "1"
pytestmark = pytest.mark.gpu
#: (T, B, D, H): tiny in the simulator; on a real GPU also real sizes, with
#: W_hh both in shared memory (H=32) and too big for it (H=128: global memory)
#: (16, 601, 8, 96): four rows per block and per thread (row_tile), the last block holding one row
SIZES = [(3, 3, 2, 3)] if SIMULATED else [(3, 3, 2, 3), (48, 37, 8, 32), (48, 256, 8, 128), (16, 601, 8, 96)]


def test_import_tsgate_does_not_import_numba_cuda():
    code = "import sys, tsgate, tsgate.network; assert 'numba.cuda' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.skipif(CUDA_OK, reason="a CUDA device or the simulator is present")
def test_cuda_device_is_a_clear_error_without_gpu():
    with pytest.raises(ValueError, match=r"device='cuda' is not usable here: no CUDA driver or GPU"):
        RecurrentNetwork("lstm", 1, 2, device="cuda")
    assert RecurrentNetwork("lstm", 1, 2, device="auto").device == "cpu"
    from tsgate import LSTMForecaster, LSTMRegressor

    for est in (LSTMForecaster(device="cuda"), LSTMRegressor(device="cuda")):  # checked before the data is read
        with pytest.raises(ValueError, match=r"device='cuda' is not usable here: no CUDA driver or GPU"):
            est.fit("not data", None) if isinstance(est, LSTMRegressor) else est.fit("not data")


def test_simulator_pass_really_has_cuda():
    # guards the CI pass: with the simulator on, the parity tests must not skip
    if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
        assert CUDA_OK, WHY


@needs_cuda
@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn", "rnn-relu"])
@pytest.mark.parametrize("layers,bi,dtype", [(1, False, "float64"), (1, True, "float64"), (2, False, "float64"),
                                             (2, True, "float64"), (2, True, "float32")])
@pytest.mark.parametrize("size", SIZES)
def test_gpu_matches_cpu_outputs_and_all_gradients(cell, layers, bi, dtype, size):
    _check_parity(cell, layers, bi, dtype, size)


@needs_cuda
@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_threads_carrying_several_rows_match_cpu(cell, dtype, monkeypatch):
    # row tiling at any H: 7 rows in blocks of 4, each thread carrying all 4 (the second block's
    # three rows and a repeated one, never written); forward and every gradient
    from tsgate import gpu_core

    monkeypatch.setattr(gpu_core, "ROW_TILE_MIN_H", 1)
    monkeypatch.setattr(gpu_core, "CUDA_TARGET_BLOCKS", 1)
    monkeypatch.setattr(gpu_core, "ROWS_PER_BLOCK", 4)
    assert gpu_core.row_tile(gpu_core.recurrent_grid(7, 3)[2], 3) == 4
    _check_parity(cell, 1, True, dtype, (3, 7, 2, 3))


def _check_parity(cell, layers, bi, dtype, size):
    nonlin = "relu" if cell == "rnn-relu" else "tanh"
    cell = cell.split("-")[0]
    T, B, D, H = size
    cpu = RecurrentNetwork(cell, D, H, num_layers=layers, bidirectional=bi, nonlinearity=nonlin,
                           dtype=dtype, random_state=0)
    gpu = RecurrentNetwork(cell, D, H, num_layers=layers, bidirectional=bi, nonlinearity=nonlin,
                           dtype=dtype, device="cuda", random_state=0)
    gpu.load_state_dict(cpu.state_dict())
    rng = np.random.default_rng(1)
    LD = layers * (2 if bi else 1)
    x = rng.standard_normal((T, B, D))
    h0 = rng.standard_normal((LD, B, H))
    c0 = rng.standard_normal((LD, B, H)) if cell == "lstm" else None
    outs = [net.forward(x, h0, c0) for net in (cpu, gpu)]
    dy = rng.standard_normal(outs[0][0].shape)
    dh = rng.standard_normal((LD, B, H))
    dc = rng.standard_normal((LD, B, H)) if cell == "lstm" else None
    grads = [net.backward(dy, dh, dc) for net in (cpu, gpu)]
    # float32 CPU kernels use the approximated activations (< 1e-6); the GPU uses libm
    tol = 1e-12 if dtype == "float64" else (2e-5 if T * B < 100 else 1e-4)
    pairs = list(zip(outs[0], outs[1])) + list(zip(grads[0][1:], grads[1][1:]))
    pairs += [(grads[0][0][k], grads[1][0][k]) for k in grads[0][0]]
    for a, b in pairs:
        if a is None:
            assert b is None
            continue
        assert b.dtype == np.dtype(dtype)
        assert np.linalg.norm(a - b) <= tol * max(np.linalg.norm(a), 1.0)


@needs_cuda
def test_forecaster_fit_on_cuda_matches_cpu():
    import pandas as pd

    from tsgate import GRUForecaster

    t = np.arange(24)
    df = pd.DataFrame({"y": np.sin(t / 3.0) + 0.01 * t},
                      index=pd.date_range("2020-01-01", periods=24, freq="D"))
    kw = dict(horizon=2, lookback=3, hidden_size=3, max_epochs=2, batch_size=32, random_state=0)
    cpu = GRUForecaster(**kw).fit(df).predict()
    gpu = GRUForecaster(device="cuda", **kw).fit(df).predict()
    assert np.allclose(gpu.to_numpy(), cpu.to_numpy(), rtol=1e-4, atol=1e-5)


@needs_cuda
def test_static_covariates_and_id_embedding_forecast_alike_on_both_devices(tmp_path):
    import pandas as pd

    import tsgate
    from tsgate import LSTMForecaster

    rng = np.random.default_rng(0)
    parts = [pd.DataFrame({"unique_id": f"s{k}", "ds": np.arange(24), "y": np.sin(np.arange(24) / 3.0 + k)
                           + 0.1 * rng.standard_normal(24)}) for k in range(3)]
    df = pd.concat(parts, ignore_index=True)
    static = pd.DataFrame({"size": [1.0, 2.0, 3.0], "kind": ["a", "b", "a"]}, index=["s0", "s1", "s2"])
    kw = dict(horizon=2, lookback=3, hidden_size=3, max_epochs=2, batch_size=32, id_embedding=2, random_state=0)
    cpu = LSTMForecaster(**kw).fit(df, static_covariates=static)
    gpu = LSTMForecaster(device="cuda", **kw).fit(df, static_covariates=static)
    assert gpu.model_.n_context == cpu.model_.n_context == 2 + 3  # the embedding, size and the kind's two columns
    assert np.allclose(gpu.model_.flat, cpu.model_.flat, rtol=1e-4, atol=1e-5)
    assert np.allclose(gpu.predict()["y"], cpu.predict()["y"], rtol=1e-4, atol=1e-5)
    back = tsgate.load(gpu.save(tmp_path / "gpu.tsgate"), device="cpu")
    assert np.allclose(back.predict()["y"], gpu.predict()["y"], rtol=1e-5, atol=1e-6)


@needs_cuda
def test_model_files_move_between_devices(tmp_path):
    import pandas as pd

    import tsgate
    from tsgate import LSTMForecaster

    t = np.arange(20)
    df = pd.DataFrame({"y": np.cos(t / 4.0)}, index=pd.date_range("2020-01-01", periods=20, freq="D"))
    kw = dict(horizon=2, lookback=3, hidden_size=3, max_epochs=1, batch_size=32, random_state=0)
    on_gpu = LSTMForecaster(device="cuda", **kw).fit(df)
    on_gpu.save(tmp_path / "gpu.tsgate")
    back_cpu = tsgate.load(tmp_path / "gpu.tsgate", device="cpu")
    assert back_cpu.model_.net.device == "cpu"
    assert np.allclose(back_cpu.predict().to_numpy(), on_gpu.predict().to_numpy(), rtol=1e-5, atol=1e-6)
    on_cpu = LSTMForecaster(**kw).fit(df)
    on_cpu.save(tmp_path / "cpu.tsgate")
    back_gpu = tsgate.load(tmp_path / "cpu.tsgate", device="cuda")
    assert back_gpu.model_.net.device == "cuda"
    assert np.allclose(back_gpu.predict().to_numpy(), on_cpu.predict().to_numpy(), rtol=1e-5, atol=1e-6)


@needs_cuda
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("ta,tb", [(0, 0), (1, 0), (0, 1)])
def test_tiled_gemm_matches_numpy_on_ragged_shapes(dtype, ta, tb):
    from numba import cuda

    from tsgate.gpu_gemm import gemm

    rng = np.random.default_rng(0)
    M, K, N = 7, 9, 5  # not multiples of the tile edge
    A = rng.standard_normal((K, M) if ta else (M, K)).astype(dtype)
    B = rng.standard_normal((N, K) if tb else (K, N)).astype(dtype)
    bias = rng.standard_normal(N).astype(dtype)
    C = cuda.device_array((M, N), dtype)
    gemm(cuda.to_device(A), cuda.to_device(B), C, cuda.to_device(bias), ta=ta, tb=tb)
    want = (A.T if ta else A) @ (B.T if tb else B) + bias
    got = C.copy_to_host()
    assert got.dtype == np.dtype(dtype)
    assert np.allclose(got, want, rtol=1e-5 if dtype == "float32" else 1e-12, atol=1e-5 if dtype == "float32" else 1e-12)


def test_split_reductions_cover_k_and_depend_on_shapes_only():
    from tsgate.gpu_gemm import SPLIT_MIN, k_splits

    # the LSTM's dW_ih at B = 1024, T = 336, H = 32: 8 output tiles summed over 344,064 terms
    assert k_splits(8, 344_064, 512) == (64, 5376)
    assert k_splits(4096, 344_064, 512) == (1, 344_064)  # enough outputs: no split
    assert k_splits(1, SPLIT_MIN, 512) == (1, SPLIT_MIN)  # too short to split
    for outputs in (1, 3, 50, 900):
        for K in (1, 255, 256, 257, 1000, 99_999):
            splits, chunk = k_splits(outputs, K, 512)
            assert splits * chunk >= K and (splits - 1) * chunk < K  # every term in one chunk, none empty
            assert splits == 1 or chunk >= SPLIT_MIN // 2


@needs_cuda
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_split_gemm_and_colsum_match_numpy_and_repeat_bit_for_bit(dtype, monkeypatch):
    # the weight gradients' shape: a long reduction (K = T*B) into few outputs, summed in chunks
    from numba import cuda

    from tsgate import gpu_gemm

    monkeypatch.setattr(gpu_gemm, "CUDA_TARGET_BLOCKS", 64)
    rng = np.random.default_rng(3)
    K, M, N = 1000, 7, 5
    A, B = rng.standard_normal((K, M)).astype(dtype), rng.standard_normal((K, N)).astype(dtype)
    assert gpu_gemm.k_splits(1, K, 4 * 64)[0] == 4  # the split path runs
    runs = []
    for _ in range(2):
        C, s = cuda.device_array((M, N), dtype), cuda.device_array(N, dtype)
        gpu_gemm.gemm(cuda.to_device(A), cuda.to_device(B), C, ta=1)
        gpu_gemm.colsum(cuda.to_device(B), s)
        runs.append((C.copy_to_host(), s.copy_to_host()))
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == "float32" else dict(rtol=1e-12, atol=1e-12)
    assert np.allclose(runs[0][0], A.T @ B, **tol) and np.allclose(runs[0][1], B.sum(axis=0), **tol)
    assert all(np.array_equal(a, b) for a, b in zip(runs[0], runs[1]))


def test_recurrent_grid_spreads_small_batches_over_blocks(monkeypatch):
    from tsgate import gpu_core

    monkeypatch.setattr(gpu_core, "ROWS_PER_BLOCK", 4)
    monkeypatch.setattr(gpu_core, "CUDA_TARGET_BLOCKS", 128)
    monkeypatch.setattr(gpu_core, "CUDA_BLOCK_SIZE", 128)
    assert gpu_core.recurrent_grid(32, 32) == (32, 32, 1)  # one row per block: 32 blocks, one warp each
    assert gpu_core.recurrent_grid(256, 32) == (128, 64, 2)
    assert gpu_core.recurrent_grid(1024, 256) == (256, 128, 4)
    monkeypatch.setattr(gpu_core, "ROW_TILE_MIN_H", 64)
    assert [gpu_core.row_tile(rows, 128) for rows in (1, 2, 3, 4)] == [1, 2, 2, 4]
    assert gpu_core.row_tile(4, 32) == 1  # small H: one row per thread, more threads
    for B in (1, 3, 37, 300, 5000):
        for H in (1, 3, 32, 100):
            blocks, threads, rows = gpu_core.recurrent_grid(B, H)
            assert 1 <= rows <= 4 and blocks * rows >= B and (blocks - 1) * rows < B
            assert threads <= 128 and threads % 32 == 0


@needs_cuda
def test_memoised_views_are_made_once_and_share_memory():
    """gpu_core's views (numba-cuda spends ~50 us of host time per slice): the same object on a
    repeated call, a distinct one per index or shape, and writes through a view reach the array."""
    from numba import cuda

    from tsgate.gpu_core import at, flat, reshaped, rows

    a = cuda.to_device(np.arange(12, dtype=np.float64).reshape(3, 4))
    assert at(a, 1) is at(a, 1) and at(a, 2) is not at(a, 1)
    assert reshaped(a, 2, 6) is reshaped(a, 2, 6) and reshaped(a, 6, 2).shape == (6, 2)
    assert flat(a) is flat(a) and rows(a, 0, 2) is rows(a, 0, 2) and rows(a, 1, 3) is not rows(a, 0, 2)
    np.testing.assert_array_equal(at(a, 2).copy_to_host(), [8, 9, 10, 11])
    np.testing.assert_array_equal(reshaped(rows(a, 1, 3), 8).copy_to_host(), np.arange(4, 12))
    at(a, 0).copy_to_device(np.full(4, -1.0))
    np.testing.assert_array_equal(flat(a).copy_to_host()[:5], [-1, -1, -1, -1, 4])
    b = cuda.to_device(np.zeros((3, 4)))
    assert at(b, 0) is not at(a, 0)  # the memo lives on each array


@needs_cuda
def test_device_copy_kernel_copies_and_refuses_mismatches():
    """gpu_core.copy (a kernel: numba-cuda's device-to-device copy_to_device cost ~230 us of host time)."""
    from numba import cuda

    from tsgate.gpu_core import at, copy

    a = cuda.to_device(np.arange(12, dtype=np.float32).reshape(3, 4))
    b = cuda.to_device(np.zeros((3, 4), np.float32))
    copy(b, a)
    np.testing.assert_array_equal(b.copy_to_host(), np.arange(12).reshape(3, 4))
    copy(at(b, 1), at(a, 0))
    np.testing.assert_array_equal(b.copy_to_host()[1], [0, 1, 2, 3])
    with pytest.raises(ValueError, match="into"):
        copy(b, cuda.to_device(np.zeros((3, 4), np.float64)))
    with pytest.raises(ValueError, match="into"):
        copy(at(b, 0), a)


@needs_cuda
def test_launches_are_configured_once_and_show_no_occupancy_warning():
    """A device fit shows the user none of numba-cuda's low-occupancy warnings (tsgate's small
    grids, one block per group of batch rows, are deliberate), and each kernel's launch
    configuration is made once and kept. The simulator issues no such warning and configures
    its kernels in place, so there nothing may be kept."""
    import warnings

    import pandas as pd

    from tsgate import LSTMForecaster, gpu_core

    df = pd.DataFrame({"y": np.sin(np.arange(40) / 3.0)}, index=pd.date_range("2024-01-01", periods=40, freq="h"))
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        LSTMForecaster(horizon=2, lookback=4, hidden_size=3, max_epochs=1, batch_size=4, device="cuda",
                       random_state=0).fit(df).predict()
        raw = gpu_core.fill_kernel.dispatcher[1, 32]  # numba-cuda's own configuration, unfiltered
    occupancy = [str(w.message) for w in seen if "under-utilization" in str(w.message)]
    if SIMULATED:
        assert gpu_core._configs == {} and not occupancy
        return
    from numba.cuda.core import config

    assert len(occupancy) == (1 if config.CUDA_LOW_OCCUPANCY_WARNINGS else 0)  # only the raw one above
    assert gpu_core.fill_kernel[1, 32] is gpu_core.fill_kernel[1, 32] is not raw
