"""Many series: global-model fit and forecast times, memory, batched historical
forecasts, accuracy on the M4 hourly panel, and Dask scaling.

    python benchmarks/panel.py --out benchmarks/results/panel_<date>.md

* **Target panel**: 1,000 synthetic hourly series x 700 points, horizon 48,
  the forecaster at its defaults: global fit (target < 2 min on 2 cores) and
  the forecast of every series.
* **Synthetic panel**: 10,000 hourly series of 200 to 1,000 points (ragged
  starts) with mixed seasonalities (daily, weekly, both, none): fit with
  ``max_windows_per_series=100`` (as Darts' ``max_samples_per_ts``), the
  forecast of all series (target < 10 s), peak memory (RSS).
* **Historical forecasts**: origins per second of ``historical_forecasts``
  (all origins in batched passes) against a per-origin Python loop of
  ``update`` + ``predict`` (target: >= 20x); the same for a recursive model
  (``--recursive-only`` runs these rows alone).
* **M4 hourly and weekly** (414 and 359 real series, Makridakis et al. 2020;
  horizon 48 and 13; MASE's m = 24 and 1, seasonal naive's period 24 and 52):
  sMAPE and MASE of the global model at its defaults (the seasonal periods its
  series vote for) against naive and seasonal naive, as the
  competition scores them, and the coverage and MSIS of 95% intervals (tsgate's
  split by the network's and the fallen-back series; seasonal naive's from the
  empirical quantiles of its own errors). ``--m4-only`` runs these rows alone,
  ``--m4-freq`` chooses the subsets.
  Read from ``--m4`` (the M4-methods repository's ``Dataset`` folder:
  Train/Hourly-train.csv, Test/Hourly-test.csv, the same for Weekly); skipped when absent (the
  data is not bundled: its licence is not stated).
* **Dask**: ``tsgate.dask.predict`` over the 10,000 series on a
  ``LocalCluster`` with 1 and 2 worker processes.
"""

import argparse
import os
import resource
import sys
import time
import warnings

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(__file__))
from bands import snaive_band  # noqa: E402
from m4 import SUBSETS as M4, paths as m4_paths, read as m4_read, values  # noqa: E402
from report import header, write  # noqa: E402

from tsgate import LSTMForecaster, metrics  # noqa: E402

warnings.simplefilter("ignore")


def rss_mb():
    """Peak resident memory of this process so far, MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def synthetic(S, lo, hi, seed=0, end="2024-12-31 23:00"):
    """Long hourly panel: S series of lengths in [lo, hi], all ending at ``end``."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(lo, hi + 1, S)
    kinds = rng.integers(0, 4, S)  # 0 none, 1 daily, 2 weekly, 3 both
    ids, times, values = [], [], []
    stamps = pd.date_range(end=end, periods=hi, freq="h")
    for s, (n, k) in enumerate(zip(lengths, kinds)):
        t = np.arange(hi - n, hi)
        y = 10 + rng.normal(0, 2) + 0.002 * rng.normal() * t
        if k in (1, 3):
            y = y + rng.uniform(1, 3) * np.sin(2 * np.pi * t / 24 + rng.uniform(0, 6))
        if k in (2, 3):
            y = y + rng.uniform(1, 3) * np.sin(2 * np.pi * t / 168 + rng.uniform(0, 6))
        y = y + 0.3 * rng.standard_normal(n) + np.cumsum(0.05 * rng.standard_normal(n))
        ids.append(np.full(n, f"u{s}")), times.append(stamps[hi - n:]), values.append(y)
    return pd.DataFrame({"unique_id": np.concatenate(ids), "ds": np.concatenate([t.values for t in times]),
                         "y": np.concatenate(values)})


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def target_panel(rows):
    df = synthetic(1000, 700, 700, seed=1)
    fc, fit_s = timed(lambda: LSTMForecaster(horizon=48).fit(df))
    _, pred_s = timed(fc.predict)
    rows.append(("1,000 x 700 hourly, h=48, defaults", "global fit", f"{fit_s:.1f} s", "< 120 s"))
    rows.append(("", "forecast of all 1,000 series", f"{pred_s:.2f} s", ""))
    rows.append(("", "epochs (best) / lookback / segment", f"{len(fc.history_['loss'])} ({fc.history_['best_epoch']})"
                 f" / {fc.lookback_} / {fc.segment_length_}", ""))
    print(rows[-3:], flush=True)
    return fc, df


