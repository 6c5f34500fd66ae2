"""The trainable model: segment embedding, linear highway, head; exact
gradients by finite differences (float64) for parameters and inputs, and
the initialisation laws."""

import copy

import numpy as np
import pytest

from tsgate.model import SequenceModel
from tsgate.network import RecurrentNetwork

from .naive import numeric_gradient


@pytest.mark.parametrize("cell,segment,n_ar,bi", [("lstm", 1, 0, False), ("lstm", 3, 2, False), ("gru", 2, 4, True),
                                                  ("rnn", 3, 6, False), ("gru", 1, 3, False)])
def test_gradients_of_parameters_and_inputs_match_finite_differences(cell, segment, n_ar, bi):
    model = SequenceModel(cell, 2, 3, n_outputs=2, n_extra=1, bidirectional=bi, dtype="float64", random_state=0,
                          n_ar=n_ar, segment_length=segment)
    rng = np.random.default_rng(0)
    model.flat[...] = 0.5 * rng.standard_normal(model.flat.size)  # the highway too, not only its zero start
    X, extra, R = rng.standard_normal((4, 6, 2)), rng.standard_normal((4, 1)), rng.standard_normal((4, 2))
    model.forward(X, extra)
    g = np.zeros_like(model.flat)
    dX = model.backward(R, g, want_dx=True)
    loss = lambda: float(np.sum(model.forward(X, extra) * R))  # noqa: E731
    for analytic, numeric in ((g, numeric_gradient(loss, model.flat)), (dX, numeric_gradient(loss, X))):
        assert np.linalg.norm(analytic - numeric) / np.linalg.norm(numeric) < 1e-6


def test_the_check_above_can_fail():
    model = SequenceModel("lstm", 2, 3, n_outputs=1, dtype="float64", random_state=0, n_ar=2, segment_length=2)
    X = np.random.default_rng(0).standard_normal((3, 4, 2))
    model.forward(X)
    g = np.zeros_like(model.flat)
    model.backward(np.ones((3, 1)), g)
    num = numeric_gradient(lambda: float(model.forward(X).sum()), model.flat)
    g[model._views(np.arange(g.size))["embed_weight"].ravel()[0]] += 1e-3
    assert np.linalg.norm(g - num) / np.linalg.norm(num) > 1e-6


def test_segment_length_1_is_the_plain_network():
    a = SequenceModel("gru", 2, 4, n_outputs=3, random_state=5)
    b = SequenceModel("gru", 2, 4, n_outputs=3, random_state=5, segment_length=1)
    X = np.random.default_rng(1).standard_normal((5, 6, 2)).astype(np.float32)
    assert np.array_equal(a.flat, b.flat) and np.array_equal(a.forward(X), b.forward(X))


