"""Every @cuda.jit kernel compiles for a real GPU target (sm_90, the H100).

The CUDA simulator runs kernels as Python, so it cannot catch what only the
CUDA compiler rejects (typing of shared arrays, dtype mixes, unsupported
calls). ``numba.cuda.compile_ptx`` needs NVVM but no GPU and no driver: it
ships with ``pip install 'tsgate[cuda]'`` (numba-cuda[cu12]). .ci/run runs
this file in its third pass; without NVVM it skips.
"""

import os
import re

import numpy as np
import pytest

pytestmark = pytest.mark.ptx

if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
    pytest.skip("compile_ptx is not available in the simulator", allow_module_level=True)


def _unavailable(reason):
    # .ci/run sets TSGATE_REQUIRE_NVVM=1 once the cuda extra is installed: there, no silent skip
    (pytest.fail if os.environ.get("TSGATE_REQUIRE_NVVM") == "1" else pytest.skip)(reason)


def _nvvm_or_skip():
    import importlib.util

    if importlib.util.find_spec("numba_cuda") is None:
        # numba's built-in numba.cuda (deprecated) wants a driver to type device functions
        _unavailable("the compile check runs with numba-cuda: pip install 'tsgate[cuda]'")
    try:
        from numba import cuda, float32

        @cuda.jit
        def probe(a):
            a[0] = 1.0

        cuda.compile_ptx(probe.py_func, (float32[::1],), cc=(9, 0))
    except Exception as exc:
        _unavailable(f"no NVVM for compile_ptx here ({type(exc).__name__}: {exc}); pip install 'tsgate[cuda]'")


def _signatures(ft):
    """(kernel python function, argument types) for one float type ``ft``."""
    from numba import float64, int64, uint64

    from tsgate import gpu_core, gpu_gemm, gpu_gru, gpu_lstm, gpu_model, gpu_network, gpu_rnn, gpu_training as gt

    v, m, t3 = ft[::1], ft[:, ::1], ft[:, :, ::1]
    iv, fv = int64[::1], float64[::1]
    i = int64
    lstm_f, lstm_b = gpu_lstm._kernels(np.dtype(ft.name))
    gru_f, gru_b = gpu_gru._kernels(np.dtype(ft.name))
    rnn_f, rnn_b = gpu_rnn._kernels(np.dtype(ft.name))
    tiled = {c: mod._kernels(np.dtype(ft.name), 4) for c, mod in (("lstm", gpu_lstm), ("gru", gpu_gru), ("rnn", gpu_rnn))}
    return {
        "gemm": (gpu_gemm._gemm_kernel(np.dtype(ft.name)), (m, m, t3, v, v, i, i, i, i)),
        "sum_splits": (gpu_gemm.sum_splits_kernel, (m, v)),
        "colsum": (gpu_gemm.colsum_kernel, (m, m, i)),
        "fill": (gpu_core.fill_kernel, (v, float64)),
        "copy": (gpu_core.copy_kernel, (v, v)),
        "transpose": (gpu_core.transpose_kernel, (m, m)),
        "reverse_time": (gpu_network.reverse_time_kernel, (t3, t3)),
        "put_direction": (gpu_network.put_direction_kernel, (t3, t3, i, i)),
        "take_direction": (gpu_network.take_direction_kernel, (t3, t3, i, i)),
        "accumulate_dx": (gpu_network.accumulate_dx_kernel, (t3, t3, i, i)),
        "multiply": (gpu_network.multiply_kernel, (v, v, v)),
        "lstm_forward": (lstm_f, (v, m, m, t3, t3, t3, i, i)),
        "lstm_backward": (lstm_b, (v, t3, t3, t3, m, m, m, m, t3, i, i)),
        "gru_forward": (gru_f, (v, v, m, t3, t3, t3, i, i)),
        "gru_backward": (gru_b, (v, t3, t3, t3, t3, m, m, m, t3, t3, i, i)),
        "rnn_forward": (rnn_f, (v, m, t3, t3, i, i, i)),
        "rnn_backward": (rnn_b, (v, t3, t3, m, m, t3, i, i, i)),
        # threads carrying 4 batch rows each (gpu_core.row_tile)
        "lstm_forward_rows4": (tiled["lstm"][0], (v, m, m, t3, t3, t3, i, i)),
        "lstm_backward_rows4": (tiled["lstm"][1], (v, t3, t3, t3, m, m, m, m, t3, i, i)),
        "gru_forward_rows4": (tiled["gru"][0], (v, v, m, t3, t3, t3, i, i)),
        "gru_backward_rows4": (tiled["gru"][1], (v, t3, t3, t3, t3, m, m, m, t3, t3, i, i)),
        "rnn_forward_rows4": (tiled["rnn"][0], (v, m, t3, t3, i, i, i)),
        "rnn_backward_rows4": (tiled["rnn"][1], (v, t3, t3, m, m, t3, i, i, i)),
        "gather_sequences": (gpu_model.gather_sequences_kernel, (t3, iv, t3)),
        "features": (gpu_model.features_kernel, (t3, m, m, t3, iv, i, i, i, i, i, m)),
        "context": (gpu_model.context_kernel, (m, iv, m, i, i, m)),
        "initial_state": (gpu_model.initial_state_kernel, (m, m, t3)),
        "initial_state_grad": (gpu_model.initial_state_grad_kernel, (t3, m, m)),
        "embedding_grad": (gpu_model.embedding_grad_kernel, (m, m, m, iv, i, m)),
        "scatter_dh": (gpu_model.scatter_dh_kernel, (m, i, t3)),
        "steps_to_columns": (gpu_model.steps_to_columns_kernel, (m, m)),
        "columns_to_steps": (gpu_model.columns_to_steps_kernel, (m, m)),
        "step_rows": (gt.step_rows_kernel, (iv, i, iv)),
        "loss_rows": (gt.loss_rows_kernel, (m, m, iv, fv, i, float64, m, fv)),
        "sum_rows": (gt.sum_rows_kernel, (fv, float64, fv, i)),
        "sumsq_partial": (gt.sumsq_partial_kernel, (v, fv)),
        "finish_norm": (gt.finish_norm_kernel, (fv, fv, i, i, fv, iv)),
        "optimizer": (gt.optimizer_kernel, (i, v, v, v, v, i, float64, float64, float64, float64, float64,
                                            float64, float64, fv, i, iv)),
        "dropout_mask": (gt.dropout_mask_kernel, (uint64, float64, v)),
        "scatter_rows": (gt.scatter_rows_kernel, (m, m, i)),
    }


