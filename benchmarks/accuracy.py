"""Forecast accuracy on the bundled real series, default settings, vs naive baselines.

Run:  python benchmarks/accuracy.py [--out FILE] [--seeds N]

Hold-out protocols (from each dataset's provenance note):
AirPassengers: train to 1958-12, forecast 24 (m=12); yearly sunspots: last 22 (m=11);
weekly CO2: last 104 (m=52); macrodata realgdp: last 8 (m=4).
tsgate uses default settings except ``horizon`` (the hold-out length) and
``random_state``; results are the median over seeds. Holt-Winters reference for
AirPassengers (additive trend, multiplicative season): MAE 29.0.
Also: the delayed-echo task (y_t = x_{t-100} + noise) for every cell, one-step
rolling forecasts over a held-out tail, MAE / std(y).
"""

import argparse
import datetime
import os
import platform
import time
from pathlib import Path

import numpy as np

from tsgate import GRUForecaster, LSTMForecaster, RNNForecaster, metrics
from tsgate.datasets import delayed_echo, load

SERIES = [  # name, dataset, split, horizon, m
    ("AirPassengers", "airpassengers", "1958-12", 24, 12),
    ("sunspots (yearly)", "sunspots_yearly", None, 22, 11),
    ("CO2 (weekly)", "co2_weekly", None, 104, 52),
    ("realgdp (quarterly)", "macrodata", None, 8, 4),
]
MODELS = {"LSTM": LSTMForecaster, "GRU": GRUForecaster, "RNN": RNNForecaster}


def scores(test, pred, train, m):
    return (metrics.mae(test, pred), metrics.rmse(test, pred), metrics.smape(test, pred),
            metrics.mase(test, pred, train, m))


def accuracy_table(seeds):
    rows = []
    for label, name, split, h, m in SERIES:
        y = load(name)
        train, test = (y[:split], y[split:].iloc[1:h + 1]) if split else (y.iloc[:-h], y.iloc[-h:])
        tr, te = train.to_numpy(float), test.to_numpy(float)
        rows.append((label, "naive", *scores(te, metrics.seasonal_naive(tr, h, 1), tr, m), 0.0))
        rows.append((label, "seasonal naive", *scores(te, metrics.seasonal_naive(tr, h, m), tr, m), 0.0))
        for mname, cls in MODELS.items():
            res, secs = [], []
            for seed in range(seeds):
                t0 = time.perf_counter()
                pred = cls(horizon=h, random_state=seed).fit(train).predict()
                secs.append(time.perf_counter() - t0)
                res.append(scores(te, pred.iloc[:, 0].to_numpy(), tr, m))
            med = np.median(np.array(res), axis=0)
            rows.append((label, f"tsgate {mname}", *med, float(np.median(secs))))
            print(rows[-1], flush=True)
    return rows


def delay_task(lag=100, bidirectional=True):
    """The long-delay test's task for every cell (tests/test_long_delays.py).

    With ``bidirectional=False`` the network must carry a pulse 100 steps.
    """
    df = delayed_echo(n=1900, lag=lag, noise=0.01, random_state=0)
    n_train = 1500
    sd = df["y"].std()
    out = []
    for mname, cls in MODELS.items():
        t0 = time.perf_counter()
        fc = cls(target="y", lookback=lag + 2, horizon=1, learning_rate=3e-3, max_epochs=150, batch_size=64,
                 window_norm=None, patience=40, bidirectional=bidirectional, random_state=0).fit(df.iloc[:n_train])
        errs = []
        for e in range(n_train, len(df), 4):
            fc.update(df.iloc[:e])
            errs.append(abs(fc.predict()["y"].iloc[0] - df["y"].iloc[e]))
        out.append((mname + (" (bidirectional)" if bidirectional else " (unidirectional)"),
                    float(np.mean(errs) / sd), time.perf_counter() - t0))
        print(out[-1], flush=True)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--out")
    ap.add_argument("--skip-delay", action="store_true")
    args = ap.parse_args()
    rows = accuracy_table(args.seeds)
    lines = [f"# Forecast accuracy on bundled series, {datetime.date.today().isoformat()}", "",
             f"- machine: {platform.machine()} {os.cpu_count()} CPUs; tsgate default settings "
             f"(horizon = hold-out length), median over {args.seeds} seeds",
             "- MASE scaled by the in-sample seasonal-naive MAE with the period m of each series",
             "", "| series | model | MAE | RMSE | sMAPE % | MASE | fit+predict s |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r[0]} | {r[1]} | {r[2]:.3f} | {r[3]:.3f} | {r[4]:.2f} | {r[5]:.3f} | {r[6]:.1f} |")
    if not args.skip_delay:
        lines += ["", "## Delayed echo, y_t = x_{t-100} + noise: lookback 102, one-step forecasts from 100 "
                  "held-out origins (predicting zero: 0.64)", "",
                  "| cell | MAE / std(y) | seconds |", "|---|---|---|"]
        for mname, ratio, secs in delay_task() + delay_task(bidirectional=False):
            lines.append(f"| {mname} | {ratio:.3f} | {secs:.0f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
