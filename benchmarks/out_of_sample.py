"""Out of sample: the defaults on 41 real series that never chose them, over rolling origins.

    pip install statsmodels vega_datasets   # benchmark-only dependencies
    python benchmarks/out_of_sample.py --out benchmarks/results/out_of_sample_<date>.md

The accuracy benchmark's 17 series chose tsgate's defaults, so a rule that
wins there may only fit them (the thirty-first session found two such rules:
benchmarks/results/accuracy_2026-12-05_naive_alone.md). These series were
never used to choose anything:

* statsmodels' ``macrodata`` (US quarterly macro series, 1959-2009, 203
  points; the Federal Reserve and the BEA via statsmodels), its 11 columns
  other than realgdp (a benchmark series), h = 8;
* from ``vega_datasets`` (a benchmark-only dependency, its bundled local
  data): ``stocks`` (monthly closes of MSFT, AMZN, IBM, AAPL, 2000-2010, and
  GOOG, 2004-2010), ``us_employment`` (22 monthly series of US employment by
  industry, 2006-2015, from the Bureau of Labor Statistics), h = 6;
  ``wheat`` (Playfair's yearly wheat prices) and ``driving`` (yearly miles
  driven per capita and gas prices, 1956-2010), h = 4.

For each series the default forecaster (seed 0) is fit on all but the last
``4 h`` points and forecasts every origin of that stretch with a fresh fit
every ``h`` origins (``benchmarks/intervals.py``'s ``forecasts``); naive and AR(p) by AIC (``tsgate.baselines``)
forecast the same origins. Reported: MAE over all origins and steps, and the
geometric mean of tsgate's ratio to each baseline. To compare two settings
of the library, call :func:`run` after patching it, as the results file
above did.
"""

import argparse
import os
import sys

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(__file__))
from intervals import forecasts  # noqa: E402
from report import header, write  # noqa: E402

from tsgate.baselines import AR  # noqa: E402


def load_series():
    """name -> (pandas Series, horizon), in a fixed order."""
    import statsmodels.api as sm
    from vega_datasets import local_data

    out = {}
    md = sm.datasets.macrodata.load_pandas().data
    quarters = pd.date_range("1959-01-01", periods=len(md), freq="QS")
    for col in ["realcons", "realinv", "realgovt", "realdpi", "cpi", "m1", "tbilrate", "unemp", "pop", "infl",
                "realint"]:
        out[f"macrodata {col}"] = (pd.Series(md[col].to_numpy(float), index=quarters, name=col), 8)
    stocks = local_data.stocks()
    for sym in ["MSFT", "AMZN", "IBM", "AAPL", "GOOG"]:
        d = stocks[stocks.symbol == sym]
        out[f"stock {sym}"] = (pd.Series(d.price.to_numpy(float), index=pd.DatetimeIndex(d.date), name=sym), 6)
    emp = local_data.us_employment()
    for col in emp.columns[1:-1]:  # not the month, nor nonfarm_change (a difference of nonfarm)
        out[f"employment {col}"] = (pd.Series(emp[col].to_numpy(float), index=pd.DatetimeIndex(emp.month),
                                              name=col), 6)
    wheat = local_data.wheat()
    out["wheat"] = (pd.Series(wheat.wheat.to_numpy(float), index=pd.RangeIndex(len(wheat)), name="wheat"), 4)
    driving = local_data.driving()
    for col in ("miles", "gas"):
        out[f"driving {col}"] = (pd.Series(driving[col].to_numpy(float), index=pd.RangeIndex(len(driving)),
                                           name=col), 4)
    return out


def run(y, h):
    """MAE over every origin of the last 4 h points: tsgate (refit every h), naive, AR(p) by AIC; and seconds."""
    first = len(y) - 4 * h
    hf, secs = forecasts(y, first, h, False)
    v = y.to_numpy(float)
    origins = range(first, len(v) - h + 1)
    naive = np.mean([np.abs(v[o:o + h] - v[o - 1]).mean() for o in origins])
    ar = np.mean([np.abs(v[o:o + h] - AR().fit(v[:o]).forecast(v[:o], h)).mean() for o in origins])
    return {"tsgate": float(np.mean(np.abs(hf["y"] - hf["forecast"]))), "naive": float(naive), "AR": float(ar),
            "origins": len(origins), "s": secs}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--series", nargs="*", help="names (default: all)")
    ap.add_argument("--out")
    args = ap.parse_args()
    series = load_series()
    names = args.series or list(series)
    rows = []
    for name in names:
        y, h = series[name]
        rows.append(dict(run(y, h), series=name, h=h))
        print(rows[-1], flush=True)
    lines = header("Out of sample: series that chose no default", "tsgate defaults except horizon; seed 0; fit "
                   "before the last 4 horizons, refit every h origins, every origin forecast; MAE over all") + [
        "| series | h | origins | naive | AR(p), AIC | tsgate | tsgate / naive | tsgate / AR | s |",
        "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['series']} | {r['h']} | {r['origins']} | {r['naive']:.4g} | {r['AR']:.4g} | "
                     f"{r['tsgate']:.4g} | {r['tsgate'] / r['naive']:.3f} | {r['tsgate'] / r['AR']:.3f} | "
                     f"{r['s']:.1f} |")
    gm = lambda k: float(np.exp(np.mean([np.log(r["tsgate"] / r[k]) for r in rows])))  # noqa: E731
    wins = lambda k: sum(r["tsgate"] < r[k] for r in rows)  # noqa: E731
    lines += ["", f"- geometric mean of tsgate / naive {gm('naive'):.3f} (tsgate better on {wins('naive')} of "
              f"{len(rows)}); tsgate / AR {gm('AR'):.3f} (better on {wins('AR')})"]
    write(lines, args.out)


if __name__ == "__main__":
    main()
