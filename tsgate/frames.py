"""pandas input handling for the forecasters: validation, frequencies, time indexes (periods too).

Every check raises :class:`~tsgate.errors.DataError` naming the argument,
column, row or timestamp at fault. Nothing here is compiled; the kernels never
see pandas. This module holds the one frequency parser (:func:`freq_base`)
and the time-column detectors of tsgate: :func:`detect_time_column` (a text
column of dates, for files) and :func:`time_column_of` (a frame on an integer
index: its datetime column, or 'ds').
"""

import warnings

import numpy as np
import pandas as pd

from .errors import DataError, ParameterError, option, plural, rows
from .errors import name as pname
from .times import to_times

def freq_base(freq):
    """The unit of a pandas frequency string: 'W-SUN' -> 'W', '15min' -> 'min'
    (None for an integer index)."""
    if freq is None or isinstance(freq, (int, np.integer)):
        return None
    return str(freq).split("-")[0].lstrip("0123456789")


def when(stamp):
    """A timestamp as a message shows it: the date alone at midnight."""
    if isinstance(stamp, pd.Timestamp) and stamp == stamp.normalize():
        return str(stamp.date())
    return str(stamp)


def detect_time_column(df):
    """The first text column whose every value parses as a date, or None."""
    for col in df.columns:
        if df[col].dtype == object or pd.api.types.is_string_dtype(df[col]):
            if to_times(df[col], format="mixed").notna().all():
                return col
    return None


def _as_dataframe(data, name):
    if isinstance(data, pd.Series):
        return data.to_frame(name=data.name if data.name is not None else "y")
    if isinstance(data, np.ndarray):
        raise ParameterError(f"{pname(name)} must be a pandas Series or DataFrame with a time index, got a NumPy array")
    if not isinstance(data, pd.DataFrame):
        raise ParameterError(f"{pname(name)} must be a pandas Series or DataFrame, got {type(data).__name__}")
    if data.shape[0] == 0 or data.shape[1] == 0:
        raise DataError(f"{pname(name)} is empty (shape {data.shape})")
    unique_columns(data, name)
    return data


def unique_columns(df, name):
    """DataError where two columns of ``df`` share a name (pandas then gives frames for a column)."""
    if df.columns.has_duplicates:
        raise DataError(f"{pname(name)} has two columns named {df.columns[df.columns.duplicated()][0]!r}; rename one")


def _index_from_column(df, time_col, name):
    if time_col not in df.columns:
        raise DataError(f"{pname('time_col')} {time_col!r} is not a column of {name}; columns: {list(df.columns)}")
    if pd.api.types.is_integer_dtype(df[time_col]):  # integer time steps stay integers
        return df.set_index(time_col)
    idx = to_times(df[time_col])
    if idx.isna().any():
        bad = int(np.flatnonzero(idx.isna().to_numpy())[0])
        raise DataError(f"{pname('time_col')} {time_col!r} has an unparseable timestamp at row {bad}: "
                        f"{df[time_col].iloc[bad]!r}")
    df = df.drop(columns=[time_col])
    df.index = pd.DatetimeIndex(idx)
    return df


def _check_order(idx, name):
    if isinstance(idx, pd.DatetimeIndex) and idx.hasnans:
        raise DataError(f"{pname(name)} row {int(np.flatnonzero(idx.isna())[0])} has no timestamp (NaT)")
    if idx.has_duplicates:
        raise DataError(f"{pname(name)} has duplicated timestamps (first: {when(idx[idx.duplicated()][0])})")
    if not idx.is_monotonic_increasing:
        steps = np.diff(idx.asi8 if isinstance(idx, pd.DatetimeIndex) else np.asarray(idx))
        sort = "sort the file's rows by time first" if option("X") else "sort the index first"  # the CLI: a file
        if (steps < 0).all():
            raise DataError(f"{pname(name)} timestamps run backwards (newest first: {when(idx[0])} ... "
                            f"{when(idx[-1])}); {sort}" + ("" if option("X") else ", e.g. with sort_index()"))
        pos = int(np.flatnonzero(steps < 0)[0]) + 1
        raise DataError(f"{pname(name)} timestamps are not sorted: row {pos} ({when(idx[pos])}) comes before "
                        f"the previous row ({when(idx[pos - 1])}); {sort}")


