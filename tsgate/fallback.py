"""Per series of a panel: the global network, or a local baseline that beats it on validation.

A global model fits one set of weights to every series; its linear start
(:mod:`tsgate.highway`) is one AR or seasonal-naive map for all of them.
Many series are forecast better by their own AR(p), or by repeating their
own last day or week. On M4 hourly (414 series), the per-series AR(p) by AIC
alone has a MASE of 0.95 against the global network's 1.44, although the
network wins more series (its sMAPE: 12.2 against 16.1).

So after a panel fit, each series' validation windows compare the network
with the local baselines that forecast from the rows a forecaster keeps
(the last ``lookback`` values): naive, seasonal naive at each detected
period that fits in the lookback, and AR(p) by AICc (fit on the series' rows
before its validation tail; refit on all its rows for forecasting; AICc,
as the highway's AR start, keeps a short series from a long order; on M4
hourly's 700-1000 rows per series it chooses as AIC did, to the digit). A
baseline with a lower validation MAE than the network's forecasts that
series. Its validation residuals give that series' conformal interval,
never narrower than the same quantile of its residuals at up to
:data:`FLOOR_ORIGINS` origins spread over the whole history (a validation
tail may be calm; on M4 hourly the floor takes the fallen-back series' 95%
coverage from 0.932 to 0.966 and their MSIS from 6.64 to 5.91).

With a single series there is nothing local to add: the network's linear
start already is a combination of these baselines, chosen on three
validation blocks, and one more choice on one block only adds noise (on the
accuracy benchmark's 13 series it made AirPassengers, yearly sunspots and
lynx 13-38% worse). So :func:`choose` is used for panels only.
"""

from collections import Counter

import numpy as np

from .baselines import AR, describe as baseline_name, origin_forecasts, origin_residuals, origin_targets

#: Origins (evenly spaced over a series' history) whose residuals floor a fallen-back series' band.
FLOOR_ORIGINS = 100


def candidates(periods, lookback, ar):
    """(name, period) of the baselines a series can fall back to."""
    out = [("naive", 1)] + [("seasonal_naive", int(m)) for m in periods if 1 < m <= lookback]
    if ar is not None and ar.order_ <= lookback:
        out.append(("ar", 1))
    return out


def choose(ys, series, ends, abs_errors, horizon, periods, lookback):
    """{series position: (spec, validation residuals (n, horizon), history
    residuals (n_f, horizon)), original units} for the series whose
    validation windows (``series``, ``ends``: each window's series and last
    row within it) a baseline forecasts better than the network
    (``abs_errors``: its absolute errors, (n, horizon); None: no network
    forecasts these series, so the best baseline is chosen). A spec is
    ``[name, *parameters]`` (:func:`forecast`). The validation residuals,
    for the series' conformal interval, are those of every origin of its
    validation tail, not only of the windows the network was scored on (a
    sample of them in large panels); the history residuals, the band's
    floor, those of up to :data:`FLOOR_ORIGINS` origins from the first with
    a whole season (or the AR's order) behind it (the AR's in sample)."""
    out = {}
    for s in np.unique(series):
        mine = series == s
        e, y = ends[mine], np.asarray(ys[s], dtype=np.float64)
        fit_end = int(e.min()) + 1
        ar = AR(criterion="aicc").fit(y[:fit_end]) if fit_end >= 6 else None
        best_mae = np.inf if abs_errors is None else float(abs_errors[mine].mean())
        best, target = None, origin_targets(y, e, horizon)
        for name, m in candidates(periods, lookback, ar):
            mae = float(np.abs(target - origin_forecasts(name, y, e, horizon, m, ar)).mean())
            if mae < best_mae:
                best, best_mae = (name, m), mae
        if best is not None:
            tail = np.arange(int(e.min()), len(y) - horizon)
            first = max(best[1], ar.order_ if best[0] == "ar" else 1) - 1
            spread = floor_origins(first, len(y) - horizon - 1)
            out[int(s)] = (_spec(best, y, lookback),
                           *(origin_residuals(best[0], y, at, horizon, best[1], ar) for at in (tail, spread)))
    return out