def big_panel(rows, S):
    df = synthetic(S, 200, 1000, seed=2)
    base = rss_mb()
    fc, fit_s = timed(lambda: LSTMForecaster(horizon=48, max_windows_per_series=100).fit(df))
    _, pred_s = timed(fc.predict)
    rows.append((f"{S:,} series, 200-1,000 hourly points ({len(df):,} rows)", "global fit "
                 "(max_windows_per_series=100)", f"{fit_s:.1f} s", ""))
    rows.append(("", f"forecast of all {S:,} series", f"{pred_s:.2f} s", "< 10 s"))
    rows.append(("", "peak RSS of the process (of which the data frame and imports, before the fit)",
                 f"{rss_mb():.0f} MB ({base:.0f} MB)", ""))
    print(rows[-3:], flush=True)
    return fc, df


def historical(rows, fc, df, n_origins=100, loop_origins=40, what="historical forecasts, h=48"):
    """Batched historical forecasts vs a per-origin update + predict loop."""
    start = df["ds"].max() - pd.Timedelta(hours=48 + n_origins - 1)
    hf, batched_s = timed(lambda: fc.historical_forecasts(df, start=start))
    n = hf.groupby(["unique_id", "cutoff"]).ngroups
    one = df[df.unique_id == df.unique_id.iloc[0]]
    cutoffs = one["ds"].iloc[-48 - loop_origins:-48]

    def loop():
        import copy

        est = copy.deepcopy(fc)
        for c in cutoffs:
            est.update(one[one.ds <= c])
            est.predict(ids=[one.unique_id.iloc[0]])

    _, loop_s = timed(loop)
    batched, looped = n / batched_s, loop_origins / loop_s
    rows.append((what, f"batched: {n:,} origins", f"{batched:,.0f} origins/s", ""))
    rows.append(("", f"per-origin loop (update + predict, {loop_origins} origins)", f"{looped:,.0f} origins/s", ""))
    rows.append(("", "speed-up", f"{batched / looped:.0f}x", ">= 20x"))
    print(rows[-3:], flush=True)


def recursive_historical(rows, df, S=100):
    """The same comparison for a ``strategy='recursive'`` model (48 fed-back
    steps per origin) on the first ``S`` series of the target panel."""
    sub = df[df.unique_id.isin(df.unique_id.unique()[:S])]
    fc = LSTMForecaster(horizon=48, strategy="recursive", max_epochs=5, random_state=0).fit(sub)
    historical(rows, fc, sub, what=f"recursive model, {S} series: historical forecasts, h=48")


def m4_panel(rows, folder, freq="Hourly", level=0.95, outliers="repair", device="cpu", warm_up=False):
    """An M4 subset (``freq``: ``m4.SUBSETS``): sMAPE and MASE of the point forecasts, and the coverage and
    MSIS (the competition's interval score) of the ``level`` intervals, split
    by who forecasts a series (the network or a local baseline, ``fallback_``);
    seasonal naive's band is the empirical quantile of its own errors in the history.
    ``device``: where the network trains; ``warm_up``: first a one-epoch fit on five series,
    so that the timed fit does not include compiling the kernels (a fresh machine's cache is empty)."""
    H, m, season, _ = M4[freq]
    if not all(os.path.exists(p) for p in m4_paths(folder, freq)):
        rows.append((f"M4 {freq.lower()}", "skipped: no data at --m4", "", ""))
        return
    train, test = m4_read(folder, freq)
    parts = []
    for sid, row in train.iterrows():  # the files' integer steps: the panel's vote finds its cycles
        y = values(row)
        parts.append(pd.DataFrame({"unique_id": sid, "ds": np.arange(len(y)), "y": y}))
    df = pd.concat(parts, ignore_index=True)
    make = lambda **kw: LSTMForecaster(horizon=H, outliers=outliers, device=device, **kw)  # noqa: E731
    if warm_up:
        make(max_epochs=1).fit(df[df.unique_id.isin(df.unique_id.unique()[:5])])
    fc, fit_s = timed(lambda: make().fit(df))
    band = fc.predict_interval(level)
    scores = {k: {"sMAPE": [], "MASE": [], "coverage": [], "MSIS": []}
              for k in ("tsgate", "  network's series", "  fallen-back series", "naive", "seasonal naive")}
    for sid, row in train.iterrows():
        y = values(row)
        actual = test.loc[sid].to_numpy(float)[:H]
        g = band[band.unique_id == sid]
        who = "  fallen-back series" if sid in fc.fallback_ else "  network's series"
        fcs = {"tsgate": (g["y"].to_numpy(), g["y_lower"].to_numpy(), g["y_upper"].to_numpy()),
               "naive": (np.repeat(y[-1], H), None, None), "seasonal naive": snaive_band(y, H, season, level)}
        fcs[who] = fcs["tsgate"]
        for k, (f, lo, hi) in fcs.items():
            scores[k]["sMAPE"].append(metrics.smape(actual, f))
            scores[k]["MASE"].append(metrics.mase(actual, f, y, m))
            if lo is not None:
                scores[k]["coverage"].append(metrics.coverage(actual, lo, hi))
                scores[k]["MSIS"].append(metrics.msis(actual, lo, hi, y, m, level=level))
    for k, sc in scores.items():
        text = f"sMAPE {np.mean(sc['sMAPE']):.2f} %, MASE {np.mean(sc['MASE']):.3f}"
        if sc["coverage"]:
            text += f"; {level:.0%} band: coverage {np.mean(sc['coverage']):.3f}, MSIS {np.mean(sc['MSIS']):.2f}"
        rows.append((f"M4 {freq.lower()} ({len(train)} series, h={H})" if k == "tsgate" else "",
                     f"{k} ({len(sc['sMAPE'])})" if k.startswith(" ") else k, text,
                     f"fit {fit_s:.0f} s" + ("" if device == "cpu" else f" ({device})")
                     + f", periods {fc.seasonal_periods_}" if k == "tsgate" else ""))
    print(rows[-len(scores):], flush=True)


