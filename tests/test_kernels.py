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
