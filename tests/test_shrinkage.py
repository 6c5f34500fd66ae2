"""The trained network or the mean of it and its linear start (tsgate.shrinkage)."""

import numpy as np
import pandas as pd
import pytest

from tsgate import LSTMForecaster
from tsgate.elementmath import LOSSES
from tsgate.highway import fit_highway
from tsgate.model import SequenceModel
from tsgate.host_training import _loss_and_grad
from tsgate.shrinkage import head, mix, paired_t, row_losses, start_weight, t_statistic
from tsgate.windows import make_windows


def _ar2(n, seed):
    rng = np.random.default_rng(seed)
    y, e = np.zeros(n + 100), rng.standard_normal(n + 100)
    for t in range(2, n + 100):
        y[t] = 1.3 * y[t - 1] - 0.6 * y[t - 2] + e[t]
    return y[100:]


def _logistic(n):
    x = np.empty(n)
    x[0] = 0.3
    for t in range(1, n):
        x[t] = 3.9 * x[t - 1] * (1 - x[t - 1])
    return x


def _setup(n_series=1):
    """Windows (lookback 12, horizon 3, 30% validation) of noisy sines, and a model."""
    rng = np.random.default_rng(0)
    z = np.sin(2 * np.pi * np.arange(200) / 12)[:, None] + 0.3 * rng.standard_normal((200, n_series))
    w = make_windows(z, np.zeros((200, 0)), np.zeros((200, 0)), 12, 3, 3, 0.3, 1, 1)
    return w, SequenceModel("lstm", 1, 4, n_outputs=3, n_ar=12, random_state=0)


def test_mix_is_the_weighted_mean_of_the_two_models_outputs():
    w, model = _setup()
    X, _, E = w.val.batch(np.arange(w.val.n))
    rng = np.random.default_rng(0)
    other = (rng.standard_normal(model.views["head_weight"].shape), rng.standard_normal(model.views["head_bias"].shape))
    mine, out = head(model), model.forward(X, E).astype(np.float64)
    mix(model, other, 1.0)
    out_other = model.forward(X, E).astype(np.float64)
    mix(model, mine, 1.0)
    assert np.array_equal(model.forward(X, E), out)  # weight 1 swaps the head, and back
    mix(model, other, 0.3)
    assert np.allclose(model.forward(X, E), 0.7 * out + 0.3 * out_other, rtol=1e-5, atol=1e-5)
    before = head(model)
    mix(model, other, 0.0)
    assert all(np.array_equal(a, b) for a, b in zip(head(model), before))


def test_the_network_replaces_its_start_only_when_clearly_better_on_validation():
    # A noisy sine: the ridge start forecasts far better than the zero head (repeating the last value).
    w, model = _setup()
    zero = (np.zeros_like(model.views["head_weight"]), np.zeros_like(model.views["head_bias"]))
    fit_highway(model, w.train, w.val)
    settings = {"loss": "mse"}
    weight, t = start_weight(model, zero, w.val, settings, 0.5)  # the "network" (ridge) beats its "start" (zero)
    assert weight == 0.0 and t < -3
    ridge = head(model)
    mix(model, zero, 1.0)
    weight, t = start_weight(model, ridge, w.val, settings, 0.5)  # the other way round: no evidence
    assert weight == 0.5 and t > 3
    assert start_weight(model, zero, w.val, settings, 0.5) == (0.0, None)  # the network is its start
    half = (zero[0], zero[1] + 0.1)  # the start's weights, another bias: not the start, so tested
    assert start_weight(model, half, w.val, settings, 0.5)[1] is not None
    assert start_weight(model, ridge, w.val, settings, 0.0) == (0.0, None)  # nothing to combine


