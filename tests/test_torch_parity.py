"""Parity with torch.nn.RNN/LSTM/GRU (skipped when torch is not installed):
weights copied through load_state_dict, float32, odd sizes, 1e-5 relative."""

import numpy as np
import pytest

from tsgate.network import RecurrentNetwork

torch = pytest.importorskip("torch")

MODULES = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN"}
CONFIGS = [  # (T, B, D, H, layers, bidirectional)
    (1, 1, 3, 7, 1, False),
    (5, 4, 3, 7, 2, True),
    (9, 3, 1, 5, 1, True),
    (17, 6, 8, 16, 2, False),
    (30, 33, 4, 32, 1, False),
]


def _rel(a, b):
    return float(np.linalg.norm(np.asarray(a, np.float64) - np.asarray(b, np.float64))
                 / max(np.linalg.norm(np.asarray(b, np.float64)), 1e-30))


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn", "rnn-relu"])
@pytest.mark.parametrize("cfg", CONFIGS)
def test_matches_torch_float32(cell, cfg):
    nonlin = "relu" if cell == "rnn-relu" else "tanh"
    cell = cell.split("-")[0]
    T, B, D, H, L, bi = cfg
    torch.manual_seed(0)
    kw = dict(nonlinearity=nonlin) if cell == "rnn" else {}
    mod = getattr(torch.nn, MODULES[cell])(D, H, num_layers=L, bidirectional=bi, **kw)
    net = RecurrentNetwork(cell, D, H, num_layers=L, bidirectional=bi, nonlinearity=nonlin)
    net.load_state_dict({k: v.detach().numpy() for k, v in mod.state_dict().items()})

    rng = np.random.default_rng(1)
    LD = L * (2 if bi else 1)
    x = rng.standard_normal((T, B, D)).astype(np.float32)
    h0 = rng.standard_normal((LD, B, H)).astype(np.float32) * 0.5
    c0 = rng.standard_normal((LD, B, H)).astype(np.float32) * 0.5
    dy = rng.standard_normal((T, B, LD // L * H)).astype(np.float32)
    dh = rng.standard_normal((LD, B, H)).astype(np.float32)
    dc = rng.standard_normal((LD, B, H)).astype(np.float32)

    xt = torch.tensor(x, requires_grad=True)
    h0t = torch.tensor(h0, requires_grad=True)
    c0t = torch.tensor(c0, requires_grad=True)
    if cell == "lstm":
        yt, (ht, ct) = mod(xt, (h0t, c0t))
        loss = (yt * torch.tensor(dy)).sum() + (ht * torch.tensor(dh)).sum() + (ct * torch.tensor(dc)).sum()
    else:
        yt, ht = mod(xt, h0t)
        loss = (yt * torch.tensor(dy)).sum() + (ht * torch.tensor(dh)).sum()
    loss.backward()

    y, h, c = net.forward(x, h0, c0 if cell == "lstm" else None)
    grads, dx, dh0, dc0 = net.backward(dy, dh, dc if cell == "lstm" else None)
    assert y.dtype == np.float32
    assert _rel(y, yt.detach().numpy()) < 1e-5
    assert _rel(h, ht.detach().numpy()) < 1e-5
    assert _rel(dx, xt.grad.numpy()) < 1e-5
    assert _rel(dh0, h0t.grad.numpy()) < 1e-5
    if cell == "lstm":
        assert _rel(c, ct.detach().numpy()) < 1e-5
        assert _rel(dc0, c0t.grad.numpy()) < 1e-5
    for name, p in mod.named_parameters():
        assert _rel(grads[name], p.grad.numpy()) < 1e-5, name


def test_state_dict_round_trips_into_torch():
    net = RecurrentNetwork("gru", 2, 3, num_layers=2, bidirectional=True, random_state=0)
    mod = torch.nn.GRU(2, 3, num_layers=2, bidirectional=True)
    mod.load_state_dict({k: torch.tensor(v) for k, v in net.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((4, 2, 2)).astype(np.float32)
    with torch.no_grad():
        yt, _ = mod(torch.tensor(x))
    assert _rel(net.forward(x)[0], yt.numpy()) < 1e-5
