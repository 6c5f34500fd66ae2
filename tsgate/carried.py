"""Carried states that re-read revised rows: a stateful network's (h, c) and
``window_norm='ets'``'s Holt-Winters state.

A carried state has read every row of its series. ``update`` may revise the
last ``lookback_`` rows the model keeps (preliminary data corrected, a wrong
value replaced), so beside each state the model keeps its *anchor*: the state
before those rows. A revision re-reads the kept rows from the anchor. New rows
advance the state, and the anchor over as many of the oldest kept rows, so
``update`` stays in time proportional to the new rows. Rows older than the
kept ones cannot be re-read (a refit reads them); a model file written before
anchors were kept (``anchor`` None) refuses a revision rather than ignore it.
"""

from typing import NamedTuple

import numpy as np

from . import esnorm, frames
from .calendar_features import calendar
from .errors import DataError
from .stateful import warm


def es_anchor(hw, z, keep):
    """(2 + m,): the Holt-Winters state after all but the last ``keep`` of the scaled values ``z``."""
    return esnorm.advance(hw, esnorm.start_state(hw, z), z[:max(len(z) - keep, 0)])


def net_anchor(model, X, keep):
    """A network's state after all but the last ``keep`` rows of X (n, D); zeros (cold) before none."""
    cut = max(len(X) - keep, 0)
    if cut:
        return warm(model, X[:cut])
    h, c = warm(model, X[:1])  # only for the shapes
    return np.zeros_like(h), None if c is None else np.zeros_like(c)


def net_advance(model):
    """``advance(state, rows)`` for a network: :func:`tsgate.stateful.warm` (no rows: the state)."""
    return lambda state, rows: warm(model, rows, state) if len(rows) else state


def reread(advance, state, anchor, kept, new, revised, where):
    """(state, anchor) after ``new`` rows follow the ``kept`` ones (their values
    now, some ``revised``): ``advance(state, rows)`` reads rows into a state.
    Without a revision the state reads only the new rows; with one, it is
    read again from the anchor. ``where`` names the series in an error."""
    if anchor is None:  # a model file without anchors
        if revised:
            raise _no_anchor(where)
        return advance(state, new), None
    rows = np.concatenate([kept, new])
    anchor = advance(anchor, rows[:len(new)])  # the oldest rows leave the kept ones
    return (advance(anchor, rows[len(new):]) if revised else advance(state, new)), anchor


class Revision(NamedTuple):
    """A series' stored rows as ``update`` leaves them: targets (L,), past
    covariates (L, P), their times, and whether it revised the targets, or any input."""
    y: np.ndarray
    past: np.ndarray
    index: object
    target: bool
    any_input: bool


def _no_anchor(where):
    return DataError(f"{where}: this model file keeps no state from before its stored rows, so it cannot re-read "
                     "revised values of them; refit the model, or give only new rows")


class CarriedStateMixin:
    """The forecasters' carried states over ``update``'s rows (see the module doc)."""

    def _step_rows(self, k, y, past, index):
        """Stateful models' inputs (n, D) from rows of series k: [scaled target,
        scaled past covariates, calendar], as in training."""
        sc, P = self.scaling_, len(self.past_covariates_)
        cal = calendar(index, self.freq_) if self.calendar_features else np.zeros((len(y), 0))
        return np.concatenate([((y - sc.t_loc[k]) / sc.t_scale[k])[:, None], (past - sc.c_loc[:P]) / sc.c_scale[:P],
                               cal], axis=1)

    def _carries_state(self):
        """Whether a state runs over each series' rows: the network's (stateful)
        or Holt-Winters' (window_norm='ets')."""
        return getattr(self, "stateful", False) or getattr(self, "es_model_", None) is not None

    def _revision(self, k, series):
        """Series k's stored rows with the values ``series`` gives them
        (:class:`Revision`): what its carried states read again."""
        index = frames.history_index(self.cutoffs_[k], self.freq_, self.lookback_, True)
        at = index.get_indexer(series.index)
        inside = at >= 0
        y, past = self.last_targets_[:, k].copy(), self.last_past_[k].copy()
        y[at[inside]], past[at[inside]] = series.y[inside], series.past[inside]
        target = not np.array_equal(y, self.last_targets_[:, k])
        return Revision(y, past, index, target, target or not np.array_equal(past, self.last_past_[k]))

    def _check_reread(self, k, rev):
        """A DataError, before update moves anything, where the revision ``rev``
        of series k's stored rows cannot be re-read (a carried state without anchor)."""
        if (getattr(self, "es_model_", None) is not None and getattr(self, "es_anchor_", None) is None
                and rev.target) or (getattr(self, "stateful", False) and getattr(self, "anchors_", None) is None
                                    and rev.any_input):
            raise _no_anchor(f"series {self.ids_[k]!r}")

    def _advance_state(self, k, series, rev):
        """Carried states (stateful; window_norm='ets'): read series k's rows
        after its cutoff (checked by :meth:`_check_update`), and the stored rows
        again from their anchor where the revision ``rev`` changes them."""
        new = series.index > self.cutoffs_[k]
        where, sc = f"series {self.ids_[k]!r}", self.scaling_
        if getattr(self, "es_model_", None) is not None:
            z, hw = (lambda v: (v - sc.t_loc[k]) / sc.t_scale[k]), self.es_model_
            anchors = getattr(self, "es_anchor_", None)  # None: a model file without them
            self.es_state_[k], anchor = reread(lambda st, v: esnorm.advance(hw, st, v), self.es_state_[k],
                                               None if anchors is None else anchors[k], z(rev.y), z(series.y[new]),
                                               rev.target, where)
            if anchor is not None:
                anchors[k] = anchor
        if not getattr(self, "stateful", False):
            return
        kept = self._step_rows(k, rev.y, rev.past, rev.index)
        rows = self._step_rows(k, series.y[new], series.past[new], series.index[new])
        anchors = getattr(self, "anchors_", None)
        for j, m in enumerate(self.models_):
            self.states_[j][k], anchor = reread(net_advance(m), self.states_[j][k],
                                                None if anchors is None else anchors[j][k], kept, rows,
                                                rev.any_input, where)
            if anchor is not None:
                anchors[j][k] = anchor
