"""Panels of series: long frames, dicts of series and wide frames, as one list of series.

:func:`to_panel` reads any of the three forms the forecasters accept into a
:class:`Panel` of :class:`Series` (id, regular time index, target values,
past and future covariates), each series on its own span:

* **long** (neuralforecast/statsforecast): one row per (id, time), with
  ``id_col``, a time column (``time_col``, else ``ds``, else the index), the
  target (``target``, else ``y``, else the only numeric column left) and
  covariate columns;
* **dict** (skforecast): ``{id: Series or DataFrame}``;
* **wide**: one column per target series on a shared index; covariate
  columns are shared by every series. Leading missing values of a series are
  not data: its span starts at its first value;
* **MultiIndex** (sktime's panel): a frame or series on a two-level (series,
  time) index, read as the long frame it resets to (:func:`from_multiindex`);
  forecasts come back on the same two levels.

A long frame is read with whole-column operations (:func:`_long_fast`)
when it is clean; anything else, and every error, goes through the
per-series path, which names the series.
Every problem is a :class:`~tsgate.errors.DataError` naming the series id.
"""

import numbers
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import frames
from .errors import DataError, ParameterError, rows
from .errors import name as pname
from .times import to_times


@dataclass
class Series:
    """One series of a panel: its id, time index, target and covariates."""

    id: object
    index: pd.Index
    y: np.ndarray  # (n,)
    past: np.ndarray  # (n, P)
    future: np.ndarray  # (n, F)


@dataclass
class Panel:
    series: list
    freq: object
    form: str  # 'wide', 'long' or 'dict'
    target: object  # the target column (long, dict); for wide, the ids are the target columns
    past_names: list
    future_names: list
    id_col: object = None
    time_name: object = None
    index_kind: str = "datetime"
    extra: dict = field(default_factory=dict)
    multiindex: list = None  # the (series, time) level names of a MultiIndex panel, else None

    @property
    def ids(self):
        return [s.id for s in self.series]


def _series(df, sid, targets_col, past, future, fill, name):
    try:
        y = frames.numeric_block(df, [targets_col], name, fill)[:, 0]
        return Series(sid, df.index, y, frames.numeric_block(df, past, name, fill, covariates=True),
                      frames.numeric_block(df, future, name, fill))
    except DataError as exc:  # in a panel, say which series
        if name == "X":
            raise
        raise _named(name, exc) from None


def _named(name, exc):
    """``exc`` led by ``name`` ('series 's1''), unless its message already names it."""
    return exc if name in str(exc) else DataError(f"{name}: {exc}")


def split_future(df, target, future_covariates):
    """(history, future) of a frame whose last rows hold only known-future
    covariates: the rows after the last row with a target value are the
    future (None when there are none)."""
    targets, _, future = frames.column_roles(df, target, future_covariates)
    end = _history_end(df, targets)
    if end is None:
        raise DataError(f"the target column(s) {targets} have no values")
    if end == len(df):
        return df, None
    return df.iloc[:end], df.iloc[end:][future]


def _history_end(df, targets):
    """One past the last row where a target has a value; None where none has."""
    has_target = df[targets].notna().any(axis=1).to_numpy()
    return int(np.flatnonzero(has_target)[-1]) + 1 if has_target.any() else None


def _refuse_future_rows(df, targets, future):
    """DataError where known-future covariates are declared and the last rows
    have no target value: split_future's layout (the command line's), whose
    rows after the target's end are the forecast's future. In Python they go
    to predict's X; a fill would have made them history (so this comes first)."""
    if not future or not all(pd.api.types.is_numeric_dtype(df[t]) for t in targets):
        return
    end = _history_end(df, targets)
    if end is None or end == len(df):
        return
    what = f"target {targets[0]!r} has" if len(targets) == 1 else f"targets {targets} have"
    raise DataError(f"the {what} no value in the last "
                    f"{rows(len(df) - end)}, from {frames.when(df.index[end])}: the history ends before them; pass "
                    f"their known-future covariates to predict as {pname('X')}")


