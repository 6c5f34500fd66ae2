"""Cyclical calendar features of timestamps (``calendar_features=True``).

Each cycle that the data's time step can resolve (the hour of an hourly
series, the month of a monthly one) becomes a sine and a cosine column, so
the network reads where in the cycle each row lies.
"""

import numpy as np
import pandas as pd

from .errors import DataError
from .frames import freq_base


#: Calendar cycles: (name, the time bases that get it, its value of an index, its period).
CYCLES = (
    ("hour", ("h", "H", "min", "T", "s", "S"), lambda i: i.hour + i.minute / 60.0, 24.0),
    ("weekday", ("h", "H", "min", "T", "D", "B", "C", "s", "S"), lambda i: i.day_of_week, 7.0),
    ("yearday", ("D", "B", "C", "W"), lambda i: i.day_of_year, 365.25),
    ("month", ("MS", "ME", "M", "SMS", "SME", "BMS", "BME"), lambda i: i.month - 1, 12.0),
    ("quarter", ("QS", "QE", "Q", "BQS", "BQE"), lambda i: i.quarter - 1, 4.0),
)


def calendar_names(freq):
    """Names of :func:`calendar`'s columns at ``freq`` ('hour_sin', 'hour_cos', ...)."""
    base = freq_base(freq)
    return [f"{name}_{f}" for name, bases, _, _ in CYCLES if base in bases for f in ("sin", "cos")]


def calendar(index, freq):
    """Cyclical calendar features of timestamps, (n, k) in [-1, 1] (:func:`calendar_names`)."""
    if not isinstance(index, pd.DatetimeIndex):
        raise DataError("calendar_features needs a DatetimeIndex or PeriodIndex, not an integer index")
    base, feats = freq_base(freq), []
    for _, bases, value, period in CYCLES:
        if base in bases:
            ang = 2 * np.pi * np.asarray(value(index), dtype=np.float64) / period
            feats += [np.sin(ang), np.cos(ang)]
    return np.stack(feats, axis=1) if feats else np.zeros((len(index), 0))
