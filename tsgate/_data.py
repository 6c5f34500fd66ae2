"""pandas input handling for the forecasters: validation, scaling, windows.

Every check raises :class:`ValueError` naming the argument, column, row or
timestamp at fault. Nothing here is compiled; the kernels never see pandas.
"""

import numpy as np
import pandas as pd

#: Seasonal period by pandas frequency prefix (used for lookback=None and MASE).
SEASONAL_PERIODS = {"h": 24, "H": 24, "min": 60, "T": 60, "D": 7, "B": 5, "W": 52,
                    "MS": 12, "ME": 12, "M": 12, "QS": 4, "QE": 4, "Q": 4, "YS": 1, "YE": 1,
                    "Y": 1, "A": 1, "AS": 1}


def seasonal_period(freq):
    """Seasonal period implied by a pandas frequency string (1 if none)."""
    if freq is None:
        return 1
    base = str(freq).split("-")[0].lstrip("0123456789")
    return SEASONAL_PERIODS.get(base, 1)


def as_frame(data, time_col=None, name="data"):
    """Series/DataFrame -> DataFrame with a validated, regular index.

    Returns ``(frame, freq)``; ``freq`` is a pandas offset alias (or 1 for
    an integer index).
    """
    if isinstance(data, pd.Series):
        data = data.to_frame(name=data.name if data.name is not None else "y")
    elif isinstance(data, np.ndarray):
        raise TypeError(f"{name} must be a pandas Series or DataFrame with a time index, got a NumPy array")
    elif not isinstance(data, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas Series or DataFrame, got {type(data).__name__}")
    df = data
    if df.shape[0] == 0 or df.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {df.shape})")
    if time_col is not None:
        if time_col not in df.columns:
            raise ValueError(f"time_col {time_col!r} is not a column of {name}; columns: {list(df.columns)}")
        idx = pd.to_datetime(df[time_col], errors="coerce")
        if idx.isna().any():
            bad = int(np.flatnonzero(idx.isna().to_numpy())[0])
            raise ValueError(f"time_col {time_col!r} has an unparseable timestamp at row {bad}: "
                             f"{df[time_col].iloc[bad]!r}")
        df = df.drop(columns=[time_col])
        df.index = pd.DatetimeIndex(idx)
    idx = df.index
    if isinstance(idx, pd.PeriodIndex):
        df = df.copy()
        df.index = idx.to_timestamp()
        idx = df.index
    if not isinstance(idx, (pd.DatetimeIndex, pd.RangeIndex)) and not pd.api.types.is_integer_dtype(idx):
        raise ValueError(f"{name} needs a DatetimeIndex, PeriodIndex or integer index (or time_col), "
                         f"got {type(idx).__name__}")
    if idx.has_duplicates:
        dup = idx[idx.duplicated()][0]
        raise ValueError(f"{name} has duplicated timestamps (first: {dup})")
    if not idx.is_monotonic_increasing:
        pos = int(np.flatnonzero(np.diff(idx.asi8 if isinstance(idx, pd.DatetimeIndex) else np.asarray(idx)) < 0)[0]) + 1
        raise ValueError(f"{name} timestamps are not sorted: row {pos} ({idx[pos]}) comes before "
                         f"the previous row ({idx[pos - 1]}); sort the index first")
    if isinstance(idx, pd.DatetimeIndex):
        freq = idx.freqstr if idx.freq is not None else None
        if freq is None and len(idx) >= 3:
            try:
                freq = pd.DatetimeIndex(idx, freq="infer").freqstr
            except ValueError:
                freq = None
        if freq is None:
            gaps = np.diff(idx.asi8)
            first = int(np.flatnonzero(gaps != gaps[0])[0]) + 1 if len(gaps) and (gaps != gaps[0]).any() else 0
            raise ValueError(f"{name} has an irregular time index: cannot infer a frequency "
                             f"(first irregular step at row {first}, {idx[first]}); resample it first")
        df = df.copy()
        df.index = pd.DatetimeIndex(idx, freq=freq, name=idx.name)
        return df, freq
    steps = np.diff(np.asarray(idx))
    if len(steps) and (steps != steps[0]).any():
        first = int(np.flatnonzero(steps != steps[0])[0]) + 1
        raise ValueError(f"{name} has an irregular integer index (first irregular step at row {first})")
    return df, int(steps[0]) if len(steps) else 1


