"""Forecast accuracy on real public series: tsgate at default settings vs baselines.

    pip install statsmodels pmdarima vega_datasets   # benchmark-only dependencies
    python benchmarks/accuracy.py --out benchmarks/results/accuracy_<date>.md

For each series of ``benchmarks/series.py`` (the last ``horizon`` points held
out): naive, seasonal naive (the documented period m), AR(p) by least squares
with p chosen by AIC (``tsgate.baselines.AR``), Holt-Winters / ETS
(statsmodels ``ExponentialSmoothing``: additive damped trend, additive or
multiplicative season by AIC, where the series holds two seasons), and tsgate
with default settings except ``horizon`` (the hold-out length): seed 0, the
median over the seeds, and the ensemble (``n_models``). Metrics: MAE, sMAPE,
MASE (scaled by the in-sample seasonal-naive MAE at m) and fit seconds.

``--config NAME:key=value,...`` adds tsgate variants (for choosing defaults);
``--series`` restricts the series; ``--quick`` runs seed 0 only, no ensemble;
``--origins K`` scores K rolling origins instead of one (the hold-outs of
the last K horizons, each model refit on the rows before its own) and
reports each metric's mean over them: a single hold-out of 8 quarters or
22 years says little about a method, K of them say more.
"""

import argparse
import ast
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from bands import snaive_band  # noqa: E402
from report import header, write  # noqa: E402
from series import SERIES, split  # noqa: E402

from tsgate import LSTMForecaster, metrics  # noqa: E402
from tsgate.baselines import AR  # noqa: E402


def ets(train, h, m):
    """Holt-Winters / ETS forecast: additive damped trend; season by AIC."""
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    y = train.to_numpy(float)
    seasonal = [None]
    if m > 1 and len(y) >= 2 * m:
        seasonal = ["add", "mul"] if (y > 0).all() else ["add"]
    best = None
    for s in seasonal:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                fit = ExponentialSmoothing(y, trend="add", damped_trend=True, seasonal=s,
                                           seasonal_periods=m if s else None).fit()
            except (ValueError, np.linalg.LinAlgError):
                continue
        if best is None or fit.aic < best.aic:
            best = fit
    return best.forecast(h)


def baselines(train, h, m):
    tr = train.to_numpy(float)
    return {"naive": np.full(h, tr[-1]), "seasonal naive": metrics.seasonal_naive(tr, h, m),
            "AR(p), AIC": AR().fit(tr).forecast(tr, h), "ETS": ets(train, h, m)}


def scores(te, pred, tr, m, band=None):
    out = {"MAE": metrics.mae(te, pred), "sMAPE": metrics.smape(te, pred), "MASE": metrics.mase(te, pred, tr, m)}
    if band is not None:
        out.update(coverage=metrics.coverage(te, *band), MSIS=metrics.msis(te, *band, tr, m, level=LEVEL))
    return out


#: Level of the prediction intervals scored (the M4 competition's).
LEVEL = 0.95


def tsgate_run(train, h, seeds, extra):
    """Forecasts and fit seconds per seed, what seed ``seeds[0]`` chose (its
    window norm and linear start), its ``LEVEL`` band (lower, upper), and its
    ``--model auto`` forecast and choice (:func:`_auto`)."""
    res, secs, chose, band = [], [], None, None
    for seed in seeds:
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fc = LSTMForecaster(horizon=h, random_state=seed, **extra).fit(train)
            pred = fc.predict()
        secs.append(time.perf_counter() - t0)
        res.append(pred.iloc[:, 0].to_numpy())
        if chose is None:
            chose = f"{fc.window_norm_}; {fc.history_.get('highway_start')}"
            auto = _auto(fc, train)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # CoverageWarning: few validation windows
                b = fc.predict_interval(LEVEL)
            band = (b.iloc[:, 1].to_numpy(), b.iloc[:, 2].to_numpy())
    return res, secs, chose, band, auto


def _auto(fc, train):
    """(forecast, choice) of ``tsgate forecast --model auto`` from the fitted forecaster ``fc``
    (:func:`tsgate.auto.choose`: ``fc`` or the baseline that beat it on validation)."""
    from tsgate.auto import choose

    model, why = choose(fc, train)
    return model.predict().iloc[:, 0].to_numpy(), why["chosen"]


