"""Every cell kernel, forward and backward, against the NumPy reference."""

import numpy as np
import pytest

from tsgate import gru, lstm, rnn

from . import naive
from .conftest import make_cell_inputs

SIZES = [(1, 1, 1, 1), (5, 3, 2, 4), (7, 5, 3, 7), (12, 9, 6, 16)]


def _run(cell, p, dy, dh, dc, nonlinearity="tanh"):
    """(tsgate outputs+grads, reference outputs+grads) as flat lists."""
    if cell == "lstm":
        y, h, c, cache = lstm.lstm_forward(p["x"], p["w_ih"], p["w_hh"], p["b_ih"], p["b_hh"], p["h0"], p["c0"])
        g = lstm.lstm_backward(cache, dy, dh, dc)
        ry, rh, rc, steps = naive.lstm_forward(*(p[k] for k in ("x", "w_ih", "w_hh", "b_ih", "b_hh", "h0", "c0")))
        rg = naive.lstm_backward(p["w_ih"], p["w_hh"], steps, dy, dh, dc)
        return [y, h, c, *g], [ry, rh, rc, *rg]
    if cell == "gru":
        y, h, cache = gru.gru_forward(p["x"], p["w_ih"], p["w_hh"], p["b_ih"], p["b_hh"], p["h0"])
        g = gru.gru_backward(cache, dy, dh)
        ry, rh, steps = naive.gru_forward(*(p[k] for k in ("x", "w_ih", "w_hh", "b_ih", "b_hh", "h0")))
        return [y, h, *g], [ry, rh, *naive.gru_backward(p["w_ih"], p["w_hh"], steps, dy, dh)]
    y, h, cache = rnn.rnn_forward(p["x"], p["w_ih"], p["w_hh"], p["b_ih"], p["b_hh"], p["h0"],
                                  nonlinearity=nonlinearity)
    g = rnn.rnn_backward(cache, dy, dh)
    ry, rh, steps = naive.rnn_forward(*(p[k] for k in ("x", "w_ih", "w_hh", "b_ih", "b_hh", "h0")), nonlinearity)
    return [y, h, *g], [ry, rh, *naive.rnn_backward(p["w_ih"], p["w_hh"], steps, dy, dh, nonlinearity)]


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn", "rnn-relu"])
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cell_matches_naive(cell, size, dtype):
    nonlin = "relu" if cell == "rnn-relu" else "tanh"
    cell = cell.split("-")[0]
    T, B, D, H = size
    p = make_cell_inputs(cell, T, B, D, H, dtype)
    rng = np.random.default_rng(7)
    dy = rng.standard_normal((T, B, H)).astype(dtype)
    dh = rng.standard_normal((B, H)).astype(dtype)
    dc = rng.standard_normal((B, H)).astype(dtype)
    got, want = _run(cell, p, dy, dh, dc, nonlin)
    # float32 runs the approximated activations (max error < 1e-6) in float32
    tol = 1e-12 if dtype == np.float64 else 2e-5
    for k, (a, b) in enumerate(zip(got, want)):
        assert a.dtype == dtype, k
        assert a.shape == b.shape, k
        err = np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-30)
        assert err < tol, (k, err)


def test_reference_would_catch_a_wrong_gate_order():
    # guards against a test that cannot fail: swapping i and f changes results
    p = make_cell_inputs("lstm", 4, 2, 3, 5)
    y, *_ = lstm.lstm_forward(p["x"], p["w_ih"], p["w_hh"], p["b_ih"], p["b_hh"], p["h0"], p["c0"])
    w = p["w_ih"].copy()
    w[:5], w[5:10] = p["w_ih"][5:10], p["w_ih"][:5]
    ry, *_ = naive.lstm_forward(p["x"], w, p["w_hh"], p["b_ih"], p["b_hh"], p["h0"], p["c0"])
    assert np.abs(y - ry).max() > 1e-3


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_float32_bptt_carries_no_subnormals_and_loses_nothing_visible(cell):
    # Far back in a long sequence the carried gradient decays below float32's
    # normal range; subnormals run in microcode on x86 (a 336-step LSTM backward
    # took 12x the time per step of a 48-step one). BPTT flushes them to zero
    # below core.FLUSH32: no dL/dx is subnormal, and the weight gradients equal
    # float64's as closely as float32 allows.
    from tsgate.core import FLUSH32
    from tsgate.network import RecurrentNetwork

    T, B, H = 336, 4, 16
    x = np.random.default_rng(0).standard_normal((T, B, 1))
    grads = {}
    for dtype in ("float32", "float64"):
        net = RecurrentNetwork(cell, 1, H, dtype=dtype, random_state=0)
        _, h_n, c_n = net.forward(x.astype(dtype))
        dh = np.random.default_rng(1).standard_normal(h_n.shape).astype(dtype)
        g, dx, _, _ = net.backward(None, dh, None if c_n is None else np.zeros_like(c_n))
        grads[dtype] = (g, dx)
    dx32 = grads["float32"][1]
    tiny = np.finfo(np.float32).tiny
    assert not np.any((dx32 != 0) & (np.abs(dx32) < tiny))  # without the flush: about 1 in 6 (LSTM, H=128)
    assert np.all((dx32 == 0) | (np.abs(dx32) >= FLUSH32 * 1e-6))
    dx64 = grads["float64"][1]
    assert np.min(np.abs(dx64[0][dx64[0] != 0])) < tiny  # the float64 gradient does decay that far
    for name, g32 in grads["float32"][0].items():
        g64 = grads["float64"][0][name]
        assert np.allclose(g32, g64, rtol=1e-3, atol=1e-5 * np.abs(g64).max()), name
