"""Series of a panel too short for the network's windows (``on_short='baseline'``).

A global model reads windows of ``lookback`` rows. Fit to the shortest
series of a panel, one new series cuts the lookback of every other: on M4
hourly (414 series of 700-960 rows, horizon 48) with 21 of them cut to their
last 150 rows, the lookback falls from 312 to 51 and the sMAPE of the 393
untouched series rises from 9.38% to 12.87%
(benchmarks/results/short_series_2026-12-06.md).

So by default the lookback fits the lower quartile of the series' lengths
(:data:`QUANTILE`; on a synthetic panel of 2,000 series of 200-1,000 points
the quartile scored best: MASE 0.684 against 0.715 at the 10% quantile,
0.685 at the median and 0.757 at the shortest), and a series too short for
one training and validation window of it trains nothing. One with a lookback
of rows is forecast by the network, as ``on_series`` forecasts a series it
never saw (the synthetic panel's 32 such series: MASE 1.002 on their own
baselines -> 0.665; benchmarks/results/short_series_2026-12-06_network.md).
One with fewer rows is forecast by its own local baseline: the best of
naive, seasonal naive at each period that fits before its first origin, and
AR(p) by AICc (:func:`tsgate.fallback.choose`), scored on the origins of the
later half of its rows. Those origins' residuals give its conformal band, as
for a series that falls back because a baseline beat the network
(:mod:`tsgate.fallback`); the rows the model keeps for it are padded at the
front with its first value (its forecast there is replaced by the
baseline's). M4's 21 cut series gain by this (MASE 1.118 -> 1.044);
``on_short='raise'`` keeps the old rule. A series with too few rows to score
a baseline on (a series that began yesterday) is forecast as the panel's
other series advise (:func:`cold_baselines`); it stopped the fit before.

:class:`ShortSeriesMixin` holds the forecasters' handling of short series
(an error, 'skip' or 'baseline'); the rest is pure NumPy.
"""

import numpy as np

from .errors import DataError
from .errors import name as pname
from .errors import rows
from .baselines import origin_residuals
from .fallback import choose, describe, floor_origins, forecasts_from, rows_read


#: The quantile of the series' lengths that the lookback fits with ``on_short='baseline'``.
QUANTILE = 0.25


def effective(on_short, loss, stateful):
    """``on_short`` as a fit applies it: 'baseline' only where a local baseline
    can stand in for the network (not with quantile outputs, whose bands a
    point baseline cannot give; a stateful model has no windows), else 'raise'."""
    if on_short == "baseline" and (loss == "pinball" or stateful):
        return "raise"
    return on_short


def fitted_length(lengths, mode):
    """The series length the lookback fits under the ``effective`` mode: the
    shortest ('raise'), the median ('skip') or the :data:`QUANTILE` ('baseline')."""
    lengths = np.asarray(lengths)
    if mode == "raise":
        return int(lengths.min())
    return int(np.median(lengths) if mode == "skip" else np.quantile(lengths, QUANTILE))


def minimum_rows(horizon, validates):
    """The fewest rows on whose origins a baseline can be scored: one window of the
    shortest lookback (2), the horizon and a validation row (as the shortest series'
    own lookback allows). With ``on_short='baseline'`` a series with fewer is
    forecast as the panel's other series advise (:func:`cold_baselines`); with
    'raise' it is an error."""
    return 2 + horizon + 1 + (1 if validates else 0)


def padded(a, rows):
    """The last ``rows`` of ``a`` (n, ...), with ``a``'s first row repeated in front when it is shorter."""
    a = np.asarray(a)
    if len(a) >= rows:
        return a[len(a) - rows:]
    return np.concatenate([np.repeat(a[:1], rows - len(a), axis=0), a])