KERNELS = ["gemm", "sum_splits", "colsum", "fill", "copy", "transpose", "reverse_time", "put_direction",
           "take_direction",
           "accumulate_dx", "multiply", "lstm_forward", "lstm_backward", "gru_forward", "gru_backward",
           "rnn_forward", "rnn_backward", "lstm_forward_rows4", "lstm_backward_rows4", "gru_forward_rows4",
           "gru_backward_rows4", "rnn_forward_rows4", "rnn_backward_rows4", "gather_sequences", "features",
           "context", "initial_state",
           "initial_state_grad", "embedding_grad", "scatter_dh", "steps_to_columns", "columns_to_steps",
           "step_rows", "loss_rows",
           "sum_rows", "sumsq_partial", "finish_norm", "optimizer", "dropout_mask", "scatter_rows"]


def test_every_kernel_is_listed():
    """Every module-level kernel of the GPU modules is in the compile check."""
    import importlib

    from numba import float32

    _nvvm_or_skip()
    covered = {kernel.py_func for kernel, _ in _signatures(float32).values()}
    found = []
    for mod in ("gpu_core", "gpu_gemm", "gpu_lstm", "gpu_gru", "gpu_rnn", "gpu_network", "gpu_training", "gpu_backend", "gpu_model"):
        module = importlib.import_module(f"tsgate.{mod}")
        for name, obj in vars(module).items():
            is_kernel = hasattr(obj, "py_func") and hasattr(obj, "targetoptions")
            if is_kernel and not obj.targetoptions.get("device") and obj.py_func.__module__ == module.__name__:
                found.append((mod, name, obj.py_func))
    assert len(found) >= 15
    assert [f"{m}.{n}" for m, n, f in found if f not in covered] == []


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", KERNELS)
def test_kernel_compiles_to_ptx_for_sm90(name, dtype):
    import numba
    from numba import cuda

    _nvvm_or_skip()
    kernel, sig = _signatures(getattr(numba, dtype))[name]
    ptx, _ = cuda.compile_ptx(kernel.py_func, sig, cc=(9, 0))
    assert ".target sm_90" in ptx
    entry = [line for line in ptx.splitlines() if ".entry" in line]
    assert len(entry) == 1, entry
    if name.endswith(("_forward", "_backward", "_rows4")):
        assert ".extern .shared" in ptx  # the dynamic shared memory that stages W_hh
        if dtype == "float32":  # no float64 arithmetic sneaks into float32 cell kernels
            assert re.findall(r"\.f64\b", ptx) == []
    if name.endswith("_rows4"):  # each thread's per-row sums live in registers, not in local memory
        assert ".local" not in ptx