def _datetime_freq(idx, name, fill=None, known=None):
    """(freq, grid): the index's frequency and, with ``fill``, the whole grid of
    an index with missing timestamps on its usual step (else None). ``known``:
    the step of data read before (a fitted model's), which one or two rows can
    only be checked against, not infer."""
    if len(idx) < 3 and idx.freq is None and known is not None:
        return _check_known(idx, name, known), None
    if len(idx) < 3 and idx.freq is None:
        raise DataError(f"{pname(name)} is too short: {rows(len(idx))}, too few to infer the time step "
                        "(a forecaster needs many more)")
    freq = idx.freqstr if idx.freq is not None else None
    if freq is None and len(idx) >= 3:
        try:
            freq = pd.DatetimeIndex(idx, freq="infer").freqstr
        except ValueError:
            freq = None
    if freq is None:
        usual = _usual_step(idx) or _known_step(idx, known)
        grid = _grid(idx, usual) if usual else None
        if grid is not None and fill is not None:
            return grid.freqstr, grid
        if grid is not None and known is not None:  # newer rows of a fitted model's step, some missing
            missing = grid.difference(idx)
            raise DataError(f"{pname(name)} has no row for {when(missing[0])} ({plural(len(missing), 'timestamp')} "
                            f"missing between {when(idx[0])} and {when(idx[-1])} at the data's step {known})")
        gaps = " or " + _fill_hint() if grid is not None else ""  # timestamps missing from a regular grid
        raise DataError(f"{pname(name)} has an irregular time index: cannot infer a frequency "
                        f"({_first_break(idx, usual)}); resample it first{gaps}")
    return freq, None


def _known_step(idx, known):
    """``known`` (a fitted model's step) if every timestamp of ``idx`` lies on its grid, else None."""
    return known if known is not None and _grid(idx, known) is not None else None


def _check_known(idx, name, known):
    """``known`` if the one or two timestamps of ``idx`` lie on its grid, one step apart."""
    expected = pd.date_range(idx[0], periods=len(idx), freq=known)
    if expected[0] != idx[0] or not (expected == idx).all():
        raise DataError(f"{pname(name)}: its {rows(len(idx))} ({', '.join(when(t) for t in idx)}) are not "
                        f"consecutive steps of the data's frequency {known}")
    return known


def _check_period_step(idx, known, name):
    """One or two periods whose own step is not ``known`` (months given to a quarterly model)."""
    start = idx[0].to_timestamp()
    if pd.date_range(start, periods=2, freq=known)[1].to_period(idx.freq) != idx[0] + 1:
        raise DataError(f"{pname(name)} holds periods of {idx.freqstr}, not of the data's frequency {known}")


def _grid(idx, freq):
    """Every timestamp from the first of ``idx`` to its last at step ``freq``,
    if all of ``idx`` lie on it (else None)."""
    grid = pd.date_range(idx[0], idx[-1], freq=freq)
    return grid if grid.freqstr and idx.isin(grid).all() else None


def _usual_step(idx, samples=200):
    """The step that most short runs of rows of ``idx`` share (pandas'
    calendar-aware inference, so months of 28-31 days are one step; at most
    ``samples`` runs, evenly spread), or None."""
    run = max(3, min(5, len(idx) - 1))
    starts = np.unique(np.linspace(0, len(idx) - run, min(samples, len(idx) - run + 1)).astype(int))
    found = []
    for i in starts:
        try:
            found.append(pd.infer_freq(idx[i:i + run]))
        except (TypeError, ValueError):
            continue
    found = [f for f in found if f]
    return max(sorted(set(found)), key=found.count) if found else None  # ties: the same answer in every run


