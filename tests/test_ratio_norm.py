"""window_norm='seasonal_ratio': windows as ratios to the last season's values."""

import copy

import numpy as np
import pandas as pd
import pytest

import tsgate
from tsgate import LSTMForecaster
from tsgate.errors import DataError, ParameterError
from tsgate.windows import make_windows


def _multiplicative(n=216, m=12, growth=0.015, noise=0.003, seed=0):
    """A positive series whose seasonal swing grows with its level (AirPassengers' kind)."""
    t = np.arange(n)
    season = 1 + 0.5 * np.sin(2 * np.pi * t / m) + 0.15 * np.cos(4 * np.pi * t / m)
    level = 100 * np.exp(growth * t)
    y = level * season * np.exp(noise * np.random.default_rng(seed).standard_normal(n))
    return pd.Series(y, index=pd.date_range("2000-01-01", periods=n, freq="MS"))


def test_ratio_windows_are_ratios_in_the_original_units():
    # Scaled z = (y - loc) / scale; with shift = loc / scale a window holds
    # y_j / y_ref - 1 and a target y_{e+h} / y_ref - 1, y_ref the value of the
    # same phase in the last season; units() undoes it exactly.
    rng = np.random.default_rng(0)
    y = 50 + rng.random(40) * 10
    loc, scale = y.mean(), y.std()
    z = (y - loc) / scale
    m, L, H = 4, 8, 3
    w = make_windows(z[:, None], np.zeros((40, 0)), np.zeros((40, 0)), L, H, H, 0.2, 1, m,
                     shift=np.array([loc / scale]))
    src = w.train
    X, Y, _ = src.batch(np.arange(src.n))
    for i, e in enumerate(src.ends):
        ref = lambda j: y[e - m + 1 + (j - e + m - 1) % m]  # noqa: E731
        assert np.allclose(X[i, :, 0], [y[j] / ref(j) - 1 for j in range(e - L + 1, e + 1)], atol=1e-6)
        assert np.allclose(Y[i], [y[e + h] / ref(e + h) - 1 for h in range(1, H + 1)], atol=1e-6)
    off, unit = src.units(np.arange(src.n), np.arange(1, H + 1))
    back = src.targets(np.arange(src.n)) * unit + off
    assert np.allclose(back, z[src.ends[:, None] + np.arange(1, H + 1)], atol=1e-12)


def test_additive_norms_are_unchanged_by_the_units():
    z = np.random.default_rng(1).standard_normal((30, 1))
    w = make_windows(z, np.zeros((30, 0)), np.zeros((30, 0)), 6, 2, 2, 0.2, 1, 3)
    off, unit = w.train.units(np.arange(w.train.n), np.arange(1, 3))
    assert np.array_equal(unit, np.ones_like(off))
    assert np.array_equal(w.train.targets(np.arange(w.train.n)),
                          z[w.train.ends[:, None] + np.arange(1, 3), 0] - off)


def test_ratio_beats_differences_where_the_swing_grows():
    y = _multiplicative()
    train, test = y.iloc[:-24], y.iloc[-24:].to_numpy()
    kw = dict(horizon=24, max_epochs=30, random_state=0)
    mae = {}
    for norm in ("seasonal_ratio", "seasonal"):
        fc = LSTMForecaster(window_norm=norm, **kw).fit(train)
        mae[norm] = np.mean(np.abs(fc.predict().iloc[:, 0].to_numpy() - test))
    floor = np.mean(0.003 * np.sqrt(2 / np.pi) * test)  # E|noise| of the multiplicative noise
    assert mae["seasonal_ratio"] < 1.2 * floor and mae["seasonal_ratio"] < 0.8 * mae["seasonal"], (mae, floor)
    auto = LSTMForecaster(**kw).fit(train)  # here 'last' with an AR start validates best; near the ratio
    assert np.mean(np.abs(auto.predict().iloc[:, 0].to_numpy() - test)) < 1.25 * mae["seasonal_ratio"]


