"""``window_norm='ets'``: targets relative to a Holt-Winters forecast run over the whole history.

ES-RNN (Smyl 2020, the M4 winner) lets exponential smoothing carry the level
and the seasons over the whole series and the network learn what it misses.
Here the windows' inputs are relative to the last value (as with 'last'),
and the target k steps after a window's origin e is taken relative to
f(e, k), the k-step forecast of an additive damped Holt-Winters
(:mod:`tsgate.ets`, parameters fit before the validation tail) whose state
has read the series from its first row up to e. A zero output is then that
forecast itself, one more candidate start of the linear highway; the
highway's other candidates (a window-long Holt-Winters restarts in every
window) cannot see further back than the lookback.

Memory stays linear in the series: per row the level, trend and the seasonal
written at that row (:class:`RowForecasts`); a forecast from row e reads the
seasonal of its phase written at the latest row <= e. After the fit each
series keeps its end state (:func:`end_state`: level, trend, and the
seasonals of the next m steps, oldest phase first), which
:func:`advance` moves over new rows (``update``) and :func:`forecast` reads.
"""

import numpy as np

from .ets import _states


def _damp(phi, steps):
    """(phi + ... + phi^k) for k = 1 .. steps."""
    return np.cumsum(phi ** np.arange(1, steps + 1))


class RowForecasts:
    """Holt-Winters forecasts from every row of series stored one after
    another (:class:`tsgate.windows.WindowSource`'s rows): per row (R,) the
    level, trend and seasonal written there; per series its first row and
    the seasonals it started from (S, m)."""

    def __init__(self, hw, level, trend, written, init, starts):
        self.hw, self.level, self.trend, self.written = hw, level, trend, written
        self.init, self.starts = init, starts

    def ahead(self, ends, series, rel):
        """(B, K): the forecasts of rows ``ends + rel`` (rel >= 1) made at rows
        ``ends`` of the series ``series``."""
        rel = np.asarray(rel)
        phi, m = self.hw.params_[3], self.init.shape[1]
        out = self.level[ends][:, None] + _damp(phi, int(rel.max()))[rel - 1] * self.trend[ends][:, None]
        if m > 1:
            back = ends[:, None] + rel - m * -(-rel // m)  # the latest row <= e of the target's phase
            local = back - self.starts[series][:, None]
            seen = self.written[np.maximum(back, 0)]
            out += np.where(local >= 0, seen, self.init[series[:, None], local % m])
        return out


class FixedForecasts:
    """The forecasts (S, H) of one window per series (a forecast's source)."""

    def __init__(self, base):
        self.base = base

    def ahead(self, ends, series, rel):
        return self.base[series][:, np.asarray(rel) - 1]


def row_forecasts(hw, zs, pad=0):
    """:class:`RowForecasts` of the scaled series ``zs`` (a list), each
    followed by ``pad`` rows nobody forecasts from (historical forecasts)."""
    parts, inits, starts, at = [], [], [], 0
    for z in zs:
        level, trend, written, _, init = hw.states(z)
        parts.append(np.stack([level, trend, written]))
        if pad:
            parts.append(np.zeros((3, pad)))
        inits.append(init)
        starts.append(at)
        at += len(z) + pad
    level, trend, written = np.concatenate(parts, axis=1)
    return RowForecasts(hw, level, trend, written, np.stack(inits), np.asarray(starts, dtype=np.int64))


def _state(level, trend, s):
    """(2 + m,): the state after a run of n steps, from its per-step level and
    trend (n,) and its seasonals (m,) indexed by step mod m: the next m
    steps' seasonals come first."""
    n, m = len(level), len(s)
    return np.concatenate([[level[-1], trend[-1]], s[(n + np.arange(m)) % m]])


def end_state(hw, z):
    """(2 + m,): [level, trend, seasonals of the next m steps] after the run over ``z``."""
    level, trend, _, s, _ = hw.states(z)
    return _state(level, trend, s)


def start_state(hw, z):
    """(2 + m,): the state :func:`end_state`'s run over ``z`` starts from (z's first seasons)."""
    level, trend, s = hw.start(np.asarray(z, dtype=np.float64))
    return np.concatenate([[level, trend], s])


def advance(hw, state, z):
    """The state after reading the new scaled values ``z`` (n,)."""
    if not len(z):
        return state
    level, trend, _, s = _states(np.asarray(z, dtype=np.float64), *hw.params_, float(state[0]), float(state[1]),
                                 np.array(state[2:], dtype=np.float64))
    return _state(level, trend, s)


def forecast(hw, states, horizon):
    """(S, horizon) forecasts from the end states (S, 2 + m)."""
    states = np.atleast_2d(states)
    m = states.shape[1] - 2
    k = np.arange(horizon)
    return states[:, :1] + _damp(hw.params_[3], horizon) * states[:, 1:2] + states[:, 2 + k % m]