def _trim_leading(values, sid):
    """Index of the first value of a wide column; a missing value inside or at
    the end of the span is not leading, and an infinite value is not missing
    (the checks of the values then name it)."""
    present = ~np.isnan(values)
    if not present.any():
        raise DataError(f"series {sid!r} has no values")
    return int(np.argmax(present))


def _wide(X, time_col, target, future_covariates, strategy, fill, known_freq=None):
    df, freq = frames.as_frame(X, time_col, name="X", fill=fill, known_freq=known_freq)
    targets, past, future = frames.column_roles(df, target, future_covariates, strategy)
    _refuse_future_rows(df, targets, future)
    series = []
    for t in targets:
        start = _trim_leading(df[t].to_numpy(dtype=np.float64, na_value=np.nan), t)
        part = df.iloc[start:]
        series.append(_series(part, t, t, past, future, fill, "X"))
    return Panel(series, freq, "wide", None, past, future, time_name=df.index.name,
                 index_kind=frames.index_kind(X, time_col))


def _long_time(X, time_col):
    if time_col is not None:
        return time_col
    if "ds" in X.columns:
        return "ds"
    return frames.time_column_of(X)  # on an integer index, its one datetime column; else None: the index


def _long_fast(X, id_col, time_col, target, future_covariates, strategy, fill):
    """A clean long frame as a Panel with whole-column operations: one sort,
    one check of the time steps, one finiteness check. None whenever anything
    is not plainly right (the per-series path then reads it and words the error)."""
    tcol = _long_time(X, time_col)
    t = X[tcol] if tcol is not None else pd.Series(X.index, index=X.index)
    is_dt = pd.api.types.is_datetime64_dtype(t)
    if fill is not None or X[id_col].isna().any() or not (is_dt or pd.api.types.is_integer_dtype(t)):
        return None
    values = X.drop(columns=[c for c in (id_col, tcol) if c is not None])
    target = "y" if target is None and "y" in values.columns else target
    try:
        targets, past, future = frames.column_roles(values, target, future_covariates, strategy)
    except DataError:
        return None
    codes, uniques = pd.factorize(X[id_col], sort=False)
    uniques = pd.Index(uniques).tolist()  # Python scalars, as the per-series path's groupby gives (1, not np.int64(1))
    tv = t.to_numpy()
    ti = tv.astype("datetime64[ns]").astype("int64") if is_dt else tv.astype("int64")  # steps in ns or units
    order = np.lexsort((ti, codes))
    codes, tv, ti = codes[order], tv[order], ti[order]
    starts = np.concatenate([[0], np.flatnonzero(np.diff(codes)) + 1])
    ends = np.append(starts[1:], len(codes))
    if len(targets) != 1 or (ends - starts).min() < 3:
        return None
    first = pd.DataFrame({"v": np.zeros(ends[0])}, index=pd.Index(tv[:ends[0]]))
    try:
        freq = frames.as_frame(first, None, name="X")[1]
        step = pd.Timedelta(pd.tseries.frequencies.to_offset(freq)).value if is_dt else int(freq)
    except (DataError, ValueError):
        return None  # a calendar step (months, weeks...): the per-series path checks it
    inside = np.ones(len(tv) - 1, bool)
    inside[starts[1:] - 1] = False
    if (np.diff(ti)[inside] != step).any():
        return None
    y = values[targets[0]].to_numpy(np.float64, na_value=np.nan)[order]
    cov = values[past + future].to_numpy(np.float64, na_value=np.nan)[order]
    finite = np.isfinite(y)
    lead = np.minimum.reduceat(np.where(~np.isnan(y), np.arange(len(y)), len(y)), starts)  # first value per series
    span = np.arange(len(y)) >= np.repeat(lead, ends - starts)  # rows from each series' first value on
    if (lead >= ends).any() or not finite[span].all() or not np.isfinite(cov[span]).all():
        return None
    name = tcol if tcol is not None else X.index.name
    P = len(past)
    series = []
    for k, (a, b) in enumerate(zip(lead, ends)):
        index = pd.DatetimeIndex(tv[a:b], freq=freq, name=name) if is_dt else pd.Index(tv[a:b], name=name)
        series.append(Series(uniques[k], index, y[a:b], cov[a:b, :P], cov[a:b, P:]))
    return Panel(series, freq, "long", targets[0], past, future, id_col=id_col, time_name=name or "ds")