def dask_scaling(rows, fc, df):
    import dask.dataframe as dd
    from dask.distributed import Client, LocalCluster

    from tsgate import dask as tsdask

    recent = df.groupby("unique_id", sort=False).tail(fc.lookback_)
    ddf = dd.from_pandas(recent.set_index("unique_id"), npartitions=8, sort=True)
    times = {}
    for workers in (1, 2):
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cl, \
                Client(cl):
            tsdask.predict(fc, ddf.partitions[:1]).compute()  # workers import tsgate and load the kernels
            out, times[workers] = timed(lambda: tsdask.predict(fc, ddf).compute())
        rows.append(("Dask predict, 8 partitions" if workers == 1 else "", f"{workers} worker(s): "
                     f"{out.unique_id.nunique():,} series", f"{times[workers]:.1f} s", ""))
    rows.append(("", "speed-up 2 vs 1", f"{times[1] / times[2]:.2f}x", ""))
    print(rows[-3:], flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--series", type=int, default=10_000, help="series of the synthetic panel")
    ap.add_argument("--m4", default=os.environ.get("M4_DATASET", ""), help="folder of the M4 Dataset (Train/, Test/)")
    ap.add_argument("--no-dask", action="store_true")
    ap.add_argument("--m4-only", action="store_true", help="only the M4 rows")
    ap.add_argument("--m4-freq", nargs="+", default=list(M4), choices=list(M4), help="the M4 subsets")
    ap.add_argument("--recursive-only", action="store_true", help="only the recursive model's historical rows")
    ap.add_argument("--outliers", default="repair", choices=["repair", "keep"], help="the M4 fit's outliers")
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"], help="where the M4 fit's network trains")
    ap.add_argument("--warm-up", action="store_true", help="compile the M4 fit's kernels in a small fit first")
    ap.add_argument("--out")
    args = ap.parse_args()
    rows = []
    if args.recursive_only:
        recursive_historical(rows, synthetic(1000, 700, 700, seed=1))
        args.m4, args.m4_only = "", True
    if not args.m4_only:
        big, big_df = big_panel(rows, args.series)  # first: the process's peak RSS is then this panel's
        fc, df = target_panel(rows)
        historical(rows, fc, df)
        recursive_historical(rows, df)
    if args.m4:
        for freq in args.m4_freq:
            m4_panel(rows, args.m4, freq, outliers=args.outliers, device=args.device, warm_up=args.warm_up)
    if not (args.no_dask or args.m4_only):
        dask_scaling(rows, big, big_df)
    lines = header("Many series", "tsgate defaults unless stated; seed 0") + [
        "| panel | measure | result | target |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    write(lines, args.out)


if __name__ == "__main__":
    main()
