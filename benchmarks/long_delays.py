"""Long delays: the adding problem, the delayed echo and Mackey-Glass, unidirectional networks only.

    python benchmarks/long_delays.py --out benchmarks/results/long_delays_<date>.md

* **Adding problem** (Hochreiter & Schmidhuber 1997, Sec. 5.4): 4,000
  training sequences of lengths T .. 1.1T (left-padded with zeros), 2,560
  test sequences; a prediction is wrong when |error| >= 0.04. LSTMRegressor
  and the GRU cell at their defaults apart from the training budget
  (``--epochs``); T=100 also with each ``init``. Targets: T=100 at most 1
  wrong, T=500 at most 25, T=1000 at most 1%.
* **Delayed echo** ``y_t = x_{t-lag} + noise`` (x sparse pulses): one-step
  forecasts from every held-out origin, MAE / std(y) and MAE over that of
  predicting zero (a 5% pulse train gives zero an MAE / std of ~0.26);
  windows with a lookback of lag+2 (``--echo-offset``), on max(1,900,
  4 lag + 400) rows (``--echo-rows``; the last 400 held out), read step by
  step (``segment_length=1``) and in segments (the default), stateful
  truncated BPTT (chunk 100; also with a gradient depth of 400), and forking sequences.
* **Mackey-Glass tau=17** (Jaeger 2001): train on the first 21,000 points;
  then 50 blocks of 1,000 warm-up steps followed by 84 free-running steps;
  NRMSE at step 84 (a nearest-neighbour analogue: ~0.04; aim: <= 0.01);
  LSTM and GRU at 32 units, the LSTM at 128 and 256 (about 30 minutes on 2
  cores; ``--mackey-only hidden_size=256`` runs that row alone).
"""

import argparse
import os
import sys
import time
import warnings

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(__file__))
from report import header, write  # noqa: E402

from tsgate import GRUForecaster, LSTMForecaster, LSTMRegressor  # noqa: E402
from tsgate.datasets import adding_problem, delayed_echo, mackey_glass  # noqa: E402

warnings.simplefilter("ignore")


def adding(lengths, epochs, inits):
    rows = []
    for T in lengths:
        X, y = adding_problem(4000, T, random_state=1, max_length=int(1.1 * T))
        Xt, yt = adding_problem(2560, T, random_state=2, max_length=int(1.1 * T))
        for cell in ("lstm", "gru"):
            for init in (inits if T == lengths[0] else ["chrono"]):
                t0 = time.perf_counter()
                reg = LSTMRegressor(cell=cell, init=init, max_epochs=epochs, random_state=0).fit(X, y)
                wrong = int(np.sum(np.abs(reg.predict(Xt) - yt) >= 0.04))
                rows.append((T, cell, init, 4000 * epochs, wrong, time.perf_counter() - t0))
                print("adding", rows[-1], flush=True)
    return rows


def echo(lags, variants, rows_given=None, offset=2, only=None, seeds=(0,)):
    """Echo rows per lag: ``rows_given`` rows (default max(1,900, 4 lag + 400);
    the last 400 held out), windows of lookback lag + ``offset``; ``only``: the
    variants whose name contains it; one row per seed of ``seeds``."""
    rows = []
    for lag in lags:
        n = rows_given or max(1900, 4 * lag + 400)
        n_train = n - 400
        df = delayed_echo(n=n, lag=lag, noise=0.01, random_state=0)
        sd = df["y"].std()
        for (name, cls, kw), seed in ((v, s) for v in variants(lag, offset) for s in seeds):
            if only and only not in name:
                continue
            t0 = time.perf_counter()
            try:
                fc = cls(target="y", horizon=1, random_state=seed, **kw).fit(df.iloc[:n_train])
                hf = fc.historical_forecasts(df)  # one-step forecasts from every hold-out origin
                mae = float(np.mean(np.abs(hf["forecast"] - hf["y"])))
                score = (mae / sd, mae / float(np.mean(np.abs(hf["y"]))))
            except Exception as exc:  # a variant the data cannot support is reported, not fatal
                score = f"error: {type(exc).__name__}"
            where = "" if kw.get("stateful") else f", lookback {lag + offset}"
            rows.append((lag, f"{name}{where}, {n_train:,} training rows, seed {seed}", score,
                         time.perf_counter() - t0))
            print("echo", rows[-1], flush=True)
    return rows


def echo_variants(lag, offset=2, learning_rate=1e-2):
    w = dict(lookback=lag + offset, window_norm=None, learning_rate=learning_rate)
    return [("LSTM, windows, step by step", LSTMForecaster, dict(w, segment_length=1)),
            ("GRU, windows, step by step", GRUForecaster, dict(w, segment_length=1)),
            ("LSTM, windows, segments (default)", LSTMForecaster, dict(w)),
            ("GRU, windows, segments (default)", GRUForecaster, dict(w)),
            ("LSTM, windows, step by step, fork", LSTMForecaster, dict(w, segment_length=1, fork=True)),
            ("LSTM, windows, step by step, window_position", LSTMForecaster,
             dict(w, segment_length=1, window_position=True)),
            ("GRU, windows, step by step, window_position", GRUForecaster,
             dict(w, segment_length=1, window_position=True)),
            ("LSTM, windows, segments, window_position", LSTMForecaster, dict(w, window_position=True)),
            ("LSTM, stateful, tbptt=100", LSTMForecaster,
             dict(stateful=True, tbptt=100, window_norm=None, learning_rate=learning_rate, max_epochs=200, patience=60,
                  batch_size=8)),
            ("LSTM, stateful, tbptt=100, tbptt_depth=400", LSTMForecaster,
             dict(stateful=True, tbptt=100, tbptt_depth=400, window_norm=None, learning_rate=learning_rate, max_epochs=200,
                  patience=60, batch_size=8))]


