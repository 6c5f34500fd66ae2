"""Isolated outliers: single values, or two in a row, that stand apart from every neighbour.

A typo or a sensor spike (one value of 1000 in a series around 10) wrecks a
network's forecast far more than a seasonal naive one: it owns the scaling,
the loss and, in the last window, the network's input. A value is flagged
when it lies more than ``k`` robust standard deviations of the series' own
differences away from

* its neighbours in time (the steps before and after, on opposite sides:
  it sticks out above or below both), and
* its neighbours one season away (``period`` steps before and after),

comparing with whichever of them exist (one side at the ends of the series).
Two values in a row (a spike that lasts two readings) are flagged together
when both stand apart, on the same side, from the steps before and after the
pair, and each from its neighbours one season away; only inside the series,
as a pair at its end cannot be told from a new level.
A level shift is not flagged (its neighbours on one side agree with it), nor
a spike that repeats every season (its seasonal neighbours agree with it).
Where more than one value in a hundred would be flagged, the spikes are the
series' nature (intermittent or heavy-tailed data) and none is. A flagged value
must also stand apart from its neighbours in time by the spread of the
differences within :data:`LOCAL_STEPS` of it, so that a series whose steps grow
with its level keeps its newest values.

NumPy and :mod:`tsgate.errors` only.
"""

import warnings

import numpy as np

from .errors import OutlierWarning
from .errors import name as pname

#: Distance, in robust standard deviations, beyond which a value stands apart (here, among
#: the series' differences; :func:`tsgate.seasonality.clip_outliers`, among its values).
OUTLIER_MADS = 8.0
#: Steps on each side of a flagged value whose differences must confirm it.
LOCAL_STEPS = 50


def robust_centre_scale(x):
    """(median, robust standard deviation: 1.4826 times the median absolute deviation) of ``x``."""
    centre = float(np.median(x))
    return centre, 1.4826 * float(np.median(np.abs(x - centre)))


def _jumps(y, lag, k):
    """sign(y[t + lag] - y[t]) where the difference is beyond ``k`` robust standard deviations of
    the lag-``lag`` differences from their median, else 0; None when most differences are equal
    (a constant or intermittent series: then nothing stands apart)."""
    d = y[lag:] - y[:-lag]
    centre, scale = robust_centre_scale(d)
    if not scale > 0:
        return None
    return np.where(d - centre > k * scale, 1, np.where(d - centre < -k * scale, -1, 0))


def _sticks_out(y, lag, k):
    """(n,) bool: y[t] is far from y[t - lag] and y[t + lag] (those that exist), on the same side
    of both. An end point of the local test (lag 1) has one neighbour, which may be the glitch
    itself, so there the next but one must agree."""
    n = len(y)
    out = np.zeros(n, dtype=bool)
    jump = _jumps(y, lag, k)
    if jump is None:
        return out
    up = np.zeros(n, dtype=int)  # sign(y[t] - y[t - lag]) where far, else 0 (also without a neighbour)
    down = np.zeros(n, dtype=int)  # sign(y[t] - y[t + lag]) where far
    up[lag:] = jump
    down[:-lag] = -jump
    t = np.arange(n)
    inner = (t >= lag) & (t < n - lag)
    out[inner] = (up[inner] != 0) & (up[inner] == down[inner])
    out[t < lag] = down[t < lag] != 0
    out[t >= n - lag] = up[t >= n - lag] != 0
    if lag == 1:
        second = _jumps(y, 2, k)
        out[0] &= second is not None and -second[0] == down[0]
        out[-1] &= second is not None and second[-1] == up[-1]
    return out


def _pair_starts(y, k):
    """Positions t (ascending) inside the series where y[t] and y[t + 1] are both far, on the
    same side, from y[t - 1] and y[t + 2]: beyond ``k`` robust standard deviations of the lag-1
    differences, measured from their median times the lag."""
    n = len(y)
    centre, scale = robust_centre_scale(y[1:] - y[:-1])
    if n < 4 or not scale > 0:
        return np.zeros(0, dtype=np.int64)
    t = np.arange(1, n - 2)  # the pair (t, t + 1), its neighbours t - 1 and t + 2
    sides = [np.sign(d - lag * centre) * (np.abs(d - lag * centre) > k * scale)
             for d, lag in ((y[t] - y[t - 1], 1), (y[t + 1] - y[t - 1], 2), (y[t] - y[t + 2], -2),
                            (y[t + 1] - y[t + 2], -1))]
    return t[(sides[0] != 0) & (sides[0] == sides[1]) & (sides[0] == sides[2]) & (sides[0] == sides[3])]


