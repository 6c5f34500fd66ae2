"""Timestamps parsed from text, whatever their UTC offsets (a leaf module).

``pd.to_datetime`` refuses strings whose UTC offsets differ ("Mixed timezones
detected"), even with ``errors='coerce'``: a local clock's readings written
with their offsets change offset twice a year (``2022-03-27T01:00+01:00``, then
``03:00+02:00``). Read in UTC they step regularly, so :func:`to_times` reads
them so; the forecast's times are then in UTC (``+00:00``).
"""

import pandas as pd


def to_times(values, **kw):
    """``pd.to_datetime(values, errors='coerce', **kw)`` (NaT where a value
    does not parse), in UTC where the values carry different UTC offsets."""
    try:
        return pd.to_datetime(values, errors="coerce", **kw)
    except ValueError as exc:  # pandas: "Mixed timezones detected. Pass utc=True ..."
        if "utc=True" not in str(exc):
            raise
        return pd.to_datetime(values, errors="coerce", utc=True, **kw)
