import numpy as np
from numba import njit

from tsgate import blas
from tsgate.blas import dot_rows
from tsgate.core import n_chunks, sigmoid_, single_threaded_blas, tanh_, tanh_approx


@njit
def _apply(x, which):
    out = np.empty_like(x)
    for i in range(x.size):
        out[i] = tanh_(x[i]) if which == 0 else sigmoid_(x[i])
    return out


def test_float32_activation_max_error():
    x = np.linspace(-30, 30, 1_200_001).astype(np.float32)
    x64 = x.astype(np.float64)
    t = _apply(x, 0)
    s = _apply(x, 1)
    assert t.dtype == np.float32
    assert np.abs(t - np.tanh(x64)).max() < 1e-6
    assert np.abs(s - 1 / (1 + np.exp(-x64))).max() < 1e-6
    assert np.all(np.abs(t) <= 1) and np.all((s >= 0) & (s <= 1))
    # odd symmetry and exact zero
    assert np.array_equal(_apply(-x, 0), -t)


def test_float64_activations_are_exact():
    x = np.linspace(-10, 10, 10001)
    assert np.abs(_apply(x, 0) - np.tanh(x)).max() < 1e-15
    assert np.abs(_apply(x, 1) - 1 / (1 + np.exp(-x))).max() < 1e-15


def test_approximation_is_not_libm():
    # the float32 path really is the rational form (else the test above is void)
    x = np.linspace(-3, 3, 1001).astype(np.float32)
    assert not np.array_equal(_apply(x, 0), np.tanh(x))
    assert tanh_approx(np.float32(100.0)) <= 1.0


def test_blas_guard_is_reentrant_and_restores():
    from threadpoolctl import threadpool_info

    before = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
    with single_threaded_blas():
        with single_threaded_blas():
            inner = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
    after = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
    assert all(n == 1 for n in inner)
    assert after == before


def test_n_chunks_bounds():
    assert n_chunks(1) == 1
    assert 1 <= n_chunks(1000) <= 1000


@njit
def _dot_in_rows(A, Wb, limit):
    out = np.empty((A.shape[0], Wb.shape[0] * Wb.shape[2]), A.dtype)
    dot_rows(A, Wb, out, np.empty((A.shape[0], Wb.shape[2]), A.dtype), limit)
    return out


def test_dot_rows_splits_a_product_into_equal_calls_and_column_blocks():
    rng = np.random.default_rng(0)
    A, W = rng.standard_normal((16, 40)), rng.standard_normal((40, 24))
    for blocks in (1, 2, 4, 8):
        Wb = np.ascontiguousarray(W.reshape(40, blocks, 24 // blocks).transpose(1, 0, 2))
        for limit in (1, 3, 8, 15, 16, blas.ALL_ROWS):
            np.testing.assert_allclose(_dot_in_rows(A, Wb, limit), A @ W, rtol=1e-13, atol=1e-13)


def test_gemm_plan_takes_the_small_matrix_kernel_only_where_it_pays(monkeypatch):
    monkeypatch.delenv("TSGATE_GEMM_ROWS", raising=False)
    monkeypatch.setattr(blas, "_small_gemm", True)
    # LSTM H = 128: 15 rows fit OpenBLAS's 100^3 (a chunk of 16 is cut into 8 + 8); GRU H = 256: 5;
    # H = 32: 244 (a chunk of 16 is one call); LSTM H = 256: 3, too few, so 4 column blocks of 256
    # in which 15 rows fit (h W_hh^T), and 4 of 64 for BPTT's dA W_hh (1024 x 256)
    assert [blas.gemm_plan(k, n) for k, n in ((128, 512), (256, 768), (32, 128), (256, 1024), (1024, 256))] == \
        [(15, 1), (5, 1), (244, 1), (15, 4), (15, 4)]
    assert blas.gemm_plan(3, 1_000_001) == (blas.ALL_ROWS, 1)  # no column block divides
    w_hh = np.arange(4 * 256 * 256, dtype=np.float32).reshape(4 * 256, 256)
    WhhT, rows = blas.recurrent_weights(w_hh)
    assert rows == 15 and WhhT.shape == (4, 256, 256) and WhhT.flags.c_contiguous
    np.testing.assert_array_equal(np.concatenate(list(WhhT), axis=1), w_hh.T)
    Whh, rows = blas.recurrent_weights(w_hh, transpose=False)
    assert rows == 15 and Whh.shape == (4, 1024, 64)
    np.testing.assert_array_equal(np.concatenate(list(Whh), axis=1), w_hh)
    monkeypatch.setattr(blas, "_small_gemm", False)  # another core or BLAS: one call per chunk
    assert blas.gemm_plan(128, 512) == blas.gemm_plan(256, 1024) == (blas.ALL_ROWS, 1)
    monkeypatch.setenv("TSGATE_GEMM_ROWS", "3")
    assert blas.gemm_plan(128, 512) == (3, 1)
    monkeypatch.setenv("TSGATE_GEMM_ROWS", "0")
    monkeypatch.setattr(blas, "_small_gemm", True)
    assert blas.gemm_plan(256, 1024) == (blas.ALL_ROWS, 1)


def test_recurrent_kernels_agree_whatever_the_rows_and_blocks_per_blas_call(monkeypatch):
    from tsgate import gru, lstm, rnn

    rng = np.random.default_rng(1)
    T, B, D, H = 7, 19, 3, 16
    x = rng.standard_normal((T, B, D))
    dy = rng.standard_normal((T, B, H))
    runs = []
    for plan in ((blas.ALL_ROWS, 1), (4, 1), (1, 1), (8, 4), (3, 2)):  # (rows per call, column blocks)
        monkeypatch.setattr(blas, "gemm_plan", lambda k, n, p=plan: p)
        out = []
        for mod, G in ((lstm, 4), (gru, 3), (rnn, 1)):
            wr = np.random.default_rng(G)  # the same weights for every rows
            w = [0.3 * wr.standard_normal(s) for s in ((G * H, D), (G * H, H), (G * H,), (G * H,))]
            fwd = getattr(mod, f"{mod.__name__.split('.')[-1]}_forward")(x, *w)
            bwd = getattr(mod, f"{mod.__name__.split('.')[-1]}_backward")(fwd[-1], dy=dy)
            out += [np.asarray(fwd[0])] + [np.asarray(g) for g in bwd if g is not None]
        runs.append(out)
    for other in runs[1:]:
        for a, b in zip(runs[0], other):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
