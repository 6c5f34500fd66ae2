"""A forecast far outside its series' history gets a RangeWarning (tsgate.learned.check_range)."""

import warnings

import numpy as np
import pandas as pd
import pytest

from tsgate import LSTMForecaster, load, persist
from tsgate.errors import RangeWarning
from tsgate.learned import check_range, history_range


def _spiky(n=120, at=110, value=1000.0):
    """A weekly cycle around 10 with one gross outlier ``at`` (a glitch in the newest rows)."""
    rng = np.random.default_rng(0)
    y = 10 + np.sin(np.arange(n) * 2 * np.pi / 7) + 0.1 * rng.standard_normal(n)
    y[at] = value
    return pd.Series(y, index=pd.date_range("2020-01-01", periods=n, freq="D"), name="sales")


def _range_warnings(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn()
    return out, [str(w.message) for w in caught if issubclass(w.category, RangeWarning)]


def test_check_range_warns_beyond_the_ranges_width_only():
    ranges = history_range([np.array([9.0, 10.0, 11.0]), np.array([0.0, 5.0])])  # [[9, 0], [11, 5]]
    idx = [pd.date_range("2021-01-01", periods=3, freq="D")] * 2
    ok = np.array([[7.01, 12.99, 10.0], [-4.99, 9.99, 2.0]])  # within min - width .. max + width
    assert _range_warnings(lambda: check_range(ok, ranges, ["a", "b"], idx))[1] == []
    bad = np.array([[10.0, 10.0, 10.0], [2.0, 10.5, -20.0]])
    _, msgs = _range_warnings(lambda: check_range(bad, ranges, ["a", "b"], idx))
    assert msgs == ["the forecast of series 'b' reaches -20 at 2021-01-03, far outside the range of its history "
                    "[0, 5]: an outlier or a level shift in the newest rows? Check the data, or compare a baseline "
                    "(tsgate.BaselineForecaster)"]
    _, msgs = _range_warnings(lambda: check_range(np.array([[30.0, 10, 10], [-20.0, 1, 1]]), ranges, ["a", "b"], idx))
    assert len(msgs) == 1 and msgs[0].startswith("the forecast of series 'a' (and 1 other series) reaches 30 at ")
    # a constant history is at least 0.1% of its magnitude wide; an all-zero one is not checked
    flat = history_range([np.full(5, 5.0), np.zeros(5)])
    assert _range_warnings(lambda: check_range(np.array([[5.000001] * 3, [1e-9] * 3]), flat, ["a", "b"], idx))[1] == []
    assert len(_range_warnings(lambda: check_range(np.array([[5.1] * 3, [0.0] * 3]), flat, ["a", "b"], idx))[1]) == 1


def test_a_gross_outlier_in_the_last_window_is_named_by_a_range_warning():
    # kept (outliers='keep'; the default repairs it: tests/test_outliers.py)
    fc = LSTMForecaster(horizon=7, random_state=0, outliers="keep").fit(_spiky())
    np.testing.assert_allclose(fc.target_range_[:, 0], [_spiky().min(), 1000.0])
    pred, msgs = _range_warnings(fc.predict)
    assert np.abs(pred["sales"]).max() > 2000  # the outlier, read through the linear start, is extrapolated
    assert len(msgs) == 1 and msgs[0].startswith("the forecast of series 'sales' reaches ")
    assert "far outside the range of its history [8.79" in msgs[0] and ", 1000]" in msgs[0]
    assert len(_range_warnings(lambda: fc.predict_interval(0.9))[1]) == 1


def test_clean_series_and_a_steep_trend_forecast_without_a_range_warning():
    t = np.arange(96.0)
    trend = pd.Series(5.0 * t + np.sin(t), index=pd.date_range("2000-01-01", periods=96, freq="MS"))
    fc = LSTMForecaster(horizon=48, max_epochs=20, random_state=0).fit(trend)
    pred, msgs = _range_warnings(fc.predict)
    assert msgs == [] and pred.iloc[-1, 0] > trend.max()  # beyond the history, as a trend should go
    clean = LSTMForecaster(horizon=7, random_state=0).fit(_spiky(value=10.0))
    assert _range_warnings(clean.predict)[1] == []


def test_update_widens_the_range_and_the_model_file_keeps_it(tmp_path):
    y = _spiky(value=10.0)
    fc = LSTMForecaster(horizon=7, max_epochs=5, random_state=0).fit(y.iloc[:100])
    before = fc.target_range_.copy()
    fc.update(y)
    assert fc.target_range_[0, 0] <= before[0, 0] and fc.target_range_[1, 0] == pytest.approx(y.max())
    fc.save(tmp_path / "m.tsgate")
    np.testing.assert_array_equal(load(tmp_path / "m.tsgate").target_range_, fc.target_range_)
    meta, arrays = fc._fitted_state()
    del arrays["target_range_"]  # a file written before the range was kept: its last window's range
    old = persist.restore(LSTMForecaster, meta, arrays)
    np.testing.assert_array_equal(old.target_range_[:, 0], [y.iloc[-fc.lookback_:].min(), y.iloc[-fc.lookback_:].max()])


def test_the_command_line_prints_the_range_warning_once_in_its_own_words(tmp_path):
    from click.testing import CliRunner

    from tsgate.cli import main

    _spiky().rename_axis("date").reset_index().to_csv(tmp_path / "spiky.csv", index=False)
    r = CliRunner().invoke(main, ["forecast", str(tmp_path / "spiky.csv"), "--horizon", "7", "--quiet",
                                  "--outliers", "keep"])
    assert r.exit_code == 0, r.stderr
    lines = [line for line in r.stderr.splitlines() if "far outside the range" in line]
    assert len(lines) == 1 and lines[0].startswith("tsgate: warning: the forecast of series 'sales' reaches ")
    assert lines[0].endswith("Check the data, or compare a baseline (--model auto)")
