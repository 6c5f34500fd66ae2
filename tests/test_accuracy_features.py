"""Accuracy structure: the linear highway, seasonality, ensembles, baselines,
and the forecasts they must give on signals whose best forecast is known."""

import copy
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from tsgate import LSTMForecaster, load, metrics
from tsgate.baselines import AR, BaselineForecaster, validation_mae
from tsgate.errors import BaselineWarning, DataError, ParameterError
from tsgate.ensemble import ensemble_forward
from tsgate.model import SequenceModel
from tsgate.seasonality import candidate_periods, detect_periods


def _ar2(n, seed=0, phi=(1.3, -0.6), noise=1.0):
    rng = np.random.default_rng(seed)
    y = np.zeros(n + 100)
    e = noise * rng.standard_normal(n + 100)
    for t in range(2, n + 100):
        y[t] = phi[0] * y[t - 1] + phi[1] * y[t - 2] + e[t]
    return y[100:]


def test_ar2_signal_within_10_percent_of_the_true_model():
    # The best forecast of an AR(2) process is its own recursion; the default
    # forecaster must come within 10% of its MAE over 60 held-out origins.
    n, H, phi = 700, 4, (1.3, -0.6)
    y = _ar2(n + 200, seed=1, phi=phi)
    idx = pd.date_range("2000-01-01", periods=len(y), freq="D")
    series = pd.Series(y, index=idx, name="y")
    fc = LSTMForecaster(horizon=H, random_state=0).fit(series.iloc[:n])
    ours, truth_model = [], []
    for e in range(n, len(y) - H, 3):
        fc.update(series.iloc[:e])
        ours.append(np.abs(fc.predict()["y"].to_numpy() - y[e:e + H]).mean())
        hist = list(y[:e])
        for _ in range(H):
            hist.append(phi[0] * hist[-1] + phi[1] * hist[-2])
        truth_model.append(np.abs(np.array(hist[-H:]) - y[e:e + H]).mean())
    ratio = np.mean(ours) / np.mean(truth_model)
    assert ratio < 1.10, ratio


