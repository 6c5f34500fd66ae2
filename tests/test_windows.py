"""The data module: frames (pandas checks, frequencies) and windows (scaling,
windows gathered per batch, the validation split)."""

import numpy as np
import pandas as pd
import pytest

from tsgate import frames, seasonality
from tsgate.errors import DataError, ParameterError
from tsgate.windows import Scaling, fit_scaler, make_windows


def _materialised(z, past, known, L, n_out, H, norm):
    """The obvious (N, L, D) windows of one series: the reference."""
    feats = np.concatenate([z[:, None], past, known], axis=1)
    ends = np.arange(L - 1, len(z) - H)
    X = np.stack([feats[e - L + 1:e + 1] for e in ends])
    Y = np.stack([z[e + 1:e + 1 + n_out] for e in ends])
    E = np.stack([known[e + 1:e + 1 + H].reshape(-1) for e in ends])
    if norm == "last":
        base = z[ends]
        X[:, :, 0] -= base[:, None]
        Y = Y - base[:, None]
    return X, Y, E


@pytest.mark.parametrize("norm", ["last", None])
def test_gathered_windows_equal_the_materialised_reference(norm):
    rng = np.random.default_rng(0)
    n, S, L, H = 50, 3, 7, 4
    z, past, known = rng.standard_normal((n, S)), rng.standard_normal((n, 2)), rng.standard_normal((n, 1))
    w = make_windows(z, past, known, L, H, H, validation_fraction=0.25, min_val=1, norm_period=int(norm == "last"))
    N = n - L - H + 1
    n_val, n_gap = round(N * 0.25), H - 1  # the gap: windows whose targets reach the validation targets
    n_tr = N - n_val - n_gap
    assert w.train.n == S * n_tr and w.gap.n == S * n_gap and w.val.n == S * n_val
    assert w.everything().n == S * N
    for s in range(S):
        X, Y, E = _materialised(z[:, s], past, known, L, H, H, norm)
        tr = np.flatnonzero(w.train.series == s)
        Xb, Yb, Eb = w.train.batch(tr)
        assert Xb.dtype == np.float32 and Yb.dtype == np.float32
        assert np.array_equal(Xb, X[:n_tr].astype(np.float32))
        assert np.array_equal(Yb, Y[:n_tr].astype(np.float32))
        assert np.array_equal(Eb, E[:n_tr].astype(np.float32))
        assert np.array_equal(w.gap.batch(np.flatnonzero(w.gap.series == s))[0], X[n_tr:N - n_val].astype(np.float32))
        va = np.flatnonzero(w.val.series == s)
        assert np.array_equal(w.val.batch(va)[0], X[N - n_val:].astype(np.float32))
        last_train_target, first_val_target = w.train.ends[tr].max() + H, w.val.ends[va].min() + 1
        assert last_train_target < first_val_target  # no validation target was trained on


def test_window_position_appends_each_steps_place_and_changes_nothing_else():
    rng = np.random.default_rng(1)
    n, L, H = 40, 6, 3
    z, past, known = rng.standard_normal((n, 2)), rng.standard_normal((n, 1)), rng.standard_normal((n, 2))
    plain = make_windows(z, past, known, L, H, H, 0.25, 1, 1)
    placed = make_windows(z, past, known, L, H, H, 0.25, 1, 1, position=True)
    for a, b in ((plain.train, placed.train), (plain.val, placed.val), (plain.everything(), placed.everything())):
        idx = np.arange(b.n)[::-1]  # any order of windows
        (Xa, Ya, Ea), (Xb, Yb, Eb) = a.batch(idx), b.batch(idx)
        assert Xb.shape == (b.n, L, Xa.shape[2] + 1) and Xb.dtype == np.float32
        assert np.array_equal(Xb[:, :, :-1], Xa) and np.array_equal(Yb, Ya) and np.array_equal(Eb, Ea)
        assert np.array_equal(Xb[:, :, -1], np.tile(np.linspace(-1, 1, L, dtype=np.float32), (b.n, 1)))
    assert placed.train.subset(np.arange(2)).position