def _first_break(idx, freq):
    """Where an irregular DatetimeIndex first leaves its usual step ``freq``
    (:func:`_usual_step`; None: there is none), in plain words for an error
    message: the first row that is not the previous row plus that step."""
    if freq is None:
        return f"no {max(3, min(5, len(idx) - 1))} consecutive rows share a step"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # offsets without a vectorised addition
        expected = idx[:-1] + pd.tseries.frequencies.to_offset(freq)
    breaks = np.flatnonzero(idx[1:] != expected)
    if not len(breaks):
        return f"it steps by {freq!r} throughout"  # inference failed for another reason
    i = int(breaks[0]) + 1
    return f"it steps by {freq!r}, but row {i} is {when(idx[i])} where {when(expected[i - 1])} was expected"


def as_frame(data, time_col=None, name="data", fill=None, known_freq=None):
    """Series/DataFrame -> DataFrame with a validated, regular index.

    Without ``time_col``, a frame on an integer index (a default RangeIndex,
    or the labels of rows filtered out of a bigger frame) takes its time from
    its one datetime column, or from 'ds'. Returns ``(frame, freq)``; ``freq``
    is a pandas offset alias (or the integer step of an integer index). A
    PeriodIndex becomes a DatetimeIndex (period starts). With a ``fill``
    policy, an index on a regular grid with missing timestamps gets them back
    as rows of NaN (which the policy then fills, :func:`numeric_block`), as
    Darts' ``fill_missing_dates``. ``known_freq``: the step of the data a model
    was fit on, for newer data of one or two rows (too few to infer it).
    """
    df = _as_dataframe(data, name)
    time_col = time_column_of(df) if time_col is None else time_col
    if time_col is not None:
        df = _index_from_column(df, time_col, name)
    idx = df.index
    if isinstance(idx, pd.PeriodIndex):
        if known_freq is not None and len(idx) < 3:
            _check_period_step(idx, known_freq, name)
        df = df.copy()
        df.index = idx = idx.to_timestamp()
    if not isinstance(idx, (pd.DatetimeIndex, pd.RangeIndex)) and not pd.api.types.is_integer_dtype(idx):
        text = len(idx) and isinstance(idx[0], str) and not isinstance(idx, pd.MultiIndex)
        hint = f" of strings (first {idx[0]!r}): parse it, e.g. with pd.to_datetime" if text else \
            f" of {idx.dtype} (first {idx[0]})" if len(idx) and not isinstance(idx, pd.MultiIndex) else ""
        if isinstance(idx, pd.MultiIndex) and idx.nlevels == 2:  # sktime's panel: (series, time)
            ids, times = (n if n is not None else f"level_{k}" for k, n in enumerate(idx.names))
            hint = (f" (levels {list(idx.names)}, a panel of series by time?): pass the panel as fit's "
                    f"{pname('X')}, on this MultiIndex or as the long frame {pname(name)}.reset_index() with "
                    f"{pname('id_col')}={ids!r}, {pname('time_col')}={times!r}")
        raise DataError(f"{pname(name)} needs a DatetimeIndex, PeriodIndex or integer index (or "
                        f"{pname('time_col')}), got {type(idx).__name__}{hint}")
    _check_order(idx, name)
    if isinstance(idx, pd.DatetimeIndex):
        freq, grid = _datetime_freq(idx, name, fill, known_freq)
        df = df.reindex(grid) if grid is not None else df.copy()
        df.index = pd.DatetimeIndex(df.index, freq=freq, name=idx.name)
        return df, freq
    steps = np.diff(np.asarray(idx))
    if len(steps) and (steps != steps[0]).any():
        usual = int(pd.Series(steps).mode().iloc[0])
        gaps = usual > 0 and not (steps % usual).any()  # a regular grid with missing steps
        if gaps and fill is not None:
            return df.reindex(pd.Index(np.arange(idx[0], idx[-1] + 1, usual), name=idx.name)), usual
        first = int(np.flatnonzero(steps != steps[0])[0]) + 1
        raise DataError(f"{pname(name)} has an irregular integer index (first irregular step at row {first})"
                        + (f": {_fill_hint()}" if gaps else ""))
    return df, int(steps[0]) if len(steps) else (known_freq or 1)


