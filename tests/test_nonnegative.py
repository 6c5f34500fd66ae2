"""Forecasts of series that cannot go below zero (tsgate.nonnegative): floored where they should be, only there."""

import copy

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from tsgate import BaselineForecaster, LSTMForecaster, load
from tsgate.cli import main
from tsgate.errors import DataError
from tsgate.nonnegative import floor, floored_series

FAST = dict(max_epochs=15, hidden_size=8, horizon=6)


def _counts(n=96, seed=0):
    """Monthly counts of a rare event: many zeros, a seasonal swing; its intervals reach below zero unfloored."""
    rng = np.random.default_rng(seed)
    lam = 1.5 + 1.4 * np.sin(2 * np.pi * np.arange(n) / 12)
    return pd.Series(rng.poisson(lam).astype(float), index=pd.date_range("2000-01-01", periods=n, freq="MS"),
                     name="cases")


def test_auto_floors_a_series_without_negatives_that_comes_down_to_zero_or_near_it_only():
    lowest, highest = [0.0, 0.5, -1.0, 0.0, 39.0, 0.1], [5.0, 9.0, 3.0, 0.0, 6991.0, 9.0]
    ranges = np.array([lowest, highest])  # (2, S)
    assert floored_series("auto", ranges).tolist() == [True, False, False, True, True, False]
    assert floored_series(True, ranges).all() and not floored_series(False, ranges).any()
    v = np.array([[-1.0, 2.0], [-3.0, -4.0]])
    assert floor(v, np.array([True, False])).tolist() == [[0.0, 2.0], [-3.0, -4.0]]
    assert floor(v, True).tolist() == [[0.0, 2.0], [0.0, 0.0]]
    np.testing.assert_array_equal(floor(v, False), v)


@pytest.mark.parametrize("setting", ["auto", True])
def test_counts_get_forecasts_and_bands_at_or_above_zero(setting):
    y = _counts()
    fc = LSTMForecaster(nonnegative=setting, **FAST).fit(y)
    band = fc.predict_interval([0.8, 0.95])
    assert (band.to_numpy() >= 0).all() and (fc.predict().to_numpy() >= 0).all()
    raw = LSTMForecaster(nonnegative=False, **FAST).fit(y).predict_interval([0.8, 0.95])
    assert (raw.to_numpy() < 0).any()  # without the floor the band reaches below zero: the test can fail
    floored = np.maximum(raw.to_numpy(), 0.0)
    np.testing.assert_array_equal(band.to_numpy(), floored)  # the same model, floored: nothing else changes


def test_historical_forecasts_and_their_bands_are_floored_too():
    y = _counts()
    fc = LSTMForecaster(**FAST).fit(y)
    hist = fc.historical_forecasts(y, start=0.6, coverage=0.9)
    raw = LSTMForecaster(nonnegative=False, **FAST).fit(y).historical_forecasts(y, start=0.6, coverage=0.9)
    cols = ["forecast", "lower", "upper"]
    assert (hist[cols].to_numpy() >= 0).all() and (raw[cols].to_numpy() < 0).any()
    np.testing.assert_array_equal(hist[["forecast", "lower"]].to_numpy(),
                                  np.maximum(raw[["forecast", "lower"]].to_numpy(), 0.0))
    # the band is the floored forecast's, as predict_interval's: its width above a forecast floored to zero stays
    width = (raw["upper"] - raw["forecast"]).to_numpy()
    np.testing.assert_allclose(hist["upper"].to_numpy(), np.maximum(raw["forecast"].to_numpy(), 0.0) + width,
                               rtol=1e-12, atol=1e-9)


