"""Forecasts of series that cannot go below zero: counts, sales, sunspots.

A forecaster's point forecast and its interval are unbounded: the linear
start, the network and the conformal band do not know that a series of
counts stops at zero. ``nonnegative=True`` keeps every series' forecasts and
interval bounds at or above zero (and refuses a target with negative values);
``'auto'`` (the default) does so for each series whose history has no
negative value and comes down to zero or near it: its lowest value at most
:data:`NEAR_ZERO` of its highest (a zero, as sunspots at a solar minimum or an
item's sales on a day without any, or two orders of magnitude below its peak,
as the lynx trappings at the bottom of a cycle). A positive series that stays
well above zero (a temperature in degrees Fahrenheit, a share price) is left
alone, as is every series with ``False``. The risk of 'auto': a series that
has never been negative but can be (a temperature in degrees Celsius in a mild
climate, its lowest value 0.2 and its highest 30) gets bands cut at zero; pass
``nonnegative=False`` there.

Flooring never costs a series that is nonnegative: raising a forecast below
zero to zero brings it nearer every value the series can take, and a lower
bound below zero covers nothing more.
"""

import numpy as np

from .errors import DataError, option, plural
from .frames import when


#: 'auto' floors a series without negative values whose lowest value is at most this share of its highest.
NEAR_ZERO = 0.01


def floored_series(setting, ranges):
    """(S,) bool: which series are floored at zero, given ``nonnegative=setting``
    and each series' history range ``ranges`` (2, S) (:func:`tsgate.learned.history_range`)."""
    lowest, highest = np.asarray(ranges, dtype=float)
    if setting == "auto":
        return (lowest >= 0.0) & (lowest <= NEAR_ZERO * highest)
    return np.full(lowest.shape, bool(setting))


def floor(values, floored):
    """``values`` (rows, ...) with the rows where ``floored`` (rows,) is True kept at
    or above zero; a single bool ``floored``: all of them or none."""
    values = np.asarray(values, dtype=float)
    if not np.any(floored):
        return values
    if np.ndim(floored) == 0:
        return np.maximum(values, 0.0)
    out = values.copy()
    out[floored] = np.maximum(out[floored], 0.0)
    return out


def check_targets(setting, ys, ids, indexes):
    """With ``nonnegative=True``, a DataError naming the first series with a
    negative value, where it is and how low it goes."""
    if setting is not True:
        return
    for y, sid, index in zip(ys, ids, indexes):
        neg = np.flatnonzero(np.asarray(y, dtype=float) < 0)
        if neg.size:
            flag = option("nonnegative")  # the command line's flag, else the Python parameter
            said, other = (flag, f"leave {flag} out") if flag else ("nonnegative=True", "use nonnegative='auto'")
            raise DataError(f"{said}, but series {sid!r} has {plural(neg.size, 'negative value')}, the first "
                            f"{y[neg[0]]:.6g} at {when(index[neg[0]])} (lowest {np.min(y[neg]):.6g}); {other}")


def describe(setting, ranges):
    """Which series are kept at or above zero and why, in a sentence ('' for none): the CLI's summary."""
    on = floored_series(setting, ranges)
    if not on.any():
        return ""
    flag = option("nonnegative")
    lowest, highest = np.asarray(ranges, dtype=float)
    which = "forecasts and bands" if on.size == 1 else f"forecasts and bands of {on.sum()} of {on.size} series"
    if setting is True:
        return f"{which} kept at or above zero ({flag or 'nonnegative=True'})"
    off = f"--no-{flag[2:]}" if flag else "nonnegative=False"
    why = (f"lowest value {lowest[0]:.4g}, at most {NEAR_ZERO:.0%} of the highest ({highest[0]:.4g})"
           if on.size == 1 else f"their lowest values are at most {NEAR_ZERO:.0%} of their highest")
    return f"{which} kept at or above zero: {why}; {off} leaves them unbounded"