def test_auto_compares_the_norms_in_the_same_units():
    # The ratio is a candidate only for positive series; its linear start's
    # validation error is in scaled units (relative residual x unit), which
    # for the additive norms equals the normal equations' MSE.
    from tsgate.highway import chosen, linear_options, scaled_mse
    from tsgate.model import SequenceModel
    from tsgate.recipe import choose_norm

    err = {"last": 3.0, "seasonal": 2.0, "seasonal_ratio": 1.0, "ets": 2.5}.get
    assert choose_norm("auto", 12, 24, err, positive=True) == "seasonal_ratio"
    assert choose_norm("auto", 12, 24, err, positive=False) == "seasonal"
    err = {"last": 3.0, "seasonal": 2.0, "seasonal_ratio": 1.5, "ets": 1.0}.get  # Holt-Winters over the history
    assert choose_norm("auto", 12, 24, err, positive=True) == "ets"
    assert choose_norm("auto", 12, 24, err, positive=True, direct=False) == "seasonal_ratio"
    assert choose_norm("auto", 12, 6, err, positive=True) == "last"  # the lookback misses the season
    z = np.random.default_rng(4).standard_normal((120, 1))
    model = SequenceModel("lstm", 1, 4, n_outputs=3, n_ar=12, random_state=0)
    for shift in (None, np.array([10.0])):
        w = make_windows(z, np.zeros((120, 0)), np.zeros((120, 0)), 12, 3, 3, 0.2, 1, 4, shift=shift)
        options, errors, _ = linear_options(model, w.train, w.val)
        mse = scaled_mse(model, w.val, options[chosen(errors)])
        if shift is None:
            assert np.isclose(mse, errors[chosen(errors)], rtol=1e-9)
        else:  # relative residuals times units near 10: about 100 times the relative MSE
            assert 50 * errors[chosen(errors)] < mse < 200 * errors[chosen(errors)]


def test_ratio_intervals_scale_with_the_level_and_survive_the_model_file(tmp_path):
    # The same series at ten times the size gives ten times the forecast and
    # band (the ratios do not change); the model file keeps the norm.
    y = _multiplicative(seed=2)
    a = LSTMForecaster(horizon=12, window_norm="seasonal_ratio", max_epochs=5).fit(y)
    b = LSTMForecaster(horizon=12, window_norm="seasonal_ratio", max_epochs=5).fit(10 * y)
    ia, ib = a.predict_interval(0.8), b.predict_interval(0.8)
    assert np.allclose(ib.to_numpy(), 10 * ia.to_numpy(), rtol=1e-5)
    width = (ia.iloc[:, 2] - ia.iloc[:, 1]).to_numpy()
    assert np.all(width > 0)
    a.save(tmp_path / "m.tsgate")
    again = tsgate.load(tmp_path / "m.tsgate")
    assert again.window_norm_ == "seasonal_ratio"
    assert np.array_equal(again.predict_interval(0.8).to_numpy(), ia.to_numpy())


def test_ratio_historical_forecasts_equal_update_then_predict():
    y = _multiplicative(seed=3)
    fc = LSTMForecaster(horizon=6, window_norm="seasonal_ratio", max_epochs=3).fit(y.iloc[:150])
    hf = fc.historical_forecasts(y.iloc[:200], start=y.index[170], stride=7)
    assert len(hf["cutoff"].unique()) >= 3
    for cutoff, g in hf.groupby("cutoff"):
        est = copy.deepcopy(fc)
        est.update(y.loc[:cutoff])
        pred = est.predict().iloc[:, 0].to_numpy()
        assert np.allclose(g["forecast"].to_numpy(), pred, rtol=1e-6, atol=1e-6)


def test_ratio_needs_positive_values_and_names_the_series():
    y = _multiplicative()
    bad = y.copy()
    bad.iloc[30] = 0.0
    keep = dict(outliers="keep")  # a lone 0 or -1 is an isolated outlier, repaired by default (tests/test_outliers.py)
    with pytest.raises(ParameterError, match=r"window_norm='seasonal_ratio'.*values <= 0"):
        LSTMForecaster(horizon=6, window_norm="seasonal_ratio", max_epochs=1, **keep).fit(bad)
    auto = LSTMForecaster(horizon=6, max_epochs=1, **keep).fit(bad)  # 'auto' leaves the ratio out
    assert auto.window_norm_ in ("last", "seasonal", "ets")
    fc = LSTMForecaster(horizon=6, window_norm="seasonal_ratio", max_epochs=1, **keep).fit(y.iloc[:150])
    later = y.iloc[:160].copy()
    later.iloc[-2] = -1.0
    fc.update(later)
    with pytest.raises(DataError, match=r"must be positive: series .* has -1 at 2013-03"):
        fc.predict()