def numeric_block(df, columns, name, fill):
    """float64 array of ``columns``; non-finite values raise or are filled."""
    out = np.empty((len(df), len(columns)))
    for k, col in enumerate(columns):
        s = df[col]
        if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            raise ValueError(f"column {col!r} of {name} is not numeric (dtype {s.dtype})")
        v = s.to_numpy(dtype=np.float64, na_value=np.nan)
        bad = ~np.isfinite(v)
        if bad.any():
            if fill is None:
                first = df.index[int(np.flatnonzero(bad)[0])]
                raise ValueError(f"column {col!r} has NaN or inf (first at {first}); clean it or "
                                 "set fill='ffill', 'interpolate' or 'zero'")
            v = np.where(bad, np.nan, v)
            ser = pd.Series(v)
            if fill == "ffill":
                ser = ser.ffill().bfill()
            elif fill == "interpolate":
                ser = ser.interpolate(limit_direction="both")
            elif fill == "zero":
                ser = ser.fillna(0.0)
            else:
                raise ValueError(f"fill must be None, 'ffill', 'interpolate' or 'zero', got {fill!r}")
            v = ser.to_numpy()
            if not np.isfinite(v).all():
                raise ValueError(f"column {col!r} has no finite value to fill from")
        out[:, k] = v
    return out


def fit_scaler(kind, values):
    """Per-column (loc, scale) for 'standard', 'robust', 'minmax' or None."""
    if kind is None:
        return np.zeros(values.shape[1]), np.ones(values.shape[1])
    if kind == "standard":
        loc, scale = values.mean(0), values.std(0)
    elif kind == "robust":
        loc = np.median(values, 0)
        scale = np.subtract(*np.percentile(values, [75, 25], axis=0))
    elif kind == "minmax":
        loc, scale = values.min(0), values.max(0) - values.min(0)
    else:
        raise ValueError(f"scaler must be 'standard', 'robust', 'minmax' or None, got {kind!r}")
    scale = np.where(scale > 1e-12 * np.maximum(1.0, np.abs(loc)), scale, 1.0)
    return loc, scale


def calendar(index, freq):
    """Cyclical calendar features of timestamps, (n, k) in [-1, 1]."""
    if not isinstance(index, pd.DatetimeIndex):
        raise ValueError("calendar_features needs a DatetimeIndex or PeriodIndex, not an integer index")
    base = str(freq).split("-")[0].lstrip("0123456789")
    cols = []
    if base in ("h", "H", "min", "T", "s", "S"):
        cols += [(index.hour + index.minute / 60.0, 24.0)]
    if base in ("h", "H", "min", "T", "D", "B", "s", "S"):
        cols += [(index.day_of_week, 7.0)]
    if base in ("D", "B", "W"):
        cols += [(index.day_of_year, 365.25)]
    if base in ("MS", "ME", "M", "SMS"):
        cols += [(index.month - 1, 12.0)]
    if base in ("QS", "QE", "Q"):
        cols += [(index.quarter - 1, 4.0)]
    feats = []
    for v, period in cols:
        ang = 2 * np.pi * np.asarray(v, dtype=np.float64) / period
        feats += [np.sin(ang), np.cos(ang)]
    return np.stack(feats, axis=1) if feats else np.zeros((len(index), 0))


def future_index(cutoff, freq, horizon):
    """The ``horizon`` timestamps after ``cutoff``."""
    if isinstance(cutoff, pd.Timestamp):
        return pd.date_range(cutoff, periods=horizon + 1, freq=freq)[1:]
    return pd.RangeIndex(cutoff + freq, cutoff + freq * (horizon + 1), freq)


def windows(series, past, known, lookback, horizon, n_out_steps):
    """Sliding windows over one series.

    series (n,) scaled target; past (n, P) scaled past covariates; known
    (n, K) known-future features. Returns X (N, lookback, 1+P+K),
    Y (N, n_out_steps), extra (N, horizon*K), last (N,) the last target value
    in each window, and ends (N,) the index of each window's last row.
    """
    n = len(series)
    ends = np.arange(lookback - 1, n - horizon)
    N = len(ends)
    K = known.shape[1]
    feats = np.concatenate([series[:, None], past, known], axis=1)
    D = feats.shape[1]
    X = np.empty((N, lookback, D))
    Y = np.empty((N, n_out_steps))
    extra = np.empty((N, horizon * K))
    for k, e in enumerate(ends):
        X[k] = feats[e - lookback + 1:e + 1]
        Y[k] = series[e + 1:e + 1 + n_out_steps]
        extra[k] = known[e + 1:e + 1 + horizon].reshape(-1)
    return X, Y, extra, series[ends], ends
