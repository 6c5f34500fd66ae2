"""One series: the best baseline joins the forecast where it validated better than the network.

After a single-series fit, every baseline (:mod:`tsgate.baselines`: naive, seasonal naive, drift,
AR(p), Holt-Winters) is scored on the network's validation windows (``fit_report_``). Where the best
of them has the lower validation MAE and a paired test of the two models' per-window MAEs, over
blocks of ``horizon`` windows (as :mod:`tsgate.shrinkage` and :mod:`tsgate.auto` test), gives
t < :data:`T_JOIN`, that baseline, refit on the whole series, forecasts :data:`WEIGHT` of the
forecast: a forecast combination (Bates & Granger 1969), not a choice, since one validation tail
rarely proves either model better. ``tsgate forecast --model auto`` replaces the network where the
test is clear (t below the 2.5% critical value); this joins it where the evidence only leans. A
series whose differences are white noise by AICc (the random-walk start of :mod:`tsgate.recipe`)
keeps its forecast, naive or naive with drift: a drift that validated better by chance does not join.

Measured at the defaults, seed 0 (benchmarks/results/best_baseline_2026-12-06.md,
accuracy_2026-12-07_blend.md): M4 hourly, 414 series one at a time, sMAPE 13.61% -> 12.73%, MASE
0.811 -> 0.793; 120 of M4's weekly series 6.82% / 2.096 -> 6.70% / 2.071; the accuracy benchmark's
17 series at four origins keep 14 won, the worst ratio to the best baseline 1.27 -> 1.25, the
geometric mean 0.916 -> 0.921 (austres' median 1.10 -> 1.20).

The baseline forecasts from the forecaster's own data in :meth:`predict`, :meth:`update` (it
advances with the new rows), ``historical_forecasts`` (from each origin, on the series as given)
and the model file; the conformal band is calibrated on the combination's validation residuals.
Panels have their own per-series fallback (:mod:`tsgate.fallback`); ``fallback=False`` turns
both off.

Where the network's linear start already forecast the validation tail far worse than the trivial
forecast (:func:`tsgate.learned.check_learned`: the series' end unlike its history, e.g. a short
intermittent series whose tail holds no pulse), the best baseline forecasts alone (weight 1), with
a :class:`tsgate.errors.BaselineWarning` that says why; ``fallback=False`` raises instead.
"""

import copy
import warnings

import numpy as np
import pandas as pd

from . import frames
from .auto import baseline_t
from .baselines import BaselineForecaster, origin_residuals
from .errors import BaselineWarning, DataError, can_name, name as pname
from .fallback import floor_origins

#: The baseline's share of the forecast where it joins.
WEIGHT = 0.5
#: It joins where the paired t of its per-window validation MAE less the network's is below this.
T_JOIN = -1.0


def join(est, y, fits, window_scale):
    """Decide, after ``est``'s calibration on one series ``y`` (original units), whether
    the best baseline joins the forecast; if so set ``blend_`` (the baseline refit on ``y``), the
    blended validation residuals and per-window errors, and ``fit_report_['blend']``. ``fits``: the
    (AR, Holt-Winters) the validation scores were computed with; ``window_scale`` (n, H): a scaled
    residual's original units."""
    errors, H, best = est._val_errors, est.horizon_, est.fit_report_["best_baseline"]
    failed = getattr(est, "_start_failed", None)  # the start failed on validation: the baseline alone
    t, _ = baseline_t(errors, best, H)
    if failed is None and not _joins(est, errors, best, t):
        return
    weight = WEIGHT if failed is None else 1.0
    m, ends = est.seasonal_period_, errors["ends"]
    base_res = origin_residuals(best, y, ends, H, m, *fits)  # (n, H), original units
    mixed = (1.0 - weight) * est.val_residuals_ * window_scale + weight * base_res
    est.val_residuals_ = mixed / window_scale
    errors["network"] = np.mean(np.abs(mixed), axis=1)  # the forecast's, as tsgate.auto compares it
    index = frames.history_index(est.cutoffs_[0], est.freq_, len(y), integers=True)
    est.blend_ = BaselineForecaster(best, horizon=H, seasonal_period=m, outliers="keep",
                                    nonnegative=False).fit(pd.Series(y, index=index, name="y"))
    if failed is not None:  # the band's floor: the baseline's residuals over the history, not the network's
        est.train_residuals_ = _history_floor(best, y, H, m, fits) / np.mean(window_scale, axis=0)
    est.fit_report_["blend"] = {"baseline": est.blend_.describe(), "weight": weight,
                                "t": None if t is None else float(t), "validation_mae": float(np.mean(np.abs(mixed)))}
    if failed is not None:
        est.fit_report_["blend"]["why"] = failed
        refuse = f"; {pname('fallback', False)} raises instead" if can_name("fallback") else ""
        warnings.warn(BaselineWarning(f"{failed}. The forecast is the {est.blend_.describe()} baseline's alone (the "
                                      f"best on validation){refuse}"), stacklevel=4)