def _check_id_col(X, id_col, time_col, target, known_freq):
    """``id_col`` neither the time column, nor the target, nor a column that gives every row its own series."""
    tcol = _long_time(X, time_col)
    if isinstance(target, str) and target in (id_col, tcol):
        what = f"{pname('id_col')} (the series' names)" if target == id_col else "the time column"
        raise DataError(f"{pname('target')} {target!r} is {what}; name the column of values to forecast")
    if tcol == id_col:
        given = (f"{pname('time_col')} names it too" if time_col is not None
                 else f"it is {pname('X')}'s time column (its one datetime column)")
        raise DataError(f"{pname('id_col')} {id_col!r} names the series, but {given}; name the column that tells "
                        "the series apart")
    if known_freq is not None:  # newer rows of a fitted model: one per series is enough
        return
    sizes = X.groupby(id_col, sort=False).size()
    if len(sizes) > 1 and sizes.max() < 3:
        raise DataError(f"every series of {pname('id_col')} {id_col!r} has fewer than 3 rows ({len(sizes)} series in "
                        f"{rows(len(X))}), too few to infer the time step; is {id_col!r} the column that "
                        "tells the series apart?")


def _long(X, id_col, time_col, target, future_covariates, strategy, fill, fast=True, known_freq=None):
    frames.unique_columns(X, "X")
    if id_col not in X.columns:
        what = "the time column" if id_col == X.index.name else "not a column"
        raise DataError(f"{pname('id_col')} {id_col!r} is {what} of {pname('X')}; columns: {list(X.columns)}")
    _check_id_col(X, id_col, time_col, target, known_freq)
    panel = _long_fast(X, id_col, time_col, target, future_covariates, strategy, fill) if fast else None
    if panel is not None:
        return panel
    time_col = _long_time(X, time_col)
    values = [c for c in X.columns if c not in (id_col, time_col)]
    if target is None and "y" in values:
        target = "y"
    if X[id_col].isna().any():
        row = int(np.flatnonzero(X[id_col].isna().to_numpy())[0])
        raise DataError(f"{pname('id_col')} {id_col!r} is missing on row {row}")
    groups, read, first = list(X.groupby(id_col, sort=False)), {}, None
    for j in sorted(range(len(groups)), key=lambda j: len(groups[j][1]) < 3):  # one or two rows: the panel's step
        sid, group = groups[j]
        known = known_freq if known_freq is not None or len(group) >= 3 or first is None else first[0]
        part = group.drop(columns=[id_col])
        if time_col is not None and part[time_col].duplicated().any():
            dup = part.loc[part[time_col].duplicated(), time_col].iloc[0]
            raise DataError(f"series {sid!r} has two rows for the time {dup}")
        try:
            df, freq = frames.as_frame(part.sort_values(time_col) if time_col else part.sort_index(), time_col,
                                       name=f"series {sid!r}", fill=fill, known_freq=known)
            targets, past, future = frames.column_roles(df, target, future_covariates, strategy)
            _refuse_future_rows(df, targets, future)
        except DataError as exc:
            raise _named(f"series {sid!r}", exc) from None
        if len(targets) != 1:
            raise DataError(f"series {sid!r}: a long frame has one target column; set {pname('target')}")
        first = first or (freq, targets[0], past, future)
        if str(freq) != str(first[0]):
            raise DataError(f"series {sid!r} has frequency {freq}, the first series {first[0]}")
        start = _trim_leading(df[targets[0]].to_numpy(dtype=np.float64, na_value=np.nan), sid)
        read[j] = _series(df.iloc[start:], sid, targets[0], past, future, fill, f"series {sid!r}")
    series = [read[j] for j in range(len(groups))]  # in the order of the data
    if not series:
        raise DataError(f"{pname('X')} has no rows")
    return Panel(series, first[0], "long", first[1], first[2], first[3], id_col=id_col,
                 time_name=time_col or X.index.name or "ds")


