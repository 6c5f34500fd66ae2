"""Isolated outliers (tsgate.outliers): one typo or sensor spike must not wreck a forecast."""

import warnings

import numpy as np
import pandas as pd
import pytest

from tsgate import LSTMForecaster
from tsgate.errors import OutlierWarning, ParameterError, RangeWarning
from tsgate.outliers import isolated_outliers, repaired

RNG = np.random.default_rng(0)
T = np.arange(120)
WEEKLY = 10 + 2 * np.sin(2 * np.pi * T / 7) + 0.1 * RNG.standard_normal(120)
TRUTH = 10 + 2 * np.sin(2 * np.pi * np.arange(120, 134) / 7)


def _daily(values):
    return pd.Series(values, index=pd.date_range("2020-01-01", periods=len(values), freq="D"), name="y")


@pytest.mark.parametrize("pos", [0, 1, 30, 60, 110, 118, 119])
def test_a_glitch_anywhere_is_found_and_repaired_near_the_truth(pos):
    y = WEEKLY.copy()
    y[pos] = 1000.0
    for period in (7, 1):
        assert list(isolated_outliers(y, period)) == [pos]
        fixed = repaired(y, [pos], period)
        assert abs(fixed[pos] - WEEKLY[pos]) < (0.5 if period == 7 else 2.5)
        assert np.array_equal(np.delete(fixed, pos), np.delete(WEEKLY, pos))  # nothing else moves
    low = WEEKLY.copy()
    low[pos] = -500.0  # below every neighbour, too
    assert list(isolated_outliers(low, 7)) == [pos]
    huge = WEEKLY.copy()
    huge[pos] = 1e308  # a corrupt value: repaired, not left to overflow the scaling
    assert list(isolated_outliers(huge, 7)) == [pos] and np.isfinite(repaired(huge, [pos], 7)).all()


@pytest.mark.parametrize("pos", [1, 2, 30, 110, 117])
def test_two_glitches_in_a_row_are_found_and_repaired(pos):
    """A spike that lasts two readings (anywhere inside the series, up to the last window):
    both values stand apart from the steps around the pair and from a season away."""
    y = WEEKLY.copy()
    y[pos], y[pos + 1] = 1000.0, 900.0
    for period in (7, 1):
        assert list(isolated_outliers(y, period)) == [pos, pos + 1]
        fixed = repaired(y, [pos, pos + 1], period)
        assert np.abs(fixed[pos:pos + 2] - WEEKLY[pos:pos + 2]).max() < (0.5 if period == 7 else 2.5)
    low = WEEKLY.copy()
    low[pos], low[pos + 1] = -500.0, -400.0
    assert list(isolated_outliers(low, 7)) == [pos, pos + 1]
    three = WEEKLY.copy()
    three[pos:pos + 3] = 1000.0  # three in a row: a short level, not a glitch
    assert len(isolated_outliers(three, 7)) == 0
    weekly = WEEKLY.copy()
    weekly[pos % 7::7] += 50.0
    weekly[(pos + 1) % 7::7] += 50.0  # the same two days every week: the season
    assert len(isolated_outliers(weekly, 7)) == 0


def test_what_is_not_an_outlier():
    assert len(isolated_outliers(WEEKLY, 7)) == 0  # a clean series
    shift = WEEKLY + np.where(T >= 100, 50.0, 0.0)  # a level shift, even in the last weeks
    assert len(isolated_outliers(shift, 7)) == 0 and len(isolated_outliers(shift, 1)) == 0
    hourly = np.tile(np.r_[np.full(167, 10.0), 500.0], 6) + 0.1 * RNG.standard_normal(1008)
    assert len(isolated_outliers(hourly, 168)) == 0  # a weekly spike that repeats is the season
    assert len(isolated_outliers(hourly, 1)) == 6  # ... which the local test alone would flag
    daily = np.tile(np.r_[np.full(23, 10.0), 500.0], 20) + 0.1 * RNG.standard_normal(480)
    assert len(isolated_outliers(daily, 1)) == 0  # one value in 24: more than one in 100 stand apart
    intermittent = np.where(RNG.random(300) < 0.05, 20.0, 0.0)  # sparse demand: the spikes are the series
    assert len(isolated_outliers(intermittent, 7)) == 0 and len(isolated_outliers(intermittent, 1)) == 0
    assert len(isolated_outliers(np.r_[1.0, np.nan, 3, 4, 5, 6], 1)) == 0  # NaN is the fill policy's


def test_the_last_value_of_a_fast_growing_series_is_not_a_glitch():
    """M4 weekly W211 grows from 200 to 19,000 and its steps with it: by the whole series'
    spread of steps its last value stood apart and was "repaired" to the value two years back
    (its forecasts 5,600 against 19,100 to come). Judged by the steps around it, it does not."""
    rng = np.random.default_rng(0)
    steps = (5 + 195 * (np.arange(900) / 900) ** 4) * (1 + 0.05 * rng.standard_normal(900))
    y = 200 + np.cumsum(steps)
    assert len(isolated_outliers(y, 1)) == 0 and len(isolated_outliers(y, 104)) == 0
    for pos in (500, 899):  # a jump of twenty steps there still stands apart
        glitch = y.copy()
        glitch[pos] += 20 * steps[pos]
        assert list(isolated_outliers(glitch, 1)) == [pos]