def time_column_of(df):
    """The time column of a frame on an integer index (a default RangeIndex,
    or the row labels left by filtering one series out of a long frame): its
    one datetime column, else 'ds' (Prophet's and neuralforecast's name); None
    otherwise."""
    if isinstance(df.index, pd.MultiIndex) or not pd.api.types.is_integer_dtype(df.index):
        return None
    dates = [c for c in df.columns if pd.api.types.is_datetime64_any_dtype(df[c])]
    return dates[0] if len(dates) == 1 else ("ds" if "ds" in df.columns else None)


def _fill_hint():
    """Advice for an index with missing steps on a regular grid."""
    return f"set {pname('fill', 'interpolate')} (or ffill, zero) to insert the missing steps and fill them"


def column_roles(df, target, future_covariates, strategy="direct"):
    """(targets, past covariates, future covariates) among the columns of ``df``.

    ``target`` None picks the only numeric column that is not a future
    covariate or boolean; every other numeric column is a past covariate.
    Boolean columns (a holiday flag) are covariates of 0 and 1. Past
    covariates cannot be used by the recursive strategy.
    """
    future = list(future_covariates or [])
    cols = list(df.columns)
    for c in future:
        if c not in cols:
            raise DataError(f"{pname('future_covariates')} names {c!r}, which is not a column; columns: {cols}")
    non_numeric = [c for c in cols if not pd.api.types.is_numeric_dtype(df[c])]  # booleans are numbers here
    if target is None:
        targets = [c for c in cols if c not in future and c not in non_numeric
                   and not pd.api.types.is_bool_dtype(df[c])]
        if not targets and non_numeric:
            dtypes = ", ".join(f"{c!r} ({df[c].dtype}: {next(iter(df[c].dropna()), '')!r}, ...)"
                               for c in non_numeric[:5])
            commas = any(df[c].astype(str).str.fullmatch(r"-?\d+,\d+").any() for c in non_numeric[:5])
            hint = f" (decimal commas? read the file with {pname('decimal', ',')})" if commas else ""
            raise DataError(f"no numeric column to forecast: {dtypes}; convert the values to numbers{hint}")
        if len(targets) != 1:
            scope = f" not in {pname('future_covariates')}" if future else ""
            flags = [c for c in cols if c not in future and pd.api.types.is_bool_dtype(df[c])] if not targets else []
            raise DataError(f"cannot choose the target: set {pname('target')} to one (or a list) of the numeric "
                            f"columns{scope} {targets}" + (f" (non-numeric: {non_numeric})" if non_numeric else "")
                            + (f" (True/False, forecast as 0/1 only when named: {flags})" if flags else ""))
    else:
        targets = [target] if isinstance(target, (str, int)) else list(target)
        for t in targets:
            if t not in cols:
                raise DataError(f"{pname('target')} {t!r} is not a column; columns: {cols}")
    bad = [c for c in non_numeric if c in targets or c in future]
    if bad:
        col = df[bad[0]]
        num = pd.to_numeric(col, errors="coerce")
        wrong = np.flatnonzero(num.isna().to_numpy() & col.notna().to_numpy())
        where = f": row {wrong[0]} ({df.index[wrong[0]]}) holds {col.iloc[wrong[0]]!r}" if len(wrong) else ""
        raise DataError(f"column {bad[0]!r} is not numeric (dtype {col.dtype}){where}")
    if non_numeric:
        raise DataError(f"non-numeric columns {non_numeric} cannot be covariates; drop them or "
                        "convert them to numbers" + _leave_out(True))
    past = [c for c in cols if c not in targets and c not in future]
    if strategy == "recursive" and past:
        raise DataError(f"{pname('strategy', 'recursive')} cannot use past covariates {past} (their future "
                        f"values are unknown): list them in {pname('future_covariates')} or use "
                        f"{pname('strategy', 'direct')}")
    return targets, past, future


def _leave_out(covariates):
    """On the command line, how to leave out a past covariate it cannot read."""
    opt = option("past_covariates") if covariates else None
    return f", or list the columns to read in {opt} (or none)" if opt else ""


FILLS = ("ffill", "interpolate", "zero")


