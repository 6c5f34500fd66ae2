"""Forward-reading networks must carry information far back (slow: CI's own pass).

No test here passes by a side door: every network is unidirectional, and the
decisive input lies the full delay before the step that needs it.
"""

import numpy as np
import pandas as pd
import pytest

from tsgate import GRUForecaster, LSTMForecaster, LSTMRegressor, metrics
from tsgate.datasets import adding_problem, delayed_echo

pytestmark = pytest.mark.slow


def echo_scores(fc, df, n_train):
    """One-step forecasts from every origin after the fit's cutoff (rows
    ``n_train`` .. the end: 400-500 rows, 20-25 pulses): MAE / std(y), the
    issue's measure, and MAE over that of predicting zero on the same rows.

    The second guards the first: on a 5% pulse train predicting zero already
    scores MAE / std ~0.26, so a bound like 0.2 alone is nearly trivial.
    """
    hf = fc.historical_forecasts(df)
    assert len(hf) == len(df) - n_train and (hf["step"] == 1).all()
    mae = float(np.mean(np.abs(hf["forecast"] - hf["y"])))
    return mae / df["y"].std(), mae / float(np.mean(np.abs(hf["y"])))


def test_adding_problem_T100_fewer_than_2_percent_wrong():
    # Defaults apart from the training budget: 4,000 sequences, 40 epochs.
    X, y = adding_problem(4000, 100, random_state=1, max_length=110)  # lengths 100..110, left-padded
    Xt, yt = adding_problem(1000, 100, random_state=2, max_length=110)
    reg = LSTMRegressor(max_epochs=40).fit(X, y)
    wrong = int(np.sum(np.abs(reg.predict(Xt) - yt) >= 0.04))
    assert wrong < 20, wrong  # measured: 0 of 1,000 (init='forget': 849, 'torch': ~845)


