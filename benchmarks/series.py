"""Real public series of the accuracy benchmark, with their hold-out protocols.

Sources: tsgate's bundled datasets (provenance notes in datasets/data/*.md);
pmdarima 2.1.1's bundled datasets (MIT; the series themselves are R's classic
datasets: forecast::taylor, wineind, woolyrnq, ausbeer, lynx, austres; heart
rate; Microsoft's daily close); statsmodels 0.15's datasets (BSD; the Nile, El
Nino); vega_datasets 0.9 (BSD; NOAA weather records for Seattle). ``EXTRA``:
the four series added on 2026-12-05, after the defaults were chosen on the
others. pmdarima, statsmodels and vega_datasets are benchmark-only
dependencies: ``pip install statsmodels pmdarima vega_datasets``.

Each entry: name -> (loader, frequency, documented seasonal period, hold-out
horizon, source). A loader returns a pandas Series with a regular
DatetimeIndex (or RangeIndex).
"""

import numpy as np
import pandas as pd


def _bundled(name):
    from tsgate.datasets import load

    return lambda: load(name).astype(float)


def _pm(name, start, freq):
    def load():
        import pmdarima.datasets as d

        y = np.asarray(getattr(d, f"load_{name}")(), dtype=float)
        y = y[:np.flatnonzero(np.isfinite(y))[-1] + 1]  # ausbeer ends with a missing quarter
        return pd.Series(y, index=pd.date_range(start, periods=len(y), freq=freq), name=name)

    return load


def _nile():
    import statsmodels.api as sm

    d = sm.datasets.nile.load_pandas().data
    return pd.Series(d["volume"].to_numpy(float), index=pd.date_range("1871-01-01", periods=len(d), freq="YS"),
                     name="nile")


def _seattle_daily():
    from vega_datasets import local_data

    d = local_data.seattle_weather()
    return pd.Series(d["temp_max"].to_numpy(float), index=pd.DatetimeIndex(pd.to_datetime(d["date"]), freq="D"),
                     name="temp_max")


def _seattle_hourly():
    from vega_datasets import local_data

    d = local_data.seattle_temps()
    idx = pd.DatetimeIndex(pd.to_datetime(d["date"]))
    s = pd.Series(d["temp"].to_numpy(float), index=idx, name="temp")
    return s.resample("h").mean().interpolate()  # one missing hour in the source (daylight saving)


def _elnino():
    import statsmodels.api as sm

    d = sm.datasets.elnino.load_pandas().data
    y = d.drop(columns="YEAR").to_numpy(float).ravel()  # one row per year, a column per month
    return pd.Series(y, index=pd.date_range("1950-01-01", periods=len(y), freq="MS"), name="elnino")


def _pm_range(name):
    def load():
        import pmdarima.datasets as d

        y = np.asarray(getattr(d, f"load_{name}")(), dtype=float)
        return pd.Series(y, index=pd.RangeIndex(len(y)), name=name)

    return load


def _msft():
    import pmdarima.datasets as d

    close = d.load_msft()["Close"].to_numpy(float)[-1000:]  # the last 1,000 trading days (to 2017-11)
    return pd.Series(close, index=pd.RangeIndex(len(close)), name="msft")  # trading days: an integer step


SERIES = {
    # name: (loader, freq, m, horizon, source)
    "AirPassengers": (_bundled("airpassengers"), "MS", 12, 24, "bundled (Box & Jenkins)"),
    "wineind": (_pm("wineind", "1980-01-01", "MS"), "MS", 12, 12, "pmdarima (R forecast::wineind)"),
    "sunspots monthly": (_bundled("sunspots_monthly"), "MS", 132, 24, "bundled (SILSO)"),
    "woolyrnq": (_pm("woolyrnq", "1965-01-01", "QS"), "QS", 4, 8, "pmdarima (R forecast::woolyrnq)"),
    "ausbeer": (_pm("ausbeer", "1956-01-01", "QS"), "QS", 4, 8, "pmdarima (R fpp::ausbeer)"),
    "realgdp": (_bundled("macrodata"), "QS", 4, 8, "bundled (statsmodels macrodata)"),
    "sunspots yearly": (_bundled("sunspots_yearly"), "YS", 11, 22, "bundled (statsmodels sunspots)"),
    "lynx": (_pm("lynx", "1821-01-01", "YS"), "YS", 10, 14, "pmdarima (R datasets::lynx)"),
    "nile": (_nile, "YS", 1, 10, "statsmodels (R datasets::Nile)"),
    "CO2 weekly": (_bundled("co2_weekly"), "W-SAT", 52, 104, "bundled (Mauna Loa, statsmodels)"),
    "seattle daily max temp": (_seattle_daily, "D", 365, 28, "vega_datasets (NOAA)"),
    "seattle hourly temp": (_seattle_hourly, "h", 24, 48, "vega_datasets (NOAA)"),
    "taylor half-hourly demand": (_pm("taylor", "2000-06-05", "30min"), "30min", 336, 336,
                                  "pmdarima (R forecast::taylor)"),
}
#: Series added in the twenty-sixth session (run with ``--series``): a trend with no season,
#: a monthly sea temperature, a series with no structure, a stock price (a random walk).
EXTRA = {
    "austres": (_pm("austres", "1971-04-01", "QS"), "QS", 4, 8, "pmdarima (R datasets::austres)"),
    "elnino": (_elnino, "MS", 12, 24, "statsmodels (NOAA Nino 1+2 sea surface temperature)"),
    "heartrate": (_pm_range("heartrate"), 1, 1, 10, "pmdarima (heart rate, Goldberger et al.)"),
    "msft": (_msft, 1, 1, 10, "pmdarima (Microsoft daily close, Kaggle's Huge Stock Market dataset)"),
}
SERIES.update(EXTRA)


def split(name, origin=1):
    """(train, test) Series of a benchmark series: the last ``horizon`` points
    are held out (``origin`` k > 1: the ``horizon`` points that end (k - 1)
    horizons before the end, and the training rows before them)."""
    load, _, _, h, _ = SERIES[name]
    y = load()
    end = len(y) - (origin - 1) * h
    return y.iloc[:end - h], y.iloc[end - h:end]