def run(names, configs, seeds, ensemble, origins=1):
    rows = []
    for name in names:
        per_origin = [one(name, configs, seeds, ensemble, k) for k in range(1, origins + 1)]
        row = mean_over_origins(per_origin)
        rows.append(row)
        best = min(("naive", "seasonal naive", "AR(p), AIC", "ETS"), key=lambda b: row[b]["MAE"])
        row["best baseline"] = best
        line = " | ".join(f"{k} {v['MAE']:.4g}" for k, v in row.items() if isinstance(v, dict))
        print(f"{name}: {line} | best {best}", flush=True)
    return rows


def mean_over_origins(rows):
    """One row: each score's mean over the origins' rows (what seed 0 chose: at origin 1, the latest)."""
    out = dict(rows[0])
    for k, v in rows[0].items():
        if isinstance(v, dict):
            out[k] = {s: (float(np.mean([r[k][s] for r in rows])) if s != "chose" else x) for s, x in v.items()}
            if k.endswith(" auto"):  # every origin's choice, latest first
                out[k]["chose"] = ", ".join(r[k]["chose"] for r in rows)
    return out


def one(name, configs, seeds, ensemble, origin):
    """Scores of every method on one hold-out of ``name``."""
    _, _, m, h, source = SERIES[name]
    train, test = split(name, origin)
    tr, te = train.to_numpy(float), test.to_numpy(float)
    row = {"series": name, "freq": SERIES[name][1], "m": m, "h": h, "n": len(tr), "source": source}
    bands = {"seasonal naive": snaive_band(tr, h, m, LEVEL)[1:]}  # its forecast is the one baselines() gives
    for b, pred in baselines(train, h, m).items():
        row[b] = scores(te, pred, tr, m, bands.get(b))
    for cname, extra in configs.items():
        preds, secs, chose, band, (auto, picked) = tsgate_run(train, h, seeds, extra)
        row[f"{cname} auto"] = dict(scores(te, auto, tr, m), chose=picked)
        per_seed = [scores(te, p, tr, m) for p in preds]
        row[f"{cname} seed 0"] = dict(scores(te, preds[0], tr, m, band), s=secs[0], chose=chose)
        row[f"{cname} median"] = {k: float(np.median([s[k] for s in per_seed])) for k in per_seed[0]}
        row[f"{cname} median"]["s"] = float(np.median(secs))
        if ensemble > 1:
            p, s, _, _, _ = tsgate_run(train, h, [0], dict(extra, n_models=ensemble))
            row[f"{cname} ensemble of {ensemble}"] = dict(scores(te, p[0], tr, m), s=s[0])
    return row


def table(rows, configs, ensemble):
    cols = ["naive", "seasonal naive", "AR(p), AIC", "ETS"]
    for c in configs:
        cols += [f"{c} seed 0", f"{c} median", f"{c} auto"] + ([f"{c} ensemble of {ensemble}"] if ensemble > 1 else [])
    out = ["| series | freq | m | h | " + " | ".join(cols) + " | best baseline | tsgate / best |",
           "|---" * (len(cols) + 6) + "|"]
    first = next(iter(configs))
    for r in rows:
        best = r[r["best baseline"]]["MAE"]
        cells = []
        for c in cols:
            v = r[c]
            txt = f"{v['MAE']:.4g}"
            cells.append(f"**{txt}**" if v["MAE"] <= min(r[k]["MAE"] for k in cols) else txt)
        ratio = r[f"{first} median"]["MAE"] / best
        out.append(f"| {r['series']} | {r['freq']} | {r['m']} | {r['h']} | " + " | ".join(cells)
                   + f" | {r['best baseline']} | {ratio:.2f} |")
    return out


