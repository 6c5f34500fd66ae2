"""Forecast accuracy metrics and the seasonal naive forecast."""

import numpy as np
import pytest

from tsgate import metrics
from tsgate.errors import DataError


def test_metrics():
    y, f = np.array([1.0, 2, 4]), np.array([1.0, 3, 2])
    assert metrics.mae(y, f) == 1.0
    assert metrics.rmse(y, f) == pytest.approx(np.sqrt(5 / 3))
    assert metrics.mape(y, f) == pytest.approx(100 * (0 + 0.5 + 0.5) / 3)
    assert metrics.smape(y, f) == pytest.approx(100 * (0 + 2 / 5 + 4 / 6) / 3)
    assert metrics.smape([0.0, 2.0], [0.0, 3.0]) == pytest.approx(100 * (0 + 2 / 5) / 2)  # both zero: a zero term
    assert metrics.mase(y, f, [1.0, 2, 3, 5], m=1) == pytest.approx(1.0 / (4 / 3))
    assert list(metrics.seasonal_naive([1, 2, 3, 4], 5, 2)) == [3, 4, 3, 4, 3]
    with pytest.raises(ValueError, match="same shape"):
        metrics.mae([1, 2], [1])


def test_interval_metrics():
    y = np.array([1.0, 5.0, 3.0, -1.0])
    lo, hi = np.array([0.0, 0.0, 3.0, 0.0]), np.array([2.0, 4.0, 3.0, 2.0])
    assert metrics.coverage(y, lo, hi) == 0.5  # 5 above its band, -1 below; the ends count as inside
    # widths 2, 4, 0, 2; misses 1 (above) and 1 (below), each costing 2 / alpha = 40 at level 0.95
    train = [1.0, 2.0, 4.0]  # seasonal-naive (m=1) in-sample MAE 1.5
    assert metrics.msis(y, lo, hi, train, m=1, level=0.95) == pytest.approx((8 + 80) / 4 / 1.5)
    assert metrics.msis(y, lo, hi, train, level=0.8) == pytest.approx((8 + 20) / 4 / 1.5)
    with pytest.raises(DataError, match="level must be in"):
        metrics.msis(y, lo, hi, train, level=1.0)
    with pytest.raises(DataError, match="MSIS is undefined"):
        metrics.msis(y, lo, hi, [2.0, 2.0])


def test_metric_errors_are_data_errors():
    with pytest.raises(DataError, match="undefined when y_true contains zeros"):
        metrics.mape([0.0, 1.0], [1.0, 1.0])
    with pytest.raises(DataError, match="needs more than m=4 values"):
        metrics.mase([1.0], [1.0], [1.0, 2.0], m=4)
    with pytest.raises(DataError, match="in-sample error is zero"):
        metrics.mase([1.0], [1.0], [2.0, 2.0, 2.0], m=1)
    with pytest.raises(DataError, match="empty"):
        metrics.mae([], [])
    # a mean over NaN is NaN: each argument's first non-finite value is named
    with pytest.raises(DataError, match=r"^y_true has nan at position 1$"):
        metrics.mae([1.0, np.nan], [1.0, 2.0])
    with pytest.raises(DataError, match=r"^y_pred has inf at position \(1, 0\)$"):
        metrics.rmse(np.ones((2, 2)), [[1.0, 1.0], [np.inf, 1.0]])
    with pytest.raises(DataError, match=r"^y_train has nan at position 2$"):
        metrics.mase([1.0], [1.0], [1.0, 2.0, np.nan, 3.0])


def test_bad_periods_horizons_and_text_are_named():
    from tsgate.errors import ParameterError

    y = np.arange(10.0)
    with pytest.raises(ParameterError, match="^m must be a positive integer, got 0$"):  # a broadcast error
        metrics.mase(y, y + 1, y, m=0)
    with pytest.raises(ParameterError, match="^m must be a positive integer, got 0$"):  # ZeroDivisionError
        metrics.seasonal_naive(y, 3, 0)
    with pytest.raises(ParameterError, match="^horizon must be a positive integer, got 2.5$"):
        metrics.seasonal_naive(y, 2.5, 2)
    with pytest.raises(DataError, match="needs at least m=20 values for seasonal naive, got 10"):  # was y[:3]
        metrics.seasonal_naive(y, 3, 20)
    with pytest.raises(DataError, match="^y_pred must hold numbers"):
        metrics.mae(y, ["a"] * 10)
    assert metrics.seasonal_naive(y, 3, np.int64(2)).tolist() == [8.0, 9.0, 8.0]