def _dict(X, time_col, target, future_covariates, strategy, fill, known_freq=None):
    if not X:
        raise DataError(f"{pname('X')} is an empty dict")
    series, first = [], None
    for sid, data in X.items():
        try:
            df, freq = frames.as_frame(data, time_col, name=f"series {sid!r}", fill=fill, known_freq=known_freq)
            targets, past, future = frames.column_roles(df, target, future_covariates, strategy)
            _refuse_future_rows(df, targets, future)
        except DataError as exc:
            raise _named(f"series {sid!r}", exc) from None
        first = first or (freq, targets[0], past, future, df.index.name, frames.index_kind(data, time_col))
        if str(freq) != str(first[0]):
            raise DataError(f"series {sid!r} has frequency {freq}, the first series {first[0]}")
        start = _trim_leading(df[targets[0]].to_numpy(dtype=np.float64, na_value=np.nan), sid)
        series.append(_series(df.iloc[start:], sid, targets[0], past, future, fill, f"series {sid!r}"))
    return Panel(series, first[0], "dict", first[1], first[2], first[3], time_name=first[4], index_kind=first[5])


def from_multiindex(X):
    """sktime's panel, a frame or series on a two-level (series, time) MultiIndex, as a long
    frame: ``(long frame, id column, time column)``; None for anything else. Unnamed levels
    become the columns 'level_0' and 'level_1'; a time level of periods, their start times."""
    if not isinstance(X, (pd.DataFrame, pd.Series)) or not isinstance(X.index, pd.MultiIndex):
        return None
    if X.index.nlevels != 2:
        raise DataError(f"{pname('X')} has a MultiIndex of {X.index.nlevels} levels {list(X.index.names)}; a panel "
                        "needs two, (series, time)")
    ids, times = (n if n is not None else f"level_{k}" for k, n in enumerate(X.index.names))
    df = X.to_frame(X.name if X.name is not None else "y") if isinstance(X, pd.Series) else X
    clash = [c for c in (ids, times) if c in df.columns]
    if clash:
        raise DataError(f"{pname('X')} has a column {clash[0]!r} named like a level of its MultiIndex")
    long = df.reset_index(names=[ids, times])
    if isinstance(long[times].dtype, pd.PeriodDtype):
        long[times] = long[times].dt.to_timestamp()
    return long, ids, times


def as_long(X):
    """``X`` as a long frame where it is a MultiIndex panel (:func:`from_multiindex`), else ``X``."""
    mi = from_multiindex(X)
    return X if mi is None else mi[0]


