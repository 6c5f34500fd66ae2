"""window_norm='ets': targets relative to a Holt-Winters forecast run over the whole history (tsgate.esnorm)."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from tsgate import GRUForecaster, LSTMForecaster, load, metrics
from tsgate.errors import DataError, ParameterError
from tsgate.esnorm import advance, end_state, forecast, row_forecasts
from tsgate.ets import HoltWinters
from tsgate.highway import baseline_candidates
from tsgate.windows import make_windows


def _series(n, m=4, seed=0):
    """A trend, a season whose shape drifts slowly and noise: Holt-Winters' home ground."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    shape = np.cumsum(rng.standard_normal((n // m + 2, m)) * 0.15, axis=0)[t // m, t % m]
    return 100 + 0.2 * t + 5 * np.sin(2 * np.pi * t / m) + 3 * shape + rng.standard_normal(n)


def _hw(y, m):
    return HoltWinters(m).fit((y - y.mean()) / y.std())


@pytest.mark.parametrize("m", [1, 4, 12])
def test_row_forecasts_are_holt_winters_forecasts_from_every_origin(m):
    # Two series stored one after another: from every row e of each, the k-step
    # forecasts equal a run of the recursion over that series up to e, also in
    # the first season, whose phases still hold the starting seasonals.
    a, b = _series(60, max(m, 2), 1), _series(45, max(m, 2), 2)
    hw = _hw(a, m)
    rows = row_forecasts(hw, [a, b], pad=3)
    for k, (y, start) in enumerate(zip([a, b], rows.starts)):
        ends = np.arange(len(y))
        want = hw.forecasts_from(y, ends, 7)
        got = rows.ahead(start + ends, np.full(len(ends), k), np.arange(1, 8))
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-9)


def test_end_state_forecast_and_advance_continue_the_run():
    y = _series(80, 12)
    hw = _hw(y, 12)
    np.testing.assert_allclose(forecast(hw, end_state(hw, y), 30)[0], hw.forecasts_from(y, [79], 30)[0], rtol=1e-12)
    halves = advance(hw, end_state(hw, y[:50]), y[50:])
    np.testing.assert_allclose(halves, end_state(hw, y), rtol=1e-12)
    assert np.array_equal(advance(hw, halves, y[:0]), halves)


def _frame(y, start="2000-01-01", freq="QS"):
    return pd.DataFrame({"y": y}, index=pd.date_range(start, periods=len(y), freq=freq))


def test_ets_norm_forecasts_from_the_state_and_beats_seasonal_naive():
    y = _series(160, 4)
    df, H = _frame(y), 8
    train, test = df.iloc[:-H], df["y"].to_numpy()[-H:]
    fc = LSTMForecaster(horizon=H, window_norm="ets", random_state=0).fit(train)
    assert fc.window_norm_ == "ets" and fc.es_model_.season_ == 4 and fc.es_state_.shape == (1, 6)
    mae = metrics.mae(test, fc.predict()["y"].to_numpy())
    snaive = metrics.mae(test, metrics.seasonal_naive(train["y"].to_numpy(), H, 4))
    assert mae < 0.8 * snaive


def test_ets_windows_targets_are_the_holt_winters_errors():
    # The targets of window_norm='ets' are the errors of the forecast made at
    # each window's origin, so a zero output (the 'holt_winters_state' start)
    # is that forecast; the inputs stay relative to the last value.
    z = (lambda y: (y - y.mean()) / y.std())(_series(90, 4))
    hw = HoltWinters(4).fit(z[:70])
    w = make_windows([z], [np.zeros((90, 0))], [np.zeros((90, 0))], 12, 5, 5, 0.2, 1, 1, level=True,
                     base=row_forecasts(hw, [z]))
    src = w.everything()
    idx = np.arange(src.n)
    want = z[src.ends[:, None] + np.arange(1, 6)] - hw.forecasts_from(z, src.ends, 5)
    np.testing.assert_allclose(src.targets(idx), want, rtol=1e-12, atol=1e-12)
    X, _ = src.inputs(idx)
    np.testing.assert_allclose(X[:, :, 0], z[src.ends[:, None] + np.arange(-11, 1)] - z[src.ends][:, None],
                               atol=1e-6)
    cands = baseline_candidates(SimpleNamespace(n_head_extra=1, n_ar=12, n_outputs=5), 1, 4, None, True, base=True)
    assert list(cands) == ["holt_winters_state"] and not cands["holt_winters_state"].any()


