"""Scaling, windowing and the validation split of the forecasters (NumPy only).

:func:`make_windows` turns the scaled series into a :class:`WindowSource` for
training and one for validation. A source stores the series once, as rows,
and the end row of each window; ``batch(idx)`` gathers the windows ``idx``
when a batch needs them. So memory grows with the length of the series, not
with (length x lookback), and the training engine
(:func:`tsgate.training.train`) reads them like any data source.
"""

from dataclasses import dataclass

import numpy as np

from .errors import DataError, ParameterError
from .errors import name as pname
from .frames import when

SCALERS = ("standard", "robust", "minmax")

#: Largest magnitude a scaled value may have: the network computes in float32
#: (max 3.4e38), and anything near this is an error in the data anyway.
SCALED_LIMIT = 1e30


def fit_scaler(kind, values):
    """Per-column (loc, scale) for 'standard', 'robust', 'minmax' or None."""
    if kind is None:
        return np.zeros(values.shape[1]), np.ones(values.shape[1])
    with np.errstate(all="ignore"):  # overflow gives inf: check_scaled names the column
        return _loc_scale(kind, values)


def _loc_scale(kind, values):
    if kind == "standard":
        loc, scale = values.mean(0), values.std(0)
    elif kind == "robust":
        loc = np.median(values, 0)
        scale = np.subtract(*np.percentile(values, [75, 25], axis=0))
    elif kind == "minmax":
        loc, scale = values.min(0), values.max(0) - values.min(0)
    else:
        raise ParameterError(f"scaler must be one of {SCALERS} or None, got {kind!r}")
    return loc, usable_scale(scale, loc)


def usable_scale(scale, loc):
    """``scale`` where it is a spread of the values, else 1: where it is zero, subnormal, or below
    1e-12 of ``|loc|`` (a constant column up to rounding). Relative, so a series in tiny units
    (values ~1e-12, say) is scaled like the same series in large ones."""
    scale = np.asarray(scale, dtype=np.float64)
    return np.where((scale > 1e-12 * np.abs(loc)) & (scale > 1e-290), scale, 1.0)


@dataclass
class Scaling:
    """Per-series target scaling and per-column covariate scaling."""

    t_loc: np.ndarray  # (S,)
    t_scale: np.ndarray  # (S,)
    c_loc: np.ndarray  # (P+F,)
    c_scale: np.ndarray  # (P+F,)

    @classmethod
    def fit(cls, kind, targets, covariates):
        """``targets``: one 1-D array per series (each scaled on its own);
        ``covariates``: one (n_i, C) array per series (scaled per column,
        pooled over the series)."""
        loc_scale = [fit_scaler(kind, y[:, None]) for y in targets]
        t_loc = np.array([ls[0][0] for ls in loc_scale])
        t_scale = np.array([ls[1][0] for ls in loc_scale])
        cov = np.concatenate(covariates, axis=0)
        if cov.shape[1]:
            c_loc, c_scale = fit_scaler(kind, cov)
        else:
            c_loc, c_scale = np.zeros(0), np.ones(0)
        return cls(t_loc, t_scale, c_loc, c_scale)


