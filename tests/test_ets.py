"""Holt-Winters as a linear forecaster (tsgate.ets) and as a highway start."""

import numpy as np
import pandas as pd

from tsgate import LSTMForecaster, load, metrics
from tsgate.baselines import BaselineForecaster, validation_mae
from tsgate.ets import HoltWinters, _run, _sse
from tsgate.highway import baseline_candidates, linear_options
from tsgate.model import SequenceModel
from tsgate.recipe import SELECTION_BLOCKS
from tsgate.windows import make_windows


def _component_form(y, alpha, beta_star, gamma_star, phi, m, horizon):
    """The textbook component form (Hyndman & Athanasopoulos 8.3), written
    independently of tsgate.ets: same start, gamma_star on the seasonal."""
    level = y[:m].mean()
    trend = (y[m:2 * m].mean() - level) / m
    season = list(y[:m] - level)  # season[t] for t < m
    for t in range(len(y)):
        prev_l, prev_b, prev_s = level, trend, season[t]
        level = alpha * (y[t] - prev_s) + (1 - alpha) * (prev_l + phi * prev_b)
        trend = beta_star * (level - prev_l) + (1 - beta_star) * phi * prev_b
        season.append(gamma_star * (y[t] - prev_l - phi * prev_b) + (1 - gamma_star) * prev_s)
    n = len(y)
    damp = np.cumsum(phi ** np.arange(1, horizon + 1))
    return np.array([level + damp[k] * trend + season[n + k - m * (k // m)] for k in range(horizon)])


def _seasonal(n, m=12, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 50 + 0.3 * t + 8 * np.sin(2 * np.pi * t / m) + 3 * np.cos(4 * np.pi * t / m) + rng.standard_normal(n)


def test_recursion_is_the_textbook_holt_winters():
    # Error-correction form with beta = alpha * beta*, gamma = gamma* (1 - alpha)
    # ... is the component form with those starred parameters.
    y = _seasonal(100)
    alpha, bs, gs, phi = 0.4, 0.2, 0.3, 0.9
    hw = HoltWinters(12)
    hw.season_, hw.params_ = 12, (alpha, alpha * bs, gs * (1 - alpha), phi)
    # the error-correction gamma is the component form's gamma* (its seasonal reads l + phi b)
    np.testing.assert_allclose(hw.forecast(y, 30), _component_form(y, alpha, bs, gs * (1 - alpha), phi, 12, 30),
                               rtol=0, atol=1e-9)


def test_window_map_is_a_run_over_the_window_and_sums_to_one():
    y = _seasonal(200, seed=1)
    hw = HoltWinters(12).fit(y)
    W = hw.window_map(36, 7)  # (7, 36)
    window = y[-36:]
    # the map is linear: weights times the window = the run over the window (started with no trend)
    np.testing.assert_allclose(W @ window, _run(window, hw.params_, 12, 7, trend=False), rtol=0, atol=1e-9)
    assert not np.allclose(W @ window, hw.forecast(window, 7))  # which the trend start would change
    np.testing.assert_allclose(W.sum(axis=1), 1.0, atol=1e-12)  # a constant added is added to the forecast
    assert HoltWinters(12).fit(y[:20]).season_ == 1  # under two seasons: no season


def test_fit_lowers_the_one_step_error_and_beats_seasonal_naive():
    y = _seasonal(240, seed=2)
    hw = HoltWinters(12).fit(y[:216])
    alpha, beta, gamma, phi = hw.params_
    lv, tr, s = y[:12].mean(), (y[12:24].mean() - y[:12].mean()) / 12, y[:12] - y[:12].mean()
    fitted = _sse(y[:216], alpha, beta, gamma, phi, lv, tr, s)
    assert fitted <= _sse(y[:216], 0.3, 0.03, 0.07, 0.95, lv, tr, s)  # the optimiser's start
    pred = hw.forecast(y[:216], 24)
    assert metrics.mae(y[216:], pred) < 0.8 * metrics.mae(y[216:], metrics.seasonal_naive(y[:216], 24, 12))


def test_highway_candidate_ets_forecasts_as_the_window_map():
    # In the highway's coordinates (relative to the last value), the 'ets'
    # start gives exactly the Holt-Winters forecast of a run over the window.
    z = (_seasonal(300, seed=3) - 100) / 30
    hw = HoltWinters(12).fit(z[:240])
    w = make_windows(z[:, None], np.zeros((300, 0)), np.zeros((300, 0)), 36, 5, 5, 0.2, 1, 1)
    model = SequenceModel("lstm", 1, 4, n_outputs=5, n_ar=36, random_state=0)
    cands = baseline_candidates(model, norm_period=1, period=12, ar=None, level=False, ets=hw)
    options, _, _ = linear_options(model, w.train, w.val, cands)
    X, Y, E = w.val.batch(np.arange(w.val.n))
    x = X[:, :, 0].astype(np.float64)  # x - z_e
    out = np.concatenate([x, np.ones((len(x), 1))], axis=1) @ options["ets"]
    np.testing.assert_allclose(out, x @ hw.window_map(36, 5).T, atol=1e-9)


def _hw_process(n, m=12, seed=0, alpha=0.3, gamma=0.2):
    """A series from the Holt-Winters model itself: level and season move with the noise."""
    rng = np.random.default_rng(seed)
    level, trend, season, y = 50.0, 0.2, list(8 * np.sin(2 * np.pi * np.arange(m) / m)), []
    for t in range(n):
        e = rng.standard_normal()
        y.append(level + trend + season[t % m] + e)
        level, season[t % m] = level + trend + alpha * e, season[t % m] + gamma * e
    return np.array(y)


def test_ets_candidate_validates_near_the_best_on_a_holt_winters_process():
    # On the model's own process the 'ets' start (Holt-Winters fit on the rows
    # before validation, run over the window) is a forecaster: well below
    # seasonal naive's validation MSE, and within half again of the best
    # ridge fit's (ridge fits read the same window and come closer still).
    y = _hw_process(168, seed=1)
    z = (y - y.mean()) / y.std()
    w = make_windows(z[:, None], np.zeros((168, 0)), np.zeros((168, 0)), 24, 12, 12, 0.2, 1, 1)
    hw = HoltWinters(12).fit(z[:w.val.ends.min() + 1])
    model = SequenceModel("lstm", 1, 4, n_outputs=12, n_ar=24, random_state=0)
    cands = baseline_candidates(model, norm_period=1, period=12, ar=None, level=False, ets=hw)
    _, errors, _ = linear_options(model, w.train, w.val, cands)
    ridge = min(e for k, e in errors.items() if k.startswith("ridge("))
    assert errors["ets"] < 0.6 * errors["seasonal_naive"] and errors["ets"] < 1.5 * ridge


def test_forecaster_beats_seasonal_naive_by_half_on_a_holt_winters_process():
    y = _hw_process(180, seed=1)
    idx = pd.date_range("2000-01-01", periods=180, freq="MS")
    fc = LSTMForecaster(horizon=12, max_epochs=3, random_state=0).fit(pd.Series(y[:168], index=idx[:168]))
    pred = fc.predict().iloc[:, 0].to_numpy()
    assert metrics.mae(y[168:], pred) < 0.5 * metrics.mae(y[168:], metrics.seasonal_naive(y[:168], 12, 12))


def test_one_pass_origin_forecasts_equal_a_forecast_per_origin():
    y = _hw_process(150, seed=5)
    hw = HoltWinters(12).fit(y[:100])
    ends = np.array([40, 57, 99, 130])
    one_pass = hw.forecasts_from(y, ends, 6)
    per_origin = np.stack([hw.forecast(y[:e + 1], 6) for e in ends])
    np.testing.assert_allclose(one_pass, per_origin, rtol=0, atol=1e-9)
    scores, _, _ = validation_mae(y, ends[::-1], 6, 12, 100)  # any order of origins
    target = np.stack([y[e + 1:e + 7] for e in ends])
    assert np.isclose(scores["holt_winters"], np.mean(np.abs(target - per_origin)))


def test_holt_winters_baseline_forecaster_saves_and_predicts(tmp_path):
    y = _hw_process(168, seed=6)
    s = pd.Series(y, index=pd.date_range("2000-01-01", periods=168, freq="MS"))
    fc = BaselineForecaster("holt_winters", horizon=12).fit(s.iloc[:156])
    assert fc.describe() == "Holt-Winters (m=12)"
    pred = fc.predict().iloc[:, 0].to_numpy()
    np.testing.assert_allclose(pred, fc.hw_.forecast(y[:156], 12))
    assert metrics.mae(y[156:], pred) < metrics.mae(y[156:], metrics.seasonal_naive(y[:156], 12, 12))
    fc.save(tmp_path / "hw.tsgate")
    back = load(tmp_path / "hw.tsgate")
    assert back.predict().equals(fc.predict())
    iv = back.predict_interval(0.8)
    assert (iv.iloc[:, 2] > iv.iloc[:, 0]).all() and (iv.iloc[:, 1] < iv.iloc[:, 0]).all()


def test_the_norms_auto_compares_share_one_ar_and_holt_winters_fit(monkeypatch):
    # window_norm='auto' builds a linear start per norm ('last', 'seasonal',
    # 'seasonal_ratio' on a positive series); the AR and Holt-Winters they read
    # do not depend on the norm: one fit on the rows before each validation
    # block the start is chosen on, one on all rows for the refit.
    import tsgate.arima as arima  # start_model builds the fitted starts

    calls = []

    class Counted(HoltWinters):
        def fit(self, parts):
            calls.append(1)
            return super().fit(parts)

    monkeypatch.setattr(arima, "HoltWinters", Counted)  # the highway's fits, not the baseline report's
    y = pd.Series(_seasonal(120, seed=4), index=pd.date_range("2000-01-01", periods=120, freq="MS"))
    fc = LSTMForecaster(horizon=6, max_epochs=2).fit(y)
    assert len(calls) == SELECTION_BLOCKS + 1 and not hasattr(fc, "_start_fits")


def test_the_start_without_a_season_averages_blocks_of_a_quarter_of_the_series_at_most_ten_values():
    from tsgate.ets import INIT_BLOCK, _initial

    level, slope, season = _initial(np.array([1.0, 3.0, 5.0, 7.0, 20.0]), 1)  # 5 // 4: blocks of one value
    assert (level, slope) == (1.0, 2.0) and season.shape == (1,) and season[0] == 0
    y = np.arange(12.0) ** 2  # blocks of 3: level mean(0, 1, 4), slope (mean(9, 16, 25) - that) / 3
    level, slope, _ = _initial(y, 1)
    assert level == np.mean(y[:3]) and slope == (np.mean(y[3:6]) - np.mean(y[:3])) / 3
    level, slope, _ = _initial(np.arange(200.0), 1, trend=False)
    assert level == np.mean(np.arange(INIT_BLOCK)) and slope == 0