def test_segments_give_fewer_recurrent_steps():
    model = SequenceModel("lstm", 3, 8, n_outputs=1, random_state=0, segment_length=48)
    X = np.zeros((2, 720, 3), np.float32)
    model.forward(X)
    assert model.net._tape_shape == (720 // 48, 2)  # 15 recurrent steps for a lookback of 720
    with pytest.raises(ValueError, match="not a multiple of segment_length=48"):
        model.forward(np.zeros((2, 700, 3), np.float32))


def test_the_highway_starts_closed_and_represents_seasonal_naive():
    model = SequenceModel("lstm", 1, 4, n_outputs=3, random_state=0, n_ar=5, dtype="float64")
    W = model.views["head_weight"]
    assert np.all(W[-5:] == 0)
    W[...] = 0.0
    model.views["head_bias"][...] = 0.0
    for k in range(3):  # output k copies input step -(5 - k): a weight of 1 at one lag
        W[model.n_features - 5 + k, k] = 1.0
    X = np.random.default_rng(0).standard_normal((2, 7, 1))
    assert np.allclose(model.forward(X), X[:, 2:5, 0])


@pytest.mark.parametrize("cell,gate", [("lstm", 1), ("gru", 1)])
def test_forget_init_adds_one_to_the_keep_gate(cell, gate):
    H = 16
    torch_law = RecurrentNetwork(cell, 2, H, random_state=0, init="torch")
    forget = RecurrentNetwork(cell, 2, H, random_state=0, init="forget")
    keep = slice(gate * H, (gate + 1) * H)
    assert np.allclose(forget.params["bias_ih_l0"][keep], torch_law.params["bias_ih_l0"][keep] + 1.0)
    assert np.array_equal(forget.params["weight_hh_l0"], torch_law.params["weight_hh_l0"])


def test_chrono_init_follows_tallec_and_ollivier():
    net = RecurrentNetwork("lstm", 2, 256, random_state=0, init="chrono", chrono_max=100)
    H = 256
    b_f = net.params["bias_ih_l0"][H:2 * H] + net.params["bias_hh_l0"][H:2 * H]
    b_i = net.params["bias_ih_l0"][:H] + net.params["bias_hh_l0"][:H]
    assert np.all((b_f >= 0) & (b_f <= np.log(99) + 1e-6))
    assert np.allclose(b_i, -b_f)
    assert 2.5 < np.exp(b_f).mean() / 10 < 6.5  # U(1, 99) has mean 50
    rnn = RecurrentNetwork("rnn", 2, 4, random_state=0, init="chrono")
    assert np.array_equal(rnn.params["bias_ih_l0"], RecurrentNetwork("rnn", 2, 4, random_state=0).params["bias_ih_l0"])


def test_init_does_not_change_torch_parity():
    a = RecurrentNetwork("gru", 2, 3, random_state=0, init="chrono")
    b = RecurrentNetwork("gru", 2, 3, random_state=1, init="torch")
    b.load_state_dict(a.state_dict())
    x = np.random.default_rng(0).standard_normal((4, 2, 2)).astype(np.float32)
    assert np.array_equal(a.forward(x)[0], b.forward(x)[0])


def test_truncated_bptt_gradient_is_the_gradient_of_the_truncated_objective():
    # A chunk's loss with its initial state held fixed (carried, no gradient
    # across the cut): the analytic gradient equals finite differences of
    # exactly that objective, for every parameter and input.
    model = SequenceModel("lstm", 2, 3, n_outputs=2, dtype="float64", random_state=0, per_step=True)
    rng = np.random.default_rng(0)
    X, R = rng.standard_normal((3, 5, 2)), rng.standard_normal((3, 10))
    state = (rng.standard_normal((1, 3, 3)), rng.standard_normal((1, 3, 3)))
    model.forward(X, state=state)
    g = np.zeros_like(model.flat)
    dX = model.backward(R, g, want_dx=True)
    loss = lambda: float(np.sum(model.forward(X, state=state) * R))  # noqa: E731
    for analytic, numeric in ((g, numeric_gradient(loss, model.flat)), (dX, numeric_gradient(loss, X))):
        assert np.linalg.norm(analytic - numeric) / np.linalg.norm(numeric) < 1e-6


def test_tbptt_depth_gradient_is_the_gradient_of_its_objective():
    # TBPTT(h, h') (Williams & Peng): update c runs again from the state saved
    # `back` chunks earlier and takes the loss on chunk c's steps only. Its
    # gradient (masked targets, one backward pass through all the chunks)
    # equals finite differences of exactly that objective.
    from tsgate.elementmath import LOSSES
    from tsgate.stateful import _chunk_batch, _loss

    model = SequenceModel("lstm", 2, 3, n_outputs=1, dtype="float64", random_state=0, per_step=True)
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((40, 2)), rng.standard_normal((40, 1))
    starts = np.array([[0, 5], [4, 9], [8, 13]])  # (C, B): chunks of k=4 steps of two streams
    saved = [None, (rng.standard_normal((1, 2, 3)), rng.standard_normal((1, 2, 3)))]
    Xc, Yc, state = _chunk_batch(X, Y, starts, 2, 1, 4, saved)
    assert Xc.shape == (2, 8, 2) and state is saved[1]  # chunks 1 and 2, from the state at chunk 1's start
    assert np.isnan(Yc[:, :4]).all() and np.array_equal(Yc[:, 4:], Y[starts[2][:, None] + np.arange(4)])
    mse = lambda: _loss(model, model.forward(Xc, state=state), Yc, np.full(1, 0.5), LOSSES["mse"], 1.0)  # noqa: E731
    _, dpred, n = mse()
    assert n == 8 and not dpred.reshape(2, 8)[:, :4].any()  # no loss on the chunk run again
    g = np.zeros_like(model.flat)
    model.backward(dpred, g)
    numeric = numeric_gradient(lambda: mse()[0], model.flat)
    assert np.linalg.norm(g - numeric) / np.linalg.norm(numeric) < 1e-6
    assert np.abs(g).max() > 0


def test_tbptt_depth_none_is_plain_tbptt_and_a_depth_changes_training(tmp_path):
    import pandas as pd

    import tsgate
    from tsgate import LSTMForecaster
    from tsgate.errors import ParameterError

    idx = pd.date_range("2020-01-01", periods=300, freq="h")
    y = pd.Series(np.sin(np.arange(300) / 5.0), index=idx, name="y")
    kw = dict(horizon=2, stateful=True, tbptt=20, max_epochs=3, hidden_size=4, early_stopping=False)
    plain = LSTMForecaster(**kw).fit(y).model_.flat
    assert np.array_equal(plain, LSTMForecaster(**kw, tbptt_depth=20).fit(y).model_.flat)
    deep = LSTMForecaster(**kw, tbptt_depth=50).fit(y)
    assert not np.array_equal(plain, deep.model_.flat)
    assert np.array_equal(deep.model_.flat, LSTMForecaster(**kw, tbptt_depth=50).fit(y).model_.flat)
    deep.save(tmp_path / "deep.tsgate")
    back = tsgate.load(tmp_path / "deep.tsgate")
    assert back.tbptt_depth == 50 and np.array_equal(back.predict().to_numpy(), deep.predict().to_numpy())
    with pytest.raises(ParameterError, match="tbptt_depth.*at least.*tbptt"):
        LSTMForecaster(**kw, tbptt_depth=10).fit(y)
    # the gradient clipping of stateful updates: none with clip_norm=None (as with a norm no gradient reaches)
    free, loose, tight = (LSTMForecaster(**kw, clip_norm=c).fit(y).model_.flat for c in (None, 1e9, 1e-4))
    assert np.array_equal(free, loose) and not np.array_equal(tight, loose)


def test_state_carried_over_two_halves_equals_one_pass():
    from tsgate.stateful import warm

    model = SequenceModel("gru", 2, 4, n_outputs=1, dtype="float64", random_state=0, per_step=True)
    X = np.random.default_rng(1).standard_normal((40, 2))
    whole = warm(model, X)
    halves = warm(model, X[20:], warm(model, X[:20]))
    assert np.allclose(whole[0], halves[0], rtol=1e-12, atol=1e-14)


def test_stateful_forecaster_update_advances_only_the_new_rows():
    import pandas as pd

    from tsgate import LSTMForecaster

    idx = pd.date_range("2020-01-01", periods=300, freq="h")
    y = pd.Series(np.sin(np.arange(300) / 5.0), index=idx, name="y")
    fc = LSTMForecaster(horizon=2, stateful=True, tbptt=20, max_epochs=2, hidden_size=4).fit(y.iloc[:200])
    a = fc.update(y.iloc[:250]).update(y.iloc[:300]).predict()
    b = LSTMForecaster(horizon=2, stateful=True, tbptt=20, max_epochs=2, hidden_size=4).fit(y.iloc[:200])
    b.update(y.iloc[:300])
    assert np.allclose(a.to_numpy(), b.predict().to_numpy(), rtol=1e-5)
    c = LSTMForecaster(horizon=2, stateful=True, tbptt=20, max_epochs=2, hidden_size=4).fit(y.iloc[:200])
    with pytest.raises(ValueError, match="must continue the data"):
        c.update(y.iloc[210:300])  # rows 200..209 missing: the state cannot skip them


def test_stateful_historical_forecasts_equal_update_then_predict():
    import pandas as pd

    from tsgate import GRUForecaster
    from tsgate.errors import ParameterError

    idx = pd.date_range("2020-01-01", periods=300, freq="h")
    y = pd.Series(np.sin(np.arange(300) / 5.0) + 0.1 * np.arange(300) / 300, index=idx, name="y")
    fc = GRUForecaster(horizon=3, stateful=True, tbptt=20, max_epochs=2, hidden_size=4, n_models=2).fit(y.iloc[:200])
    hf = fc.historical_forecasts(y, stride=7)  # origins from the fitted cutoff on, every 7th
    assert list(hf["step"][:3]) == [1, 2, 3] and hf["cutoff"].iloc[0] == idx[199]
    for cutoff, g in list(hf.groupby("cutoff"))[::4]:
        ref = copy.deepcopy(fc).update(y.loc[:cutoff]).predict()
        assert np.allclose(g["forecast"].to_numpy(), ref["y"].to_numpy(), rtol=1e-5, atol=1e-6), cutoff
    assert np.array_equal(hf["y"].to_numpy(), y.reindex(hf["ds"]).to_numpy())
    with pytest.raises(ParameterError, match="retrain"):
        fc.historical_forecasts(y, retrain=True)


@pytest.mark.parametrize("cell,n_static,n_ids,layers", [("lstm", 2, 0, 1), ("gru", 0, 3, 2), ("lstm", 2, 3, 2),
                                                        ("rnn", 1, 4, 1)])
def test_series_context_gradients_match_finite_differences(cell, n_static, n_ids, layers):
    """Static features and the id embedding, through the head and the initial state."""
    n_extra = (1 if n_ids else 0) + n_static + 1  # [series number, static, one known feature]
    model = SequenceModel(cell, 2, 3, n_outputs=2, n_extra=n_extra, num_layers=layers, dtype="float64",
                          random_state=0, n_ar=2, n_static=n_static, n_ids=n_ids, id_dim=2 if n_ids else 0)
    rng = np.random.default_rng(1)
    model.flat[...] = 0.5 * rng.standard_normal(model.flat.size)  # W_0 too, not only its zero start
    X, R = rng.standard_normal((5, 4, 2)), rng.standard_normal((5, 2))
    extra = rng.standard_normal((5, n_extra))
    if n_ids:
        extra[:, 0] = [0, 2, 2, 1, 0][:5] if n_ids >= 3 else 0  # repeated ids accumulate
    model.forward(X, extra)
    g = np.zeros_like(model.flat)
    model.backward(R, g)
    num = numeric_gradient(lambda: float(np.sum(model.forward(X, extra) * R)), model.flat)
    assert np.linalg.norm(g - num) / np.linalg.norm(num) < 1e-6
    views = model._views(g)
    assert np.abs(views["init_weight"]).sum() > 0
    if n_ids:
        assert np.abs(views["id_embedding"][3:]).sum() == 0  # rows of ids not in the batch get nothing


def test_the_initial_state_starts_at_zero_so_context_changes_nothing_at_first():
    plain = SequenceModel("lstm", 1, 4, n_outputs=2, n_extra=1, random_state=0, n_ar=3)
    ctx = SequenceModel("lstm", 1, 4, n_outputs=2, n_extra=3, random_state=0, n_ar=3, n_static=2)
    X = np.random.default_rng(0).standard_normal((3, 5, 1)).astype(np.float32)
    E = np.random.default_rng(1).standard_normal((3, 3)).astype(np.float32)
    ctx.views["head_weight"][:4] = plain.views["head_weight"][:4]
    ctx.views["head_weight"][4:6] = 0.0  # the static rows of the head
    ctx.views["head_weight"][6:] = plain.views["head_weight"][4:]
    ctx.views["head_bias"][...] = plain.views["head_bias"]
    assert np.allclose(ctx.forward(X, E), plain.forward(X, E[:, 2:]))


def test_a_frozen_linear_start_stays_put_while_the_network_trains():
    """train_highway=False: the head's linear rows and bias keep their start, even under
    weight decay; the recurrent part and its head rows train."""
    from tsgate.training import train

    model = SequenceModel("gru", 1, 4, n_outputs=2, n_extra=1, random_state=0, n_ar=3, dtype="float64")
    rng = np.random.default_rng(0)
    model.flat[...] = 0.3 * rng.standard_normal(model.flat.size)
    before = model.flat.copy()
    model.freeze_linear()
    lo, hi = model.linear_range()
    assert hi - lo == (1 + 3) * 2 + 2  # rows of [extra, highway] and the bias
    X, Y, E = rng.standard_normal((20, 5, 1)), rng.standard_normal((20, 2)), rng.standard_normal((20, 1))
    train(model, X, Y, extra=E, max_epochs=3, learning_rate=0.05, weight_decay=0.1, early_stopping=False)
    assert np.array_equal(model.flat[lo:hi], before[lo:hi])
    assert not np.allclose(model.flat[:lo], before[:lo])


def test_train_highway_false_keeps_the_chosen_start_of_every_member():
    import pandas as pd

    from tsgate import LSTMForecaster

    y = pd.Series(np.sin(np.arange(120) / 3.0) + 0.1 * np.random.default_rng(0).standard_normal(120))
    fc = LSTMForecaster(horizon=4, max_epochs=5, hidden_size=4, train_highway=False, n_models=2).fit(y)
    for m in fc.models_:
        lo, hi = m.linear_range()
        assert m.frozen is not None and np.array_equal(m.flat[lo:hi], m.frozen)


def test_train_highway_auto_freezes_a_start_that_forecasts_and_trains_one_that_does_not():
    # 'auto' keeps the linear start fixed when it beats the trivial forecast on
    # validation (a smooth cycle), and trains it when it is noise (a delayed
    # echo of sparse pulses: no lag of y predicts y); True never freezes.
    import pandas as pd

    from tsgate import LSTMForecaster
    from tsgate.datasets import delayed_echo

    y = pd.Series(np.sin(np.arange(120) / 3.0) + 0.1 * np.random.default_rng(0).standard_normal(120))
    fc = LSTMForecaster(horizon=4, max_epochs=3, hidden_size=4, train_highway="auto").fit(y)
    assert fc.history_["highway_frozen"] and fc.model_.frozen is not None
    df = delayed_echo(n=400, lag=10, noise=0.01, random_state=0)
    fc = LSTMForecaster(target="y", horizon=1, lookback=12, window_norm=None, max_epochs=3, hidden_size=4,
                        train_highway="auto").fit(df)
    assert not fc.history_["highway_frozen"] and fc.model_.frozen is None
    fc = LSTMForecaster(horizon=4, max_epochs=3, hidden_size=4).fit(y)
    assert fc.train_highway is True and not fc.history_["highway_frozen"] and fc.model_.frozen is None


def test_retraining_from_a_warm_start_keeps_each_members_freeze():
    import pandas as pd

    from tsgate import LSTMForecaster

    y = pd.Series(np.sin(np.arange(150) / 3.0) + 0.1 * np.random.default_rng(1).standard_normal(150),
                  index=pd.date_range("2000-01-01", periods=150, freq="D"))
    fc = LSTMForecaster(horizon=3, max_epochs=2, hidden_size=4, train_highway="auto").fit(y.iloc[:120])
    assert fc.history_["highway_frozen"]
    assert fc._freeze() == "auto"
    fc._warm_frozen = [False]
    assert fc._freeze() == [False]  # a warm start (historical retraining) keeps its model's choice
    assert fc.set_params(train_highway=False)._freeze() is True


def test_per_step_models_take_device_auto():
    """A per-step model (sequence labelling, forking, stateful) used to raise
    for any device but 'cpu', 'auto' included, even without a GPU."""
    model = SequenceModel("lstm", 2, 3, n_outputs=1, random_state=0, per_step=True, device="auto")
    out = model.forward(np.zeros((2, 4, 2), np.float32))
    assert out.shape == (2, 4)