class WindowSource:
    """Windows over series stored as rows, gathered per batch.

    ``rows`` (R, D) holds, per row of each series, [scaled target, scaled past
    covariates, known-future features]; ``known`` (R, K) the known-future
    features alone; ``ends`` (N,) the row of each window's last step and
    ``series`` (N,) its series number. A window reads ``lookback`` rows up to
    its end; its targets are the next ``n_out`` scaled target values and its
    extra features the known-future features of the next ``horizon`` rows,
    plus (``level=True``) the scaled target value at the window's end.

    Normalisation by the last ``q = norm_period`` values before the origin:
    row j's target value is taken relative to the value of the same phase in
    that last stretch, ``z[e - q + 1 + ((j - e + q - 1) mod q)]``. ``q = 1``
    is relative to the last value ('last'); ``q = m`` to the last season
    ('seasonal': the targets become the errors of seasonal naive); ``q = 0``
    leaves the values as they are. With ``shift`` (S,), per series
    loc/scale of its scaling (``window_norm='seasonal_ratio'``), a value is
    divided by its offset instead: (z_j - z_ref) / (z_ref + shift) is
    y_j / y_ref - 1 in the original units, which must be positive (a
    seasonal pattern whose amplitude grows with the level becomes one of
    constant size). Each target column is repeated ``repeat``
    times (one column per quantile output). ``context`` (S, C), optional:
    per series columns that lead the extra features (series number, static
    covariates; :class:`tsgate.model.SequenceModel`). ``base``, optional
    (``window_norm='ets'``, :mod:`tsgate.esnorm`): the targets are relative
    to its forecasts from each window's origin instead (inputs: to the last value).
    ``position``: the inputs end with one more column, each step's place in the
    window (:func:`position_channel`).
    """

    def __init__(self, rows, known, ends, series, lookback, n_out, horizon, norm_period, repeat=1, level=False,
                 fork=False, context=None, shift=None, base=None, position=False):
        self.rows, self.known, self.ends, self.series = rows, known, ends, series
        self.shift, self.base, self.position = shift, base, bool(position)
        self.context = None if context is None or not context.shape[1] else context
        self.lookback, self.n_out, self.horizon = lookback, n_out, horizon
        self.norm_period, self.repeat, self.level, self.fork = int(norm_period), repeat, level, fork
        self.n = len(ends)

    def subset(self, sel):
        """The windows ``sel`` (a slice or index array) as a new source on the same rows."""
        return WindowSource(self.rows, self.known, self.ends[sel], self.series[sel], self.lookback, self.n_out,
                            self.horizon, self.norm_period, self.repeat, self.level, self.fork, self.context,
                            self.shift, self.base, self.position)

    def union(self, other):
        """The windows of both sources (on the same rows): train + validation."""
        return WindowSource(self.rows, self.known, np.concatenate([self.ends, other.ends]),
                            np.concatenate([self.series, other.series]), self.lookback, self.n_out, self.horizon,
                            self.norm_period, self.repeat, self.level, self.fork, self.context, self.shift,
                            self.base, self.position)

    def offsets(self, idx, rel):
        """(B, len(rel)) the values rows ``end + rel`` are taken relative to."""
        q, e = self.norm_period, self.ends[np.asarray(idx)]
        if self.base is not None:  # 'ets': inputs relative to the last value, targets to the forecast
            rel = np.asarray(rel)
            out = np.repeat(self.rows[e, :1], len(rel), axis=1)
            if (rel > 0).any():
                out[:, rel > 0] = self.base.ahead(e, self.series[np.asarray(idx)], rel[rel > 0])
            return out
        if q == 0:
            return np.zeros((len(e), len(rel)))
        return self.rows[e[:, None] - q + 1 + (np.asarray(rel)[None, :] + q - 1) % q, 0]

    def units(self, idx, rel):
        """Offsets and units (B, len(rel)): a relative value r of row
        ``end + rel`` is the scaled value ``offset + r * unit``; the unit is 1,
        or with ``shift`` the offset's value in the original units over the
        scale (positive, else a DataError naming the window's series number)."""
        off = self.offsets(idx, rel)
        if self.shift is None:
            return off, np.ones_like(off)
        unit = off + self.shift[self.series[np.asarray(idx)]][:, None]
        if not np.all(unit > 0):
            bad = int(self.series[np.asarray(idx)][np.argwhere(~(unit > 0))[0, 0]])
            raise DataError(f"series number {bad}: a value the window is divided by is not positive")
        return off, unit

    def targets(self, idx):
        """(B, n_out) scaled targets relative to their offsets, float64."""
        e = self.ends[np.asarray(idx)]
        ahead = np.arange(1, self.n_out + 1)
        off, unit = self.units(idx, ahead)
        return (self.rows[e[:, None] + ahead, 0] - off) / unit

    def inputs(self, idx):
        """X (B, lookback, D) and extra (B, horizon * K [+ 1]) or None, float32."""
        idx = np.asarray(idx)
        e = self.ends[idx]
        back = np.arange(-self.lookback + 1, 1)
        X = self.rows[e[:, None] + back]  # (B, L, D), a copy
        off, unit = self.units(idx, back)
        X[:, :, 0] = (X[:, :, 0] - off) / unit
        parts = [] if self.context is None else [self.context[self.series[idx]]]  # (B, C)
        if self.known.shape[1]:
            parts.append(self.known[e[:, None] + 1 + np.arange(self.horizon)].reshape(len(idx), -1))
        if self.level:
            parts.append(self.rows[e, :1])  # the scaled value at the origin: the level the norm took away
        E = np.concatenate(parts, axis=1).astype(np.float32) if parts else None
        if not self.position:
            return X.astype(np.float32), E
        out = np.empty((len(idx), self.lookback, X.shape[2] + 1), np.float32)  # one copy, the column after
        out[:, :, :-1] = X
        out[:, :, -1] = position_channel(self.lookback)
        return out, E

    def forked_targets(self, idx):
        """(B, lookback * n_out): the next n_out scaled values of every step of
        each window (forking sequences, MQ-RNN; without a norm)."""
        e = self.ends[np.asarray(idx)]
        steps = e[:, None] + np.arange(-self.lookback + 1, 1)  # (B, L)
        return self.rows[steps[:, :, None] + 1 + np.arange(self.n_out), 0].reshape(len(e), -1)

    def batch(self, idx):
        """X (B, lookback, D), Y (B, n_out * repeat) (with ``fork``: every
        step's, (B, lookback * n_out)), extra or None; float32."""
        X, E = self.inputs(idx)
        Y = self.forked_targets(idx) if self.fork else self.targets(idx)
        if self.repeat > 1:
            Y = np.repeat(Y, self.repeat, axis=1)
        return X, Y.astype(np.float32), E