def own_baselines(ys, ks, horizon, periods):
    """{series position: (spec, residuals (n, horizon), history residuals)}
    for the short series ``ks`` of ``ys``: each one's best baseline over the
    origins of the later half of its rows, later where that lets a season fit
    before the first of at least two (no network to beat), as
    :func:`tsgate.fallback.choose` returns them."""
    out = {}
    for k in ks:
        y = np.asarray(ys[k], dtype=np.float64)
        last = len(y) - horizon - 1  # the last origin with a whole horizon after it
        first = max([last // 2] + [int(m) - 1 for m in periods if int(m) <= last])
        ends = np.arange(first, last + 1)
        out.update(choose({k: y}, np.full(len(ends), k), ends, None, horizon, periods, int(ends[0]) + 1))
    return out


def cold_baselines(ys, ks, horizon, others, periods):
    """{series position: (spec, residuals (n, horizon), the same residuals as the floor)} for the
    series ``ks``, too short to score a baseline on (:func:`minimum_rows`). The panel's other series
    (positions ``others``) choose for them: naive, or seasonal naive at a period of ``periods`` that
    fits in the series' rows, whichever forecast those series better at up to
    :data:`~tsgate.fallback.FLOOR_ORIGINS` origins of each one's later half (:func:`pooled_errors`).
    Those errors, in units of each series' standard deviation, give its band at its own
    (:func:`cold_spread`)."""
    spreads = [(float(np.std(ys[k])), float(np.mean(ys[k]))) for k in others if np.std(ys[k]) > 0]
    errors, out = {}, {}
    for k in ks:
        options = [("naive", 1)] + [("seasonal_naive", int(m)) for m in periods if 1 < int(m) <= len(ys[k])]
        for c in options:
            errors[c] = errors[c] if c in errors else pooled_errors(ys, others, horizon, *c)
        best = min((c for c in options if len(errors[c])), key=lambda c: np.abs(errors[c]).mean(),
                   default=("naive", 1))
        unit = errors[best] if len(errors[best]) else np.zeros((1, horizon))  # no other series varies
        res = unit * cold_spread(ys[k], spreads or [(0.0, 0.0)])
        out[k] = ([best[0], best[1]], res, res)
    return out


def pooled_errors(ys, ks, horizon, method, m):
    """(n, horizon): ``method``'s errors (at period ``m``) on the series ``ks`` of ``ys`` at up to
    :data:`~tsgate.fallback.FLOOR_ORIGINS` origins of each one's later half (with a season behind
    them), each over its series' standard deviation; constant series, or those too short for one
    origin, add none."""
    parts = [np.zeros((0, horizon))]
    for k in ks:
        y = np.asarray(ys[k], dtype=np.float64)
        last, sd = len(y) - horizon - 1, float(np.std(y))
        if last >= m - 1 and sd > 0:
            at = floor_origins(max(m - 1, min(len(y) // 2, last)), last)
            parts.append(origin_residuals(method, y, at, horizon, m) / sd)
    return np.concatenate(parts)


def cold_spread(y, spreads):
    """A series' standard deviation as a short history tells it: the larger of its rows' own (from
    three) and the panel's typical one at its level (the median over the other series of their
    standard deviation over their mean's magnitude, ``spreads``: (sd, mean) of each); where both
    are zero (a series of zeros so far), the panel's median standard deviation. (A mixture over the
    panel's ratios instead of their median doubled the bands' MSIS on M4 hourly:
    benchmarks/results/cold_start_2026-12-07.md.)"""
    y = np.asarray(y, dtype=np.float64)
    own = float(np.std(y)) if len(y) >= 3 else 0.0
    ratios = [sd / abs(mean) for sd, mean in spreads if mean != 0]
    level = float(np.median(ratios)) * abs(float(np.mean(y))) if ratios else 0.0
    spread = max(own, level)
    return spread if spread > 0 else float(np.median([sd for sd, _ in spreads]))


class ShortSeriesMixin:
    """What a forecaster's fit does with series too short for its windows (``on_short``)."""

    def _drop_short(self, ys, ps, fs, cals):
        """Series too short for one training window (or ``min_length``): an
        error naming them; left out and listed in ``fit_report_['skipped']``
        (``on_short='skip'``); or kept for a local baseline to forecast
        (``'baseline'``, where the lookback fits the lower quartile of the
        lengths; listed in ``fit_report_['short']``, see :meth:`_short_baselines`)."""
        need = 1 if self.stateful else self.lookback_ + self.horizon_ + 1 + (1 if self._validates() else 0)
        need = max(need, self.min_length or 0)
        short = [k for k, y in enumerate(ys) if len(y) < need]
        self.fit_report_, self._short = {"skipped": [], "short": []}, []
        if not short:
            return ys, ps, fs, cals
        mode = effective(self.on_short, self.loss, self.stateful)
        if len(short) == len(ys) or mode == "raise":
            raise DataError(self._too_short(ys, short, need))
        if mode == "baseline":
            self._short, self.fit_report_["short"] = short, [self.ids_[k] for k in short]
            self.fit_report_["short_rows"] = need
            return ys, ps, fs, cals
        return self._leave_out(ys, ps, fs, cals, short)

    def _leave_out(self, ys, ps, fs, cals, short):
        """The series but those at the positions ``short``, which ``fit_report_['skipped']`` lists."""
        dropped = set(short)
        keep = [k for k in range(len(ys)) if k not in dropped]
        self.fit_report_["skipped"] = [self.ids_[k] for k in short]
        self.ids_ = [self.ids_[k] for k in keep]
        if self.form_ == "wide":
            self.targets_ = list(self.ids_)
        self.cutoffs_ = [self.cutoffs_[k] for k in keep]
        self._indexes = [self._indexes[k] for k in keep]
        pick = lambda values: [values[k] for k in keep]  # noqa: E731
        return pick(ys), pick(ps), pick(fs), pick(cals)

    def _too_short(self, ys, short, need):
        """The message for the series ``short`` (positions), shorter than ``need`` rows."""
        lb = str(self.lookback_) if self.lookback in (None, self.lookback_) else (  # rounded to whole segments
            f"{self.lookback}, rounded up to {self.lookback_}: segments of {self.segment_length_}")
        why = (f"{pname('lookback')} ({lb}) + {pname('horizon')} ({self.horizon_}) + windows for training/"
               f"validation need at least {need}")
        if len(ys) == 1:
            return f"the series is too short: {rows(len(ys[0]))}, but {why}"
        names = ", ".join(f"{self.ids_[k]!r} ({rows(len(ys[k]))})" for k in short[:10])
        them = "it" if len(short) == 1 else "them"
        skip = "" if len(short) == len(ys) else f" (or set {pname('on_short', 'skip')} to leave {them} out)"
        verb = "is" if len(short) == 1 else "are"
        return (f"{len(short)} of {len(ys)} series {verb} too short: {why}: {names}{' ...' if len(short) > 10 else ''}"
                + skip)

    def _short_ks(self):
        """The positions of the series kept for a local baseline (none outside a fit)."""
        return getattr(self, "_short", ())

    def _short_baselines(self, ys):
        """Each short series' own baseline (:func:`own_baselines`) forecasts it,
        with its band (one with too few rows to score a baseline on: the one
        the other series advise, :func:`cold_baselines`); but one with a lookback of
        rows (and ``min_length``), which the network forecasts as it does a new
        series (it saw none of its windows)."""
        least = max(self.lookback_, self.min_length or 0)
        mine = [k for k in self._short_ks() if len(ys[k]) < least]
        others = sorted(set(range(len(ys))) - set(self._short_ks()))  # the series the network trained on
        local = self._local_baselines(ys, mine, others, self.ids_)
        if local:
            self.fit_report_["short_baselines"] = {str(self.ids_[k]): describe(sp) for k, (sp, _, _) in local.items()}

    def _short_new(self, series, short, fitted):
        """:meth:`on_series`: each new series of ``short`` (ids), with fewer rows than the lookback, forecast
        by its own baseline with its band, as :meth:`_short_baselines` does at fit; one with too few rows
        to score a baseline on takes the one the other series advise: the longer ones of ``series`` and
        the last rows of the series the ``fitted`` model's network forecasts."""
        ys, pos = [s.y for s in series], {s.id: k for k, s in enumerate(series)}
        ks = [pos[sid] for sid in short]
        mine = getattr(fitted, "fallback_", {})  # its series that a local baseline forecasts: padded tails
        tails = [fitted.last_targets_[:, j] for j, sid in enumerate(fitted.ids_) if sid not in mine]
        others = [k for k in range(len(ys)) if k not in set(ks)] + list(range(len(ys), len(ys) + len(tails)))
        self.fallback_, self.fallback_residuals_ = dict(mine), dict(getattr(fitted, "fallback_residuals_", {}))
        self.fallback_floor_ = dict(getattr(fitted, "fallback_floor_", {}))  # copies: ``fitted`` keeps its own
        self._local_baselines(ys + tails, ks, others, [s.id for s in series])

    def _local_baselines(self, ys, ks, others, ids):
        """The series ``ks`` of ``ys`` on their own baselines (with too few rows to score one on: the one
        the series ``others`` advise), set in ``fallback_`` and its residuals under their ``ids``; returned."""
        few = minimum_rows(self.horizon_, self._validates())
        local = own_baselines(ys, [k for k in ks if len(ys[k]) >= few], self.horizon_, self.seasonal_periods_)
        local.update(cold_baselines(ys, [k for k in ks if len(ys[k]) < few], self.horizon_, others,
                                    self.seasonal_periods_))
        for k, (spec, residuals, floor) in local.items():
            sid = ids[k]
            self.fallback_[sid], self.fallback_residuals_[sid], self.fallback_floor_[sid] = spec, residuals, floor
        return local

    def _baseline_origins(self, chosen, times, H):
        """The origins in ``times`` with H rows after them that come before a
        lookback of rows, of the series of ``chosen`` that their own baseline
        forecasts (a short series' origins, from the rows the baseline reads):
        (those series, their positions per series, forecasts (n, H), the model's series of each row)."""
        specs = getattr(self, "fallback_", {})
        chosen = [s for s in chosen if s.id in specs]
        pos_list = []
        for s in chosen:  # the origins the network's windows leave out (tsgate.historical)
            pos = self._origins(s, times, H, rows_read(specs[s.id]))
            pos_list.append(pos[pos < self.lookback_ - 1])
        pred = [forecasts_from(specs[s.id], s.y, pos, H) for s, pos in zip(chosen, pos_list) if len(pos)]
        ks = np.repeat(np.asarray(self._positions([s.id for s in chosen]), dtype=np.int64), [len(p) for p in pos_list])
        return chosen, pos_list, np.concatenate(pred) if pred else np.zeros((0, H)), ks