def floor_origins(first, last):
    """Up to :data:`FLOOR_ORIGINS` origins evenly spaced from ``first`` to ``last``, each once: whose
    residuals floor the band of a series a baseline forecasts."""
    return np.unique(np.linspace(first, last, FLOOR_ORIGINS).round().astype(np.int64))


def _spec(choice, y, lookback):
    """The forecasting spec of a choice: AR refit on all of the series' rows."""
    name, m = choice
    if name != "ar":
        return [name, m]
    ar = AR(criterion="aicc").fit(y)
    if ar.order_ > lookback:  # the refit chose a longer order than the tail holds
        ar = AR(max_order=lookback, criterion="aicc").fit(y)
    return ["ar", ar.intercept_, *ar.coef_.tolist()]


def forecast(spec, tail, horizon):
    """The forecast (horizon,) of ``spec`` from the series' last values ``tail``."""
    return forecasts_from(spec, tail, [len(tail) - 1], horizon)[0]


def rows_read(spec):
    """The last rows of a series that ``spec`` forecasts from: 1, the season, or the AR's order."""
    return {"naive": 1, "seasonal_naive": int(spec[1]) if len(spec) > 1 else 1}.get(spec[0], len(spec) - 2)


def forecasts_from(spec, y, ends, horizon):
    """(len(ends), horizon): ``spec``'s forecasts from the origins ``ends`` of ``y`` (each at least a lookback in)."""
    name = spec[0]
    return origin_forecasts(name, y, ends, horizon, int(spec[1]) if name == "seasonal_naive" else 1,
                            _ar(spec) if name == "ar" else None)


def _ar(spec):
    """The :class:`tsgate.baselines.AR` of an 'ar' spec."""
    ar = AR()
    ar.intercept_, ar.coef_ = float(spec[1]), np.asarray(spec[2:], dtype=np.float64)
    ar.order_ = len(ar.coef_)
    return ar


def describe(spec):
    """'naive', 'seasonal naive (m=24)', 'AR(3)': as the fitted baselines name themselves."""
    return baseline_name(spec[0], int(spec[1]) if spec[0] == "seasonal_naive" else 1,
                         _ar(spec) if spec[0] == "ar" else None)


#: Differences of validation MAE below this fraction of the series' scale are ties (float32 rounding).
TIE = 1e-6


def against_baselines(mae, results, n_windows, scale, m):
    """``fit_report_``'s comparison of the network's validation MAE with the
    baselines' (``results``: :func:`tsgate.baselines.validation_errors`' (each origin's
    MAE), one per series; the mean of their means): the best baseline, whether the network is no worse
    than it, up to :data:`TIE` x ``scale``, and with one series the fitted
    baselines' names ('baseline_models': 'AR(7)', 'Holt-Winters (m=12)'...;
    else each series fit its own: empty)."""
    base = {k: float(np.mean([np.mean(r[0][k]) for r in results])) for k in results[0][0]}
    best = min(base, key=base.get)
    names = {k: baseline_name(k, m, *results[0][1:]) for k in base} if len(results) == 1 else {}
    return {"validation_mae": {"network": mae, **base}, "best_baseline": best, "baseline_models": names,
            "beats_best_baseline": bool(mae <= base[best] + TIE * scale), "n_windows": int(n_windows)}


def baseline_words(report, method):
    """A baseline of ``fit_report_`` for people: its fitted model's name, else the method's ('holt winters')."""
    return (report.get("baseline_models") or {}).get(method) or method.replace("_", " ")


def count_words(names):
    """How many series each baseline (``names``: one per series) forecasts, for people, the AR(p) of
    every order as one item: 'AR(14) to AR(24): 61, seasonal naive (m=7): 7'."""
    names = list(names)
    orders = sorted(int(n[3:-1]) for n in names if n.startswith("AR("))
    ar = f"AR({orders[0]})" + (f" to AR({orders[-1]})" if orders[-1] > orders[0] else "") if orders else None
    counts = Counter(ar if n.startswith("AR(") else n for n in names)
    return ", ".join(f"{k}: {n}" for k, n in sorted(counts.items()))