def position_channel(lookback):
    """(lookback,) float32: each step's place in its window, from -1 (the oldest
    step) to 1 (the origin), so that a step's lag is an input and the network
    need not count steps from the window's start to know it."""
    return np.linspace(-1.0, 1.0, lookback, dtype=np.float32)


def check_finite(values, names, what):
    """Never return an inf/NaN forecast: name the series instead."""
    bad = ~np.isfinite(values)
    if bad.any():
        name = names[np.argwhere(bad)[0][-2]]
        raise DataError(f"the {what} of column {name!r} is not finite: the values overflow when scaled back "
                        "to the column's units; rescale the column")


def check_positive(values, column, index):
    """``window_norm='seasonal_ratio'`` divides by past values: raise a
    DataError naming the series and timestamp of the first value <= 0."""
    bad = np.flatnonzero(~(np.asarray(values) > 0))
    if len(bad):
        raise DataError(f"{pname('window_norm', 'seasonal_ratio')} divides by past values, which must be positive: "
                        f"series {column!r} has {values[bad[0]]:g} at {when(index[bad[0]])}; use "
                        f"{pname('window_norm', 'seasonal')}")


def scaled(values, loc, scale):
    """``(values - loc) / scale`` (columns last) and the first reason it is not
    finite float32 numbers: ``(z, None)``; ``(None, ('spread', k))`` where column
    k's centre or spread overflows; ``(z, ('far', i))`` with ``i`` the index of
    the first value (row-major) farther than :data:`SCALED_LIMIT` spreads."""
    bad_column = ~(np.isfinite(loc) & np.isfinite(scale))
    if np.any(bad_column):
        return None, ("spread", int(np.flatnonzero(bad_column)[0]))
    with np.errstate(all="ignore"):
        z = (values - loc) / scale
    bad = ~(np.abs(z) <= SCALED_LIMIT)
    if bad.any():
        return z, ("far", np.unravel_index(int(np.flatnonzero(bad)[0]), z.shape))
    return z, None


def check_scaled(values, loc, scale, columns, index):
    """Raise a DataError naming the column and timestamp when ``values``
    (n, k) cannot be standardised by (loc, scale) into finite float32 numbers
    (column by column: the first column with a problem is named)."""
    for k, col in enumerate(columns):
        v = values[:, k]
        z, problem = scaled(v, loc[k], scale[k])
        if problem is None:
            continue
        if problem[0] == "spread":
            worst = int(np.argmax(np.abs(v)))
            raise DataError(f"column {col!r} has values too large to standardise (the largest, {v[worst]:.4g} "
                            f"at {when(index[worst])}, overflows its mean or spread); rescale the column")
        i = problem[1][0]
        raise DataError(f"column {col!r} at {when(index[i])}: {v[i]:.4g} lies {abs(z[i]):.3g} spreads from "
                        "the column's centre, too far for the network's float32 arithmetic; clean the value")


def spread_sample(source, limit):
    """At most ``limit`` windows of ``source``, evenly spaced (all when fewer)."""
    if limit is None or source.n <= limit:
        return source
    return source.subset(np.unique(np.linspace(0, source.n - 1, int(limit)).round().astype(np.int64)))