def test_windows_store_the_series_not_every_window():
    n, L = 10_000, 500
    z = np.zeros((n, 1))
    w = make_windows(z, np.zeros((n, 0)), np.zeros((n, 0)), L, 1, 1, 0.2, 1, 1)
    stored = sum(a.nbytes for a in (w.train.rows, w.train.ends, w.train.series, w.val.ends, w.val.series))
    assert w.train.n + w.val.n == n - L
    assert stored < 20 * n * 8  # a materialised (N, L, 1) copy would be ~ (n - L) * L * 8 bytes
    X, _, _ = w.train.batch(np.arange(32))
    assert X.shape == (32, L, 1)


def test_quantile_columns_repeat_the_targets():
    z = np.arange(20.0)[:, None]
    w = make_windows(z, np.zeros((20, 0)), np.zeros((20, 0)), 3, 2, 2, 0.0, 0, 0, repeat=3)
    _, Y, E = w.train.batch(np.array([0]))
    assert E is None
    assert np.array_equal(Y, [[3, 3, 3, 4, 4, 4]])


def test_scalers():
    v = np.array([[1.0, 5.0], [3.0, 5.0], [5.0, 5.0]])
    loc, scale = fit_scaler("standard", v)
    assert np.allclose(loc, [3, 5]) and np.allclose(scale, [np.std([1, 3, 5]), 1.0])  # constant column: scale 1
    assert np.allclose(fit_scaler("minmax", v)[1], [4.0, 1.0])
    assert np.allclose(fit_scaler("minmax", v)[0], [1.0, 5.0])  # from the minimum: values map onto [0, 1]
    assert np.allclose(fit_scaler("robust", v)[0], [3.0, 5.0])
    assert np.allclose(fit_scaler(None, v)[1], [1.0, 1.0])
    with pytest.raises(ParameterError, match="scaler must be one of"):
        fit_scaler("zscore", v)
    sc = Scaling.fit("robust", [v[:, 0], v[:, 1]], [np.zeros((3, 0))])  # per series; covariates pooled
    assert sc.c_loc.shape == (0,) and np.allclose(sc.t_loc, [3, 5])
    sc = Scaling.fit("standard", [np.array([1.0, 3.0]), np.array([10.0, 30.0, 50.0])],
                     [np.array([[1.0], [2.0]]), np.array([[3.0], [4.0], [5.0]])])  # ragged series
    assert np.allclose(sc.t_loc, [2, 30]) and np.allclose(sc.c_loc, [3.0])


def test_frequency_parser_and_defaults():
    assert frames.freq_base("W-SUN") == "W" and frames.freq_base("15min") == "min" and frames.freq_base(1) is None
    assert [seasonality.seasonal_period(f) for f in ("MS", "QS-JAN", "W-SAT", "D", "h", "YS-JAN", 1)] == \
        [12, 4, 52, 7, 24, 1, 1]
    assert [seasonality.default_horizon(f) for f in ("MS", "W-SAT", "h", "D", "YS-JAN")] == [12, 52, 24, 12, 12]
    # a step of several units: a day is 12 steps of '2h', a year 26 of '2W' (it was the one-unit period, so
    # the default horizon of two-weekly data was two years); none where the step does not divide the period
    assert [seasonality.seasonal_period(f) for f in ("2h", "2W-SUN", "3MS", "2QS-OCT", "30min", "2D")] == \
        [12, 26, 4, 2, 2, 1]
    assert [seasonality.default_horizon(f) for f in ("2h", "2W-SUN", "3MS", "30min")] == [12, 26, 12, 12]


def test_time_column_detection():
    df = pd.DataFrame({"id": ["a", "b"], "when": ["2020-01-01", "2020-02-01"], "y": [1.0, 2.0]})
    assert frames.detect_time_column(df) == "when"
    assert frames.detect_time_column(df[["y"]]) is None