def _fill(v, fill, col):
    ser = pd.Series(np.where(np.isfinite(v), v, np.nan))
    if fill == "ffill":
        ser = ser.ffill().bfill()
    elif fill == "interpolate":
        ser = ser.interpolate(limit_direction="both")
    else:
        ser = ser.fillna(0.0)
    out = ser.to_numpy()
    if not np.isfinite(out).all():
        raise DataError(f"column {col!r} has no finite value to fill from")
    return out


def numeric_block(df, columns, name, fill, covariates=False):
    """float64 array of ``columns``; non-finite values raise or are filled
    (``covariates``: the columns are past covariates, which the command line
    can leave out)."""
    out = np.empty((len(df), len(columns)))
    for k, col in enumerate(columns):
        s = df[col]
        if not pd.api.types.is_numeric_dtype(s):
            raise DataError(f"column {col!r} of {pname(name)} is not numeric (dtype {s.dtype})")
        v = s.to_numpy(dtype=np.float64, na_value=np.nan)
        bad = ~np.isfinite(v)
        if bad.any():
            if fill is None:
                first = when(df.index[int(np.flatnonzero(bad)[0])])
                raise DataError(f"column {col!r} has NaN or inf (first at {first}); clean it or "
                                f"use {pname('fill', 'ffill')} (or interpolate, zero)" + _leave_out(covariates))
            v = _fill(v, fill, col)
        out[:, k] = v
    return out


def future_index(cutoff, freq, horizon, kind="datetime"):
    """The ``horizon`` timestamps after ``cutoff``; a period ``kind`` gives a
    PeriodIndex (the index type the data came with)."""
    if isinstance(cutoff, pd.Timestamp):
        idx = pd.date_range(cutoff, periods=horizon + 1, freq=freq)[1:]
        return as_periods(idx, kind) if kind.startswith("period") else idx
    return pd.RangeIndex(cutoff + freq, cutoff + freq * (horizon + 1), freq)


def as_periods(times, kind):
    """``times`` (a DatetimeIndex or a Series of times: period starts) as the periods of ``kind``,
    'period[W-SUN]' (pandas' dtype name); 'period' (older model files): pandas' default for their step,
    which names some periods differently (weeks ending Sunday as weeks ending Monday, fiscal quarters)."""
    freq = period_freq(kind)
    return times.dt.to_period(freq) if isinstance(times, pd.Series) else times.to_period(freq)


def period_freq(kind):
    """The periods' frequency in an index kind 'period[W-SUN]' ('W-SUN'); None for any other kind."""
    return kind[len("period["):-1] if kind.startswith("period[") else None


def index_kind(data, time_col=None):
    """'period[FREQ]' (its dtype) when the user's data has a PeriodIndex (forecasts then get
    one too), 'column' when a frame has its time in a column, as
    :func:`as_frame` reads it (``time_col``, or :func:`time_column_of`'s:
    forecasts then carry their times in that column too, as Prophet's and
    neuralforecast's do), else 'datetime' (integer indexes keep their own
    type anyway)."""
    if isinstance(data, pd.DataFrame) and (
            (time_col is not None and time_col in data.columns) or time_column_of(data) is not None):
        return "column"
    idx = getattr(data, "index", None)
    return str(idx.dtype) if isinstance(idx, pd.PeriodIndex) else "datetime"


def splice(stored, newer):
    """``(index, before, after)``: newer rows' index ``newer`` put among the
    ``stored`` rows' (which it starts within or right after; rows of both are
    the newer ones), and masks of the stored rows kept before and after it."""
    before, after = stored < newer[0], stored > newer[-1]
    index = stored[before].append(newer).append(stored[after])
    if isinstance(index, pd.DatetimeIndex):
        index = pd.DatetimeIndex(index, freq=stored.freq, name=newer.name)
    return index, before, after


def history_index(cutoff, freq, length, integers=False):
    """The ``length`` timestamps that end at ``cutoff`` (on an integer index: None,
    or with ``integers=True`` the ``length`` integers that end there)."""
    if isinstance(cutoff, pd.Timestamp):
        return pd.date_range(end=cutoff, periods=length, freq=freq)
    return pd.RangeIndex(cutoff - freq * (length - 1), cutoff + freq, freq) if integers else None