def forecast_source(z, past, known, known_future, lookback, horizon, norm_period, level, context=None, shift=None,
                    base=None, position=False):
    """A source of one window per series, each ending at the last of its
    ``lookback`` rows (lists, per series: z (L,), past (L, P), known (L, K))
    with the known-future features of the next ``horizon`` rows
    (``known_future``: per series (horizon, K)): the input of a forecast,
    normalised exactly as in training; ``context`` (S, C): the series'
    context rows; ``shift`` (S,), ``base``, ``position``: see :class:`WindowSource`. Single arrays mean one
    series."""
    if not isinstance(z, list):
        z, past, known, known_future = [z], [past], [known], [known_future]
    rows, known_rows = [], []
    for zi, pi, ki, fi in zip(z, past, known, known_future):
        rows += [series_rows(zi, pi, ki), series_rows(np.zeros(horizon), np.zeros((horizon, pi.shape[1])), fi)]
        known_rows += [ki, fi]
    S = len(z)
    ends = np.arange(S) * (lookback + horizon) + lookback - 1
    return WindowSource(np.concatenate(rows), np.concatenate(known_rows), ends, np.arange(S), lookback, horizon,
                        horizon, norm_period, level=level, context=context, shift=shift, base=base, position=position)


@dataclass
class Windows:
    """The training and validation windows of a fit (``starts``: each series'
    first row; ``gap``: the windows between the two, whose targets reach into
    the validation targets: in neither)."""

    train: WindowSource
    val: WindowSource
    starts: np.ndarray = None
    gap: WindowSource = None

    def everything(self):
        """All windows: training, gap and validation (the refit's)."""
        return self.train.union(self.gap).union(self.val)


def series_rows(z, past, known):
    """(n, 1+P+K) rows of one series: [scaled target, past covariates, known features]."""
    return np.concatenate([z[:, None], past, known], axis=1)


def validation_counts(lengths, lookback, horizon, validation_fraction, min_val):
    """Validation windows per series of :func:`make_windows`: its last
    ``validation_fraction`` of the windows, at least ``min_val`` (or half of
    them, if fewer; never fewer than one when ``min_val`` > 0), at most all but one."""
    out = []
    for n in lengths:
        N = max(n - lookback + 1 - horizon, 0)
        least = min(min_val, max(N // 2, 1))
        out.append(max(min(max(int(round(N * validation_fraction)), least), N - 1), 0))
    return out


def make_windows(z, past, known, lookback, n_out, horizon, validation_fraction, min_val, norm_period, repeat=1,
                 level=False, fork=False, stride=1, max_per_series=None, context=None, shift=None, base=None,
                 position=False):
    """Windows of every series, split in time into training and validation.

    Per series (lists): z (n_i,) scaled target, past (n_i, P), known (n_i, K);
    a 2-D ``z`` (n, S) means S series sharing ``past`` and ``known``. Each
    series gives the windows ending at its rows ``lookback-1 .. n_i-horizon-1``;
    its last ``validation_fraction`` of windows (at least ``min_val``, at
    most all but one) validate. The ``n_out - 1`` windows before those are
    purged (the gap): their targets would include validation targets, which
    would make the validation error of anything fit on them optimistic.
    Training windows are every ``stride``-th of the rest (at least one), and
    at most ``max_per_series`` of them, the most recent. See
    :class:`WindowSource` for ``norm_period``, ``level``, ``fork``, ``context``, ``shift``, ``base`` and
    ``position``.
    """
    if not isinstance(z, list):
        z = [z[:, s] for s in range(z.shape[1])]
        past, known = [past] * len(z), [known] * len(z)
    rows = np.concatenate([series_rows(zi, pi, ki) for zi, pi, ki in zip(z, past, known)], axis=0)
    known_rows = np.concatenate(known, axis=0)
    starts = np.concatenate([[0], np.cumsum([len(zi) for zi in z])[:-1]]).astype(np.int64)
    ends = {"train": [], "gap": [], "val": []}
    counts = validation_counts([len(zi) for zi in z], lookback, horizon, validation_fraction, min_val)
    for s, (zi, n_val) in enumerate(zip(z, counts)):
        local = np.arange(lookback - 1, len(zi) - horizon)
        N = len(local)
        n_gap = min(n_out - 1, N - n_val - 1) if n_val else 0
        tr = local[:N - n_val - n_gap][::-1][::stride][::-1]
        if max_per_series is not None:
            tr = tr[-max_per_series:]
        ends["train"].append(starts[s] + tr)
        ends["gap"].append(starts[s] + local[N - n_val - n_gap:N - n_val])
        ends["val"].append(starts[s] + local[N - n_val:])
    make = lambda e: WindowSource(rows, known_rows, np.concatenate(e).astype(np.int64),  # noqa: E731
                                  np.concatenate([np.full(len(x), s) for s, x in enumerate(e)]),
                                  lookback, n_out, horizon, norm_period, repeat, level, fork, context, shift, base,
                                  position)
    return Windows(make(ends["train"]), make(ends["val"]), starts, make(ends["gap"]))