def test_forecast_survives_a_glitch_in_the_last_window():
    y = WEEKLY.copy()
    y[110] = 1000.0  # in the window the forecast reads
    with pytest.warns(OutlierWarning, match=r"series 'y' at 2020-04-20 \(1000\).*outliers='keep'"):
        fc = LSTMForecaster(horizon=14, random_state=0).fit(_daily(y))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RangeWarning)  # the forecast stays in the history's range
        assert np.abs(fc.predict()["y"].to_numpy() - TRUTH).mean() < 0.1  # 5420 before the repair
    assert fc.fit_report_["outliers"] == {"y": ["2020-04-20"]}
    with warnings.catch_warnings():
        warnings.simplefilter("error", OutlierWarning)
        kept = LSTMForecaster(horizon=14, random_state=0, outliers="keep").fit(_daily(y))
    assert np.abs(kept.predict()["y"].to_numpy() - TRUTH).mean() > 1.0  # the test can fail
    assert "outliers" not in kept.fit_report_


def test_update_repairs_new_rows_and_a_clean_fit_is_unchanged():
    clean = _daily(WEEKLY)
    with warnings.catch_warnings():
        warnings.simplefilter("error", OutlierWarning)  # no warning on clean data
        fc = LSTMForecaster(horizon=14, random_state=0, max_epochs=30).fit(clean.iloc[:100])
    same = LSTMForecaster(horizon=14, random_state=0, max_epochs=30, outliers="keep").fit(clean.iloc[:100])
    np.testing.assert_array_equal(fc.predict()["y"], same.predict()["y"])  # nothing to repair: bit for bit
    new = clean.copy()
    new.iloc[115] = 1000.0
    with pytest.warns(OutlierWarning, match="2020-04-25"):
        fc.update(new)
    assert np.abs(fc.predict()["y"].to_numpy() - TRUTH).mean() < 0.3
    assert "outliers" not in fc.fit_report_  # the fit's report lists the fit's data


def test_a_new_series_for_a_global_model_is_repaired_too():
    # on_series (and tsgate.dask.predict, which runs it per partition) reads new histories
    long = pd.concat([pd.DataFrame({"unique_id": sid, "ds": _daily(WEEKLY).index, "y": WEEKLY * scale})
                      for sid, scale in (("a", 1.0), ("b", 2.0))])
    fc = LSTMForecaster(horizon=14, random_state=0, max_epochs=30).fit(long)
    new = WEEKLY * 3.0
    new[112] = 3000.0
    other = pd.DataFrame({"unique_id": "c", "ds": _daily(new).index, "y": new})
    with pytest.warns(OutlierWarning, match="series 'c' at 2020-04-22"):
        pred = fc.on_series(other).predict()
    assert np.abs(pred["y"].to_numpy() - 3 * TRUTH).mean() < 0.5
    kept = fc.set_params(outliers="keep").on_series(other).predict()  # the test can fail
    assert np.abs(kept["y"].to_numpy() - 3 * TRUTH).mean() > 2.0


def test_baselines_repair_too_and_keep_the_choice_in_their_model_file(tmp_path):
    # seasonal naive repeats the last season, so a glitch there would come back a week on
    from tsgate import BaselineForecaster, load

    y = WEEKLY.copy()
    y[116] = 1000.0
    with pytest.warns(OutlierWarning, match="2020-04-26"):
        sn = BaselineForecaster("seasonal_naive", horizon=14, seasonal_period=7).fit(_daily(y))
    assert np.abs(sn.predict()["y"].to_numpy() - TRUTH).max() < 0.5
    kept = BaselineForecaster("seasonal_naive", horizon=14, seasonal_period=7, outliers="keep").fit(_daily(y))
    assert kept.predict()["y"].max() == 1000.0
    kept.save(tmp_path / "b.tsgate")
    assert load(tmp_path / "b.tsgate").outliers == "keep"
    with pytest.warns(OutlierWarning):
        sn.update(_daily(y))  # newer rows are repaired as the fit's were
    with pytest.raises(ParameterError, match="outliers"):
        BaselineForecaster(outliers="drop").fit(_daily(WEEKLY))


def test_the_command_line_repairs_unless_told_to_keep(tmp_path):
    from click.testing import CliRunner

    from tsgate.cli import main

    y = WEEKLY.copy()
    y[116] = 1000.0
    _daily(y).rename_axis("date").reset_index().to_csv(tmp_path / "g.csv", index=False)
    args = ["forecast", str(tmp_path / "g.csv"), "--horizon", "14", "--quiet", "--model", "seasonal_naive"]
    import io

    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0 and "--outliers keep keeps them" in r.stderr
    assert pd.read_csv(io.StringIO(r.stdout))["y"].max() < 13
    r = CliRunner().invoke(main, args + ["--outliers", "keep"])
    assert r.exit_code == 0 and "outlier" not in r.stderr
    assert pd.read_csv(io.StringIO(r.stdout))["y"].max() == 1000
