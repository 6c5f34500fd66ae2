"""Additive Holt-Winters (damped trend, additive season) as a linear forecaster.

The error-correction form (Hyndman & Athanasopoulos, "Forecasting:
principles and practice", 8.3), with period ``m`` and smoothing parameters
alpha, beta, gamma and damping phi::

    f_t   = l + phi b + s[t mod m]              # one-step forecast
    e_t   = y_t - f_t
    l    <- l + phi b + alpha e_t
    b    <- phi b + beta e_t
    s[t mod m] <- s[t mod m] + gamma e_t
    y_{n-1+k} forecast: l + (phi + ... + phi^k) b + s[(n - 1 + k) mod m]

started from the first seasons (level: the first season's mean; trend: the
change of the seasonal means per step; seasonals: the first season minus the
level; without a season, blocks of up to :data:`INIT_BLOCK` values take the
seasons' place). With the parameters fixed, every forecast is a linear function of the
values it reads, and adding a constant to all of them adds it to the forecast.
So the forecast of a run over a window of L values is a linear map (h, L)
(:meth:`HoltWinters.window_map`, started with no trend) whose rows sum to one: one more candidate
start of the forecasters' linear highway (:mod:`tsgate.highway`), next to
AR(p) and seasonal naive. The parameters are fit by least squares of the
one-step errors over whole series (L-BFGS-B, SciPy, which scikit-learn
already requires).
"""

import numpy as np

from .config import jit, jitable

#: Bounds of (alpha, beta / alpha, gamma / (1 - alpha), phi).
BOUNDS = ((1e-4, 0.9999), (0.0, 1.0), (0.0, 1.0), (0.8, 0.98))
#: Without a season, the start averages blocks of up to this many values (one
#: value would make a slow level a copy of the window's oldest value).
INIT_BLOCK = 10
#: At most this many series, and this many last values of each, fit the parameters.
MAX_SERIES, MAX_ROWS = 32, 4000


@jitable
def _update(e, level, trend, seasonal, alpha, beta, gamma, phi):
    """The error-correction update after the one-step error e: the new level,
    trend and seasonal (scalars in the kernels, arrays in :func:`_run`)."""
    return level + phi * trend + alpha * e, phi * trend + beta * e, seasonal + gamma * e


@jit
def _filter(y, alpha, beta, gamma, phi, level, trend, seasonals, ends, horizon):
    """One pass of the recursion over y (n,): the sum of squared one-step
    errors, and (len(ends), horizon) the forecasts after y[:e + 1] for each e
    of the ascending ``ends`` (none: the fit's pass)."""
    s = seasonals.copy()
    m = len(s)
    sse = 0.0
    out = np.empty((len(ends), horizon))
    damp = np.empty(horizon)
    acc, p = 0.0, 1.0
    for k in range(horizon):
        p *= phi
        acc += p
        damp[k] = acc
    j = 0
    for t in range(len(y)):
        i = t % m
        e = y[t] - (level + phi * trend + s[i])
        sse += e * e
        level, trend, s[i] = _update(e, level, trend, s[i], alpha, beta, gamma, phi)
        while j < len(ends) and ends[j] == t:
            for k in range(horizon):
                out[j, k] = level + damp[k] * trend + s[(t + 1 + k) % m]
            j += 1
    return sse, out


@jit
def _states(y, alpha, beta, gamma, phi, level, trend, seasonals):
    """The recursion over y (n,): per step t the level, trend and the
    seasonal written at t (all after the update at t), and the seasonals (m,)
    after the last step."""
    s = seasonals.copy()
    m, n = len(s), len(y)
    levels, trends, written = np.empty(n), np.empty(n), np.empty(n)
    for t in range(n):
        i = t % m
        e = y[t] - (level + phi * trend + s[i])
        level, trend, s[i] = _update(e, level, trend, s[i], alpha, beta, gamma, phi)
        levels[t], trends[t], written[t] = level, trend, s[i]
    return levels, trends, written, s


def _sse(y, alpha, beta, gamma, phi, level, trend, seasonals):
    """Sum of squared one-step errors of the recursion over y (n,)."""
    return _filter(y, alpha, beta, gamma, phi, level, trend, seasonals, np.zeros(0, np.int64), 0)[0]