def test_ets_norm_survives_save_update_and_historical_forecasts(tmp_path):
    y = _series(150, 4, seed=3)
    df, H = _frame(y), 6
    fc = GRUForecaster(horizon=H, window_norm="ets", max_epochs=5, random_state=0).fit(df.iloc[:120])
    back = load(fc.save(tmp_path / "m.tsgate"))
    assert np.array_equal(back.es_state_, fc.es_state_) and back.es_model_.params_ == fc.es_model_.params_
    assert np.array_equal(back.predict().to_numpy(), fc.predict().to_numpy())
    # update over two stretches = one update over both: the state advances by the new rows only
    fc.update(df.iloc[:140])
    back.update(df.iloc[:130])
    back.update(df.iloc[:140])
    np.testing.assert_allclose(back.es_state_, fc.es_state_, rtol=1e-12)
    np.testing.assert_allclose(back.predict().to_numpy(), fc.predict().to_numpy(), rtol=1e-6)
    # historical forecasts read the data from its first row, as the fit did:
    # from the fitted model's cutoff they are the model's forecast
    fresh = GRUForecaster(horizon=H, window_norm="ets", max_epochs=5, random_state=0).fit(df.iloc[:120])
    hist = fresh.historical_forecasts(df.iloc[:130], start=df.index[119])
    first = hist[hist["cutoff"] == df.index[119]]["forecast"].to_numpy()
    np.testing.assert_allclose(first, fresh.predict()["y"].to_numpy(), rtol=1e-5)


def test_ets_norm_on_series_runs_the_state_over_the_given_history():
    # A global model set to other data (on_series, Dask's partitions) runs the
    # Holt-Winters state over each series' rows there; a known series given
    # its whole training history forecasts as the fitted model does.
    df = pd.concat([pd.DataFrame({"unique_id": f"s{k}", "ds": pd.date_range("2000-01-01", periods=120, freq="QS"),
                                  "y": _series(120, 4, seed=k)}) for k in range(3)])
    fc = LSTMForecaster(horizon=4, window_norm="ets", max_epochs=3, random_state=0).fit(df[df.unique_id != "s2"])
    same = fc.on_series(df[df.unique_id == "s0"])
    np.testing.assert_allclose(same.es_state_, fc.es_state_[:1], rtol=1e-12)
    assert np.allclose(same.predict()["y"].to_numpy(), fc.predict(ids=["s0"])["y"].to_numpy(), rtol=1e-6)
    new = fc.on_series(df[df.unique_id == "s2"])
    assert new.es_state_.shape == (1, 6) and np.isfinite(new.predict()["y"]).all()


def test_ets_norm_update_with_a_gap_is_refused_and_changes_nothing():
    y = _series(150, 4, seed=4)
    df = _frame(y)
    fc = LSTMForecaster(horizon=4, window_norm="ets", max_epochs=2, random_state=0).fit(df.iloc[:120])
    state, before = fc.es_state_.copy(), fc.predict().to_numpy()
    with pytest.raises(DataError, match="must continue the data the state has read"):
        fc.update(df.iloc[125:145])
    assert np.array_equal(fc.es_state_, state) and np.array_equal(fc.predict().to_numpy(), before)


def test_ets_norm_needs_the_direct_strategy_and_no_stateful_training():
    df = _frame(_series(100, 4))
    with pytest.raises(ParameterError, match="window_norm='ets'.*strategy='direct'"):
        LSTMForecaster(window_norm="ets", strategy="recursive").fit(df)
    with pytest.raises(ParameterError, match="stateful=True.*window_norm"):
        LSTMForecaster(window_norm="ets", stateful=True).fit(df)
    # 'auto' with the recursive strategy never picks it
    fc = LSTMForecaster(strategy="recursive", horizon=4, max_epochs=2, random_state=0).fit(df)
    assert fc.window_norm_ != "ets" and fc.es_model_ is None
