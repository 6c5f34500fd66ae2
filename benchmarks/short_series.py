"""Panels of series of different lengths: which length should the lookback fit?

    python benchmarks/short_series.py --m4 <M4 Dataset folder> --out benchmarks/results/short_series_<date>.md

Two panels, horizon 48, the default forecaster fit with each ``on_short``:

* **M4 hourly cut** (414 series of 700-960 rows, Makridakis et al. 2020;
  seasonal periods 24 and 168, the defaults' vote on the uncut panel), with
  every ``--every``-th series (from the 8th) cut to its last ``--rows`` rows,
  as a series that began recently; scored on the competition's 48 test values.
  Read from ``--m4`` (the M4-methods repository's ``Dataset`` folder; the data
  is not bundled: its licence is not stated); skipped without it.
* **Synthetic ragged** (benchmarks/panel.py's generator, seed 3): 2,000
  hourly series of 248-1,048 points with daily, weekly, both or no seasons,
  the last 48 of each held out; seasonal periods [24, 168] given.

Settings: ``'raise'`` (the lookback fits the shortest series: the behaviour
before ``'baseline'``), ``'baseline'`` (the default: the lookback fits the
lower quartile of the lengths, :data:`tsgate.short.QUANTILE`; a shorter series
is forecast by its own best local baseline) at each ``--quantiles`` (the
module constant set for the run), and ``'skip'`` (the median; short series
left out). Reported: sMAPE and MASE (m = 24) over the groups of series named
in each table, the lookback and the fit time.
"""

import argparse
import os
import sys
import time
import warnings

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(__file__))
import m4  # noqa: E402
from panel import synthetic  # noqa: E402
from report import header, write  # noqa: E402

from tsgate import LSTMForecaster, metrics, short  # noqa: E402

H, M = 48, 24


def m4_cut(folder, every, rows):
    """(long frame, {id: training values}, {id: the 48 test values}, the ids cut short)."""
    train, test = m4.read(folder, "Hourly")
    parts, ys, actual, cut = [], {}, {}, []
    for i, (sid, row) in enumerate(train.iterrows()):
        y = m4.values(row)
        if i % every == 7:
            y, cut = y[-rows:], cut + [sid]
        ys[sid], actual[sid] = y, test.loc[sid].to_numpy(float)[:H]
        parts.append(pd.DataFrame({"unique_id": sid, "ds": np.arange(len(y)), "y": y}))
    return pd.concat(parts, ignore_index=True), ys, actual, cut


def ragged(S=2000, seed=3):
    """(long frame without each series' last 48 points, {id: training values}, {id: those 48})."""
    df = synthetic(S, 200 + H, 1000 + H, seed=seed)
    test = df.groupby("unique_id", sort=False).tail(H)
    train = df.drop(test.index)
    ys = {k: g["y"].to_numpy() for k, g in train.groupby("unique_id", sort=False)}
    return train, ys, {k: g["y"].to_numpy() for k, g in test.groupby("unique_id", sort=False)}


def scores(forecasts, ys, actual, ids):
    """'sMAPE x %, MASE y (n)' over the series ``ids`` that have a forecast."""
    ids = [i for i in ids if i in forecasts]
    if not ids:
        return "(left out)" if forecasts else "-"
    smape = np.mean([metrics.smape(actual[i], forecasts[i]) for i in ids])
    mase = np.mean([metrics.mase(actual[i], forecasts[i], ys[i], M) for i in ids])
    return f"sMAPE {smape:.2f} %, MASE {mase:.3f} ({len(ids)})"


def settings(quantiles):
    """(label, on_short, quantile) of each fit."""
    return ([("raise (before)", "raise", None)] + [(f"baseline, quantile {q:g}", "baseline", q) for q in quantiles]
            + [("skip", "skip", None)])


def fit(df, mode, q):
    """The fitted forecaster with ``on_short=mode`` (the lookback at quantile ``q``) and its fit seconds."""
    kept, short.QUANTILE = short.QUANTILE, q if q is not None else short.QUANTILE
    try:
        t = time.perf_counter()
        fc = LSTMForecaster(horizon=H, seasonal_periods=[24, 168], on_short=mode).fit(df)
        return fc, time.perf_counter() - t
    finally:
        short.QUANTILE = kept


def table(df, ys, actual, groups, quantiles):
    """Rows '| setting | lookback | each group | fit s |'; a None group: the series the default forecasts by
    their own baseline."""
    rows, fitted = [], []
    for label, mode, q in settings(quantiles):
        fc, fit_s = fit(df, mode, q)
        fitted.append((label, fc, fit_s, {sid: g["y"].to_numpy() for sid, g in fc.predict().groupby("unique_id")}))
        if mode == "baseline" and q == short.QUANTILE:
            groups = {k: (fc.fit_report_["short"] if v is None else v) for k, v in groups.items()}
    groups = {k: v for k, v in groups.items() if v is not None}  # the default was not among the settings
    for label, fc, fit_s, forecasts in fitted:
        cells = " | ".join(scores(forecasts, ys, actual, ids) for ids in groups.values())
        rows.append(f"| {label} | {fc.lookback_} | {cells} | {fit_s:.0f} |")
        print(rows[-1], flush=True)
    return [f"| setting | lookback | {' | '.join(groups)} | fit s |", "|---" * (len(groups) + 3) + "|"] + rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--m4", default=os.environ.get("M4_DATASET", ""), help="folder of the M4 Dataset (Train/, Test/)")
    ap.add_argument("--every", type=int, default=20, help="cut every k-th M4 series")
    ap.add_argument("--rows", type=int, default=150, help="rows the cut series keep")
    ap.add_argument("--quantiles", type=float, nargs="+", default=[short.QUANTILE],
                    help="the length quantiles the lookback fits with on_short='baseline'")
    ap.add_argument("--out")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    lines = header("Series of different lengths in a panel", f"horizon {H}; seasonal periods [24, 168]; seed 0")
    if args.m4:
        df, ys, actual, cut = m4_cut(args.m4, args.every, args.rows)
        lines += [f"## M4 hourly, every {args.every}th series cut to its last {args.rows} rows "
                  f"({len(cut)} of {len(ys)})", ""]
        groups = {"untouched series": [i for i in ys if i not in cut], "cut series": cut, "all": list(ys)}
        lines += table(df, ys, actual, groups, args.quantiles) + [""]
    df, ys, actual = ragged()
    lines += [f"## Synthetic ragged: {len(ys):,} hourly series of 200-1,000 points (seed 3), the next 48 held out", ""]
    groups = {"all": list(ys), f"short at quantile {short.QUANTILE:g}": None}
    lines += table(df, ys, actual, groups, args.quantiles)
    write(lines, args.out)


if __name__ == "__main__":
    main()
