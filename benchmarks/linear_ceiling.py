"""How far below the best linear model a forecaster can get on one series.

    python benchmarks/linear_ceiling.py --series "sunspots yearly" --out benchmarks/results/linear_ceiling_<date>.md

On each of K rolling origins (``series.split``): least-squares AR(p) with
intercept for every p in 1..``--max-order`` (fit on all rows, forecast
recursively), the mean of the AR(p) forecasts over a range of orders, a small
nonlinear autoregression (scikit-learn's ``MLPRegressor`` on the last p
standardised values, one step ahead, forecast recursively, mean of 5 seeds),
the mean of that and AR(p), tsgate at default settings (seed 0), and AR(p) and tsgate
on the square root of the series (forecasts squared back). The
table gives each method's MAE per origin and the mean; the best order chosen
in hindsight is the ceiling a linear start cannot pass by choosing its order.
"""

import argparse
import os
import sys
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from report import header, write  # noqa: E402
from series import SERIES, split  # noqa: E402

from tsgate import LSTMForecaster, metrics  # noqa: E402


def ar_forecast(y, p, h):
    """AR(p) with intercept by least squares on every row, forecast ``h`` steps recursively."""
    X = np.column_stack([np.ones(len(y) - p)] + [y[p - j - 1:len(y) - j - 1] for j in range(p)])  # (n - p, p + 1)
    coef = np.linalg.lstsq(X, y[p:], rcond=None)[0]
    z = list(y[-p:])
    for _ in range(h):
        z.append(coef[0] + coef[1:] @ np.asarray(z[-1:-p - 1:-1]))
    return np.asarray(z[p:])


def mlp_forecast(y, p, h, seeds=5):
    """Mean over ``seeds`` of an MLP (8 ReLU units, L2 penalty alpha 1e-2) on the last p
    standardised values, one step ahead, forecast ``h`` steps recursively."""
    from sklearn.neural_network import MLPRegressor

    mu, sd = y.mean(), y.std()
    z = (y - mu) / sd
    X = np.column_stack([z[p - j - 1:len(z) - j - 1] for j in range(p)])  # (n - p, p), newest lag first
    out = []
    for s in range(seeds):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            net = MLPRegressor(hidden_layer_sizes=(8,), alpha=1e-2, max_iter=3000, random_state=s).fit(X, z[p:])
        w = list(z[-p:])
        for _ in range(h):
            w.append(float(net.predict(np.asarray(w[-1:-p - 1:-1])[None])[0]))
        out.append(np.asarray(w[p:]) * sd + mu)
    return np.mean(out, axis=0)


def tsgate_forecast(train, h):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return LSTMForecaster(horizon=h, random_state=0).fit(train).predict().iloc[:, 0].to_numpy()


def methods(y, train, h, max_order, p_nl, lo, hi):
    """name -> forecast (h,) of every method on one origin."""
    out = {f"AR({p})": ar_forecast(y, p, h) for p in range(1, max_order + 1)}
    out[f"mean of AR({lo})..AR({hi})"] = np.mean([out[f"AR({p})"] for p in range(lo, hi + 1)], axis=0)
    mlp = mlp_forecast(y, p_nl, h)
    out[f"MLP({p_nl}), 5 seeds"] = mlp
    out[f"mean of MLP({p_nl}) and AR({p_nl})"] = (mlp + out[f"AR({p_nl})"]) / 2
    out["tsgate default, seed 0"] = tsgate_forecast(train, h)
    # the square root, the classic variance-stabilising transform of sunspot numbers, squared back
    out[f"AR({p_nl}) on sqrt(y)"] = np.maximum(ar_forecast(np.sqrt(y), p_nl, h), 0) ** 2
    out["tsgate on sqrt(y)"] = np.maximum(tsgate_forecast(np.sqrt(train), h), 0) ** 2
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--series", default="sunspots yearly", choices=list(SERIES))
    ap.add_argument("--origins", type=int, default=4)
    ap.add_argument("--max-order", type=int, default=15)
    ap.add_argument("--nonlinear-order", type=int, default=9, help="lags of the MLP (and the AR it is averaged with)")
    ap.add_argument("--combine", default="8,13", help="lo,hi: the orders averaged")
    ap.add_argument("--out")
    args = ap.parse_args()
    lo, hi = (int(v) for v in args.combine.split(","))
    errors = {}
    for k in range(1, args.origins + 1):
        train, test = split(args.series, k)
        y, t = train.to_numpy(float), test.to_numpy(float)
        for name, pred in methods(y, train, len(t), args.max_order, args.nonlinear_order, lo, hi).items():
            errors.setdefault(name, []).append(metrics.mae(t, pred))
        print(f"origin {k} done", flush=True)
    best = min((n for n in errors if n.startswith("AR(")), key=lambda n: np.mean(errors[n]))
    lines = header(f"Linear ceiling on {args.series}", f"{args.origins} rolling origins (origin 1: the last "
                   "horizon); MAE; tsgate seed 0, MLP seeds 0-4", f"best AR order in hindsight: {best}")
    lines += ["| method | mean MAE | " + " | ".join(f"origin {k}" for k in range(1, args.origins + 1)) + " |",
              "|---" * (args.origins + 2) + "|"]
    for name, e in errors.items():
        mark = "**" if name == best else ""
        lines.append(f"| {mark}{name}{mark} | {np.mean(e):.2f} | " + " | ".join(f"{v:.2f}" for v in e) + " |")
    write(lines, args.out)


if __name__ == "__main__":
    main()
