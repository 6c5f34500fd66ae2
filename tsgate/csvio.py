"""Reading time series from CSV files (the CLI's input, also public API).

:func:`read_csv` reads a file (or standard input), detects the delimiter and
a decimal comma, finds the time column (given, or detected:
:func:`tsgate.frames.detect_time_column`) and puts it on the index. Every
problem is a :class:`~tsgate.errors.DataError` that names the file and,
where there is one, the column, row and value: rows are counted from 1 after
the header (row 1 is line 2 of the file).
"""

import csv
import io
import os
import re
import sys

import numpy as np
import pandas as pd

from .errors import DataError, ParameterError, name
from .frames import detect_time_column
from .times import to_times

#: Share of a column's values that must parse (as dates, as numbers) for the
#: column to be read as dates or numbers, with the others reported as errors.
MOSTLY = 0.8
_DECIMAL_COMMA = re.compile(r"^\s*[-+]?(\d{1,3}(\.\d{3})+|\d+),\d+\s*$")
#: Cells that mean a missing value besides pandas' own ('', 'NA', 'n/a', 'null'...): FRED writes '.'.
MISSING = [".", "-", "--", "?"]
#: A thousands comma: after a digit, before three digits and no fourth ('1,234.5' -> '1234.5').
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
#: A currency sign before a number ('$1,234.50', '-€12') or a percent sign after it ('5.3%'),
#: as spreadsheets export formatted cells; read without it where most values of a column have one.
_UNIT = re.compile(r"^([-+]?)\s*[$€£¥]\s*|\s*%$")


def _is_text(s):
    return s.dtype == object or pd.api.types.is_string_dtype(s)


def _check_args(path, sep, decimal):
    """A ParameterError naming ``path`` that is no file path (an int is a file descriptor to ``open``),
    a ``sep`` of more than one character, or a ``decimal`` other than '.' and ','."""
    if isinstance(path, bool) or not isinstance(path, (str, bytes, os.PathLike)):
        raise ParameterError(f"path must be a file path or '-', got {type(path).__name__} {path!r}")
    if sep is not None and (not isinstance(sep, str) or len(sep) != 1):
        raise ParameterError(f"{name('sep')} must be one character, got {sep!r}")
    if decimal is not None and decimal not in (".", ","):
        raise ParameterError(f"{name('decimal')} must be '.' or ',', got {decimal!r}")


def _read_bytes(path):
    if str(path) == "-":
        return sys.stdin.buffer.read(), "<stdin>"
    try:
        with open(path, "rb") as fh:
            return fh.read(), str(path)
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a directory, not a CSV file") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror or exc})") from None


def _decode(raw, label, encoding):
    nul = raw.find(b"\x00")
    if nul >= 0:
        line = raw.count(b"\n", 0, nul) + 1
        raise DataError(f"{label}: line {line} contains a NUL byte: not a text CSV file")
    try:
        return raw.decode(encoding or "utf-8-sig")
    except (UnicodeDecodeError, LookupError) as exc:
        if isinstance(exc, LookupError):
            raise DataError(f"{label}: unknown {name('encoding')} {encoding!r}") from None
        line = raw.count(b"\n", 0, exc.start) + 1
        raise DataError(f"{label}: not {encoding or 'utf-8'} text (byte 0x{raw[exc.start]:02x} on line {line}); "
                        f"give the file's encoding with {name('encoding', 'latin-1')} (for example)") from None


