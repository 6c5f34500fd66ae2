"""Do the prediction intervals hold over time? Rolling origins on the 13 real series.

    python benchmarks/intervals.py --out benchmarks/results/intervals_<date>.md

For each series of ``series.SERIES`` the default forecaster (seed 0) is fit
on the data before the last ``4 h`` points, then forecasts every origin of
that stretch with a whole horizon after it (``3 h + 1`` origins) with its
80% and 95% bands, refit (a fresh fit) on all the data before every
``h``-th origin, as the accuracy benchmark's four origins are
(``historical_forecasts(retrain=h, coverage=[0.8, 0.95])``); with
``--compare-warm`` also with ``warm_start=True`` (refits from the last
weights), in extra columns. The MAE is over all origins and steps.
Seasonal naive's band from the same origins: at step k, the empirical
quantile of its own absolute errors over the history up to the origin
(``bands.snaive_band``). Reported: the share of actual values inside each
band (pooled over origins and steps; nominal 0.80 / 0.95) and the 95% MSIS
(scaled by the in-sample seasonal naive MAE, as the M4 competition did).
Windows of neighbouring origins overlap, so the points are not independent:
the coverage of one series moves in steps much coarser than 1 / points.
"""

import argparse
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from bands import snaive_band  # noqa: E402
from report import header, write  # noqa: E402
from series import SERIES  # noqa: E402

from tsgate import LSTMForecaster, metrics  # noqa: E402

LEVELS = (0.8, 0.95)


def seasonal_naive_scores(y, first, h, m, level):
    """Coverage and interval-score terms of seasonal naive's band from every origin >= ``first``."""
    inside, score = [], []
    for p in range(first, len(y) - h + 1):
        _, lo, hi = snaive_band(y[:p], h, m, level)
        i, s = metrics.interval_terms(y[p:p + h], lo, hi, level)
        inside.append(i), score.append(s)
    return float(np.mean(inside)), float(np.mean(score))


def forecasts(y, first, h, warm_start):
    """Historical forecasts of the last 4 h points with bands, refit every h origins, and their seconds."""
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fc = LSTMForecaster(horizon=h, random_state=0).fit(y.iloc[:first])
        hf = fc.historical_forecasts(y, retrain=h, coverage=list(LEVELS), warm_start=warm_start)
    return hf, time.perf_counter() - t0


def one(name, compare_warm=False):
    load, _, m, h, _ = SERIES[name]
    y = load()
    first = len(y) - 4 * h
    hf, secs = forecasts(y, first, h, False)
    values = y.to_numpy(float)
    scale = float(np.mean(np.abs(values[m:first] - values[:first - m])))  # in-sample seasonal naive MAE
    row = {"series": name, "origins": hf["cutoff"].nunique(), "points": len(hf), "s": secs,
           "MAE": float(np.mean(np.abs(hf["y"] - hf["forecast"])))}
    if compare_warm:
        warm, row["warm s"] = forecasts(y, first, h, True)
        row["warm MAE"] = float(np.mean(np.abs(warm["y"] - warm["forecast"])))
        inside, score = metrics.interval_terms(warm["y"], warm["lower_95"], warm["upper_95"], 0.95)
        row["warm 95"], row["warm MSIS 95"] = float(np.mean(inside)), float(np.mean(score)) / scale
    for c, pct in zip(LEVELS, ("80", "95")):
        inside, score = metrics.interval_terms(hf["y"], hf[f"lower_{pct}"], hf[f"upper_{pct}"], c)
        row[f"tsgate {pct}"] = float(np.mean(inside))
        row[f"tsgate MSIS {pct}"] = float(np.mean(score)) / scale
        sn_inside, sn_score = seasonal_naive_scores(values, first, h, m, c)
        row[f"snaive {pct}"] = sn_inside
        row[f"snaive MSIS {pct}"] = sn_score / scale
    print(name, {k: (round(v, 3) if isinstance(v, float) else v) for k, v in row.items()}, flush=True)
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--series", nargs="*", default=list(SERIES))
    ap.add_argument("--out")
    ap.add_argument("--compare-warm", action="store_true", help="also refit with warm_start=True")
    args = ap.parse_args()
    rows = [one(n, args.compare_warm) for n in args.series]
    warm = args.compare_warm
    lines = header("Prediction intervals over rolling origins", "tsgate defaults except horizon; seed 0; "
                   "fit before the last 4 horizons and refit every h origins; every origin of them forecast") + [
        "| series | origins x steps | tsgate MAE | tsgate 80% | seasonal naive 80% | tsgate 95% | seasonal naive 95% "
        "| tsgate MSIS (95%) | seasonal naive MSIS (95%) | fits + forecasts s |"
        + (" warm start: MAE | 95% | MSIS (95%) | s |" if warm else ""),
        "|---|---|---|---|---|---|---|---|---|---|" + ("---|---|---|---|" if warm else "")]
    for r in rows:
        lines.append(f"| {r['series']} | {r['origins']} x {r['points'] // r['origins']} | {r['MAE']:.4g} | "
                     f"{r['tsgate 80']:.2f} | {r['snaive 80']:.2f} | {r['tsgate 95']:.2f} | {r['snaive 95']:.2f} | "
                     f"{r['tsgate MSIS 95']:.2f} | {r['snaive MSIS 95']:.2f} | {r['s']:.1f} |"
                     + (f" {r['warm MAE']:.4g} | {r['warm 95']:.2f} | {r['warm MSIS 95']:.2f} | {r['warm s']:.1f} |"
                        if warm else ""))
    mean = lambda k: float(np.mean([r[k] for r in rows]))  # noqa: E731
    lines.append(f"| mean | | | {mean('tsgate 80'):.3f} | {mean('snaive 80'):.3f} | {mean('tsgate 95'):.3f} | "
                 f"{mean('snaive 95'):.3f} | {mean('tsgate MSIS 95'):.2f} | {mean('snaive MSIS 95'):.2f} | "
                 f"{sum(r['s'] for r in rows):.0f} |"
                 + (f" | {mean('warm 95'):.3f} | {mean('warm MSIS 95'):.2f} | {sum(r['warm s'] for r in rows):.0f} |"
                    if warm else ""))
    write(lines, args.out)


if __name__ == "__main__":
    main()
