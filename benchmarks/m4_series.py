"""M4 series one at a time: the single-series forecaster at its defaults against the baselines.

    python benchmarks/m4_series.py --m4 <M4 Dataset folder> --freq Weekly --out benchmarks/results/m4_series_<date>.md

Each series of an M4 subset (Makridakis et al. 2020; read from the M4-methods repository's
``Dataset`` folder, Train/ and Test/; not bundled, its licence is not stated) is fit alone, as a
user with one series would: ``LSTMForecaster(horizon=h, random_state=0)`` on its values with an
integer index (the files have no dates; see ``--dates``), every other parameter at its default. Scored as the
competition scored that subset (sMAPE; MASE with its ``m``) against naive, AR(p) by AIC
(``tsgate.baselines.AR``) and statsmodels' damped additive Holt (the competition's "Damped"
benchmark; statsmodels is a benchmark-only dependency) and seasonal naive. ``--every k`` fits every
k-th series only; ``--dates`` gives each series timestamps of its frequency (from 2000-01-03) instead
of integer steps, as a user's data would have: then its calendar periods are candidates (the week of
hourly data, the year of weekly data).
A fit that raises is counted and scored as naive.
"""

import argparse
import os
import sys
import time
import warnings

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(__file__))
from m4 import SUBSETS, read, values  # noqa: E402
from report import header, write  # noqa: E402

from tsgate import LSTMForecaster, metrics  # noqa: E402
from tsgate.baselines import AR  # noqa: E402

warnings.simplefilter("ignore")

def damped(y, h):
    """statsmodels' damped additive Holt, fit by maximum likelihood."""
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    return np.asarray(ExponentialSmoothing(y, trend="add", damped_trend=True).fit().forecast(h))


def score(y, actual, subset, dates=False):
    """{method: (sMAPE, MASE, seconds)} for one series, and whether tsgate's fit raised. ``dates``: the
    series gets timestamps of its subset's frequency (an arbitrary start) instead of integer steps."""
    h, m, season, freq = SUBSETS[subset]
    index = pd.date_range("2000-01-03", periods=len(y), freq=freq) if dates else None
    t = time.perf_counter()
    try:
        f = LSTMForecaster(horizon=h, random_state=0).fit(pd.Series(y, index=index, name="y")).predict()["y"].to_numpy()
        failed = False
    except Exception:  # counted; naive stands in
        f, failed = np.repeat(y[-1], h), True
    secs = time.perf_counter() - t
    fcs = {"tsgate": f, "naive": np.repeat(y[-1], h),
           f"seasonal naive ({season})": metrics.seasonal_naive(y, h, season),
           "AR(p), AIC": AR().fit(y).forecast(y, h), "damped Holt": damped(y, h)}
    out = {k: (metrics.smape(actual, v), metrics.mase(actual, v, y, m), 0.0) for k, v in fcs.items()}
    out["tsgate"] = out["tsgate"][:2] + (secs,)
    return out, failed


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--m4", default=os.environ.get("M4_DATASET", ""), help="folder of the M4 Dataset (Train/, Test/)")
    ap.add_argument("--freq", default="Weekly", choices=list(SUBSETS))
    ap.add_argument("--every", type=int, default=1, help="every k-th series only")
    ap.add_argument("--dates", action="store_true", help="timestamps of the subset's frequency, not integer steps")
    ap.add_argument("--out")
    ap.add_argument("--csv", help="also write each series' scores here")
    args = ap.parse_args()
    h, m = SUBSETS[args.freq][:2]
    train, test = read(args.m4, args.freq)
    ids = list(train.index)[::args.every]
    res, failures = {}, []
    for sid in ids:
        y = values(train.loc[sid])
        res[sid], failed = score(y, test.loc[sid].to_numpy(float)[:h], args.freq, args.dates)
        if failed:
            failures.append(sid)
    methods = list(res[ids[0]])
    if args.csv:
        pd.DataFrame({sid: {f"{k} {what}": r[k][i] for k in methods for i, what in enumerate(("sMAPE", "MASE"))}
                      for sid, r in res.items()}).T.to_csv(args.csv)
    mean = {k: np.mean([[r[k][0], r[k][1]] for r in res.values()], axis=0) for k in methods}
    wins = {k: sum(r["tsgate"][1] < r[k][1] for r in res.values()) for k in methods if k != "tsgate"}
    secs = np.array([r["tsgate"][2] for r in res.values()])
    lines = header(f"M4 {args.freq.lower()}, one series at a time ({len(ids)} series, h={h})",
                   "tsgate: LSTMForecaster(horizon=h, random_state=0), each series alone; seed 0; "
                   + ("timestamps from 2000-01-03" if args.dates else "integer index"),
                   f"MASE with m = {m}, as the competition scored this subset") + [
        "| method | sMAPE % | MASE | tsgate's MASE lower on |", "|---|---|---|---|"]
    for k in methods:
        lines.append(f"| {k} | {mean[k][0]:.3f} | {mean[k][1]:.3f} | "
                     + (f"{wins[k]} of {len(ids)} |" if k in wins else "|"))
    lines += ["", f"- tsgate fit and forecast: median {np.median(secs):.2f} s per series, {secs.sum():.0f} s in all",
              f"- fits that raised (scored as naive): {len(failures)} {failures[:10]}"]
    write(lines, args.out)


if __name__ == "__main__":
    main()
