"""Do the baselines' prediction intervals hold? Four folds on the accuracy benchmark's series.

    python benchmarks/baseline_bands.py --out benchmarks/results/baseline_bands_<date>.md

For each series of ``series.SERIES`` (the half-hourly, the hourly and the
daily ones left out: their seasons are long and this is about the bands'
calibration, not speed) and each fitted baseline of ``tsgate.baselines``
(AR(p) by AIC and damped Holt-Winters at the documented period), the fold view
``tsgate.backtest(BaselineForecaster(...), folds=4, coverage=0.9)``: fit before
the last four horizons, refit before each, and every fold's band from the
conformal residuals of its refit (``BaselineForecaster._calibrate`` on the rows
up to the fold). Reported:
the share of actual values inside the 90% band (nominal 0.90) and the 90% MSIS
(scaled by the in-sample seasonal naive MAE), per series and their means.
Deterministic: no seeds.
"""

import argparse
import os
import sys
import warnings

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(__file__))
from report import header, write  # noqa: E402
from series import SERIES  # noqa: E402

from tsgate import BaselineForecaster  # noqa: E402
from tsgate.evaluation import backtest  # noqa: E402

SKIP = ("taylor half-hourly demand", "seattle hourly temp", "seattle daily max temp")


def scores(name, method):
    load, freq, m, h, src = SERIES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = backtest(BaselineForecaster(method, horizon=h, seasonal_period=m, outliers="keep"), load(),
                     folds=4, coverage=0.9)
    t = t[t["model"] == method]
    return float(t["coverage"].mean()), float(t["MSIS"].mean())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out")
    args = ap.parse_args()
    rows = [(name, method, *scores(name, method)) for name in SERIES if name not in SKIP
            for method in ("ar", "holt_winters")]
    df = pd.DataFrame(rows, columns=["series", "method", "coverage", "MSIS"])
    lines = header("Baselines' 90% bands over four folds", "tsgate.backtest(BaselineForecaster(...), folds=4, "
                   "coverage=0.9); nominal coverage 0.90") + ["| series | AR: coverage | MSIS | Holt-Winters: "
                                                              "coverage | MSIS |", "|---|---|---|---|---|"]
    wide = df.pivot(index="series", columns="method", values=["coverage", "MSIS"]).loc[df["series"].unique()]
    for name, r in wide.iterrows():
        lines.append(f"| {name} | {r[('coverage', 'ar')]:.3f} | {r[('MSIS', 'ar')]:.2f} | "
                     f"{r[('coverage', 'holt_winters')]:.3f} | {r[('MSIS', 'holt_winters')]:.2f} |")
    mean = df.groupby("method")[["coverage", "MSIS"]].mean()
    lines.append(f"| **mean** | {mean.loc['ar', 'coverage']:.3f} | {mean.loc['ar', 'MSIS']:.2f} | "
                 f"{mean.loc['holt_winters', 'coverage']:.3f} | {mean.loc['holt_winters', 'MSIS']:.2f} |")
    print(np.round(mean, 3))
    write(lines, args.out)


if __name__ == "__main__":
    main()