def to_panel(X, *, id_col=None, time_col=None, target=None, future_covariates=None, strategy="direct", fill=None,
             known_freq=None):
    """Any accepted form of data as a :class:`Panel` (see the module doc). ``known_freq``:
    the time step of the data a model was fit on, which series of one or two rows
    (newer data for ``update`` or ``score``) are checked against instead of inferring it."""
    args = (target, future_covariates, strategy, fill)
    mi = from_multiindex(X)
    if mi is not None:
        if id_col not in (None, mi[1]) or time_col not in (None, mi[2]):
            raise DataError(f"{pname('X')} is a panel on a MultiIndex {list(X.index.names)}, whose levels are the "
                            f"series and the time: leave {pname('id_col')} and {pname('time_col')} unset")
        panel = _long(mi[0], mi[1], mi[2], *args, known_freq=known_freq)
        panel.multiindex = list(X.index.names)
        times = X.index.levels[1]
        panel.index_kind = str(times.dtype) if isinstance(times, pd.PeriodIndex) else panel.index_kind
        return panel
    if isinstance(X, dict):
        return _dict(X, time_col, *args, known_freq=known_freq)
    if id_col is None and isinstance(X, pd.DataFrame) and "unique_id" in X.columns:
        id_col = "unique_id"  # the neuralforecast/statsforecast long format
    if id_col is not None:
        if not isinstance(X, pd.DataFrame):
            raise DataError(f"with {pname('id_col')}, {pname('X')} must be a long DataFrame")
        return _long(X, id_col, time_col, *args, known_freq=known_freq)
    try:
        return _wide(X, time_col, *args, known_freq=known_freq)
    except DataError as exc:
        hint = _id_hint(X, time_col) if "duplicated timestamps" in str(exc) else None
        if hint is None:
            raise
        raise DataError(f"{exc}; several series in long form? name their id column with {pname('id_col')} "
                        f"(perhaps {hint!r}: no timestamp repeats within one of its values)") from None


def _id_hint(X, time_col):
    """A column of the frame ``X`` (duplicated timestamps) within whose values no timestamp
    repeats: likely the series id of a long frame. None if there is none."""
    if not isinstance(X, pd.DataFrame):
        return None
    times = X[time_col].to_numpy() if time_col in X.columns else np.asarray(X.index)
    for col in X.columns:
        if col != time_col and 1 < X[col].nunique() <= len(X) // 2 and not pd.DataFrame(
                {"id": X[col].to_numpy(), "time": times}).duplicated().any():
            return col
    return None


def id_list(ids):
    """``ids`` (predict's and historical forecasts' series subset) as a list: None stays None, one id
    (text or a number: ids may be integers) is a list of it; an empty or repeated selection is an error."""
    if ids is None:
        return None
    chosen = [ids] if isinstance(ids, (str, bytes, numbers.Number)) else list(ids)
    if not chosen:
        raise ParameterError(f"{pname('ids')} names no series; leave it out (None) for all of them")
    if len(set(chosen)) < len(chosen):  # counted, not compared in pairs: ids may name thousands of series
        twice = next(sid for sid, times in Counter(chosen).items() if times > 1)
        raise ParameterError(f"{pname('ids')} names the series {twice!r} twice")
    return chosen


def panel_form(X, id_col=None):
    """Whether ``X`` is in a panel's form, even of one series: a dict, a MultiIndex, or a long frame
    with the id column ``id_col`` (default ``unique_id``)."""
    return isinstance(X, dict) or isinstance(getattr(X, "index", None), pd.MultiIndex) or \
        (isinstance(X, pd.DataFrame) and (id_col if id_col is not None else "unique_id") in X.columns)


def truncate(X, t, time_col=None):
    """The rows of ``X`` (wide, long, dict or MultiIndex) up to and including time ``t``.
    The time is ``time_col``, else a ``ds`` column, else the index (its last level)."""

    def cut(df):
        col = time_col if time_col is not None else "ds"
        if isinstance(df, pd.DataFrame) and col in df.columns:
            values = df[col] if pd.api.types.is_integer_dtype(df[col]) else to_times(df[col])
            return df[np.asarray(values <= t)]
        idx = df.index.get_level_values(-1) if isinstance(df.index, pd.MultiIndex) else df.index  # (series, time)
        idx = idx.to_timestamp() if isinstance(idx, pd.PeriodIndex) else idx
        return df[np.asarray(idx <= t)]

    if isinstance(X, dict):
        return {sid: cut(df) for sid, df in X.items()}
    return cut(X)


def timeline(panel):
    """The sorted union of the series' time steps."""
    grid = panel.series[0].index
    for s in panel.series[1:]:
        grid = grid.union(s.index)
    return grid.sort_values()