def _troughs(n=120, seed=0):
    """A monthly series cut at zero for half of every year: unfloored forecasts dip below zero there."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return pd.Series(np.maximum(0, 8 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 1.5, n)).round(),
                     index=pd.date_range("2000-01-01", periods=n, freq="MS"), name="y")


@pytest.mark.parametrize("strategy", ["direct", "recursive"])
def test_historical_bands_equal_update_then_predict_interval_where_forecasts_are_floored(strategy):
    y = _troughs()
    fc = LSTMForecaster(horizon=6, max_epochs=15, hidden_size=8, strategy=strategy).fit(y.iloc[:96])
    raw = copy.deepcopy(fc)
    raw.nonnegative = False
    assert (raw.historical_forecasts(y)["forecast"] < 0).any()  # the floor is at work: the test can fail
    hist = fc.historical_forecasts(y, coverage=0.9)
    for cutoff, g in hist.groupby("cutoff"):
        there = copy.deepcopy(fc).update(y[:cutoff]).predict_interval(0.9)
        np.testing.assert_allclose(there.to_numpy(), g[["forecast", "lower", "upper"]].to_numpy(), atol=1e-6)


@pytest.mark.parametrize("method", ["ar", "holt_winters"])
def test_a_baselines_historical_bands_equal_update_then_predict_interval_where_floored(method):
    y = _troughs()
    assert (BaselineForecaster(method, horizon=6, nonnegative=False).fit(y.iloc[:96])
            .historical_forecasts(y, start=y.index[96])["forecast"] < 0).any()
    hist = BaselineForecaster(method, horizon=6).fit(y.iloc[:96]).historical_forecasts(y, start=y.index[96],
                                                                                        coverage=0.9)
    for cutoff, g in hist.groupby("cutoff"):
        there = BaselineForecaster(method, horizon=6).fit(y.iloc[:96]).update(y[:cutoff]).predict_interval(0.9)
        np.testing.assert_allclose(there.to_numpy(), g[["forecast", "lower", "upper"]].to_numpy(), rtol=1e-12)


def test_a_positive_series_that_never_reached_zero_is_left_alone_until_it_does():
    y = _counts() + 0.5  # no zero: 'auto' leaves it unbounded (a temperature in a warm city)
    fc = LSTMForecaster(**FAST).fit(y)
    unfloored = fc.predict_interval(0.95)
    assert (unfloored.to_numpy() < 0).any()
    newer = pd.Series([0.0], index=pd.date_range(y.index[-1], periods=2, freq="MS")[1:], name="cases")
    fc.update(newer)  # the history now reaches zero
    assert (fc.predict_interval(0.95).to_numpy() >= 0).all()


def test_true_refuses_negative_targets_by_name_in_python_and_on_the_command_line(tmp_path):
    y = _counts()
    y.iloc[30] = -2.0
    with pytest.raises(DataError, match=r"nonnegative=True, but series 'cases' has 1 negative value, "
                                        r"the first -2 at 2002-07-01"):
        LSTMForecaster(nonnegative=True, **FAST).fit(y)
    y.iloc[31] = -1.0
    with pytest.raises(DataError, match=r"has 2 negative values, the first -2 at 2002-07-01 \(lowest -2\)"):
        LSTMForecaster(nonnegative=True, **FAST).fit(y)
    y.iloc[31] = 0.0
    with pytest.raises(DataError, match="nonnegative=True"):
        BaselineForecaster("naive", nonnegative=True).fit(y)
    path = tmp_path / "c.csv"
    y.rename_axis("month").to_csv(path)
    r = CliRunner().invoke(main, ["forecast", str(path), "--nonnegative", "--epochs", "2", "--horizon", "3"])
    assert r.exit_code == 2 and r.stderr.count("\n") == 1
    assert "--nonnegative, but series 'cases'" in r.stderr and "leave --nonnegative out" in r.stderr


def test_the_command_line_floors_by_default_and_not_with_no_nonnegative(tmp_path):
    path = tmp_path / "c.csv"
    _counts().rename_axis("month").to_csv(path)
    common = ["forecast", str(path), "--epochs", "15", "--hidden-size", "8", "--horizon", "6", "--quiet",
              "--interval", "0.95"]
    floored = pd.read_csv(pd.io.common.StringIO(CliRunner().invoke(main, common).stdout))
    raw = pd.read_csv(pd.io.common.StringIO(CliRunner().invoke(main, common + ["--no-nonnegative"]).stdout))
    assert (floored["cases_lower"] >= 0).all() and (raw["cases_lower"] < 0).any()


def test_baselines_are_floored_and_remember_the_setting_in_their_model_file(tmp_path):
    y = pd.Series(np.r_[np.linspace(40, 0, 30), np.zeros(2), [3.0, 1.0]],
                  index=pd.date_range("2000-01-01", periods=34, freq="D"), name="stock")
    drift = BaselineForecaster("drift", horizon=10).fit(y)
    assert drift.predict()["stock"].min() == 0.0  # the drift line goes below zero
    assert (BaselineForecaster("drift", horizon=10, nonnegative=False).fit(y).predict()["stock"] < 0).any()
    assert (drift.predict_interval(0.9).to_numpy() >= 0).all()
    hist = drift.historical_forecasts(y, start=0.6, coverage=0.9)
    assert (hist[["forecast", "lower", "upper"]].to_numpy() >= 0).all()
    drift.save(tmp_path / "d.tsgate")
    back = load(tmp_path / "d.tsgate")
    assert back.nonnegative == "auto"
    pd.testing.assert_frame_equal(back.predict_interval(0.9), drift.predict_interval(0.9))


def test_the_network_model_file_keeps_the_setting(tmp_path):
    fc = LSTMForecaster(nonnegative=False, **FAST).fit(_counts())
    fc.save(tmp_path / "m.tsgate")
    back = load(tmp_path / "m.tsgate")
    assert back.nonnegative is False
    pd.testing.assert_frame_equal(back.predict_interval(0.95), fc.predict_interval(0.95))


def test_the_command_lines_baselines_take_the_flag_too(tmp_path):
    path = tmp_path / "stock.csv"
    pd.DataFrame({"day": pd.date_range("2000-01-01", periods=34, freq="D").strftime("%Y-%m-%d"),
                  "stock": np.r_[np.linspace(40, 0, 30), np.zeros(2), [3.0, 1.0]]}).to_csv(path, index=False)
    common = ["forecast", str(path), "--model", "drift", "--horizon", "10", "--quiet"]
    floored = pd.read_csv(pd.io.common.StringIO(CliRunner().invoke(main, common).stdout))
    raw = pd.read_csv(pd.io.common.StringIO(CliRunner().invoke(main, common + ["--no-nonnegative"]).stdout))
    assert (floored.drop(columns="day").to_numpy() >= 0).all() and (raw["stock"] < 0).any()


def test_the_summary_says_which_series_are_kept_at_or_above_zero_and_how_to_leave_them_unbounded(tmp_path):
    from tsgate.nonnegative import describe

    assert describe("auto", [[0.0], [190.2]]) == ("forecasts and bands kept at or above zero: lowest value 0, at "
                                                  "most 1% of the highest (190.2); nonnegative=False leaves them "
                                                  "unbounded")
    assert describe("auto", [[0.0, 5.0, 39.0], [9.0, 9.0, 6991.0]]).startswith(
        "forecasts and bands of 2 of 3 series kept at or above zero: their lowest values")
    assert describe(True, [[5.0], [9.0]]) == "forecasts and bands kept at or above zero (nonnegative=True)"
    assert describe(False, [[0.0], [9.0]]) == describe("auto", [[5.0], [9.0]]) == ""
    path = tmp_path / "c.csv"
    _counts().rename_axis("month").to_csv(path)
    common = ["forecast", str(path), "--epochs", "2", "--hidden-size", "8", "--horizon", "3"]
    said = CliRunner().invoke(main, common).stderr
    assert "kept at or above zero: lowest value 0, at most 1% of the highest" in said
    assert "--no-nonnegative leaves them unbounded" in said
    assert "at or above zero" not in CliRunner().invoke(main, common + ["--no-nonnegative"]).stderr
    assert "AR(" in (line := CliRunner().invoke(main, common + ["--model", "ar"]).stderr.splitlines()[0])
    assert line.endswith("--no-nonnegative leaves them unbounded")
