"""AR(p) by least squares, its order chosen by AIC (or AICc) on a common sample.

The autoregressive baseline of :mod:`tsgate.baselines` (re-exported there as
``tsgate.baselines.AR``), also the linear highway's AR start and a panel
series' fallback. Pure NumPy, a leaf module.
"""

import math

import numpy as np


def _lag_moments(series, top, block=65_536):
    """Normal equations of y_t on [1, y_{t-1} .. y_{t-top}] over the rows after
    ``top`` of every series: (G, c, sum y^2, rows), accumulated in blocks, so
    memory does not grow with (length x order)."""
    G, c, yy, N = np.zeros((top + 1, top + 1)), np.zeros(top + 1), 0.0, 0
    for s in series:
        for a in range(top, len(s), block):
            b = min(a + block, len(s))
            Z = np.column_stack([np.ones(b - a)] + [s[a - j - 1:b - j - 1] for j in range(top)])  # (rows, 1+top)
            t = s[a:b]
            G += Z.T @ Z
            c += Z.T @ t
            yy += float(t @ t)
            N += b - a
    return G, c, yy, N


class AR:
    """AR(p) with intercept by least squares; p in 1..max_order chosen by AIC.

    All orders are fit on the same rows (those after ``max_order``), so their
    AIC compare on one sample: ``n log(RSS/n) + 2 (p + 1)``. With
    ``criterion='aicc'``, the small-sample correction of Hurvich & Tsai (1989),
    forecast::auto.arima's default, is added: ``2 k (k + 1) / (n - k - 1)``
    with k = p + 1, which keeps long orders from winning by a hair on short
    series (the linear highway's starts use it; the baseline is AR by AIC).
    """

    def __init__(self, max_order=None, criterion="aic"):
        self.max_order, self.criterion = max_order, criterion

    def describe(self):
        return f"AR({self.order_})"

    def fit(self, y):
        """Fit on one series, or on several (a list: one pooled model)."""
        series = [np.asarray(s, dtype=np.float64) for s in (y if isinstance(y, list) else [y])]
        n = min(len(s) for s in series)
        top = self.max_order or min(24, max(1, n // 5))
        top = max(1, min(top, n // 3))
        G, c, yy, N = _lag_moments(series, top)
        if N == 0:  # one value: no row to regress on; AR(1) with coefficient 1 forecasts it (naive)
            self.order_, self.intercept_, self.coef_ = 1, 0.0, np.ones(1)
            return self
        best = None
        for p in range(1, top + 1):
            Gp, cp = G[:p + 1, :p + 1], c[:p + 1]
            try:
                coef = np.linalg.solve(Gp, cp)
            except np.linalg.LinAlgError:
                coef = np.linalg.lstsq(Gp, cp, rcond=None)[0]
            rss = float(yy - 2.0 * coef @ cp + coef @ Gp @ coef)
            k = p + 1
            aic = N * math.log(max(rss, 1e-300) / N) + 2 * k
            if self.criterion == "aicc":
                aic += 2 * k * (k + 1) / max(N - k - 1, 1)
            if best is None or aic < best[0]:
                best = (aic, p, coef)
        _, self.order_, coef = best
        self.intercept_, self.coef_ = float(coef[0]), coef[1:]
        return self

    def k_step(self, horizon):
        """(A (horizon, p), c (horizon,)): the k-step forecast is linear,
        ``y_{t+k} = A[k-1] @ [y_t, y_{t-1}, ..., y_{t-p+1}] + c[k-1]``
        (powers of the companion matrix)."""
        p = self.order_
        M = np.zeros((p + 1, p + 1))  # state [y_t .. y_{t-p+1}, 1]
        M[0, :p], M[0, p], M[p, p] = self.coef_, self.intercept_, 1.0
        M[1:p, :p - 1] = np.eye(p - 1)
        rows, P = [], np.eye(p + 1)
        for _ in range(horizon):
            P = M @ P
            rows.append(P[0].copy())
        rows = np.array(rows)
        return rows[:, :p], rows[:, p]

    def forecast(self, y, horizon):
        """Recursive forecast of ``horizon`` steps after history ``y``."""
        hist = list(np.asarray(y, dtype=np.float64)[-self.order_:])
        out = np.empty(horizon)
        for k in range(horizon):
            out[k] = self.intercept_ + float(np.dot(self.coef_, hist[::-1][:self.order_]))
            hist.append(out[k])
        return out