def _history_floor(best, y, H, m, fits):
    """(n, H): ``best``'s residuals, original units, from the origins that
    :func:`tsgate.fallback.floor_origins` spreads over ``y`` from the first with a whole season (and the
    AR's order) behind it, as a panel's fallen-back series' band is floored."""
    ar = fits[0]
    first = max(m, ar.order_ if best == "ar" and ar is not None else 1) - 1
    if first > len(y) - H - 1:
        return np.zeros((0, H))
    return origin_residuals(best, y, floor_origins(first, len(y) - H - 1), H, m, *fits)


def _joins(est, errors, best, t):
    """Whether the best baseline joins: not a random walk (its forecast is its own: tsgate.recipe),
    a lower validation MAE than the network's, and the paired t below :data:`T_JOIN`."""
    if any(h.get("random_walk") for h in est.histories_):
        return False
    return bool(np.mean(errors[best]) < np.mean(errors["network"]) and t is not None and t < T_JOIN)


def weight(est):
    """The joined baseline's share of ``est``'s forecast, as this fit's ``fit_report_['blend']`` records it:
    :data:`WEIGHT`, or 1 where it replaced the network."""
    return ((getattr(est, "fit_report_", None) or {}).get("blend") or {}).get("weight", WEIGHT)


def forecast(est, out, spread, horizon):
    """``out`` (1, horizon) and the ensemble's ``spread`` with the joined baseline's share, if any."""
    base = getattr(est, "blend_", None)
    if base is None:
        return out, spread
    w = weight(est)
    return (1.0 - w) * out + w * base._point(horizon)[None, :], (1.0 - w) * spread


def historical(est, series, pos, pred, H):
    """``pred`` (len(pos), H) from the origins ``pos`` of ``series`` with the joined baseline's share."""
    base = getattr(est, "blend_", None)
    if base is None or not len(pos):
        return pred
    w = weight(est)
    return (1.0 - w) * pred + w * base._origin_forecasts(base.method_, series.y, pos, H, base.ar_, base.hw_)


def update(est, series):
    """Advance the joined baseline with ``series`` (the rows ``update`` received, on their index)."""
    if getattr(est, "blend_", None) is not None:
        est.blend_.update(pd.Series(series.y, index=series.index, name="y"))


def on_series(est, series):
    """The joined baseline of ``est`` set to the ``series`` of ``on_series``: advanced with them where
    they are the one series it was fit on and follow or overlap its rows; else None (the network
    alone: a baseline belongs to its own series)."""
    base = getattr(est, "blend_", None)
    if base is None or len(series) != 1 or series[0].id != est.ids_[0]:
        return None
    base = copy.deepcopy(base)
    try:
        base.update(pd.Series(series[0].y, index=series[0].index, name="y"))
    except DataError:  # a later stretch with a gap after the rows it holds
        return None
    return base


def describe(report):
    """The CLI's words for a joined baseline (None if none joined)."""
    b = report.get("blend")
    if b and b.get("why", "").startswith("the validation tail is constant"):  # tsgate.learned
        return f"then {b['baseline']} alone: it forecasts the constant validation tail exactly, the network does not"
    if b and b.get("why"):
        return (f"then {b['baseline']} alone: the network's linear start already forecast the validation tail "
                f"far worse than the trivial forecast (the series' end unlike its history); validation MAE "
                f"{b['validation_mae']:.4g}")
    return b and (f"then {1 - b['weight']:g} x that + {b['weight']:g} x {b['baseline']} (it validated better "
                  f"than the network: paired t {b['t']:.2f}, not clear enough to replace it; the combination's "
                  f"validation MAE {b['validation_mae']:.4g})")


def state(est):
    """(metadata, arrays) of the joined baseline for the model file: (None, {}) without one."""
    base = getattr(est, "blend_", None)
    if base is None:
        return None, {}
    meta, arrays = base._fitted_state()
    return {"weight": weight(est), "model": meta}, {f"blend__{k}": v for k, v in arrays.items()}


def restore(est, meta, arrays):
    """Set ``blend_`` from :func:`state`'s output (None: no baseline joined, or an older file)."""
    est.blend_ = None
    if meta:
        own = {k[len("blend__"):]: v for k, v in arrays.items() if k.startswith("blend__")}
        est.blend_ = BaselineForecaster._from_fitted_state(meta["model"], own)