@pytest.mark.parametrize("cls, n, seeds", [
    (LSTMForecaster, 4000, (0, 1, 2)),
    (GRUForecaster, 1900, (0, 1, 2)),
])
def test_echo_100_steps_back_unidirectional_step_by_step(cls, n, seeds):
    # y_t = x_{t-100} + noise, x sparse pulses (5% of steps): the pulse must be
    # carried 100 recurrent steps (segment_length=1: one step per time step),
    # with lookback 110, so ten steps come before it in the window and it is
    # not the first input the network meets. One-step forecasts from all 400
    # held-out origins (about 20 pulses): the median over the seeds must meet
    # the MAE / std < 0.1 and beat predicting zero (MAE / std 0.26-0.27
    # here) by more than half. The default window_position='auto' is on here,
    # as x is a covariate (each step's place in the window is an input, so the
    # lag is read, not counted from the window's start). Measured: LSTM on 3,600 training rows 0.037,
    # 0.065 (seed 2: 0.035; without the position 0.396, 0.282, 0.079); GRU on
    # 1,500 rows 0.036, 0.031, 0.057 (without: 0.065, 0.116, 0.040). Without the
    # position the LSTM needed 7,600 rows (long_delays_2026-12-03.md; on 4,600:
    # 0.431, 0.123 on one machine, 0.047, 0.047 on another); with it, on 2,600
    # rows one seed of three learns it (0.386, 0.040, 0.341): it still needs
    # enough pulses. Since the ARIMA(p, 1, 0) start joined the candidates
    # (2026-12-05) the LSTM's seed 1 does not learn it (0.426; seeds 0-5: 0.053,
    # 0.426, 0.064, 0.026, 0.027, 0.052; without that start 0.030, 0.035, 0.051,
    # 0.056, 0.028, 0.043), so it takes the median of three seeds, as the GRU does.
    df = delayed_echo(n=n, lag=100, noise=0.01, random_state=0)
    ratios, rels, models = [], [], []
    for seed in seeds:
        fc = cls(target="y", horizon=1, lookback=110, segment_length=1, window_norm=None, learning_rate=1e-2,
                 random_state=seed).fit(df.iloc[:n - 400])
        assert fc.segment_length_ == 1 and not fc.bidirectional and fc._position()  # 'auto': x is a covariate
        ratio, rel = echo_scores(fc, df, n - 400)
        ratios.append(ratio)
        rels.append(rel)
        models.append(fc)
    assert np.median(ratios) < 0.1, (ratios, rels)
    assert np.median(rels) < 0.5, rels  # predicting zero: 1
    # The lag profile of the median run points at the
    # decisive input, lag 100 itself (the 100 +- 1), far above the
    # gains of lags 3-97 (measured: 300x for the LSTM).
    profile = models[int(np.argsort(ratios)[len(ratios) // 2])].lag_importance()["x"]
    lag = int(profile.idxmax())
    assert abs(lag - 100) <= 1, lag
    assert profile[100] > 5 * profile.loc[3:97].median(), profile[100]  # not an edge artefact alone


@pytest.mark.parametrize("cls", [LSTMForecaster, GRUForecaster])
def test_echo_1000_steps_back_at_the_default_settings(cls):
    # y_t = x_{t-1000}: lookback 1002 puts the decisive input two steps after
    # the window's start, so it must be carried through the whole window. At
    # the defaults (apart from the lookback and window_norm=None: the target
    # is a pulse train, not a level) that means segments of 63 points, 16
    # recurrent steps, the default learning rate and the position column.
    # 4,000 training rows (about 150 decisive pulses), seeds 0-2, one-step
    # forecasts from the 400 held-out origins; the median must meet the
    # issue's MAE / std < 0.1 and beat predicting zero by more than half.
    # Measured (AMD EPYC): LSTM 0.060, 0.071, 0.590; GRU 0.059, 0.059, 0.063;
    # at learning_rate=1e-2 (the lag-100 tests' rate) all six stay at their
    # linear start (0.437).
    n = 4400
    df = delayed_echo(n=n, lag=1000, noise=0.01, random_state=0)
    runs = []
    for seed in (0, 1, 2):
        fc = cls(target="y", horizon=1, lookback=1002, window_norm=None, random_state=seed).fit(df.iloc[:n - 400])
        assert fc.segment_length_ > 1 and not fc.bidirectional and fc._position()
        runs.append((echo_scores(fc, df, n - 400), fc))
    runs.sort(key=lambda r: r[0][0])
    (ratio, rel), median = runs[1]
    assert ratio < 0.1 and rel < 0.5, [r[0] for r in runs]
    profile = median.lag_importance()["x"]  # the median run reads lag 1000 itself
    assert abs(int(profile.idxmax()) - 1000) <= 1, profile.idxmax()
    assert profile[1000] > 5 * profile.loc[3:997].median(), profile[1000]


def test_stateful_training_learns_a_short_echo_and_its_state_carries_over_update():
    df = delayed_echo(n=3000, lag=5, noise=0.01, random_state=0)
    fc = LSTMForecaster(target="y", horizon=1, stateful=True, tbptt=50, window_norm=None, learning_rate=1e-2,
                        max_epochs=60, patience=100, batch_size=8, random_state=0).fit(df.iloc[:2500])
    ratio, rel = echo_scores(fc, df, 2500)
    assert ratio < 0.2 and rel < 0.5, (ratio, rel)  # measured 0.031, 0.16 of zero's MAE
    # update carries the state: after the rows up to 2,700 it forecasts what
    # the pass over the whole series gives from that origin (row 200 of the
    # forecasts from the fit's cutoff on)
    hf = fc.historical_forecasts(df)
    fc.update(df.iloc[:2700])
    assert hf["ds"].iloc[200] == df.index[2700]
    assert fc.predict()["y"].iloc[0] == pytest.approx(hf["forecast"].iloc[200], rel=1e-4, abs=1e-7)


@pytest.mark.xfail(strict=True, reason=(
    "not learned: with TBPTT(100, 400) (chunks of 100, tbptt_depth=400: the gradient reaches 400 steps back) "
    "the forecasts from the 500 held-out origins have MAE / std 0.52, twice the MAE of predicting zero; the "
    "training loss falls but the validation loss, from a state run over the whole series, rises (GRU alike; "
    "long_delays_2026-12-02.md). A state that never restarts must act as a 300-step delay line for about 15 "
    "pulses in flight, where a window's zero start gives the network a clock; a sparse echo with about one "
    "pulse in flight (0.3% of steps, 60,000 rows) was not learned either; PyTorch's stateful LSTM fails alike, and a "
    "dilated stack (dilations 1, 4, 20, 100) memorises the training rows without learning the delay "
    "(long_delays_2026-12-03.md)"))
def test_stateful_training_learns_an_echo_longer_than_the_tbptt_chunk():
    df = delayed_echo(n=3000, lag=300, noise=0.01, random_state=0)
    fc = LSTMForecaster(target="y", horizon=1, stateful=True, tbptt=100, tbptt_depth=400, window_norm=None,
                        learning_rate=1e-2, max_epochs=200, patience=60, batch_size=8,
                        random_state=0).fit(df.iloc[:2500])
    ratio, rel = echo_scores(fc, df, 2500)
    assert ratio < 0.2 and rel < 0.5, (ratio, rel)  # predicting zero: 0.26 / 1; measured 0.52 / 2.08


def test_weekly_season_of_168_steps_with_six_weeks_of_history():
    # Hourly load: a daily shape that changes at weekends (period 168), only
    # six seasons of history. Forecast the next day (a Monday after a weekend).
    rng = np.random.default_rng(0)
    H = 24
    n = 6 * 168 + H
    t = np.arange(n)
    hour, dow = t % 24, (t // 24) % 7
    daily = np.sin(2 * np.pi * (hour - 6) / 24) + 0.5 * np.sin(4 * np.pi * hour / 24)
    y = np.where(dow >= 5, 0.3 * daily - 1.0, daily) + 0.1 * rng.standard_normal(n)
    df = pd.DataFrame({"load": y}, index=pd.date_range("2024-01-01", periods=n, freq="h"))
    train, test = df.iloc[:-H], df.iloc[-H:]
    tr = train["load"].to_numpy()
    for cls in (LSTMForecaster, GRUForecaster):
        fc = cls(horizon=H, calendar_features=True, random_state=0).fit(train)
        mae = metrics.mae(test["load"], fc.predict()["load"])
        weekly_naive = metrics.mae(test["load"], metrics.seasonal_naive(tr, H, 168))  # ~0.098
        daily_naive = metrics.mae(test["load"], metrics.seasonal_naive(tr, H, 24))  # ~1.01
        assert mae < weekly_naive, (cls.__name__, mae, weekly_naive)
        assert mae < 0.15 * daily_naive
