import numpy as np
from numba import njit

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