def isolated_outliers(y, period=1, k=OUTLIER_MADS):
    """Positions of the isolated outliers of the 1-D series ``y`` (module doc).

    Parameters
    ----------
    y : array-like, shape (n,)
    period : int
        The seasonal period (1: none); the seasonal test needs ``n > period``.
    k : float
        Robust standard deviations (1.4826 times the median absolute deviation).

    Returns
    -------
    ndarray of int, ascending
    """
    y = np.asarray(y, dtype=np.float64)
    n = len(y)
    if n < 5 or not np.isfinite(y).all():
        return np.zeros(0, dtype=np.int64)
    pos = np.flatnonzero(_flagged(y, period, k))
    if len(pos) > 1 + n // 100:  # more than one in a hundred: the series' nature
        return np.zeros(0, dtype=np.int64)
    return pos[[_stands_apart_locally(y, t, k) for t in pos]].astype(np.int64)


def _flagged(y, period, k):
    """(n,) bool: the values that stand apart by the spread of the differences of ``y`` (n >= 5)."""
    n = len(y)
    flagged, starts = _sticks_out(y, 1, k), _pair_starts(y, k)
    if period > 1 and n > period + 2:
        seasonal = _sticks_out(y, period, k)
        flagged &= seasonal
        starts = starts[seasonal[starts] & seasonal[starts + 1]]  # both of a pair, or neither
    flagged[starts] = flagged[starts + 1] = True
    if len(starts) and starts[0] == 1:  # an end's next but one is then part of the pair, not its witness
        flagged[0] = False
    if len(starts) and starts[-1] == n - 3:
        flagged[n - 1] = False
    return flagged


def _stands_apart_locally(y, t, k):
    """Whether ``y[t]``, flagged by the spread of the whole series' differences, also stands
    apart from its neighbours in time by that of the differences within :data:`LOCAL_STEPS`
    of it. A series whose level grows a hundredfold has steps a hundred times larger at its
    end than at its start: by the whole series' spread its last value, or any late zigzag,
    looks like a glitch. (The seasonal test stays with the whole series: its local
    differences, a season apart, carry the local trend.)"""
    a = max(0, t - LOCAL_STEPS)
    part = y[a:t + LOCAL_STEPS + 1]
    return len(part) >= 5 and bool(_flagged(part, 1, k)[t - a])


def repair_each(ys, period, names, indexes, fmt=str):
    """(``ys`` with their isolated outliers replaced, ``found``: name -> [(label in the series'
    index, value), ...] of the series that had any). Any found are warned of (:func:`warn`,
    times written by ``fmt``)."""
    out, found = [], {}
    for y, name, index in zip(ys, names, indexes):
        pos = isolated_outliers(y, period)
        out.append(repaired(y, pos, period).astype(np.asarray(y).dtype) if len(pos) else y)
        if len(pos):
            found[name] = [(index[p], float(y[p])) for p in pos]
    if found:
        warn(found, fmt)
    return out, found


def describe(found, fmt=str, limit=3):
    """``found`` (:func:`repair_each`) in a sentence, at most ``limit`` of each; times by ``fmt``."""
    n = sum(len(points) for points in found.values())
    parts = [f"series {sid!r} at " + ", ".join(f"{fmt(t)} ({v:.4g})" for t, v in points[:limit])
             + (" ..." if len(points) > limit else "") for sid, points in list(found.items())[:limit]]
    return (f"{n} isolated outlier{'s' if n > 1 else ''} replaced by the mean of {'their' if n > 1 else 'its'} "
            f"seasonal neighbours: {'; '.join(parts)}{' ...' if len(found) > limit else ''}")


def warn(found, fmt=str):
    """An :class:`~tsgate.errors.OutlierWarning` for ``found`` (:func:`repair_each`), naming the
    option that keeps them in the user's terms."""
    warnings.warn(f"{describe(found, fmt)} ({pname('outliers', 'keep')} keeps them)", OutlierWarning, stacklevel=5)


def repaired(y, positions, period=1):
    """A copy of ``y`` with each flagged position replaced by the mean of its unflagged
    neighbours one season away (``period``; else one step away), or the median."""
    y = np.array(y, dtype=np.float64)
    bad = np.zeros(len(y), dtype=bool)
    bad[positions] = True
    for t in positions:
        near = [s for lag in dict.fromkeys((period, 1)) for s in (t - lag, t + lag)
                if 0 <= s < len(y) and not bad[s]]
        seasonal = [s for s in near[:2] if abs(s - t) == period]
        y[t] = np.mean(y[seasonal or near]) if near else np.median(y[~bad])
    return y
