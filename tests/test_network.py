"""Network layer behaviour: determinism, dropout, dtypes, states, errors."""

import numpy as np
import pytest

from tsgate import gru, lstm, rnn
from tsgate.network import RecurrentNetwork, clip_grad_norm


def _train_step(seed, dropout=0.3):
    net = RecurrentNetwork("lstm", 3, 8, num_layers=2, bidirectional=True, dropout=dropout,
                           random_state=seed)
    x = np.random.default_rng(0).standard_normal((11, 17, 3)).astype(np.float32)
    y, h, c = net.forward(x, training=True)
    grads, dx, dh0, dc0 = net.backward(np.ones_like(y), np.ones_like(h), np.ones_like(c))
    return y, grads, dx


def test_same_seed_is_bit_identical():
    y1, g1, dx1 = _train_step(42)
    y2, g2, dx2 = _train_step(42)
    assert np.array_equal(y1, y2) and np.array_equal(dx1, dx2)
    for k in g1:
        assert np.array_equal(g1[k], g2[k]), k
    y3, _, _ = _train_step(43)
    assert not np.array_equal(y1, y3)


def test_dropout_only_in_training_and_scaled():
    net = RecurrentNetwork("gru", 4, 6, num_layers=2, dropout=0.5, random_state=0)
    x = np.random.default_rng(0).standard_normal((5, 3, 4)).astype(np.float32)
    y_eval1 = net.forward(x)[0]
    y_eval2 = net.forward(x)[0]
    assert np.array_equal(y_eval1, y_eval2)
    y_train = net.forward(x, training=True)[0]
    assert not np.allclose(y_train, y_eval1)
    # no dropout after the last layer, and a 1-layer net ignores it
    one = RecurrentNetwork("gru", 4, 6, num_layers=1, dropout=0.5, random_state=0)
    assert np.array_equal(one.forward(x, training=True)[0], one.forward(x)[0])


def test_dropout_keeps_each_unit_with_probability_1_minus_p_and_scales_it_by_its_inverse():
    # inverted dropout: a unit kept is multiplied by 1 / (1 - p), so the next layer's input keeps its mean
    net = RecurrentNetwork("lstm", 3, 5, num_layers=3, dropout=0.25, dtype="float64", random_state=4)
    x = np.random.default_rng(0).standard_normal((6, 4, 3))
    draw = np.random.default_rng()
    draw.bit_generator.state = net._rng.bit_generator.state  # the draws forward will make
    masks = [None] + [(draw.random((6, 4, 5)) < 0.75) / 0.75 for _ in range(2)]  # (T, B, H), layers 2 and 3
    assert {0.0, 1 / 0.75} == set(np.unique(masks[1])) and 0.6 < np.mean(masks[1] > 0) < 0.9
    y = net.forward(x, training=True)[0]
    h0 = c0 = np.zeros((3, 4, 5))
    expected = net._backend.network_forward(net, net.params, x, h0, c0, masks, False)[0]
    assert np.allclose(y, expected, rtol=1e-12, atol=1e-14)


def test_dropout_gradient_uses_the_same_mask():
    net = RecurrentNetwork("rnn", 2, 3, num_layers=2, dropout=0.5, dtype="float64", random_state=1)
    x = np.random.default_rng(2).standard_normal((3, 2, 2))
    state = net._rng.bit_generator.state
    y = net.forward(x, training=True)[0]
    grads, dx, _, _ = net.backward(np.ones_like(y))
    eps = 1e-6
    x2 = x.copy()
    x2[0, 0, 0] += eps
    net._rng.bit_generator.state = state
    up = net.forward(x2, training=True)[0].sum()
    x2[0, 0, 0] -= 2 * eps
    net._rng.bit_generator.state = state
    down = net.forward(x2, training=True)[0].sum()
    assert abs((up - down) / (2 * eps) - dx[0, 0, 0]) < 1e-6


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dtype_preserved(dtype):
    net = RecurrentNetwork("lstm", 2, 3, dtype=dtype)
    y, h, c = net.forward(np.ones((2, 2, 2)))
    grads, dx, dh0, dc0 = net.backward(np.ones_like(y))
    for a in (y, h, c, dx, dh0, dc0, *grads.values()):
        assert a.dtype == np.dtype(dtype)


def test_batch_first_matches_time_major():
    x = np.random.default_rng(0).standard_normal((4, 6, 2)).astype(np.float32)  # (B, T, D)
    a = RecurrentNetwork("gru", 2, 5, random_state=0, batch_first=True)
    b = RecurrentNetwork("gru", 2, 5, random_state=0)
    ya = a.forward(x)[0]
    yb = b.forward(x.transpose(1, 0, 2))[0]
    assert np.array_equal(ya, yb.transpose(1, 0, 2))
    ga, dxa, _, _ = a.backward(np.ones_like(ya))
    gb, dxb, _, _ = b.backward(np.ones_like(yb))
    assert np.allclose(dxa, dxb.transpose(1, 0, 2))


def test_bidirectional_output_layout():
    net = RecurrentNetwork("lstm", 2, 3, bidirectional=True, dtype="float64", random_state=0)
    x = np.random.default_rng(0).standard_normal((5, 2, 2))
    y, h, c = net.forward(x)
    p = net.params
    yf, hf, _, _ = lstm.lstm_forward(x, p["weight_ih_l0"], p["weight_hh_l0"], p["bias_ih_l0"], p["bias_hh_l0"])
    yr, hr, _, _ = lstm.lstm_forward(x[::-1], p["weight_ih_l0_reverse"], p["weight_hh_l0_reverse"],
                                      p["bias_ih_l0_reverse"], p["bias_hh_l0_reverse"])
    assert np.allclose(y[:, :, :3], yf) and np.allclose(y[:, :, 3:], yr[::-1])
    assert np.allclose(h[0], hf) and np.allclose(h[1], hr)
    assert np.allclose(y[0, :, 3:], h[1])  # reverse final state sits at t = 0