def intervals(rows, configs):
    """Coverage and MSIS of the ``LEVEL`` bands: seasonal naive's and tsgate's (seed 0)."""
    keys = ["seasonal naive"] + [f"{c} seed 0" for c in configs]
    out = ["| series | " + " | ".join(f"{k}: coverage | MSIS" for k in keys) + " |",
           "|---" * (2 * len(keys) + 1) + "|"]
    for r in rows:
        cells = " | ".join(f"{r[k]['coverage']:.2f} | {r[k]['MSIS']:.2f}" for k in keys)
        out.append(f"| {r['series']} | {cells} |")
    means = " | ".join(f"{np.mean([r[k]['coverage'] for r in rows]):.3f} | "
                       f"{np.mean([r[k]['MSIS'] for r in rows]):.2f}" for k in keys)
    return out + [f"| mean | {means} |"]


def detail(rows, configs, ensemble):
    out = ["| series | model | MAE | sMAPE % | MASE | fit s | window norm; linear start |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        for k, v in r.items():
            if isinstance(v, dict):
                out.append(f"| {r['series']} | {k} | {v['MAE']:.4g} | {v['sMAPE']:.2f} | {v['MASE']:.3f} | "
                           f"{v.get('s', 0.0):.1f} | {v.get('chose', '')} |")
    return out


def summary(rows, configs):
    first = next(iter(configs))
    ratios = [r[f"{first} median"]["MAE"] / r[r["best baseline"]]["MAE"] for r in rows]
    wins = sum(x < 1 for x in ratios)
    out = [f"- tsgate ({first}, median of seeds) beats the best baseline on {wins} of {len(rows)} series "
           f"({100 * wins / len(rows):.0f}%; target 75%); worst ratio to the best baseline "
           f"{max(ratios):.2f} (target 1.10), on {rows[int(np.argmax(ratios))]['series']}."]
    for k in (f"{first} seed 0", f"{first} auto"):  # --model auto: the network or the baseline that validated better
        ratios = [r[k]["MAE"] / r[r["best baseline"]]["MAE"] for r in rows]
        took = [c for r in rows for c in r[k]["chose"].split(", ") if c != "network"] if k.endswith("auto") else None
        out.append(f"- {k}: beats the best baseline on {sum(x < 1 for x in ratios)} of {len(rows)}; worst ratio "
                   f"{max(ratios):.2f}; geometric mean of the ratios {np.exp(np.mean(np.log(ratios))):.3f}"
                   + (f"; a baseline chosen at {len(took)} of the series' origins" if took is not None else ""))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--series", nargs="*", default=list(SERIES))
    ap.add_argument("--seeds", type=int, nargs="*", default=[0, 1, 2])
    ap.add_argument("--ensemble", type=int, default=3, help="n_models of the ensemble row (1: none)")
    ap.add_argument("--config", action="append", default=[], help="NAME:key=value,... (a tsgate variant)")
    ap.add_argument("--quick", action="store_true", help="seed 0 only, no ensemble")
    ap.add_argument("--origins", type=int, default=1, help="rolling origins: the last K horizons, one at a time")
    ap.add_argument("--out")
    args = ap.parse_args()
    configs = {"default": {}}
    for c in args.config:
        name, _, kv = c.partition(":")
        configs[name] = {k: ast.literal_eval(v) for k, v in (p.split("=") for p in kv.split(",") if p)}
    seeds, ensemble = ([0], 1) if args.quick else (args.seeds, args.ensemble)
    rows = run(args.series, configs, seeds, ensemble, args.origins)
    held = ("MAE of the hold-out (last h points)" if args.origins == 1 else
            f"mean over {args.origins} rolling origins (hold-outs: the last {args.origins} horizons, each refit)")
    lines = header("Forecast accuracy on real series",
                   f"tsgate default settings except horizon; seeds {seeds}; {held}; "
                   "bold: best in the row.", "MASE scaled by the in-sample seasonal-naive MAE at the documented "
                   "period m; MSIS likewise.")
    lines += table(rows, configs, ensemble) + [""] + summary(rows, configs)
    lines += ["", f"## {LEVEL:.0%} prediction intervals", "", "Seasonal naive: the empirical quantile of its own "
              "errors over the history (benchmarks/bands.py); tsgate: `predict_interval`.", ""]
    lines += intervals(rows, configs) + ["", "## Details", ""]
    lines += detail(rows, configs, ensemble)
    lines += ["", "## Sources", ""] + [f"- {n}: {SERIES[n][4]}" for n in args.series]
    write(lines, args.out)


if __name__ == "__main__":
    main()