@pytest.mark.slow
def test_half_hourly_daily_and_weekly_seasons_beat_seasonal_naive_by_10_percent():
    rng = np.random.default_rng(0)
    n, H = 8 * 336, 336
    t = np.arange(n + H)
    hour = (t % 48) / 2.0
    weekday = (t // 48) % 7
    daily = 10 * np.sin(2 * np.pi * (hour - 6) / 24) + 4 * np.sin(4 * np.pi * hour / 24)
    y = 100 + np.where(weekday >= 5, 0.6, 1.0) * daily + 1.5 * rng.standard_normal(n + H)
    s = pd.Series(y, index=pd.date_range("2024-01-01", periods=n + H, freq="30min"), name="load")
    fc = LSTMForecaster(horizon=H, random_state=0).fit(s.iloc[:n])
    assert fc.seasonal_periods_ == [48, 336]
    mae = metrics.mae(s.iloc[n:], fc.predict()["load"])
    naive = metrics.mae(s.iloc[n:], metrics.seasonal_naive(y[:n], H, 336))
    assert mae < 0.9 * naive, (mae, naive)


def test_ar_window_0_has_no_highway_and_matches_the_plain_model():
    a = SequenceModel("lstm", 3, 5, n_outputs=4, n_extra=2, random_state=3)
    b = SequenceModel("lstm", 3, 5, n_outputs=4, n_extra=2, random_state=3, n_ar=0)
    assert a.n_features == b.n_features == 5 + 2
    X = np.random.default_rng(0).standard_normal((6, 8, 3)).astype(np.float32)
    E = np.random.default_rng(1).standard_normal((6, 2)).astype(np.float32)
    assert np.array_equal(a.forward(X, E), b.forward(X, E))
    idx = pd.date_range("2000-01-01", periods=60, freq="MS")
    y = pd.Series(np.sin(np.arange(60) / 2.0), index=idx)
    fc = LSTMForecaster(horizon=3, max_epochs=2, ar_window=0).fit(y)
    assert fc.model_.n_ar == 0 and fc.ar_window_ == 0


def test_highway_starts_at_the_linear_forecasters_exact_on_validation():
    # A pure seasonal signal: seasonal naive (with or without the seasons' growth, zero here;
    # an AR on the seasonal lags; Holt-Winters) is exact on validation, so the network starts
    # there (at their mean) and forecasts it.
    t = np.arange(240)
    y = pd.Series(np.tile(np.array([3.0, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8]), 20) + 0.0 * t,
                  index=pd.date_range("2000-01-01", periods=240, freq="MS"))
    fc = LSTMForecaster(horizon=12, max_epochs=5, window_norm="last").fit(y.iloc[:228])
    exact = {"seasonal_naive", "seasonal_growth(1)", "seasonal_growth(12)", "ar", "ets", "ridge(1e-06)"}
    assert set(fc.history_["highway_start"].split("+")) <= exact
    assert metrics.mae(y.iloc[228:], fc.predict().iloc[:, 0]) < 1e-3 * y.std()


def test_naive_is_a_candidate_start_in_either_coordinates():
    # Relative to the last value (norm_period 1) naive is the zero output; on
    # raw values, a weight of 1 on the last one. Where the validation tail
    # repeats its last value exactly (a level after a one-off spike), naive
    # is the best start, and the forecast is that level.
    from types import SimpleNamespace

    from tsgate.highway import baseline_candidates

    shape = SimpleNamespace(n_head_extra=0, n_ar=4, n_outputs=3)
    last = baseline_candidates(shape, 1, 1, None, False)["naive"]
    raw = baseline_candidates(shape, 0, 1, None, False)["naive"]
    assert last.shape == raw.shape == (5, 3) and not last.any()
    assert np.array_equal(raw[3], np.ones(3)) and not raw[[0, 1, 2, 4]].any()  # row 3: x_e
    t = np.arange(240)
    y = pd.Series(np.where(t == 50, 50.0, 1.0) + np.where(t < 50, 0.3 * np.sin(t), 0.0),
                  index=pd.date_range("2000-01-01", periods=240, freq="MS"))
    fc = LSTMForecaster(horizon=6, max_epochs=5, window_norm="last").fit(y)
    assert "naive" in fc.history_["highway_start"].split("+")
    assert np.abs(fc.predict().iloc[:, 0] - 1.0).max() < 0.05


def test_naive_is_the_start_alone_when_it_validates_best():
    # Candidates within COMBINE_WITHIN (1.25) of the best are averaged, naive
    # among them; when naive is the best, nothing beats the last value.
    from tsgate.highway import combination

    assert combination({"ar": 1.0, "ridge(1)": 1.2, "naive": 1.3}) == "ar+ridge(1)"
    assert combination({"ar": 1.0, "ridge(1)": 1.2, "naive": 1.24}) == "ar+ridge(1)+naive"
    assert combination({"ar": 1.1, "ridge(1)": 1.2, "naive": 1.0}) == "naive"
    assert combination({"seasonal_naive": 1.0, "ets": 1.1}) == "seasonal_naive+ets"


def test_a_random_walk_starts_from_naive():
    # On a random walk the last value is the best forecast; an AR or ridge start
    # fit on the history validates no better, so the start is naive alone, and
    # the forecast stays near the last value (without the rule the start is a
    # nine-way mean and the forecast moves 0.33 of a step's spread).
    rng = np.random.default_rng(4)
    y = pd.Series(100 + np.cumsum(rng.standard_normal(300)), index=pd.RangeIndex(300))
    fc = LSTMForecaster(horizon=5, max_epochs=3, random_state=0).fit(y)
    assert fc.history_["highway_start"] == "naive"
    assert np.abs(fc.predict().iloc[:, 0].to_numpy() - y.iloc[-1]).max() < 0.1 * y.diff().std()


def test_a_series_its_start_forecasts_exactly_is_no_training_failure():
    # The start is exact on validation (loss ~1e-29); any epoch is worse by a
    # negligible amount, which is not a failed training (it raised before)
    t = np.arange(120)
    y = pd.Series(-100 + 10 * np.sin(2 * np.pi * t / 12), index=pd.date_range("2000-01-01", periods=120, freq="MS"))
    for strategy in ("direct", "recursive"):
        fc = LSTMForecaster(horizon=12, max_epochs=10, strategy=strategy).fit(y.iloc[:108])
        assert metrics.mae(y.iloc[108:], fc.predict().iloc[:, 0]) < 1e-3


def test_highway_start_is_the_mean_of_the_candidates_near_the_best():
    # The start averages every candidate within COMBINE_WITHIN of the lowest
    # validation MSE (a mean of linear maps is one linear map); its name lists
    # them, and the refit rebuilds exactly that mean from its name.
    from tsgate.highway import COMBINE_WITHIN, chosen, combination, fit_highway, linear_options
    from tsgate.windows import make_windows

    assert combination({"a": 1.0, "b": 1.2, "c": 1.3}) == "a+b" and COMBINE_WITHIN == 1.25
    z = _ar2(300, seed=3) / 3.0
    w = make_windows(z[:, None], np.zeros((300, 0)), np.zeros((300, 0)), 12, 3, 3, 0.2, 1, 1)
    model = SequenceModel("lstm", 1, 4, n_outputs=3, n_ar=12, random_state=0)
    options, errors, zero = linear_options(model, w.train, w.val)
    name, gain = fit_highway(model, w.train, w.val)
    singles = {k: e for k, e in errors.items() if "+" not in k}
    best = min(singles.values())
    parts = [k for k in singles if singles[k] <= COMBINE_WITHIN * best]
    assert name == chosen(errors) and sorted(name.split("+")) == sorted(parts) and len(parts) > 1
    W = np.mean([options[k] for k in parts], axis=0)
    assert np.allclose(model.views["head_weight"][-12:], W[:-1], atol=1e-6)
    assert np.allclose(model.views["head_bias"], W[-1], atol=1e-6)
    assert not model.views["head_weight"][:-12].any()  # the recurrent rows start closed
    X, Y, E = w.val.batch(np.arange(w.val.n))
    direct = np.mean((np.concatenate([X[:, -12:, 0], np.ones((len(X), 1))], axis=1) @ W - Y) ** 2)
    assert np.isclose(errors[chosen(errors)], direct, rtol=1e-6)
    assert np.isclose(zero, np.mean(Y ** 2), rtol=1e-6)
    assert np.isclose(gain, direct / np.mean(Y ** 2), rtol=1e-6) and gain < 0.9  # vs the zero output (repeating the last value)
    again = SequenceModel("lstm", 1, 4, n_outputs=3, n_ar=12, random_state=0)
    assert fit_highway(again, w.train, None, choose=name) == (name, None)  # the refit rebuilds the same mean
    assert np.array_equal(again.views["head_weight"], model.views["head_weight"])


def test_linear_start_is_chosen_on_the_mean_over_validation_blocks(monkeypatch):
    # Candidate 'a' is best on the latest block only, 'b' on average over the
    # three: the start is 'b', and the norm's error is b's mean.
    import tsgate.fitting as fitting

    def folds(self, *args):
        table = [{"a": 1.0, "b": 1.5}, {"a": 3.0, "b": 1.0}, {"a": 3.0, "b": 1.0}]
        options = {"a": np.zeros((2, 1)), "b": np.ones((2, 1))}
        return [(options, lambda W, t=t: t["b" if W[0, 0] else "a"]) for t in table]

    monkeypatch.setattr(fitting.FitMixin, "_selection_folds", folds)
    fc = LSTMForecaster(horizon=2)
    fc.seasonal_period_, fc._starts = 1, {}
    assert np.isclose(fc._linear_error(None, None, None, None, "last"), 3.5 / 3)
    assert fc._starts["last"] == "b"


def test_linear_start_blocks_fit_ar_and_holt_winters_before_each_block(monkeypatch):
    # 120 monthly rows, horizon 6, lookback 24: 91 windows, the last 18
    # validate (origins at rows 96-113). Block 1 is the validation tail of the
    # first 102 rows (15 windows, origins 81-95), block 2 that of the first 84
    # (11, origins 67-77). Each block's AR and Holt-Winters see the rows up to
    # its first validation origin (97, 82, 68 rows), the refit's every row
    # (120, as its windows' targets do): no block's candidates saw its targets.
    import tsgate.arima as arima  # start_model builds the fitted starts
    from tsgate.ets import HoltWinters

    seen = []

    class Spy(HoltWinters):
        def fit(self, parts):
            seen.append(len(parts[0]))
            return super().fit(parts)

    monkeypatch.setattr(arima, "HoltWinters", Spy)
    t = np.arange(120)
    y = pd.Series(10 + np.sin(2 * np.pi * t / 12) + 0.01 * t, index=pd.date_range("2000-01-01", periods=120, freq="MS"))
    fc = LSTMForecaster(horizon=6, max_epochs=1, window_norm="last").fit(y)
    assert fc.lookback_ == 24 and sorted(seen) == [68, 82, 97, 120]


def test_ensemble_median_of_identical_members_is_one_member_and_seeds_differ():
    model = SequenceModel("gru", 2, 4, n_outputs=3, random_state=0)
    X = np.random.default_rng(0).standard_normal((5, 6, 2)).astype(np.float32)
    one, spread1 = ensemble_forward([model], X, None)
    three, spread3 = ensemble_forward([model, model, model], X, None)
    assert np.array_equal(one, three) and not spread3.any() and not spread1.any()
    idx = pd.date_range("2000-01-01", periods=80, freq="MS")
    y = pd.Series(10 + np.sin(np.arange(80) / 2.0) + 0.1 * np.random.default_rng(0).standard_normal(80), index=idx)
    kw = dict(horizon=3, max_epochs=5, hidden_size=8, window_norm=None, ar_window=0)
    a = LSTMForecaster(n_models=3, **kw).fit(y)
    b = LSTMForecaster(n_models=3, **kw).fit(y)
    assert len(a.models_) == 6 and a.predict().equals(b.predict())  # reproducible; refit='mean': 3 refits + 3 chosen
    assert not np.array_equal(a.models_[0].flat, a.models_[1].flat)  # members differ by seed
    iv = a.predict_interval(0.5)
    assert (iv.iloc[:, 2] >= iv.iloc[:, 1]).all()


def test_refit_mean_forecasts_the_mean_of_the_refit_and_the_chosen_model(tmp_path):
    # refit='mean' (the default) keeps both models of the fit: the refit on all
    # windows and the model chosen on validation; its forecast is their mean.
    idx = pd.date_range("2000-01-01", periods=90, freq="MS")
    y = pd.Series(10 + np.sin(np.arange(90) / 2.0) + 0.2 * np.random.default_rng(1).standard_normal(90), index=idx)
    kw = dict(horizon=4, max_epochs=8, hidden_size=8, window_norm=None, start_weight=0.0)
    both = LSTMForecaster(**kw).fit(y)
    refit, chosen = LSTMForecaster(refit=True, **kw).fit(y), LSTMForecaster(refit=False, **kw).fit(y)
    assert both.refit == "mean" and len(both.models_) == 2 and len(refit.models_) == len(chosen.models_) == 1
    assert np.array_equal(both.models_[0].flat, refit.model_.flat)
    assert np.array_equal(both.models_[1].flat, chosen.model_.flat)
    a, b = refit.predict()["y"].to_numpy(), chosen.predict()["y"].to_numpy()
    assert not np.allclose(a, b, rtol=1e-3)  # two different models
    assert np.allclose(both.predict()["y"], (a + b) / 2, rtol=1e-5)
    path = tmp_path / "m.tsgate"
    both.save(path)
    assert load(path).predict().equals(both.predict())
    # nothing was refit without validation windows: one model
    assert len(LSTMForecaster(early_stopping=False, **kw).fit(y).models_) == 1


def test_ensemble_with_refit_mean_is_the_median_of_the_members_pair_means():
    # n_models=k with refit='mean' keeps 2k networks (k refits, then the k
    # chosen models); each member forecasts the mean of its two, and the
    # ensemble the median of those k means, not the median of 2k networks.
    idx = pd.date_range("2000-01-01", periods=90, freq="MS")
    y = pd.Series(10 + np.sin(np.arange(90) / 2.0) + 0.3 * np.random.default_rng(2).standard_normal(90), index=idx)
    fc = LSTMForecaster(horizon=4, max_epochs=6, hidden_size=8, window_norm=None, start_weight=0.0, n_models=3,
                        random_state=0).fit(y)
    assert len(fc.models_) == 6
    alone = []
    for m in fc.models_:
        one = copy.copy(fc)
        one.models_, one.n_models = [m], 1
        alone.append(one.predict()["y"].to_numpy())
    alone = np.array(alone)  # (6, horizon): refits 0-2, chosen models 3-5
    expected = np.median((alone[:3] + alone[3:]) / 2, axis=0)
    assert not np.allclose(np.median(alone, axis=0), expected, rtol=1e-4)  # the two rules differ here
    assert np.allclose(fc.predict()["y"], expected, rtol=1e-5)


def test_ensemble_in_parallel_equals_serial():
    idx = pd.date_range("2000-01-01", periods=70, freq="MS")
    y = pd.Series(np.cos(np.arange(70) / 3.0), index=idx)
    kw = dict(horizon=2, max_epochs=3, hidden_size=4, n_models=2)
    serial = LSTMForecaster(**kw).fit(y)
    parallel = LSTMForecaster(n_jobs=2, **kw).fit(y)
    for a, b in zip(serial.models_, parallel.models_):
        assert np.array_equal(a.flat, b.flat)  # bit for bit: the chunking does not follow the thread count


def test_seasonal_periods_from_the_calendar_and_the_data():
    assert candidate_periods("30min") == [48, 336] and candidate_periods("h") == [24, 168]
    assert candidate_periods("D") == [7, 365] and candidate_periods("MS") == [12] and candidate_periods("YS") == []
    t = np.arange(800)
    persistent = np.cumsum(np.random.default_rng(0).standard_normal(800))
    assert detect_periods(persistent, "h", 24) == []  # persistence is not a season
    seasonal = np.sin(2 * np.pi * t / 24) + 0.1 * np.random.default_rng(1).standard_normal(800)
    assert detect_periods(seasonal, "h", 24) == [24]  # no weekly season in a daily pattern
    cycle = np.sin(2 * np.pi * t / 11)
    assert detect_periods(cycle[:300], "YS", 10) == [11]  # the dominant cycle of yearly data
    assert detect_periods(seasonal, "h", 24, given=[12, 6]) == [6, 12]
    fc = LSTMForecaster(horizon=4, max_epochs=1, seasonal_periods=[8]).fit(
        pd.Series(np.sin(t[:120]), index=pd.date_range("2000-01-01", periods=120, freq="D")))
    assert fc.seasonal_periods_ == [8] and fc.seasonal_period_ == 8


def test_a_step_of_several_calendar_units_divides_their_periods():
    # A year is 4 steps of three months, 6 of two, 26 of two weeks; a season that is no whole
    # number of steps (a week of two days) is none. It was the one-unit period: quarterly data
    # on '3MS' got a season of 12 steps (three years).
    assert candidate_periods("3MS") == [4] and candidate_periods("2MS") == [6] and candidate_periods("2QS") == [2]
    assert candidate_periods("2W-SUN") == [26] and candidate_periods("4W") == [13] and candidate_periods("6MS") == [2]
    assert candidate_periods("5MS") == [] and candidate_periods("12MS") == [] and candidate_periods("2B") == []
    assert candidate_periods("7D") == candidate_periods("W") == [52] and candidate_periods("24h") == [7, 365]
    t = np.arange(48)
    y = pd.Series(100 + 10 * np.sin(2 * np.pi * t / 4) + np.random.default_rng(0).normal(0, 1, 48),
                  index=pd.date_range("2010-01-01", periods=48, freq="3MS"))
    assert BaselineForecaster("seasonal_naive", horizon=4).fit(y).seasonal_period_ == 4


def test_a_short_walk_needs_a_significant_autocorrelation_for_a_season(monkeypatch):
    # 56 monthly steps of a random walk, detrended, reach 0.1 at lag 12 by
    # chance (4 of 200 seeds; vega_datasets' GOOG closes, whose start was then six
    # ridge fits: 1.73 x naive's MAE out of sample, 1.47 without the season);
    # noise reaches 1.645 / sqrt(56) = 0.22. A real season of that length is kept.
    import tsgate.seasonality as seasonality

    walks = [100 + np.cumsum(np.random.default_rng(seed).standard_normal(56)) for seed in (51, 161)]
    assert [detect_periods(w, "MS", 6) for w in walks] == [[], []]
    t = np.arange(56)
    season = 10 * np.sin(2 * np.pi * t / 12) + np.random.default_rng(0).standard_normal(56) + 0.3 * t
    assert detect_periods(season, "MS", 6) == [12]
    monkeypatch.setattr(seasonality, "SIGNIFICANCE", 0.0)  # MIN_ACF alone
    assert [detect_periods(w, "MS", 6) for w in walks] == [[12], [12]]


def test_one_glitch_does_not_hide_the_season():
    # a weekly cycle around 10 with one value of 1000 (a typo, a sensor spike): before clipping,
    # the glitch owned the autocorrelation and tilted the trend line, and no season was found
    from tsgate.seasonality import clip_outliers

    rng = np.random.default_rng(0)
    t = np.arange(120)
    y = 10 + 2 * np.sin(2 * np.pi * t / 7) + 0.1 * rng.standard_normal(120)
    assert np.array_equal(clip_outliers(y), y)  # a clean series is left as it is
    for pos in (30, 60, 90, 119):
        glitch = y.copy()
        glitch[pos] = 1000.0
        assert detect_periods(glitch, "D", 14) == [7], pos
        assert 10 < clip_outliers(glitch)[pos] < 40  # clipped, still large
    glitch = y.copy()
    glitch[30] = 1000.0
    s = pd.Series(glitch, index=pd.date_range("2020-01-01", periods=120, freq="D"))
    fc = LSTMForecaster(horizon=14, random_state=0).fit(s)
    assert fc.seasonal_period_ == 7
    truth = 10 + 2 * np.sin(2 * np.pi * np.arange(120, 134) / 7)
    assert np.abs(fc.predict()["y"].to_numpy() - truth).mean() < 0.2  # 1.29 when the season was missed


def test_seasonal_periods_empty_turns_the_detected_cycle_off(monkeypatch):
    # yearly data with an 11-step cycle: detected unless the user says there is no season
    t = np.arange(120)
    y = pd.Series(10 + np.sin(2 * np.pi * t / 11) + 0.01 * t, index=pd.date_range("1800", periods=120, freq="YS"))
    kw = dict(horizon=4, max_epochs=1, random_state=0)
    assert LSTMForecaster(**kw).fit(y).seasonal_periods_ == [11]
    fc = LSTMForecaster(seasonal_periods=[], **kw).fit(y)
    assert fc.seasonal_periods_ == [] and fc.seasonal_period_ == 1 and fc.window_norm_ == "last"
    # retraining in historical forecasts keeps the structure: no season is not re-detected
    import tsgate.fitting

    given, detect = [], tsgate.fitting.detect_panel_periods
    monkeypatch.setattr(tsgate.fitting, "detect_panel_periods", lambda *a: given.append(a[3]) or detect(*a))
    hf = fc.historical_forecasts(y, start=y.index[100], retrain=True)
    assert np.isfinite(hf["forecast"]).all() and given and all(g == [] for g in given), given
    with pytest.raises(ParameterError, match="seasonal_periods"):
        LSTMForecaster(seasonal_periods=[1]).fit(y)


def test_ar_baseline_by_aic_and_its_k_step_map():
    y = _ar2(2000, seed=3)
    ar = AR().fit(y)
    assert ar.order_ == 2 and np.allclose(ar.coef_, [1.3, -0.6], atol=0.05)
    A, c = ar.k_step(3)
    hist = y[-5:]
    assert np.allclose(A @ hist[::-1][:2] + c, ar.forecast(hist, 3))


def test_ar_by_aicc_adds_the_small_sample_penalty():
    # AICc = AIC + 2k(k+1)/(n-k-1), k = p + 1, all orders on the same rows
    # (after max_order): on 60 points of an AR(2) AIC picks 9 lags, AICc 2
    rng = np.random.RandomState(15)
    y, e = np.zeros(60), rng.standard_normal(60)
    for t in range(2, 60):
        y[t] = 0.6 * y[t - 1] - 0.3 * y[t - 2] + e[t]
    top, n = 12, 48
    rss = {}
    for p in range(1, top + 1):
        Z = np.column_stack([np.ones(n)] + [y[top - j - 1:60 - j - 1] for j in range(p)])  # (n, p + 1)
        coef = np.linalg.lstsq(Z, y[top:], rcond=None)[0]
        rss[p] = float(np.sum((y[top:] - Z @ coef) ** 2))
    aic = {p: n * np.log(r / n) + 2 * (p + 1) for p, r in rss.items()}
    aicc = {p: a + 2 * (p + 1) * (p + 2) / (n - p - 2) for p, a in aic.items()}
    assert AR(top).fit(y).order_ == min(aic, key=aic.get) == 9
    assert AR(top, criterion="aicc").fit(y).order_ == min(aicc, key=aicc.get) == 2


def test_validation_mae_of_baselines_and_baseline_forecaster():
    y = np.tile([1.0, 2.0, 3.0, 4.0], 30)
    scores, _, _ = validation_mae(y, np.arange(80, 100), 4, 4, 80)
    assert scores["seasonal_naive"] == 0.0 and scores["naive"] > 0
    s = pd.Series(y, index=pd.date_range("2000-01-01", periods=120, freq="QS"))
    fc = BaselineForecaster("seasonal_naive", horizon=4).fit(s)
    assert fc.seasonal_period_ == 4 and list(fc.predict().iloc[:, 0]) == [1.0, 2.0, 3.0, 4.0]
    assert fc.describe() == "seasonal naive (m=4)"
    fan = fc.predict_interval([0.5, 0.9])
    t = fan.columns[0]
    assert list(fan.columns)[1:] == [f"{t}_lower_50", f"{t}_upper_50", f"{t}_lower_90", f"{t}_upper_90"]
    assert (fan[f"{t}_lower_90"] <= fan[f"{t}_lower_50"]).all()
    with pytest.raises(ValueError, match="coverage must be a number in"):
        fc.predict_interval(1.5)  # it used to give the widest residual, whatever the number


def test_baseline_bands_measure_errors_of_a_fit_that_has_not_seen_them():
    # split conformal: AR and Holt-Winters refit on the rows before the calibration origins; fit on
    # all rows, the errors there were in-sample and AR's 90% band covered 0.81 on the accuracy
    # benchmark's folds (benchmarks/results/baseline_bands_2026-12-06.md)
    from tsgate.baselines import AR, origin_residuals
    from tsgate.ets import HoltWinters

    rng = np.random.default_rng(0)
    z = np.zeros(200)
    for t in range(2, 200):
        z[t] = 0.6 * z[t - 1] - 0.3 * z[t - 2] + rng.normal()
    y = pd.Series(z + np.tile([0.0, 2.0, 1.0, -1.0], 50), index=pd.date_range("2000-01", periods=200, freq="MS"))
    first, ends = 160, np.arange(160, 192)  # the last fifth; each origin has the 8-step horizon after it
    for method, refit in (("ar", lambda v: (AR().fit(v), None)),
                          ("holt_winters", lambda v: (None, HoltWinters(4).fit(v)))):
        fc = BaselineForecaster(method, horizon=8, seasonal_period=4, outliers="keep").fit(y)
        honest = origin_residuals(method, fc.y_, ends, 8, 4, *refit(fc.y_[:first + 1]))
        np.testing.assert_allclose(fc.residuals_, honest)
        assert not np.allclose(fc.residuals_, origin_residuals(method, fc.y_, ends, 8, 4, fc.ar_, fc.hw_))


def test_baseline_bands_of_a_short_history():
    # 48 months and a 24-month horizon: the last fifth of the series holds no origin with a
    # horizon after it, so the band is calibrated on the last 20 origins that have one (the
    # fit used to fail: 'the series is too short for a seasonal_naive baseline')
    y = pd.Series(np.tile(np.arange(12.0), 4) + np.arange(48) % 5, index=pd.date_range("2000-01", periods=48,
                                                                                       freq="MS"))
    fc = BaselineForecaster("seasonal_naive", horizon=24).fit(y)
    assert fc.residuals_.shape == (20, 24)
    band = fc.predict_interval(0.9)
    assert (band["y_upper"] > band["y"]).all() and (band["y_lower"] < band["y"]).all()
    assert fc.historical_forecasts(y, start=y.index[20], coverage=0.9).notna().all().all()
    # with no origin that has a horizon after it: the forecast, and a band refused by name
    short = BaselineForecaster("ar", horizon=24).fit(y.iloc[:25])
    assert short.residuals_.shape == (0, 24) and np.isfinite(short.predict()["y"]).all()
    msg = (r"no interval: the ar baseline's band measures its errors from earlier origins, which needs at least "
           r"26 rows \(horizon 24 \+ 2\); it was fit on 25 \(the point forecast needs fewer\)")
    with pytest.raises(DataError, match=msg):
        short.predict_interval(0.9)
    assert len(BaselineForecaster("ar", horizon=24).fit(y.iloc[:26]).predict_interval(0.9)) == 24


def test_baseline_forecaster_is_a_scikit_learn_estimator_per_series_and_in_a_grid_search():
    from sklearn.base import clone
    from sklearn.exceptions import NotFittedError
    from sklearn.model_selection import GridSearchCV, TimeSeriesSplit

    from tsgate import LocalForecaster

    est = BaselineForecaster("ar", horizon=4, seasonal_period=4)
    twin = clone(est)
    assert twin is not est and twin.get_params() == est.get_params()
    assert clone(est.set_params(method="drift")).method == "drift"
    with pytest.raises(NotFittedError):
        est.predict()
    # one baseline per series of a panel: each forecasts as it does alone
    t = pd.date_range("2000-01-01", periods=60, freq="QS")
    long = pd.concat([pd.DataFrame({"unique_id": sid, "ds": t, "y": np.tile([1.0, 2.0, 3.0, 4.0], 15) * (k + 1)})
                      for k, sid in enumerate(["a", "b"])])
    local = LocalForecaster(BaselineForecaster("seasonal_naive", horizon=4)).fit(long)
    out = local.predict()
    assert list(out.columns) == ["unique_id", "ds", "y"]
    assert list(out[out.unique_id == "b"]["y"]) == [2.0, 4.0, 6.0, 8.0]
    bt = local.backtest(long, start=0.5)  # each series' baseline backtested (tests/test_baseline_history.py)
    assert set(bt["unique_id"]) == {"a", "b"} and set(bt["model"]) == {"seasonal_naive"} and (bt["MAE"] == 0).all()
    for panel_form in (long, long.set_index(["unique_id", "ds"]), {"a": long.set_index("ds")["y"]}):
        with pytest.raises(DataError, match=r"BaselineForecaster forecasts one series; for a panel \(long, dict or "
                                            r"MultiIndex\) use LocalForecaster\(BaselineForecaster\(...\)\)"):
            BaselineForecaster(horizon=4).fit(panel_form)
    panel = long.set_index(["unique_id", "ds"]).rename_axis(["series", "when"])  # sktime's form, and a dict
    band = LocalForecaster(BaselineForecaster("seasonal_naive", horizon=4)).fit(panel).predict_interval(0.9)
    assert band.index.names == ["series", "when"] and list(band.columns) == ["y", "y_lower", "y_upper"]
    assert list(band.loc["b", "y"]) == [2.0, 4.0, 6.0, 8.0]
    by_id = {sid: g.set_index("ds")["y"] for sid, g in long.groupby("unique_id")}
    naive = LocalForecaster(BaselineForecaster("naive", horizon=2)).fit(by_id).predict()
    assert list(naive["b"].iloc[:, 0]) == [8.0, 8.0]
    # get_params/set_params are what a grid search needs (its scorer is the user's choice)
    y = pd.Series(np.tile([1.0, 2.0, 3.0, 4.0], 30), index=pd.date_range("2000-01-01", periods=120, freq="QS"))
    grid = GridSearchCV(BaselineForecaster(horizon=4), {"method": ["naive", "seasonal_naive"]},
                        cv=TimeSeriesSplit(2, test_size=20), error_score="raise",
                        scoring=lambda est, X, _=None: -float(np.abs(est.predict(horizon=len(X)).iloc[:, 0].to_numpy()
                                                                     - X.to_numpy()).mean()))
    grid.fit(y)
    assert grid.best_params_ == {"method": "seasonal_naive"}
    # or its own score, as the networks': -MAE of the forecast over the fold (which must follow the fit)
    grid = GridSearchCV(BaselineForecaster(horizon=4), {"method": ["naive", "drift", "seasonal_naive"]},
                        cv=TimeSeriesSplit(3, test_size=8), error_score="raise").fit(y)
    assert grid.best_params_ == {"method": "seasonal_naive"} and grid.best_score_ == 0.0
    assert grid.cv_results_["mean_test_score"][0] < -1  # naive
    fc = BaselineForecaster("naive", horizon=4).fit(y[:100])
    assert fc.score(y[100:]) == -float(np.mean(np.abs(y[100:104] - y.iloc[99])))
    with pytest.raises(DataError, match=r"X must start right after the training data, at 2025-01-01; it starts "
                                        r"at 2025-04-01 \(use update\(\) to move the forecast origin first\)"):
        fc.score(y[101:])


@pytest.mark.parametrize("method", ["ar", "drift", "holt_winters"])
def test_a_baseline_whose_arithmetic_overflows_says_so(method):
    # values near float64's limit: the AR's normal equations overflowed and the band was NaN
    y = pd.Series(1e300 * (1.5 + np.sin(np.arange(80.0))), index=pd.date_range("2000-01-01", periods=80, freq="MS"))
    fc = BaselineForecaster(method, horizon=4)
    try:
        fc.fit(y)
        out = fc.predict_interval(0.9)
    except DataError as exc:
        assert re.match(rf"the {method.replace('_', ' ')} baseline's (forecast|interval) of column 'y' is not "
                        r"finite: its values are too large for the arithmetic \(the largest, 2\.5e\+300\); rescale",
                        str(exc))
    else:
        assert np.isfinite(out.to_numpy()).all()


def test_fit_report_names_the_best_baseline_and_warns():
    y = pd.Series(np.tile([1.0, 5.0, 2.0, 8.0], 30) + 0.01 * np.arange(120),
                  index=pd.date_range("2000-01-01", periods=120, freq="QS"))
    # two epochs of a network with no linear start: far from seasonal naive's near-exact forecast
    with pytest.warns(BaselineWarning, match=r"the network's validation MAE \(.*\) does not beat the .* baseline's") \
            as caught:
        fc = LSTMForecaster(horizon=4, max_epochs=2, ar_window=0, window_norm=None).fit(y)
    report = fc.fit_report_
    assert set(report["validation_mae"]) == {"network", "naive", "seasonal_naive", "drift", "ar", "holt_winters"}
    assert report["best_baseline"] in ("seasonal_naive", "ar", "holt_winters")
    assert not report["beats_best_baseline"]
    # the fitted baselines by name, as the CLI and the warning say them ('AR(5)', not 'ar')
    names = report["baseline_models"]
    assert re.fullmatch(r"AR\(\d+\)", names["ar"]) and names["holt_winters"] == "Holt-Winters (m=4)"
    assert names["seasonal_naive"] == "seasonal naive (m=4)" and names["naive"] == "naive"
    assert f"does not beat the {names[report['best_baseline']]} baseline's" in str(caught[0].message)
    two = {"a": y, "b": y * 2.0}  # a panel: each series fits its own AR; no one name
    with pytest.warns(BaselineWarning):
        fc = LSTMForecaster(horizon=4, max_epochs=2, ar_window=0, window_norm=None, fallback=False).fit(two)
    assert fc.fit_report_["baseline_models"] == {}


@pytest.mark.parametrize("values", [np.full(60, 5.0), 1e12 + 1e9 * np.arange(60.0), np.sin(np.arange(60.0))])
def test_a_tie_with_the_best_baseline_in_rounding_is_no_loss(values, tmp_path):
    # a constant, a line at 1e12, a pure sine: network and baseline are both exact up to rounding
    # (MAE 0 against 0, 48 against 0 at 1e12, 5e-8 against 7e-16): no warning, no 'ratio nan'
    y = pd.Series(values, index=pd.date_range("2020-01-01", periods=60, freq="D"), name="y")
    with warnings.catch_warnings():
        warnings.simplefilter("error", BaselineWarning)
        fc = LSTMForecaster(horizon=5, max_epochs=5, random_state=0).fit(y)
    assert fc.fit_report_["beats_best_baseline"]
    from tsgate.cli import main

    y.rename_axis("day").to_csv(tmp_path / "s.csv")
    r = CliRunner().invoke(main, ["forecast", str(tmp_path / "s.csv"), "--horizon", "5", "--epochs", "5"])
    assert r.exit_code == 0 and "does not beat" not in r.stderr and "nan" not in r.stderr, r.stderr


def test_cli_model_auto_says_what_it_chose(tmp_path):
    from tsgate.cli import main

    idx = pd.date_range("2000-01-01", periods=120, freq="MS")
    y = np.tile([3.0, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8], 10)
    pd.DataFrame({"month": idx.strftime("%Y-%m-%d"), "y": y}).to_csv(tmp_path / "s.csv", index=False)
    r = CliRunner().invoke(main, ["forecast", str(tmp_path / "s.csv"), "--model", "auto", "--epochs", "2",
                                  "--save-model", str(tmp_path / "m.tsgate")])
    assert r.exit_code == 0, r.stderr
    assert "model auto: " in r.stderr
    assert re.search(r"best baseline (naive|drift|seasonal naive \(m=12\)|AR\(\d+\)|Holt-Winters \(m=12\)) \d",
                     r.stderr), r.stderr  # the fitted baseline's name, not the method's ('ar')
    assert "linear start: " in r.stderr and ("(kept fixed)" in r.stderr or "(trained)" in r.stderr)
    r = CliRunner().invoke(main, ["forecast", str(tmp_path / "s.csv"), "--model", "seasonal_naive"])
    assert r.exit_code == 0 and r.stdout.splitlines()[1].split(",")[1] == "3.0"
    r = CliRunner().invoke(main, ["predict", str(tmp_path / "m.tsgate"), "--horizon", "2"])
    assert r.exit_code == 0, r.stderr
    r = CliRunner().invoke(main, ["forecast", str(tmp_path / "s.csv"), "--model", "holt_winters"])
    assert r.exit_code == 0 and "Holt-Winters (m=12)" in r.stderr, r.stderr
    assert np.allclose([float(line.split(",")[1]) for line in r.stdout.splitlines()[1:4]], [3.0, 1.0, 4.0], atol=0.05)


def test_a_start_already_worse_than_naive_is_reported_as_such_not_as_a_learning_rate():
    # Ones with a spike in an older selection block: the start (AR, pulled by
    # the spike) forecasts the exact validation tail badly before training.
    # The error says so instead of blaming the learning rate; with 'minmax'
    # (the spike sets the range) the floors in the scaled series' variance
    # catch what a fixed 1e-3 in scaled units passed as garbage forecasts of ~1e4.
    from tsgate.errors import TrainingDivergedError
    from types import SimpleNamespace

    from tsgate.learned import spread

    y = pd.Series(np.ones(120), index=pd.date_range("2020-01-01", periods=120, freq="D"))
    y.iloc[60] = 1e6
    for scaler in ("standard", "minmax"):
        with pytest.raises(TrainingDivergedError, match=r"^the linear start \(ar\), chosen on earlier .* far worse "
                                                        r"than repeating the last value .*an outlier or a level shift"):
            LSTMForecaster(horizon=5, max_epochs=3, scaler=scaler, fallback=False).fit(y)
        # with fallback (the default) the best baseline on validation forecasts alone, and says why
        with pytest.warns(BaselineWarning, match=r"^the linear start \(ar\), chosen .*an outlier or a level shift.*"
                                                 r"The forecast is the naive baseline's alone"):
            fc = LSTMForecaster(horizon=5, max_epochs=3, scaler=scaler).fit(y)
        assert fc.fit_report_["blend"]["weight"] == 1.0 and "linear start" in fc.fit_report_["blend"]["why"]
        assert np.array_equal(fc.predict().iloc[:, 0].to_numpy(), np.ones(5))
        band = fc.predict_interval(0.8)  # naive's residuals over the history (the network's floor: ~1e4 wide)
        assert np.allclose(band.to_numpy(), 1.0), band
    with pytest.raises(TrainingDivergedError, match="training failed: .* lower learning_rate"):
        LSTMForecaster(horizon=5, max_epochs=3, learning_rate=1e6).fit(y)
    z = np.r_[np.zeros(119), 1.0]
    one = SimpleNamespace(t_loc=np.zeros(1), t_scale=np.ones(1))
    assert spread(one, [z]) == pytest.approx(np.var(z)) and spread(one, [np.zeros(5)]) == 1e-4


def test_a_network_that_overfits_is_no_training_failure():
    """A noisy stretch, then a calm ramp: the network fits the training rows ever more closely
    (its training loss falls) while its loss on the calm validation tail rises more than
    tenfold; early stopping keeps the start. That fit raised "training failed ... lower
    learning_rate" (so did 4 of M4's 359 weekly series: W5, W240, W241, W295); it forecasts."""
    rng = np.random.default_rng(14)
    rng.integers(40, 200), rng.integers(15, 40)  # the search that found it drew the lengths (64, 35)
    noisy = np.cumsum(rng.standard_normal(64)) * rng.uniform(0.2, 2) + rng.standard_normal(64) * rng.uniform(0.5, 3)
    calm = noisy[-1] + rng.uniform(-3, 3) + np.cumsum(rng.uniform(0, 0.3) + 0.1 * rng.standard_normal(35))
    y = pd.Series(np.r_[noisy, calm] + 50, index=pd.date_range("2020-01-06", periods=99, freq="W-MON"), name="y")
    fc = LSTMForecaster(horizon=13, random_state=0).fit(y)
    h = fc.histories_[0]
    assert h["val_loss"][-1] > 10 * h["initial_val_loss"] and h["loss"][-1] < h["loss"][0]  # the case
    assert np.isfinite(fc.predict()["y"]).all()


def test_seasonal_naive_starts_only_at_calendar_or_given_periods(monkeypatch):
    # A cycle found in the data (an 11-step cycle in yearly data) drifts in
    # length; repeating its last stretch is no candidate start there. A
    # calendar period, or one the user gives, is.
    import tsgate.ensemble
    import tsgate.fitting
    from tsgate.highway import baseline_candidates
    from tsgate.seasonality import is_calendar

    assert is_calendar(12, "MS") and is_calendar(336, "30min") and not is_calendar(11, "YS")
    names = []

    def spy(model, *args, **kwargs):
        out = baseline_candidates(model, *args, **kwargs)
        names.extend(out)
        return out

    monkeypatch.setattr(tsgate.fitting, "baseline_candidates", spy)
    monkeypatch.setattr(tsgate.ensemble, "baseline_candidates", spy)
    t = np.arange(200)
    y = pd.Series(50 + 40 * np.sin(2 * np.pi * t / 11) + np.random.RandomState(0).randn(200),
                  index=pd.date_range("1800-01-01", periods=200, freq="YS"))
    fc = LSTMForecaster(horizon=5, max_epochs=2).fit(y)
    assert fc.seasonal_periods_ == [11] and "ar" in names and "seasonal_naive" not in names
    names.clear()
    LSTMForecaster(horizon=5, max_epochs=2, seasonal_periods=[11]).fit(y)
    assert "seasonal_naive" in names
    names.clear()
    LSTMForecaster(horizon=3, max_epochs=2).fit(y.set_axis(pd.date_range("2000-01-01", periods=200, freq="MS"))[:120])
    assert "seasonal_naive" in names  # monthly: 12 is the calendar's


def test_the_refit_start_is_fit_on_every_row(monkeypatch):
    # The refit's AR and Holt-Winters starts see the whole series, as the
    # refit's windows do (they stopped a horizon short)
    import tsgate.fitting

    calls = []
    real = tsgate.fitting.FitMixin._start_fit
    monkeypatch.setattr(tsgate.fitting.FitMixin, "_start_fit",
                        lambda self, z, ends, kind: calls.append((kind, list(ends))) or real(self, z, ends, kind))
    y = pd.Series(np.sin(np.arange(150) / 4.0) + np.arange(150) * 0.01,
                  index=pd.date_range("2000-01-01", periods=150, freq="D"))
    LSTMForecaster(horizon=7, max_epochs=2).fit(y)
    assert ("ar", [150]) in calls and ("ets", [150]) in calls and max(e[0] for _, e in calls) == 150
