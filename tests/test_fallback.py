"""Per series of a panel: the network or a local baseline (tsgate.fallback)."""

import copy

import numpy as np
import pandas as pd
import pytest

from tsgate import LSTMForecaster, fallback, load
from tsgate.baselines import AR, forecast, origin_forecasts

FAST = dict(horizon=12, max_epochs=3, random_state=0)


def _panel(n=400, repeat_id="s3"):
    """Three noisy daily waves on random walks, and one series that repeats one day exactly."""
    rng = np.random.default_rng(0)
    t = np.arange(n)
    day = rng.uniform(0, 10, 24)
    parts = []
    for k in range(4):
        sid = f"s{k}"
        y = np.tile(day, n // 24 + 1)[:n] if sid == repeat_id else \
            50 + 10 * np.sin(2 * np.pi * t / 24 + k) + np.cumsum(rng.standard_normal(n))
        parts.append(pd.DataFrame({"unique_id": sid, "ds": pd.date_range("2020-01-01", periods=n, freq="h"), "y": y}))
    return pd.concat(parts, ignore_index=True)


def _tail(df, sid, n):
    return df[df.unique_id == sid]["y"].to_numpy()[-n:]


def test_a_series_a_baseline_forecasts_exactly_falls_back_to_it():
    df = _panel()
    fc = LSTMForecaster(**FAST).fit(df)
    assert fc.fallback_["s3"] == ["seasonal_naive", 24]
    assert fc.fit_report_["fallback"]["s3"] == "seasonal naive (m=24)"
    pi = fc.predict_interval(0.9)
    mine = pi[pi.unique_id == "s3"]
    assert np.allclose(mine["y"].to_numpy(), _tail(df, "s3", 24)[:12])  # its last day, repeated
    assert np.array_equal(mine["y_lower"].to_numpy(), mine["y"].to_numpy())  # exact on validation: no width
    for sid, spec in fc.fallback_.items():  # every fallen-back series forecasts its spec from its tail
        got = pi[pi.unique_id == sid]["y"].to_numpy()
        assert np.allclose(got, fallback.forecast(spec, _tail(df, sid, fc.lookback_), 12))
    others = [s for s in ("s0", "s1", "s2") if s not in fc.fallback_]
    off = LSTMForecaster(**FAST, fallback=False).fit(df)
    assert off.fallback_ == {} and "fallback" not in off.fit_report_
    p, q = fc.predict(), off.predict()
    for sid in others:  # the network's series are the network's forecasts
        assert np.array_equal(p[p.unique_id == sid]["y"].to_numpy(), q[q.unique_id == sid]["y"].to_numpy())


def test_the_networks_intervals_are_calibrated_on_its_own_series_only():
    # The fallen-back series' windows leave the conformal pool: easy series a
    # baseline forecasts well would otherwise narrow the network's band.
    df = _panel()
    fc, off = LSTMForecaster(**FAST).fit(df), LSTMForecaster(**FAST, fallback=False).fit(df)
    n_fallen, n = len(fc.fallback_), off.val_residuals_.shape[0]  # the same network; equal windows per series
    assert 0 < n_fallen < 4 and n % 4 == 0
    assert fc.val_residuals_.shape[0] == n // 4 * (4 - n_fallen)
    kept = {tuple(r) for r in fc.val_residuals_}
    assert kept <= {tuple(r) for r in off.val_residuals_}
    assert fc.val_scores_ == off.val_scores_  # the network's validation MAE is still over every window


def test_fallback_forecasts_follow_update_and_survive_the_model_file(tmp_path):
    df = _panel(424)
    fit_rows = df.groupby("unique_id").head(400)
    fc = LSTMForecaster(**FAST).fit(fit_rows)
    fc.save(tmp_path / "m.tsgate")
    again = load(tmp_path / "m.tsgate")
    assert again.fallback_ == fc.fallback_ and again.fallback
    pd.testing.assert_frame_equal(again.predict_interval(0.8), fc.predict_interval(0.8))
    again.update(df)  # 24 new rows per series
    p = again.predict()
    for sid, spec in again.fallback_.items():
        assert np.allclose(p[p.unique_id == sid]["y"].to_numpy(), fallback.forecast(spec, _tail(df, sid, 400), 12))
    assert np.allclose(p[p.unique_id == "s3"]["y"].to_numpy(), _tail(df, "s3", 24)[:12])


def test_a_fallen_back_series_band_is_floored_by_its_errors_over_the_history(tmp_path):
    # s3 repeats one day exactly in its last 250 rows (seasonal naive is exact
    # on validation: a band of width zero from the tail) after a rough start.
    df = _panel()
    rough = (df.unique_id == "s3") & (df.groupby("unique_id").cumcount() < 150)
    df.loc[rough, "y"] += np.random.default_rng(1).normal(0, 3, rough.sum())
    fc = LSTMForecaster(**FAST).fit(df)
    assert fc.fallback_["s3"] == ["seasonal_naive", 24]
    assert not np.abs(fc.fallback_residuals_["s3"]).any()
    y = df[df.unique_id == "s3"]["y"].to_numpy()
    origins = np.unique(np.linspace(23, len(y) - 13, 100).round().astype(int))
    want = np.quantile(np.abs([y[e + 1:e + 13] - y[e - 23:e - 11] for e in origins]), 0.9, axis=0)
    band = fc.predict_interval(0.9)
    mine = band[band.unique_id == "s3"]
    assert np.allclose(mine["y_upper"] - mine["y"], want) and want.min() > 0.5  # the rough start's errors
    fc.save(tmp_path / "m.tsgate")
    pd.testing.assert_frame_equal(load(tmp_path / "m.tsgate").predict_interval(0.9), band)


def test_on_series_keeps_a_known_series_choice_and_gives_a_new_one_the_network():
    df = _panel()
    fc = LSTMForecaster(**FAST).fit(df[df.unique_id != "s0"])
    known = fc.on_series(df[df.unique_id == "s3"])
    assert np.allclose(known.predict()["y"].to_numpy(), _tail(df, "s3", 24)[:12])
    new = df[df.unique_id == "s3"].assign(unique_id="fresh")
    assert "fresh" not in fc.on_series(new).fallback_
    net = LSTMForecaster(**FAST, fallback=False).fit(df[df.unique_id != "s0"]).on_series(new).predict()
    assert np.array_equal(fc.on_series(new).predict()["y"].to_numpy(), net["y"].to_numpy())


def test_a_single_series_never_falls_back():
    # One series: the linear start already chose among these baselines on three blocks.
    df = _panel()
    fc = LSTMForecaster(**FAST).fit(df[df.unique_id == "s3"].set_index("ds")["y"])
    assert fc.fallback_ == {}


def test_choose_compares_the_network_with_each_candidate_on_the_validation_windows():
    rng = np.random.default_rng(1)
    y = np.zeros(300)
    for t in range(1, 300):
        y[t] = 0.8 * y[t - 1] + rng.standard_normal()
    ends = np.arange(240, 290)
    target = np.array([y[e + 1:e + 4] for e in ends])
    ar = AR().fit(y[:241])  # fit before the validation tail
    ar_errors = np.abs(target - np.array([ar.forecast(y[:e + 1], 3) for e in ends]))
    zero = np.zeros(len(ends), int)
    assert fallback.choose([y], zero, ends, 0.99 * ar_errors, 3, [24], 12) == {}  # the network is better
    out = fallback.choose([y], zero, ends, 1.01 * ar_errors, 3, [24], lookback=12)
    spec, res, floor = out[0]
    assert spec[0] == "ar"  # AR(1) data: the AR beats naive (and period 24 does not fit a lookback of 12)
    # residuals at every origin of the validation tail, 240..296
    every = np.arange(240, 297)
    want = np.array([y[e + 1:e + 4] - ar.forecast(y[:e + 1], 3) for e in every])
    assert np.allclose(res, want)
    # the band's floor: residuals at 100 origins spread over the history (the AR's in sample)
    spread = np.unique(np.linspace(ar.order_ - 1, 296, 100).round().astype(int))
    assert len(spread) == 100 and spread[0] == ar.order_ - 1
    assert np.allclose(floor, [y[e + 1:e + 4] - ar.forecast(y[:e + 1], 3) for e in spread])
    for name, m in (("naive", 1), ("seasonal_naive", 5), ("drift", 1), ("ar", 1)):  # vectorised = per origin
        for at in (ends, np.array([0, 3, 40])):  # origins before a whole season / the AR's order: per origin
            ref = np.array([forecast(name, y[:e + 1], 3, m, ar) for e in at])
            assert np.allclose(origin_forecasts(name, y, at, 3, m, ar), ref), (name, at[0])
    refit = AR().fit(y)
    assert np.allclose(spec[1:], [refit.intercept_, *refit.coef_])
    assert fallback.choose([y], np.zeros(len(ends), int), ends, np.zeros((len(ends), 3)), 3, [24], 12) == {}
    assert [c[0] for c in fallback.candidates([24, 168], 100, None)] == ["naive", "seasonal_naive"]


@pytest.mark.parametrize("bad", ["yes", 2])
def test_fallback_is_validated(bad):
    with pytest.raises(ValueError, match="fallback"):
        LSTMForecaster(fallback=bad).fit(_panel())


def test_historical_forecasts_of_a_fallen_back_series_equal_update_then_predict():
    df = _panel(440)
    fc = LSTMForecaster(**FAST).fit(df.groupby("unique_id").head(400))
    assert "s3" in fc.fallback_
    hf = fc.historical_forecasts(df, stride=7)
    for (sid, cutoff), g in hf.groupby(["unique_id", "cutoff"]):
        est = copy.deepcopy(fc)
        est.update(df[(df.unique_id == sid) & (df.ds <= cutoff)])
        assert np.allclose(est.predict(ids=[sid])["y"].to_numpy(), g["forecast"].to_numpy(), rtol=1e-6, atol=1e-6)
    mine = hf[hf.unique_id == "s3"]
    assert np.allclose(mine["forecast"].to_numpy(), mine["y"].to_numpy())  # the repeated day is exact


def test_the_local_ar_chooses_its_order_by_aicc():
    # the 60-point AR(2) on which AIC takes 9 lags and AICc 2 (test_accuracy_features)
    rng = np.random.RandomState(15)
    y, e = np.zeros(60), rng.standard_normal(60)
    for t in range(2, 60):
        y[t] = 0.6 * y[t - 1] - 0.3 * y[t - 2] + e[t]
    spec = fallback._spec(("ar", 1), y, lookback=20)
    assert spec[0] == "ar" and len(spec) == 1 + 1 + 2  # name, intercept, two lags
    np.testing.assert_allclose(spec[2:], AR(criterion="aicc").fit(y).coef_)
    assert fallback._spec(("ar", 1), y, lookback=1)[2:] == [AR(1).fit(y).coef_[0]]  # capped by the tail it keeps
