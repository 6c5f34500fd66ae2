"""Series that began a few rows ago, in a panel: what a default fit forecasts for them.

    python benchmarks/cold_start.py --m4 <M4 Dataset folder> --out benchmarks/results/cold_start_<date>.md

M4 hourly (414 series, horizon 48; Makridakis et al. 2020) with every ``--every``-th series (from
the 8th) cut to its last ``--rows`` rows, fewer than the 52 on whose origins a baseline can be
scored (:func:`tsgate.short.minimum_rows`): a series that began a day or two ago. Before, such a
series stopped the whole fit (an error naming it; ``on_short='skip'`` left it out). Now the panel's
other series choose its forecast (naive, or seasonal naive at a period that fits in its rows) and
give its band (their errors in units of their spread, at its own spread:
:func:`tsgate.short.cold_baselines`). Reported for the cut series, against the competition's 48
test values: sMAPE, MASE (m = 24; the scale from the uncut series' training values, since a cut
series has too few rows for its own), the 95% band's coverage and MSIS, the baselines chosen;
next to naive and seasonal naive (24) from the same rows, and to the default fit on the uncut
panel (what these series would get with their whole history). The data is read from ``--m4`` (the
M4-methods repository's ``Dataset`` folder; not bundled: its licence is not stated).
"""

import argparse
import os
import sys
import time
import warnings
from collections import Counter

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from report import header, write  # noqa: E402
from short_series import m4_cut  # noqa: E402

from tsgate import LSTMForecaster, metrics  # noqa: E402

H, M, LEVEL = 48, 24, 0.95


def fit(df):
    """The default forecaster fit on ``df`` (horizon 48, seed 0), its 95% band per series, fit seconds."""
    t = time.perf_counter()
    fc = LSTMForecaster(horizon=H, random_state=0).fit(df)
    seconds = time.perf_counter() - t
    band = {sid: (g["y"].to_numpy(), g["y_lower"].to_numpy(), g["y_upper"].to_numpy())
            for sid, g in fc.predict_interval(LEVEL).groupby("unique_id")}
    return fc, band, seconds


def row(label, bands, ids, full, actual):
    """'| label | sMAPE | MASE | coverage | MSIS |' over ``ids`` (MASE and MSIS scaled on ``full``)."""
    smape = np.mean([metrics.smape(actual[i], bands[i][0]) for i in ids])
    mase = np.mean([metrics.mase(actual[i], bands[i][0], full[i], M) for i in ids])
    if bands[ids[0]][1] is None:
        return f"| {label} | {smape:.2f} | {mase:.3f} | - | - |"
    cover = np.mean([metrics.coverage(actual[i], bands[i][1], bands[i][2]) for i in ids])
    msis = np.mean([metrics.msis(actual[i], bands[i][1], bands[i][2], full[i], M, level=LEVEL) for i in ids])
    return f"| {label} | {smape:.2f} | {mase:.3f} | {cover:.3f} | {msis:.2f} |"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--m4", default=os.environ.get("M4_DATASET", ""), help="folder of the M4 Dataset (Train/, Test/)")
    ap.add_argument("--every", type=int, default=20, help="cut every k-th series")
    ap.add_argument("--rows", type=int, nargs="+", default=[1, 12, 24, 48], help="rows the cut series keep")
    ap.add_argument("--out")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    whole, full, actual, _ = m4_cut(args.m4, args.every, 10 ** 9)  # the "cut" series keep every row
    _, uncut, seconds = fit(whole)
    lines = header("Series that began a few rows ago in a panel (M4 hourly)",
                   f"`python benchmarks/cold_start.py --m4 <M4 Dataset folder> --every {args.every} --rows {' '.join(map(str, args.rows))}`: "
                   "the default LSTMForecaster(horizon=48, random_state=0); MASE with m = 24 on the uncut training "
                   "values; deterministic scores, fit seconds of a shared machine")
    lines += ["| rows kept | forecast | sMAPE % | MASE | 95% coverage | MSIS |", "|---|---|---|---|---|---|"]
    for rows in args.rows:
        df, ys, _, cut = m4_cut(args.m4, args.every, rows)
        done = len(lines)
        fc, band, fit_s = fit(df)
        chosen = Counter(fc.fit_report_.get("short_baselines", {}).get(str(i), "?") for i in cut)
        lines.append(row(f"{rows} | tsgate default ({', '.join(f'{k}: {v}' for k, v in chosen.items())}; "
                         f"fit {fit_s:.0f} s)", band, cut, full, actual))
        lines.append(row(f"{rows} | naive", {i: (np.full(H, ys[i][-1]), None, None) for i in cut}, cut, full, actual))
        if rows >= M:
            sn = {i: (np.resize(ys[i][-M:], H), None, None) for i in cut}
            lines.append(row(f"{rows} | seasonal naive (24)", sn, cut, full, actual))
        print("\n".join(lines[done:]), flush=True)
    lines.append(row(f"all | tsgate default on the uncut panel (fit {seconds:.0f} s)", uncut, cut, full, actual))
    write(lines, args.out)


if __name__ == "__main__":
    main()
