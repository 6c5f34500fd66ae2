"""Bundled real public series (installed as ``tsgate.datasets``).

Each CSV in ``data/`` has a provenance and licence note beside it (``.md``).

>>> from tsgate.datasets import load
>>> y = load("airpassengers")          # pandas Series, monthly DatetimeIndex
"""

from importlib import resources

import pandas as pd

from tsgate.errors import ParameterError

#: name -> (file, time column, pandas frequency, seasonal period, default target)
DATASETS = {
    "airpassengers": ("airpassengers.csv", "month", "MS", 12, "passengers"),
    "sunspots_yearly": ("sunspots_yearly.csv", "year", "YS", 11, "sunactivity"),
    "sunspots_monthly": ("sunspots_monthly.csv", "month", "MS", 132, "sunspots"),
    "co2_weekly": ("co2_weekly.csv", "week", "W-SAT", 52, "co2"),
    "macrodata": ("macrodata_quarterly.csv", "quarter", "QS-JAN", 4, "realgdp"),
}


def names():
    """Names of the bundled datasets."""
    return sorted(DATASETS)


def path(name):
    """Filesystem path of a bundled dataset's CSV."""
    _check(name)
    return resources.files(__name__).joinpath("data", DATASETS[name][0])


def info(name):
    """Provenance and licence note of a dataset (Markdown text)."""
    _check(name)
    md = DATASETS[name][0].replace(".csv", ".md")
    return resources.files(__name__).joinpath("data", md).read_text()


def seasonal_period(name):
    """Documented seasonal period of a dataset."""
    _check(name)
    return DATASETS[name][3]


def load(name, frame=False):
    """Load a bundled dataset with a proper DatetimeIndex and frequency.

    Parameters
    ----------
    name : str
        One of :func:`names`.
    frame : bool, default False
        Return the whole DataFrame (all columns) instead of the target Series.

    Returns
    -------
    pandas.Series or pandas.DataFrame
    """
    _check(name)
    fname, time_col, freq, _, target = DATASETS[name]
    with path(name).open() as fh:
        df = pd.read_csv(fh, parse_dates=[time_col], index_col=time_col)
    df.index = pd.DatetimeIndex(df.index, freq=freq)
    df.index.name = time_col
    return df if frame else df[target]


def _check(name):
    if not isinstance(name, str) or name not in DATASETS:
        near = [n for n in names() if isinstance(name, str) and n == name.lower().replace("-", "_").replace(" ", "_")]
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        raise ParameterError(f"unknown dataset {name!r}{hint}; available: {', '.join(names())}")


from .generators import adding_problem, delayed_echo, mackey_glass  # noqa: E402,F401