def test_paired_t_counts_blocks_of_horizon_windows_per_series():
    # Neighbouring windows share targets, so the test averages the loss
    # differences over blocks of `horizon` consecutive windows of a series.
    w, model = _setup(n_series=2)
    fit_highway(model, w.train, w.val)
    other = (model.views["head_weight"] * 0.5, model.views["head_bias"] + 0.1)
    t, df = paired_t(model, other, w.val, LOSSES["mse"], np.full(3, 0.5), 1.0)
    X, Y, E = w.val.batch(np.arange(w.val.n))
    d = ((model.forward(X, E) - Y) ** 2).mean(1)
    mine = head(model)
    mix(model, other, 1.0)
    d = d - ((model.forward(X, E) - Y) ** 2).mean(1)
    mix(model, mine, 1.0)
    blocks = []
    for k in (0, 1):
        mine = np.flatnonzero(w.val.series == k)
        mine = mine[np.argsort(w.val.ends[mine])]
        blocks += [d[mine[i:i + 3]].mean() for i in range(0, len(mine), 3)]
    blocks = np.array(blocks)
    assert df == len(blocks) - 1 == 2 * -(-(w.val.n // 2) // 3) - 1
    assert np.isclose(t, blocks.mean() / blocks.std(ddof=1) * np.sqrt(len(blocks)), rtol=1e-5)
    assert paired_t(model, other, w.val.subset(np.arange(3)), LOSSES["mse"], np.full(3, 0.5), 1.0) == (None, 0)


def test_t_statistic_of_block_means():
    # t = mean / (sd / sqrt(n)) with n - 1 degrees of freedom; none from one block or from blocks that agree
    assert t_statistic([1.0, 2.0]) == (pytest.approx(3.0), 1)
    assert t_statistic([-1.0, -2.0, -3.0]) == (pytest.approx(-2.0 / (1.0 / np.sqrt(3))), 2)
    assert t_statistic([0.5]) == (None, 0) and t_statistic([]) == (None, 0)
    assert t_statistic([0.5, 0.5, 0.5]) == (None, 0)  # no spread: no test, not an infinite t


@pytest.mark.parametrize("loss", sorted(LOSSES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_row_losses_are_each_rows_training_loss(loss, dtype):
    # One compiled pass over the rows gives what the training loss gives for each row alone.
    rng = np.random.default_rng(0)
    pred = rng.standard_normal((50, 4)).astype(dtype)
    Y = {"bce": (rng.random((50, 4)) > 0.5), "ce": np.eye(4)[rng.integers(0, 4, 50)]}.get(
        loss, rng.standard_normal((50, 4))).astype(dtype)
    tau, code, grad = np.linspace(0.2, 0.8, 4), LOSSES[loss], np.empty((1, 4), dtype)
    each = [_loss_and_grad(pred[b:b + 1], Y[b:b + 1], tau, code, 0.5, grad) for b in range(50)]
    got = row_losses(pred, Y, code, tau, 0.5)
    assert got.shape == (50,) and np.allclose(got, each, rtol=1e-12, atol=0)
    assert len(np.unique(got)) > 40  # per row, not one mean repeated


def _monthly(values):
    return pd.Series(values, index=pd.date_range("2000-01-01", periods=len(values), freq="MS"), name="y")


def test_forecast_is_the_mean_of_network_and_start_unless_the_network_wins_clearly():
    # A short AR(2) series: training moves the network (best epoch > 0) but
    # not clearly past its linear start on validation, so the default
    # forecast is the mean of the two: the same fit with weight 0 (the
    # network) and weight 1 (the start alone, no recurrent rows in the head).
    y = _monthly(_ar2(150, seed=3))
    fits = {w: LSTMForecaster(horizon=4, max_epochs=30, start_weight=w).fit(y) for w in (0.0, 0.5, 1.0)}
    h = fits[0.5].history_
    assert h["best_epoch"] > 0 and h["start_t"] is not None and h["start_weight"] == 0.5
    assert fits[0.0].history_["start_weight"] == 0.0 and fits[1.0].history_["start_weight"] == 1.0
    p = {w: fc.predict()["y"].to_numpy(np.float64) for w, fc in fits.items()}
    assert np.allclose(p[0.5], 0.5 * (p[0.0] + p[1.0]), rtol=1e-5, atol=1e-6)
    assert not np.allclose(p[0.0], p[1.0], rtol=1e-3)
    recurrent = fits[1.0].model_.n_features - fits[1.0].model_.n_ar - fits[1.0].model_.n_head_extra
    assert not fits[1.0].model_.views["head_weight"][:recurrent].any()
    assert fits[0.0].model_.views["head_weight"][:recurrent].any()


def test_a_network_that_beats_its_start_clearly_forecasts_alone():
    # The logistic map: a nonlinear one-step law no linear start captures.
    y = _monthly(_logistic(400))
    a = LSTMForecaster(horizon=1, max_epochs=15, window_norm="last").fit(y)
    b = LSTMForecaster(horizon=1, max_epochs=15, window_norm="last", start_weight=0.0).fit(y)
    assert a.history_["start_t"] < -3 and a.history_["start_weight"] == 0.0
    assert np.array_equal(a.predict().to_numpy(), b.predict().to_numpy())


@pytest.mark.parametrize("bad", [-0.1, 1.5, "half"])
def test_start_weight_is_validated(bad):
    with pytest.raises(ValueError, match="start_weight"):
        LSTMForecaster(start_weight=bad).fit(_monthly(np.arange(60.0)))


def test_a_random_walk_forecasts_naive_unless_the_network_wins_clearly():
    # Its differences are white noise by AICc (ARIMA(0, 1, 0)), so the start
    # is that model, naive or naive with drift, and takes the whole forecast
    # unless the network beats it clearly; start_weight=0 (the network alone)
    # turns the rule off. Out of sample (accuracy_2026-12-06.md) it helped
    # stock prices (IBM -21%, GOOG -24% with the drift) and msft's daily closes.
    from tsgate.arima import IntegratedAR

    rng = np.random.default_rng(4)
    y = pd.Series(100 + np.cumsum(rng.standard_normal(300)), name="y")
    fc = LSTMForecaster(horizon=5, max_epochs=5, random_state=0).fit(y)
    h = fc.history_
    assert h["highway_start"] == "naive"  # (chosen on the rows before validation; the refit's may drift)
    assert h["start_weight"] == 1.0 and not h["start_t"] < -2 and h["random_walk"] == "ARIMA(0,1,0)"
    np.testing.assert_allclose(fc.predict()["y"], y.iloc[-1], rtol=1e-6)
    free = LSTMForecaster(horizon=5, max_epochs=5, random_state=0, start_weight=0.0).fit(y)
    assert free.history_["start_weight"] == 0.0 and free.history_["random_walk"] is None
    assert not np.allclose(free.predict()["y"], y.iloc[-1], rtol=1e-4)
    drifting = y + 0.8 * np.arange(300)  # naive with drift
    d = LSTMForecaster(horizon=5, max_epochs=5, random_state=0).fit(drifting)
    assert d.history_["highway_start"] == "arima" and d.history_["start_weight"] == 1.0
    assert d.history_["start_models"]["arima"] == "ARIMA(0,1,0) with drift"
    # the last value plus k drifts (the mean of the refit's and the selection fit's: refit='mean')
    steps = np.diff(np.r_[drifting.iloc[-1], d.predict()["y"].to_numpy(np.float64)])
    np.testing.assert_allclose(steps, steps.mean(), rtol=1e-3)
    drift = IntegratedAR(min(24, d.ar_window_), criterion="aicc").fit(drifting.to_numpy()).intercept_
    assert abs(steps.mean() - drift) < 0.1 * drift, (steps, drift)
