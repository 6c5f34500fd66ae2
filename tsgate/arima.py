"""ARIMA(p, 1, 0) by least squares: the linear highway's unit-root candidate.

An AR(p) with or without an intercept (the drift) on the first differences,
p in 0..max_order and the intercept chosen together by AICc (Hurvich & Tsai
1989) on one common sample, as forecast::auto.arima does once it has
differenced. On a random walk it is naive (p = 0, no drift); on a trend, naive
with drift or momentum. It is written as the equivalent AR(p + 1) on levels,
whose coefficients sum to one:
``y_t = c + y_{t-1} + sum_j phi_j (y_{t-j} - y_{t-j-1})``, so
:meth:`tsgate.baselines.AR.k_step` gives its k-step map.
"""

import math

import numpy as np

from .ar import AR, _lag_moments
from .ets import HoltWinters


def start_model(kind, order, period):
    """An unfitted model of the linear highway's fitted starts: AR(p) ('ar')
    or ARIMA(p, 1, 0) ('arima') by AICc, p up to ``order``, or a damped
    Holt-Winters at ``period`` ('ets')."""
    if kind == "ets":
        return HoltWinters(period)
    return (IntegratedAR if kind == "arima" else AR)(order, criterion="aicc")


class IntegratedAR(AR):
    """ARIMA(p, 1, 0) with an optional drift, p in 0..``max_order`` by AICc;
    fit on one series or a list (pooled). Exposes ``order_`` (p + 1),
    ``coef_`` and ``intercept_`` of the equivalent AR on levels, and
    ``diff_order_`` (p) and ``drift_`` (whether the intercept was kept).
    ``criterion``: 'aicc' (the highway's) or 'aic', as for :class:`AR`."""

    def describe(self):
        return f"ARIMA({self.diff_order_},1,0)" + (" with drift" if self.drift_ else "")

    def is_walk(self, drift=False):
        """ARIMA(0, 1, 0) without drift, a random walk whose forecast is naive;
        ``drift=True``: with or without one."""
        return self.diff_order_ == 0 and (drift or not self.drift_)

    def fit(self, y):
        series = [np.diff(np.asarray(s, dtype=np.float64)) for s in (y if isinstance(y, list) else [y])]
        n = min(len(s) for s in series)
        top = max(0, min(self.max_order or 24, n // 3))
        G, c, yy, N = _lag_moments(series, top)  # rows after `top`: [1, x_{t-1} .. x_{t-top}]
        best = None
        for p in range(top + 1):
            for drift in (False, True):
                idx = ([0] if drift else []) + list(range(1, p + 1))  # columns of [1, x_{t-1} .. x_{t-p}]
                Gi, ci = G[np.ix_(idx, idx)], c[idx]
                coef = np.linalg.lstsq(Gi, ci, rcond=None)[0] if idx else np.zeros(0)
                rss = float(yy - 2.0 * coef @ ci + coef @ Gi @ coef)  # yy with no columns
                k = len(idx) + 1  # the variance counts, as in auto.arima's AICc
                aic = N * math.log(max(rss, 1e-300) / max(N, 1)) + 2 * k
                if self.criterion == "aicc":
                    aic += 2 * k * (k + 1) / max(N - k - 1, 1)
                if best is None or aic < best[0]:
                    best = (aic, p, drift, coef)
        _, p, drift, coef = best
        phi = coef[1:] if drift else coef
        self.diff_order_, self.drift_ = p, drift
        self.intercept_ = float(coef[0]) if drift else 0.0
        level = np.zeros(p + 1)  # y_t = c + y_{t-1} + sum_j phi_j (y_{t-j} - y_{t-j-1})
        level[0] = 1.0
        level[:p] += phi
        level[1:] -= phi
        self.order_, self.coef_ = p + 1, level
        return self