def test_state_dict_names_and_errors():
    net = RecurrentNetwork("gru", 2, 3, num_layers=2, bidirectional=True)
    names = list(net.state_dict())
    assert names[:4] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
    assert "weight_ih_l1_reverse" in names and net.state_dict()["weight_ih_l1"].shape == (9, 6)
    sd = net.state_dict()
    sd.pop("bias_hh_l1")
    with pytest.raises(ValueError, match="missing.*bias_hh_l1"):
        net.load_state_dict(sd)
    sd = net.state_dict()
    sd["weight_hh_l0"] = np.zeros((9, 4))
    with pytest.raises(ValueError, match="weight_hh_l0 must have shape"):
        net.load_state_dict(sd)
    sd = net.state_dict()
    sd["weight_hh_l0"][0, 0] = np.nan
    with pytest.raises(ValueError, match="weight_hh_l0 contains NaN"):
        net.load_state_dict(sd)


def test_network_input_errors():
    net = RecurrentNetwork("lstm", 3, 4)
    with pytest.raises(ValueError, match=r"x must have shape \(T, B, D\)"):
        net.forward(np.ones((5, 2, 2)))
    with pytest.raises(ValueError, match="x contains NaN"):
        net.forward(np.full((5, 2, 3), np.nan))
    with pytest.raises(ValueError, match="x must be numeric"):
        net.forward(np.array([[["a", "b", "c"]]]))
    with pytest.raises(ValueError, match="h0 must have shape"):
        net.forward(np.ones((5, 2, 3)), h0=np.zeros((1, 3, 4)))
    with pytest.raises(RuntimeError, match="forward"):
        RecurrentNetwork("gru", 1, 1).backward()
    for kwargs, msg in [(dict(cell="tcn"), "cell must be"), (dict(hidden_size=0), "hidden_size"),
                        (dict(num_layers=1.5), "num_layers"), (dict(dropout=1.0), "dropout"),
                        (dict(dtype="int32"), "dtype"), (dict(device="tpu"), "device")]:
        args = dict(cell="lstm", input_size=1, hidden_size=2)
        args.update(kwargs)
        with pytest.raises(ValueError, match=msg):
            RecurrentNetwork(**args)




@pytest.mark.parametrize("fn,args", [
    (lstm.lstm_forward, (np.ones((2, 1, 3)), np.ones((8, 3)), np.ones((8, 2)), np.ones(8), np.ones(8))),
    (gru.gru_forward, (np.ones((2, 1, 3)), np.ones((6, 3)), np.ones((6, 2)), np.ones(6), np.ones(6))),
    (rnn.rnn_forward, (np.ones((2, 1, 3)), np.ones((2, 3)), np.ones((2, 2)), np.ones(2), np.ones(2))),
])
def test_kernel_public_functions_validate(fn, args):
    fn(*args)  # valid
    x, w_ih, w_hh, b_ih, b_hh = args
    with pytest.raises(ValueError, match=r"w_ih must have shape \(\d\*H, D\)"):
        fn(x, w_ih[:, :2], w_hh, b_ih, b_hh)
    with pytest.raises(ValueError, match="b_hh must have shape"):
        fn(x, w_ih, w_hh, b_ih, b_hh[:-1])
    with pytest.raises(ValueError, match="w_hh must have shape"):
        fn(x, w_ih, w_hh[:-1], b_ih, b_hh)
    with pytest.raises(ValueError, match="x must be float32 or float64"):
        fn(x.astype(int), w_ih, w_hh, b_ih, b_hh)
    with pytest.raises(ValueError, match="w_ih has dtype float32 but the input x is float64"):
        fn(x, w_ih.astype(np.float32), w_hh, b_ih, b_hh)
    bad = x.copy()
    bad[1, 0, 2] = np.inf
    with pytest.raises(ValueError, match=r"x contains NaN or inf \(first at index \(1, 0, 2\)\)"):
        fn(bad, w_ih, w_hh, b_ih, b_hh)
    with pytest.raises(ValueError, match="h0 must have shape"):
        fn(x, w_ih, w_hh, b_ih, b_hh, np.ones((3, 2)))
    with pytest.raises(ValueError, match="at least one time step"):
        fn(x[:0], w_ih, w_hh, b_ih, b_hh)


def test_backward_validates_gradients():
    y, h, c, cache = lstm.lstm_forward(np.ones((2, 1, 3)), np.ones((8, 3)), np.ones((8, 2)), np.ones(8), np.ones(8))
    with pytest.raises(ValueError, match=r"dy must have shape \(2, 1, 2\)"):
        lstm.lstm_backward(cache, np.ones((2, 2)))
    with pytest.raises(TypeError, match="GRUCache"):
        gru.gru_backward(cache)


def test_clip_grad_norm():
    g = {"a": np.array([3.0, 0.0]), "b": np.array([[4.0]])}
    norm = clip_grad_norm(g, 1.0)
    assert norm == pytest.approx(5.0)
    total = np.sqrt(sum((v ** 2).sum() for v in g.values()))
    assert total == pytest.approx(1.0, rel=1e-5)
    g = {"a": np.array([0.3])}
    clip_grad_norm(g, 1.0)
    assert g["a"][0] == 0.3