def test_as_frame_checks():
    idx = pd.date_range("2020-01-01", periods=5, freq="D")
    df, freq = frames.as_frame(pd.Series(np.arange(5.0), index=idx))
    assert freq == "D" and list(df.columns) == ["y"]
    with pytest.raises(DataError, match="not sorted: row 2"):
        frames.as_frame(pd.Series(np.arange(3.0), index=idx[[0, 2, 1]]))
    with pytest.raises(DataError, match="irregular time index.*steps by 'D', but row 3 is 2020-01-05 where 2020-01-04"):
        frames.as_frame(pd.Series(np.arange(4.0), index=idx[[0, 1, 2, 4]]))
    hours = pd.date_range("2020-01-01", periods=40, freq="h")
    with pytest.raises(DataError, match="no 5 consecutive rows share a step"):
        frames.as_frame(pd.Series(np.arange(8.0), index=hours[[0, 1, 3, 6, 10, 15, 21, 28]]))
    with pytest.raises(DataError, match=r"row 20 is 2020-01-01 21:00:00 where 2020-01-01 20:00:00 was expected"):
        frames.as_frame(pd.Series(np.arange(39.0), index=hours.delete(20)))
    with pytest.raises(ParameterError, match="NumPy array"):
        frames.as_frame(np.zeros(3))
    assert frames.as_frame(pd.Series([1.0, 2.0, 3.0], index=[10, 12, 14]))[1] == 2


def test_fill_policies():
    df = pd.DataFrame({"y": [1.0, np.nan, 3.0, np.inf]}, index=pd.RangeIndex(4))
    assert np.allclose(frames.numeric_block(df, ["y"], "X", "interpolate")[:, 0], [1, 2, 3, 3])
    assert np.allclose(frames.numeric_block(df, ["y"], "X", "ffill")[:, 0], [1, 1, 3, 3])
    assert np.allclose(frames.numeric_block(df, ["y"], "X", "zero")[:, 0], [1, 0, 3, 0])
    with pytest.raises(DataError, match=r"column 'y' has NaN or inf \(first at 1\); clean it or use fill='ffill'"):
        frames.numeric_block(df, ["y"], "X", None)
    with pytest.raises(DataError, match="no finite value to fill from"):
        frames.numeric_block(pd.DataFrame({"y": [np.nan, np.nan]}), ["y"], "X", "ffill")


def test_ragged_series_are_windowed_on_their_own_spans_with_stride_and_cap():
    z = [np.arange(30.0), np.arange(100.0, 112.0)]  # a long and a short series
    past, known = [np.zeros((30, 0)), np.zeros((12, 0))], [np.zeros((30, 0)), np.zeros((12, 0))]
    w = make_windows(z, past, known, 4, 2, 2, 0.0, 0, 0)
    assert w.train.n == (30 - 4 - 2 + 1) + (12 - 4 - 2 + 1)
    X, Y, _ = w.train.batch(np.flatnonzero(w.train.series == 1))
    assert X[0, :, 0].tolist() == [100, 101, 102, 103] and Y[-1].tolist() == [110, 111]  # never across series
    capped = make_windows(z, past, known, 4, 2, 2, 0.0, 0, 0, stride=3, max_per_series=4)
    ends = capped.train.ends[capped.train.series == 0]
    assert len(ends) == 4 and ends[-1] == 27 and np.all(np.diff(ends) == 3)  # the most recent, every third


def test_validation_counts_take_the_least_only_up_to_half_of_the_windows():
    from tsgate.windows import validation_counts

    # 100 windows: a fifth (20); at least 44 (a recursive model's horizon + 20); at most half
    assert validation_counts([110], 10, 1, 0.2, 1) == [20]
    assert validation_counts([110], 10, 1, 0.2, 44) == [44]
    assert validation_counts([110], 10, 1, 0.2, 80) == [50]
    assert validation_counts([11, 12, 3], 10, 1, 0.2, 1) == [0, 1, 0]  # one window: none; two: one
