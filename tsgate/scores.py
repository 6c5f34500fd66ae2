"""Backtest scores, shared by the network forecasters' and the baselines' ``backtest``.

A historical-forecasts table (long: the series id first, then ``cutoff``, the time,
``step``, ``y`` and one column of forecasts per model, with bands) becomes one row per
(series, step, model): ``n`` forecasts, MAE, RMSE, sMAPE (percent), MASE (MAE over the
series' in-sample seasonal naive MAE up to its first origin) and, with ``coverage``,
each banded model's coverage and MSIS; and the origins' first time and error.
"""

import numbers

import numpy as np
import pandas as pd

from . import conformal
from .frames import as_periods, period_freq, when
from .errors import DataError, NoOriginError, ParameterError, plural
from .errors import name as pname
from .metrics import error_terms, interval_terms

METRICS = ("MAE", "RMSE", "sMAPE", "MASE")


def first_origin(grid, start, default, kind="datetime"):
    """The first origin's time on the time steps ``grid`` (a DatetimeIndex or integers):
    ``start`` a time of the index, a fraction of ``grid`` in [0, 1), or None (``default``).
    Where the data came on a PeriodIndex (``kind`` 'period[Q-NOV]', the fit's ``index_kind_``),
    a period, its text ('2012Q1') or a time in it names that period."""
    if start is None:
        return default
    if isinstance(start, float) and not isinstance(start, bool):
        if not 0 <= start < 1:
            raise ParameterError(f"{pname('start')} as a fraction must be in [0, 1), got {start!r}")
        return grid[int(start * len(grid))]
    if isinstance(start, bool) or (isinstance(grid, pd.DatetimeIndex) and isinstance(start, numbers.Integral)):
        # an int is nanoseconds to pandas (-1: every origin), True the int 1
        raise ParameterError(f"{pname('start')} must be a time of the index, a fraction or None, got {start!r}"
                             + ("" if isinstance(start, bool) else " (the data has a time index, not integer steps)"))
    try:
        if isinstance(grid, pd.DatetimeIndex) and period_freq(kind):
            start = pd.Period(start, freq=period_freq(kind))  # the fit read periods as their start times
        if isinstance(start, pd.Period) and isinstance(grid, pd.DatetimeIndex):
            start = start.to_timestamp()
        return pd.Timestamp(start) if isinstance(grid, pd.DatetimeIndex) else int(start)
    except (TypeError, ValueError):
        steps = "" if isinstance(grid, pd.DatetimeIndex) else " (the data has integer steps, not times)"
        raise ParameterError(f"{pname('start')} must be a time of the index, a fraction or None, "
                             f"got {start!r}{steps}") from None


def user_times(table, kind, columns):
    """A historical-forecasts ``table`` with its time ``columns`` as the user's data had them:
    periods where ``kind`` (the fit's ``index_kind_``) is one, as ``predict`` answers, else as they are."""
    if not kind.startswith("period") or not len(table):
        return table
    return table.assign(**{c: as_periods(table[c], kind) for c in columns})


def no_origin(rows, where, H, start, cutoff, stride=1):
    """The error of historical forecasts without an origin: the ``rows`` an origin needs
    ``where`` ('before it'), ``H`` rows after it, every ``stride``-th from ``start`` or the fitted ``cutoff``."""
    every = f" at {pname('stride', stride)}" if stride != 1 else ""
    return NoOriginError(f"{pname('X')} has no origin with {plural(rows, 'row')} {where} and {H} after "
                         f"it{every}"
                     + (f" from {pname('start')} {when(start) if isinstance(start, pd.Timestamp) else repr(start)}"
                        if start is not None else
                        f" after the fitted cutoff ({when(cutoff)}): pass newer rows, or an earlier "
                        f"{pname('start')} (e.g. {pname('start', 0.5)}) for origins in the training data"))


def backtest_table(hf, scales, coverage, models):
    """The scores of ``hf`` per (series, step, model). ``scales``: series id -> MASE scale;
    ``models``: (name, column of ``hf``, whether ``hf`` has its bands) for each model."""
    idc = hf.columns[0]
    parts = []
    for model, col, banded in models:
        ae, se, sape = error_terms(hf["y"], hf[col])
        frame = pd.DataFrame({idc: hf[idc], "step": hf["step"], "ae": ae, "se": se, "sape": sape})
        g = frame.groupby([idc, "step"], sort=False)
        t = g.agg(n=("ae", "size"), MAE=("ae", "mean"), RMSE=("se", "mean"), sMAPE=("sape", "mean")).reset_index()
        t["RMSE"] = np.sqrt(t["RMSE"])
        t["MASE"] = t["MAE"] / t[idc].map(scales).to_numpy(dtype=float)
        t.insert(2, "model", model)
        parts.append(_interval_scores(t, hf, idc, scales, coverage, banded))
    return pd.concat(parts, ignore_index=True)


def _interval_scores(table, hf, idc, scales, coverage, banded):
    """``table`` (per series and step) with the coverage and MSIS of the bands
    of ``hf`` (NaN where the model has no band)."""
    if coverage is None:
        return table
    coverages, several = conformal.levels(coverage)
    for c in coverages:
        lo, hi, suffix = conformal.table_columns(c, several)
        if not banded:
            table[f"coverage{suffix}"] = table[f"MSIS{suffix}"] = np.nan
            continue
        inside, score = interval_terms(hf["y"], hf[lo], hf[hi], c)
        frame = pd.DataFrame({idc: hf[idc], "step": hf["step"], "inside": inside, "score": score})
        g = frame.groupby([idc, "step"], sort=False).agg(inside=("inside", "mean"), score=("score", "mean"))
        table[f"coverage{suffix}"] = g["inside"].to_numpy()
        table[f"MSIS{suffix}"] = g["score"].to_numpy() / table[idc].map(scales).to_numpy(dtype=float)
    return table


def mase_scale(y, n, m):
    """The in-sample seasonal naive (period ``m``; 1 where ``n <= m``) MAE of ``y[:n]``
    (at least two values), or NaN where it is not positive."""
    mm = m if n > m else 1
    y = np.asarray(y)[:max(n, 2)]
    scale = float(np.mean(np.abs(y[mm:] - y[:-mm]))) if len(y) > mm else np.nan
    return scale if scale > 0 else np.nan


def summarise_backtest(table):
    """Mean of each metric per model (and per model and step) of a backtest table."""
    missing = [c for c in ("model", *METRICS) if c not in getattr(table, "columns", ())]
    if missing:
        raise DataError(f"a backtest table (from backtest) has columns 'model', {', '.join(map(repr, METRICS))}; "
                        f"this one lacks {missing}")
    return table.groupby("model", sort=False)[list(METRICS)].mean()
