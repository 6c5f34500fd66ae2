"""Does choosing the baseline per series help? ``BaselineForecaster('auto')`` against each fixed baseline.

    python benchmarks/best_baseline.py --m4 <M4 Dataset folder> --out benchmarks/results/best_baseline_<date>.md

tsgate's own baselines (``tsgate.BaselineForecaster``: naive, seasonal naive, drift, AR(p) by AIC,
Holt-Winters, each with its defaults: the seasonal period detected) and ``'auto'``, which keeps the one
whose forecasts from the last fifth of the series scored the lowest MAE. Scored on

* the accuracy benchmark's 17 series (``benchmarks/series.py``), mean MAE over its 4 rolling origins;
* M4 hourly and weekly (``--m4``; the competition's hold-out, integer index; sMAPE and MASE as scored there).

Reported: each method's score, the series on which 'auto' is at least as good as each fixed baseline,
and the geometric mean of 'auto''s ratio to each, and to the per-series best in hindsight (the oracle).
Deterministic (no seeds).
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
from series import SERIES, split  # noqa: E402

from tsgate import BaselineForecaster, metrics  # noqa: E402
from tsgate.baselines import BASELINES  # noqa: E402

METHODS = list(BASELINES) + ["auto"]


def forecasts(train, h):
    """{method: forecast (h,)} of every baseline and 'auto' fit on ``train``, and auto's choice."""
    out, chosen = {}, None
    for m in METHODS:
        fc = BaselineForecaster(m, horizon=h, outliers="keep").fit(train)
        out[m] = fc.predict().iloc[:, 0].to_numpy(float)
        chosen = fc.method_ if m == "auto" else chosen
    return out, chosen


def accuracy_rows(origins=4):
    """{series: {method: mean MAE over the origins}}, {series: auto's choices}."""
    rows, choices = {}, {}
    for name in SERIES:
        h = SERIES[name][3]
        maes, picks = {m: [] for m in METHODS}, []
        for k in range(origins, 0, -1):
            train, test = split(name, k)
            f, chosen = forecasts(train, h)
            picks.append(chosen)
            for m in METHODS:
                maes[m].append(metrics.mae(test.to_numpy(float), f[m]))
        rows[name] = {m: float(np.mean(v)) for m, v in maes.items()}
        choices[name] = picks
    return rows, choices


def m4_rows(folder, subset):
    """{series id: {method: (sMAPE, MASE)}} on an M4 subset, and auto's choices."""
    h, m = SUBSETS[subset][:2]
    train, test = read(folder, subset)
    rows, choices = {}, {}
    for sid in train.index:
        y = values(train.loc[sid])
        actual = test.loc[sid].to_numpy(float)[:h]
        f, choices[sid] = forecasts(pd.Series(y, name="y"), h)
        rows[sid] = {k: (metrics.smape(actual, v), metrics.mase(actual, v, y, m)) for k, v in f.items()}
    return rows, choices


def comparison(score):
    """Lines: auto's wins and geometric-mean ratios against each fixed method and the oracle;
    ``score``: {series: {method: a positive error}}."""
    S = pd.DataFrame(score).T
    auto, oracle = S["auto"], S[list(BASELINES)].min(axis=1)
    lines = ["| against | auto at least as good on | geometric mean of auto / it |", "|---|---|---|"]
    for m in BASELINES:
        ok = (S[m] > 0) & (auto > 0)
        lines.append(f"| {m} | {int((auto <= S[m] + 1e-12).sum())} of {len(S)} | "
                     f"{np.exp(np.mean(np.log(auto[ok] / S[m][ok]))):.3f} |")
    ok = oracle > 0
    lines.append(f"| the best in hindsight (oracle) | {int((auto <= oracle + 1e-12).sum())} of {len(S)} | "
                 f"{np.exp(np.mean(np.log(auto[ok] / oracle[ok]))):.3f} |")
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--m4", default=os.environ.get("M4_DATASET", ""), help="folder of the M4 Dataset (Train/, Test/)")
    ap.add_argument("--origins", type=int, default=4)
    ap.add_argument("--out")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    rows, choices = accuracy_rows(args.origins)
    lines = header("Choosing the baseline per series: BaselineForecaster('auto') against each fixed baseline",
                   "tsgate's baselines at their defaults (seasonal period detected), outliers kept; deterministic",
                   f"the accuracy benchmark's {len(rows)} series: mean MAE over {args.origins} rolling origins")
    lines += ["| series | " + " | ".join(METHODS) + " | auto chose |", "|---" * (len(METHODS) + 2) + "|"]
    for name, r in rows.items():
        best = min(r[m] for m in BASELINES)
        cells = [f"**{r[m]:.4g}**" if r[m] == best else f"{r[m]:.4g}" for m in METHODS]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {', '.join(choices[name])} |")
    lines += [""] + comparison(rows)
    for subset in ("Hourly", "Weekly") if args.m4 else ():
        r4, ch = m4_rows(args.m4, subset)
        mean = {m: np.mean([r[m] for r in r4.values()], axis=0) for m in METHODS}
        picked = pd.Series(ch).value_counts()
        lines += ["", f"## M4 {subset.lower()} ({len(r4)} series, h={SUBSETS[subset][0]}, MASE with "
                      f"m={SUBSETS[subset][1]})", "", "| method | sMAPE % | MASE |", "|---|---|---|"]
        lines += [f"| {m} | {mean[m][0]:.3f} | {mean[m][1]:.3f} |" for m in METHODS]
        lines += ["", "auto chose: " + ", ".join(f"{k} {v}" for k, v in picked.items()), "", "MASE:", ""]
        lines += comparison({sid: {m: r[m][1] for m in METHODS} for sid, r in r4.items()})
    lines += ["", f"- {time.perf_counter() - t0:.0f} s in all"]
    write(lines, args.out)


if __name__ == "__main__":
    main()