def _sniff_sep(text):
    sample = "\n".join(text.splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _guess_decimal(df, sep):
    """',' when the separator is not a comma and text columns look like 1,5."""
    if sep == ",":
        return "."
    for col in df.columns:
        values = df[col].dropna()
        if _is_text(values) and len(values) and values.astype(str).str.match(_DECIMAL_COMMA).mean() >= MOSTLY:
            return ","
    return "."


def _parse(text, label, sep, decimal):
    try:
        return pd.read_csv(io.StringIO(text), sep=sep, decimal=decimal, thousands="." if decimal == "," else None,
                           skipinitialspace=True, na_values=MISSING)
    except pd.errors.EmptyDataError:
        raise DataError(f"{label}: the file is empty") from None
    except pd.errors.ParserError as exc:
        raise DataError(f"{label}: not a readable CSV ({' '.join(str(exc).split())})") from None


def _check_header(df, text, label, sep):
    """``df`` without its blank columns (no name, no value: a spreadsheet's
    trailing delimiters) and its trailing blank rows (',,' lines a spreadsheet
    leaves below the data), after checking the header's names and that rows remain."""
    header = next(csv.reader([text.splitlines()[0]], delimiter=sep)) if text.strip() else []
    seen = set()
    for col in (h.strip() for h in header):
        if col in seen and col:
            raise DataError(f"{label}: column {col!r} appears twice in the header")
        seen.add(col)
    if len(header) == df.shape[1]:
        df = df.drop(columns=[c for c, h in zip(df.columns, header) if not h.strip() and df[c].isna().all()])
    filled = np.flatnonzero(df.notna().any(axis=1).to_numpy())
    df = df.iloc[:filled[-1] + 1] if len(filled) else df.iloc[:0]  # rows in the middle keep their numbers
    if df.empty:
        raise DataError(f"{label}: the file has a header but no rows")
    if df.shape[1] == 1:
        other = next((c for c in ";\t|," if c != sep and c in text.splitlines()[0]), None)
        hint = f"; is the delimiter {other!r}? use {name('sep')}" if other else ""
        raise DataError(f"{label}: only one column found ({df.columns[0]!r}): a time series needs a time column "
                        f"and a value column{hint}")
    return df


def _first_bad(parsed, original):
    """The row and value (a Python scalar, as the file has it) of the first value ``parsed`` lost."""
    bad = int(np.flatnonzero(parsed.isna().to_numpy() & original.notna().to_numpy())[0])
    value = original.iloc[bad]
    return bad, value.item() if isinstance(value, np.generic) else value


def _regular(idx):
    """Whether the distinct timestamps of ``idx`` step regularly (a frequency can be inferred)."""
    distinct = pd.DatetimeIndex(idx.dropna().unique()).sort_values()
    return len(distinct) >= 3 and pd.infer_freq(distinct) is not None


#: A date written d/m/y or m/d/y (or with dots or dashes): which is the day can be ambiguous.
NUMERIC_DATE = r"^(\d{1,2})[/.\-](\d{1,2})[/.\-]\d{2,4}\b"


def _dates(values, label="the file", column=None):
    """Timestamps of the strings ``values`` (NaT where one does not parse),
    every date like 01/02/2000 read the same way: day first where some
    first field exceeds 12 (13/02/2000), month first where some second field
    does (02/13/2000); where none does, month first (pandas' reading), unless
    reading the day first parses more of them, or steps regularly where month
    first does not (a monthly 01/02/2000, 01/03/2000...). A DataError where
    both occur. (pandas reads each string on its own: 12/01/2020 as December 1
    and 13/01/2020 as January 13 in one daily file.)"""
    fields = values.str.extract(NUMERIC_DATE).astype(float)
    if fields.isna().all().all():
        return to_times(values, format="mixed")
    day_first, month_first = (fields[0] > 12).to_numpy(), (fields[1] > 12).to_numpy()
    if day_first.any() and month_first.any():
        a, b = int(np.argmax(day_first)), int(np.argmax(month_first))
        raise DataError(f"{label}: column {column!r} mixes day-first dates (row {a + 1}: {values.iloc[a]!r}) and "
                        f"month-first dates (row {b + 1}: {values.iloc[b]!r}); write them one way")
    first = to_times(values, format="mixed")
    if not day_first.any() and month_first.any():
        return first
    day = _day_first(values, first, fields[0].notna().to_numpy())
    if day_first.any():
        return day
    if day.notna().sum() > first.notna().sum() or (day.notna().all() and not _regular(first) and _regular(day)):
        return day
    return first


def _day_first(values, plain, numeric):
    """``values`` read as ``plain`` (pandas' reading), the ``numeric`` dates (:data:`NUMERIC_DATE`) day
    first: pandas' ``dayfirst`` reads an ISO 2020-01-02 as February 1 too."""
    return to_times(values, format="mixed", dayfirst=True).where(numeric, plain)


#: Short ways of writing a time (a year, a month, a quarter) that a forecast's times are written back in.
_MON, _MONTH = "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)", \
    "(?:January|February|March|April|May|June|July|August|September|October|November|December)"
SHORT_TIMES = {r"\d{4}": "%Y", r"\d{4}-\d{2}": "%Y-%m", r"\d{4}/\d{2}": "%Y/%m", r"\d{4}-?Q[1-4]": "quarter",
               _MON + r" \d{4}": "%b %Y", _MONTH + r" \d{4}": "%B %Y", _MON + r"-\d{4}": "%b-%Y",
               r"\d{4}-" + _MON: "%Y-%b"}


def _time_format(values):
    """The short form (:data:`SHORT_TIMES`) every one of the strings ``values`` is written in, else None."""
    first = values.iloc[0] if len(values) else ""  # one value rules most forms out without a pass over all
    return next((f for pattern, f in SHORT_TIMES.items()
                 if re.fullmatch(pattern, first) and values.str.fullmatch(pattern).all()), None)


def _time_index(df, time_col, label):
    text = df[time_col].astype(str).str.strip()
    parsed = _dates(text, label, time_col)
    if parsed.isna().any():
        if df[time_col].isna().any():
            row = int(np.flatnonzero(df[time_col].isna().to_numpy())[0])
            raise DataError(f"{label}: column {time_col!r} row {row + 1} (line {row + 2}) has no timestamp")
        row, value = _first_bad(parsed, df[time_col])
        raise DataError(f"{label}: column {time_col!r} row {row + 1} (line {row + 2}): {value!r} is not a date")
    out = df.drop(columns=[time_col])
    out.index = pd.DatetimeIndex(parsed, name=time_col)
    out.attrs["time_format"] = _time_format(text)  # None: timestamps as pandas writes them
    newest_first = out.index.is_monotonic_decreasing and not out.index.is_monotonic_increasing
    return out.sort_index(kind="stable") if newest_first else out  # a panel keeps its order within a time


#: Names of an integer column of dates: years 1000-2999 (also 'date': a yearly export's 1871, 1872...),
#: or days written as yyyymmdd numbers (20220131), as many exports write them.
DATE_NAMES = ("year", "years", "yr", "date", "dates", "day")


def _year_column(df):
    """An integer column named in :data:`DATE_NAMES` of years 1000-2999 or of
    yyyymmdd dates, read as timestamps; None if there is none."""
    for col in df.columns:
        s = df[col]
        if str(col).strip().lower() not in DATE_NAMES or not pd.api.types.is_integer_dtype(s):
            continue
        if (s.between(1000, 2999).all() and str(col).strip().lower() != "day") or (
                s.between(10000101, 29991231).all() and to_times(s.astype(str), format="%Y%m%d").notna().all()):
            return col
    return None


#: Names of an integer time-step column (0, 1, 2... or any increasing integers), detected when no column
#: holds dates: a column 't' is the time, not a covariate that grows without bound.
STEP_NAMES = ("t", "time", "step", "steps", "timestep", "time_step", "ds", "index", "idx", "period")


def _step_column(df):
    """The first integer column named in :data:`STEP_NAMES` whose values
    strictly increase, else None."""
    for col in df.columns:
        s = df[col]
        if str(col).strip().lower() in STEP_NAMES and pd.api.types.is_integer_dtype(s) \
                and len(s) > 1 and bool((np.diff(s.to_numpy()) > 0).all()):
            return col
    return None


def _without_row_numbers(df):
    """``df`` without a first column that only numbers the rows (0, 1, 2... or 1, 2, 3...),
    unnamed or named 'index', as pandas' ``to_csv`` and ``reset_index`` write a RangeIndex:
    it is no time and no covariate."""
    col = df.columns[0]
    label = str(col).strip().lower()
    if len(df.columns) < 2 or not (label in ("", "index") or label.startswith("unnamed: ")) \
            or not pd.api.types.is_integer_dtype(df[col]):
        return df
    v = df[col].to_numpy()
    return df.drop(columns=[col]) if v[0] in (0, 1) and (v == v[0] + np.arange(len(v))).all() else df


def _mostly_dates(s):
    values = s.dropna().astype(str).str.strip()
    if not len(values) or values.str.fullmatch(r"[-+]?\d+(\.\d*)?").all():
        return False
    return to_times(values, format="mixed").notna().mean() >= MOSTLY


def _numbers(df, label, decimal):
    """Text columns whose values are mostly numbers: numbers when all of them
    are (written with thousands separators, '1,234.5', or '1.234,5' with a
    decimal comma; with a currency or percent sign where most values have one:
    '$1,234.50', '5.3%'), else the first that is not is an error."""
    for col in df.columns:
        s = df[col]
        if not _is_text(s):
            continue
        text = s.astype(str).str.strip()
        if decimal == ",":
            text = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
        else:
            text = text.str.replace(_THOUSANDS, "", regex=True)
        num = pd.to_numeric(text.where(s.notna()), errors="coerce")
        if num.notna().sum() < s.notna().sum():
            bare = text.str.replace(_UNIT, r"\1", regex=True)
            if (bare != text)[s.notna()].mean() >= MOSTLY:
                num = pd.to_numeric(bare.where(s.notna()), errors="coerce")
        if s.notna().any() and num.notna().sum() == s.notna().sum():
            df[col] = num
        elif s.notna().any() and num.notna().sum() >= MOSTLY * s.notna().sum():
            row, value = _first_bad(num, s)
            hint = (f"; if ',' is the decimal mark, use {name('decimal', ',')}"
                    if decimal != "," and "," in str(value) else "")
            raise DataError(f"{label}: column {col!r} row {row + 1} (line {row + 2}): {value!r} is not a number{hint}")


def read_csv(path, time_col=None, sep=None, decimal=None, encoding=None):
    """Read a CSV and put its time column (given or detected) on the index.

    Parameters
    ----------
    path : str or path-like
        The file, or ``'-'`` for standard input.
    time_col : str, optional
        Name of the time column; detected when omitted (the first text column
        whose values are dates, else an integer column of years named 'year',
        'yr' or 'date', or of yyyymmdd days named 'date' or 'day'
        (:data:`DATE_NAMES`), else an increasing integer column named like a time step: 't',
        'step', 'ds'... (:data:`STEP_NAMES`)). A named integer column other
        than years holds integer time steps. A first column that only numbers
        the rows, unnamed or 'index' (pandas' ``to_csv`` of a RangeIndex), is
        left out.
        Dates like 01/02/2000 are all read one way: day first where some
        first field exceeds 12, month first where some second field does,
        and where none does, month first unless day first parses more of them
        or steps regularly where month first does not.
    sep : str, optional
        Delimiter, one character (``'\\t'`` or ``'tab'``: a tab); detected among ``, ; tab |`` when omitted.
    decimal : {'.', ','}, optional
        Decimal mark; ``','`` is detected when the delimiter is not a comma
        and the numbers are written like ``1,5``.
    encoding : str, optional
        Text encoding (default UTF-8, with or without a byte-order mark).

    Returns
    -------
    pandas.DataFrame
        With a DatetimeIndex named after the time column when there is one;
        a file written newest first is put in time order (rows with equal
        timestamps, e.g. a long panel's series, keep their order).
    """
    sep = "\t" if isinstance(sep, str) and sep.lower() in ("\\t", "tab") else sep  # --sep '\t' from a shell
    _check_args(path, sep, decimal)
    raw, label = _read_bytes(path)
    text = _decode(raw, label, encoding)
    if not text.strip():
        raise DataError(f"{label}: the file is empty")
    sep = sep or _sniff_sep(text)
    df = _parse(text, label, sep, decimal or ".")
    if decimal is None and _guess_decimal(df, sep) == ",":
        decimal = ","
        df = _parse(text, label, sep, decimal)
    df.columns = [c.strip() if isinstance(c, str) else c for c in df.columns]
    df = _check_header(df, text, label, sep)
    if time_col is not None and time_col not in df.columns:
        raise DataError(f"{name('time_col')} {time_col!r} is not a column of {label}; columns: {list(df.columns)}")
    named = time_col is not None
    df = df if named else _without_row_numbers(df)
    steps = None if named else _step_column(df)
    if time_col is None:
        time_col = (detect_time_column(df) or next((c for c in df.columns if _mostly_dates(df[c])), None)
                    or _year_column(df) or steps)
    integer = named or (steps is not None and time_col == steps)
    if integer and pd.api.types.is_integer_dtype(df[time_col]) and _year_column(df[[time_col]]) is None:
        df = df.set_index(time_col)  # integer time steps (0, 1, 2...), as named or detected
    elif time_col is not None:
        df = _time_index(df, time_col, label)
    _numbers(df, label, decimal)
    return df
