import numpy as np
import pytest

try:
    import torch  # noqa: F401

    HAVE_TORCH = True
except Exception:  # pragma: no cover
    HAVE_TORCH = False

GATES = {"lstm": 4, "gru": 3, "rnn": 1}


def make_cell_inputs(cell, T, B, D, H, dtype=np.float64, seed=0, scale=0.5):
    """Random inputs, weights, biases and initial states for one cell call."""
    rng = np.random.default_rng(seed)
    G = GATES[cell] * H
    r = lambda *s: (scale * rng.standard_normal(s)).astype(dtype)  # noqa: E731
    return dict(x=r(T, B, D), w_ih=r(G, D), w_hh=r(G, H), b_ih=r(G), b_hh=r(G),
                h0=r(B, H), c0=r(B, H))


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
