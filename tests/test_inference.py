"""The forward without a tape (inference): the same results, bounded memory."""

import tracemalloc

import numpy as np
import pytest

from tsgate import config
from tsgate.core import projection_block
from tsgate.network import RecurrentNetwork
from tsgate.training import SequenceModel, predict


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("cell,layers,bi", [("lstm", 2, True), ("gru", 2, False), ("rnn", 1, True), ("lstm", 1, False)])
def test_forward_without_tape_equals_the_forward_with_tape(cell, layers, bi, dtype, monkeypatch):
    """Bit for bit in one block; in blocks (3 steps of B x G gate values, so
    11 steps run as 3 + 3 + 3 + 2) to rounding: BLAS may round a row of the
    projection differently in a call of another shape."""
    net = RecurrentNetwork(cell, 3, 6, num_layers=layers, bidirectional=bi, dtype=dtype, random_state=0)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((11, 5, 3))
    h0 = rng.standard_normal((layers * (2 if bi else 1), 5, 6))
    c0 = rng.standard_normal(h0.shape) if cell == "lstm" else None
    y_t, h_t, c_t = net.forward(x, h0, c0, tape=True)
    y_i, h_i, c_i = net.forward(x, h0, c0, tape=False)  # one block (the default size)
    assert np.array_equal(y_i, y_t) and np.array_equal(h_i, h_t)
    assert (c_i is None and c_t is None) or np.array_equal(c_i, c_t)
    monkeypatch.setattr(config, "PROJECTION_BLOCK", 3 * 5 * 4 * 6)
    assert projection_block(11, 5, 4 * 6) == 3
    y_b, h_b, c_b = net.forward(x, h0, c0, tape=False)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == "float32" else dict(rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(y_b, y_t, **tol)
    np.testing.assert_allclose(h_b, h_t, **tol)
    if c_t is not None:
        np.testing.assert_allclose(c_b, c_t, **tol)
    with pytest.raises(RuntimeError, match="forward"):
        net.backward(np.ones_like(y_i))  # no tape: backward needs a forward that kept one


def test_prediction_and_evaluation_run_without_a_tape_and_match_the_training_forward(monkeypatch):
    model = SequenceModel("lstm", 2, 4, 3, n_ar=2, random_state=0)
    X = np.random.default_rng(0).standard_normal((9, 12, 2)).astype(np.float32)
    expected = model.forward(X)  # the forward that keeps its tape (training)
    assert np.array_equal(predict(model, X), expected)
    monkeypatch.setattr(config, "PROJECTION_BLOCK", 64)  # blocks of one step
    np.testing.assert_allclose(predict(model, X), expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(RuntimeError, match="forward"):
        model.net.backward(None, np.ones((1, 9, 4), np.float32))  # predict left no tape behind


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_inference_memory_does_not_hold_every_steps_gates(cell):
    """300 steps, batch 64, 32 units: the tape holds every step's gates (T, B,
    4H for the LSTM, with its cell states; 3H GRU; H RNN); inference holds
    the outputs, the states and one block of gates."""
    net = RecurrentNetwork(cell, 1, 32, random_state=0)
    x = np.random.default_rng(0).standard_normal((300, 64, 1)).astype(np.float32)
    peaks = {}
    for tape in (True, False):
        net.forward(x, tape=tape)  # compiled and warm
        net._tape = None
        tracemalloc.start()
        net.forward(x, tape=tape)
        peaks[tape] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        net._tape = None
    gates = 300 * 64 * 32 * {"lstm": 4, "gru": 3, "rnn": 1}[cell] * 4  # bytes of the tape's gates
    block = config.PROJECTION_BLOCK * 4
    assert peaks[True] - peaks[False] > 0.7 * gates - block, (peaks, gates)
    assert peaks[False] < 3 * 300 * 64 * 32 * 4 + 2 * block, peaks  # y, hs and a block
