"""Reading time series from CSV files (the CLI's input, also public API).

:func:`read_csv` reads a file, finds its time column (given, or the first
text column whose every value is a date: :func:`tsgate.frames.detect_time_column`)
and puts it on the index. Every problem is a :class:`~tsgate.errors.DataError`
that names the file, and the column and row where there is one.
"""

import pandas as pd

from .errors import DataError, name
from .frames import detect_time_column


def read_csv(path, time_col=None):
    """Read a CSV and put its time column (given or detected) on the index.

    Parameters
    ----------
    path : str or path-like
    time_col : str, optional
        Name of the time column; detected when omitted.

    Returns
    -------
    pandas.DataFrame
        With a DatetimeIndex named after the time column when there is one.
    """
    try:
        df = pd.read_csv(path)
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: the file is empty") from None
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataError(f"{path}: not a readable CSV ({' '.join(str(exc).split())})") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if df.empty:
        raise DataError(f"{path}: the file has a header but no rows")
    if time_col is not None and time_col not in df.columns:
        raise DataError(f"{name('time_col')} {time_col!r} is not a column of {path}; columns: {list(df.columns)}")
    time_col = time_col if time_col is not None else detect_time_column(df)
    if time_col is not None:
        parsed = pd.to_datetime(df[time_col], errors="coerce", format="mixed")
        if parsed.isna().any():
            row = int(parsed.isna().to_numpy().argmax())
            raise DataError(f"{path}: column {time_col!r} has an unparseable timestamp at row {row + 1}: "
                            f"{df[time_col].iloc[row]!r}")
        df = df.drop(columns=[time_col])
        df.index = pd.DatetimeIndex(parsed, name=time_col)
    return df