MACKEY_VARIANTS = [("LSTM, direct 84 steps", LSTMForecaster, {}), ("GRU, direct 84 steps", GRUForecaster, {}),
                   ("LSTM, direct 84 steps, hidden_size=128", LSTMForecaster, {"hidden_size": 128}),
                   ("LSTM, direct 84 steps, hidden_size=256", LSTMForecaster, {"hidden_size": 256})]  # ~30 min


def mackey(blocks=50, horizon=84, warmup=1000, train=21000, only=None):
    """Mackey-Glass rows; ``only``: the variants whose name ends with it."""
    series = mackey_glass(n=train + blocks * (warmup + horizon), tau=17, random_state=0)
    y = series.to_numpy()
    sd = y.std()
    rows = []
    for name, cls, kw in [v for v in MACKEY_VARIANTS if not only or v[0].endswith(only)]:
        t0 = time.perf_counter()
        fc = cls(horizon=horizon, random_state=0, **kw).fit(pd.Series(y[:train]))
        fit_s = time.perf_counter() - t0
        err84 = []
        for b in range(blocks):
            start = train + b * (warmup + horizon)
            fc.update(pd.Series(y[start:start + warmup], index=pd.RangeIndex(start, start + warmup)))
            pred = fc.predict().iloc[:, 0].to_numpy()
            err84.append(pred[-1] - y[start + warmup + horizon - 1])
        nrmse = float(np.sqrt(np.mean(np.square(err84))) / sd)
        rows.append((name, nrmse, fit_s, fc.lookback_))
        print("mackey", rows[-1], flush=True)
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--adding", type=int, nargs="*", default=[100, 200, 500, 1000])
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--echo", type=int, nargs="*", default=[100, 300, 1000])
    ap.add_argument("--echo-rows", type=int, help="rows of each echo series (default: max(1900, 4 lag + 400))")
    ap.add_argument("--echo-offset", type=int, default=2, help="lookback = lag + this")
    ap.add_argument("--echo-only", help="only the echo variants whose name contains this")
    ap.add_argument("--echo-seeds", type=int, nargs="*", default=[0])
    ap.add_argument("--echo-lr", type=float, default=1e-2,
                    help="every echo variant's learning_rate (1e-2: the earlier tables'; the default is 3e-3)")
    ap.add_argument("--no-mackey", action="store_true")
    ap.add_argument("--mackey-only", help="only the Mackey-Glass variants whose name ends with this")
    ap.add_argument("--out")
    args = ap.parse_args()
    add = adding(args.adding, args.epochs, ["chrono", "forget", "torch"]) if args.adding else []
    variants = lambda lag, offset: echo_variants(lag, offset, args.echo_lr)  # noqa: E731
    ech = echo(args.echo, variants, args.echo_rows, args.echo_offset, args.echo_only,
               args.echo_seeds) if args.echo else []
    mg = [] if args.no_mackey else mackey(only=args.mackey_only)
    seeds = f"seed 0 (echo: seeds {', '.join(map(str, args.echo_seeds))}, learning_rate {args.echo_lr:g})"
    lines = header("Long delays", f"{seeds}; unidirectional networks only") + [
             "## Adding problem (2,560 test sequences, wrong when |error| >= 0.04)", "",
             "| T | cell | init | sequences seen | wrong | % | fit s |", "|---|---|---|---|---|---|---|"]
    lines += [f"| {T} | {c} | {i} | {s:,} | {w} | {100 * w / 2560:.2f} | {t:.1f} |" for T, c, i, s, w, t in add]
    lines += ["", "## Delayed echo (one-step forecasts from every hold-out origin)", "",
              "MAE / std(y), and MAE over that of predicting zero on the same 400 steps (zero: 1; a 5% pulse",
              "train gives predicting zero an MAE / std of about 0.26).", "",
              "| lag | variant | MAE/std | MAE / zero's | fit+forecast s |", "|---|---|---|---|---|"]
    lines += [f"| {lag} | {n} | " + (f"{s} | |" if isinstance(s, str) else f"{s[0]:.3f} | {s[1]:.2f} |") + f" {t:.1f} |"
              for lag, n, s, t in ech]
    if mg:
        lines += ["", "## Mackey-Glass tau=17 (Jaeger 2001 protocol; NRMSE at step 84; analogue ~0.04, aim 0.01)", "",
                  "| model | NRMSE@84 | fit s | lookback |", "|---|---|---|---|"]
        lines += [f"| {n} | {e:.4f} | {t:.1f} | {lb} |" for n, e, t, lb in mg]
    write(lines, args.out)


if __name__ == "__main__":
    main()