def _initial(Y, m, trend=True):
    """(level, trend, seasonals (m, ...)) from the first seasons of Y (n, ...);
    ``trend=False``: a zero starting trend."""
    if m > 1:
        level = Y[:m].mean(axis=0)
        slope = (Y[m:2 * m].mean(axis=0) - level) / m if trend and len(Y) >= 2 * m else np.zeros_like(level)
        return level, slope, Y[:m] - level
    k = max(1, min(len(Y) // 4, INIT_BLOCK))  # no season: blocks of k values stand in for seasons
    level = Y[:k].mean(axis=0)
    slope = (Y[k:2 * k].mean(axis=0) - level) / k if trend and len(Y) >= 2 * k else np.zeros_like(level)
    return level, slope, np.zeros((1,) + Y.shape[1:])


def _run(Y, params, m, horizon, trend=True):
    """Forecasts (horizon, ...) after a run over Y (n, ...): any trailing
    shape, so Y = identity gives the linear map."""
    alpha, beta, gamma, phi = params
    level, trend, s = _initial(Y, m, trend)
    s = s.copy()
    for t in range(len(Y)):
        i = t % len(s)
        e = Y[t] - (level + phi * trend + s[i])
        level, trend, s[i] = _update(e, level, trend, s[i], alpha, beta, gamma, phi)
    damp = np.cumsum(phi ** np.arange(1, horizon + 1))
    n = len(Y)
    return np.stack([level + damp[k] * trend + s[(n + k) % len(s)] for k in range(horizon)])


class HoltWinters:
    """Additive damped-trend Holt-Winters with period ``period`` (1: no season).

    Parameters are fit by :meth:`fit` on one series or pooled over several
    (a list). A series shorter than two periods is fit without a season.
    """

    def __init__(self, period=1):
        self.period = int(period)

    def _season(self, n):
        return self.period if self.period > 1 and n >= 2 * self.period else 1

    def _run_season(self, n):
        """The period of a run over n values: the fit's, if they hold two."""
        return self._season(n) if self.season_ > 1 else 1

    def fit(self, y):
        from scipy.optimize import minimize

        parts = [np.asarray(s, dtype=np.float64)[-MAX_ROWS:] for s in (y if isinstance(y, list) else [y])]
        if len(parts) > MAX_SERIES:
            parts = [parts[int(i)] for i in np.linspace(0, len(parts) - 1, MAX_SERIES)]
        self.season_ = min(self._season(len(p)) for p in parts)
        starts = [_initial(p, self.season_) for p in parts]

        def loss(theta):
            alpha, b, g, phi = theta
            beta, gamma = b * alpha, (g * (1.0 - alpha) if self.season_ > 1 else 0.0)
            return sum(_sse(p, alpha, beta, gamma, phi, float(lv), float(tr), np.asarray(s, dtype=np.float64))
                       for p, (lv, tr, s) in zip(parts, starts)) / sum(len(p) for p in parts)

        res = minimize(loss, np.array([0.3, 0.1, 0.1, 0.95]), method="L-BFGS-B", bounds=BOUNDS)
        alpha, b, g, phi = (float(v) for v in res.x)
        self.params_ = (alpha, b * alpha, g * (1.0 - alpha) if self.season_ > 1 else 0.0, phi)
        return self

    def forecast(self, y, horizon):
        """The next ``horizon`` values after a run over the series ``y``."""
        y = np.asarray(y, dtype=np.float64)
        return _run(y, self.params_, self._run_season(len(y)), horizon)

    def forecasts_from(self, y, ends, horizon):
        """(len(ends), horizon): :meth:`forecast` after ``y[:e + 1]`` for every
        origin e (ascending, each with two periods before it), in one pass."""
        y = np.asarray(y, dtype=np.float64)
        level, trend, s = _initial(y, self.season_)
        alpha, beta, gamma, phi = self.params_
        return _filter(y, alpha, beta, gamma, phi, float(level), float(trend), np.asarray(s, dtype=np.float64),
                       np.asarray(ends, dtype=np.int64), int(horizon))[1]

    @classmethod
    def from_params(cls, params, season):
        """A fitted model from :attr:`params_` and :attr:`season_` (a model file's)."""
        hw = cls(season)
        hw.params_, hw.season_ = tuple(float(p) for p in params), int(season)
        return hw

    def states(self, y):
        """The run over the whole series ``y`` from its first seasons (period
        ``season_``; a series shorter than one season starts at its mean with
        no season): per step the level, trend and seasonal written (n,) each,
        the seasonals (season_,) after the last step, and those it started from."""
        y = np.asarray(y, dtype=np.float64)
        level, trend, s = self.start(y)
        return _states(y, *self.params_, level, trend, s) + (s,)

    def start(self, y):
        """(level, trend, seasonals (season_,)): what :meth:`states` starts a run over ``y`` from."""
        m = self.season_
        level, trend, s = _initial(y, m) if len(y) >= m else (y.mean(), 0.0, np.zeros(m))
        return float(level), float(trend), np.asarray(s, dtype=np.float64)

    def describe(self):
        return f"Holt-Winters (m={self.season_})" if self.season_ > 1 else "Holt (damped trend)"

    def window_map(self, length, horizon):
        """(horizon, length): the forecasts of a run over a window of
        ``length`` values, as weights on those values (oldest first); each
        row sums to one. The season needs two periods in the window. The run
        starts with no trend: a slope read off the window's oldest values
        would be extrapolated wherever beta is small (Nile: MAE 200 instead
        of 116 on the accuracy benchmark's hold-out)."""
        return _run(np.eye(length), self.params_, self._run_season(length), horizon, trend=False)
