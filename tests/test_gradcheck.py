"""Finite-difference gradient checks (float64) of the whole network layer:
every cell x {1, 2 layers} x {uni, bi}, for every parameter, the input and the
initial states, through a random linear functional of all outputs."""

import numpy as np
import pytest

from tsgate.network import RecurrentNetwork

from .naive import numeric_gradient


def _loss(net, x, h0, c0, Ry, Rh, Rc):
    y, h, c = net.forward(x, h0, c0)
    total = np.sum(Ry * y) + np.sum(Rh * h)
    if c is not None:
        total += np.sum(Rc * c)
    return total


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_gradients_match_finite_differences(cell, num_layers, bidirectional):
    T, B, D, H = 4, 2, 3, 3
    net = RecurrentNetwork(cell, D, H, num_layers=num_layers, bidirectional=bidirectional,
                           dtype="float64", random_state=3)
    rng = np.random.default_rng(5)
    LD = num_layers * (2 if bidirectional else 1)
    x = rng.standard_normal((T, B, D))
    h0 = 0.5 * rng.standard_normal((LD, B, H))
    c0 = 0.5 * rng.standard_normal((LD, B, H)) if cell == "lstm" else None
    Ry = rng.standard_normal((T, B, H * (2 if bidirectional else 1)))
    Rh = rng.standard_normal((LD, B, H))
    Rc = rng.standard_normal((LD, B, H))

    net.forward(x, h0, c0)
    grads, dx, dh0, dc0 = net.backward(Ry, Rh, Rc if cell == "lstm" else None)

    f = lambda: _loss(net, x, h0, c0, Ry, Rh, Rc)  # noqa: E731
    checks = [(net.params[n], grads[n], n) for n in net.params]
    checks += [(x, dx, "x"), (h0, dh0, "h0")]
    if cell == "lstm":
        checks.append((c0, dc0, "c0"))
    for arr, analytic, name in checks:
        numeric = numeric_gradient(f, arr)
        err = np.linalg.norm(analytic - numeric) / max(np.linalg.norm(numeric), 1e-12)
        assert err < 1e-6, (name, err)


def test_gradcheck_detects_a_wrong_gradient():
    # the check above must be able to fail: perturb one analytic entry
    net = RecurrentNetwork("gru", 2, 2, dtype="float64", random_state=0)
    x = np.random.default_rng(0).standard_normal((3, 2, 2))
    Ry = np.ones((3, 2, 2))
    net.forward(x)
    grads, *_ = net.backward(Ry)
    f = lambda: float(np.sum(net.forward(x)[0] * Ry))  # noqa: E731
    numeric = numeric_gradient(f, net.params["weight_hh_l0"])
    bad = grads["weight_hh_l0"].copy()
    bad[0, 0] += 1e-3
    assert np.linalg.norm(bad - numeric) / np.linalg.norm(numeric) > 1e-6
