"""Per-series inputs and outputs of a fitted forecaster's panel.

:class:`PanelIOMixin` finds the series to forecast, builds each one's last
window (target, past covariates, known-future features over its history and
its future, from its own cutoff) and writes forecasts back in the form the
training data came in: wide, long (``id_col``, time and target columns) or a
dict of frames by id.
"""

import copy

import numpy as np
import pandas as pd

from . import blend, fallback, frames
from .calendar_features import calendar
from .errors import DataError, ParameterError
from .errors import rows as row_count
from .errors import can_name, name as pname
from .outliers import repair_each
from .panel import Series, as_long, to_panel
from .windows import Scaling, check_positive, check_scaled


def _named(column, suffix):
    """A forecast column: the series' own name for the point forecast (an
    integer column name stays an integer), ``name + suffix`` for a band's."""
    return column if suffix == "" else f"{column}{suffix}"


class PanelIOMixin:
    """Series selection, last windows and output forms (see the module doc)."""

    def _positions(self, ids):
        """Positions of the series ``ids`` (None: all) among the fitted series."""
        if ids is None:
            return list(range(len(self.ids_)))
        where = {sid: k for k, sid in enumerate(self.ids_)}
        unknown = [sid for sid in ids if sid not in where]
        if unknown:
            raise DataError(f"unknown series {unknown[:5]}: the model was fit on {len(self.ids_)} series"
                            + self._new_series_hint())
        return [where[sid] for sid in ids]

    def _new_series_hint(self):
        """Where this model can forecast series it was not fit on (on_series), how."""
        new = (not getattr(self, "stateful", False) and not self.id_embedding
               and not getattr(self, "static_columns_", []) and can_name("on_series"))
        return f"; to forecast series it was not fit on, from their own history, use {pname('on_series')}" if new \
            else ""

    def _repair_outliers(self, ys, ids, indexes, record=True):
        """``ys`` (the series ``ids``, on ``indexes``) with their isolated outliers replaced
        (``outliers='repair'``: :mod:`tsgate.outliers`), each warned of and, with ``record``
        (the fit), listed in ``fit_report_['outliers']``."""
        if self.outliers == "keep":
            return ys
        ys, found = repair_each(ys, self.seasonal_period_, [str(i) for i in ids], indexes, frames.when)
        if found and record:
            self.fit_report_["outliers"] = {sid: [frames.when(t) for t, _ in pts] for sid, pts in found.items()}
        return ys

    def _repair_in_place(self, series):
        """Panel series read after the fit (:meth:`update`, :meth:`on_series`), repaired in place."""
        ys = self._repair_outliers([s.y for s in series], [s.id for s in series], [s.index for s in series], False)
        for s, y in zip(series, ys):
            s.y = y

    def _context_rows(self, ks):
        """(len(ks), C) per-series context: [series number when ``id_embedding``, static features]."""
        ks = np.asarray(ks, dtype=np.int64)
        static = getattr(self, "static_", np.zeros((len(self.ids_), 0)))[ks]
        if not self.id_embedding:
            return static
        rows = getattr(self, "embedding_rows_", None)  # the embedding row of each series (on_series reorders)
        number = ks if rows is None else np.asarray(rows)[ks]
        return np.concatenate([number[:, None].astype(np.float64), static], axis=1)

    def _column(self, k):
        """The output column name of series k (wide: its own column; else the target's)."""
        return self.ids_[k] if self.form_ == "wide" else self.targets_[0]

    def _output(self, ks, idxs, columns):
        """Forecasts back in the form the data came in. ``columns``: suffix ->
        (len(ks), h) array ('' is the point forecast)."""
        kind = getattr(self, "index_kind_", "datetime")
        if kind.startswith("period"):
            idxs = [frames.as_periods(i, kind) if isinstance(i, pd.DatetimeIndex) else i for i in idxs]
        if self.form_ == "long":  # built column by column: one frame, not one per series
            h = len(idxs[0]) if idxs else 0
            out = {self.id_col_: pd.Index([self.ids_[k] for k in ks]).repeat(h),
                   self.time_name_ or "ds": idxs[0].append(list(idxs[1:])) if len(idxs) > 1 else idxs[0]}
            out.update({_named(self.targets_[0], suf): np.asarray(arr).ravel() for suf, arr in columns.items()})
            out = pd.DataFrame({k: np.asarray(v) for k, v in out.items()})
            levels = self.multiindex_  # fit on sktime's (series, time) MultiIndex: the same levels
            return out if levels is None else out.set_index(list(out.columns[:2])).rename_axis(levels)
        per = [pd.DataFrame({_named(self._column(k), suf): arr[j] for suf, arr in columns.items()}, index=idxs[j])
               for j, k in enumerate(ks)]
        if self.form_ == "wide":
            if any(not i.equals(idxs[0]) for i in idxs):
                raise DataError("the series end at different times: their forecasts cannot share one index; "
                                f"pass a long frame ({pname('id_col')}=...) or a dict")
            order = [_named(self._column(k), suf) for k in ks for suf in columns]
            per = [pd.concat(per, axis=1)[order] if len(per) > 1 else per[0]]
        if getattr(self, "index_kind_", "datetime") == "column":  # times back in the user's time column
            per = [df.reset_index() for df in per]
        return per[0] if self.form_ == "wide" else {self.ids_[k]: df for k, df in zip(ks, per)}  # dict

    def _future_rows(self, X, horizon, ks):
        """Per series: its future index and its scaled known-future features (horizon, K)."""
        if X is not None and not self.future_covariates_:  # not new history: that is update's
            raise ParameterError(f"{pname('X')} gives known-future covariates, but the model was fit without "
                                 f"{pname('future_covariates')}; to forecast after newer data, call update with it "
                                 "first")
        idxs = [frames.future_index(self.cutoffs_[k], self.freq_, horizon).rename(self.time_name_) for k in ks]
        frames_by_id = self._covariate_frames(X, idxs) if self.future_covariates_ else {}
        known = []
        for j, k in enumerate(ks):
            fv = np.zeros((horizon, 0))
            if self.future_covariates_:
                xdf = frames_by_id[self.ids_[k]]
                missing = idxs[j].difference(xdf.index)
                if len(missing):
                    raise DataError(f"{pname('X')} has no row for future timestamp {frames.when(missing[0])} of "
                                    f"series {self.ids_[k]!r} ({len(missing)} of the {horizon} horizon rows missing)")
                fv = frames.numeric_block(xdf.loc[idxs[j]], self.future_covariates_, "X", None)
                self._check_future(fv, idxs[j])
            known.append(self._scaled_known(fv, idxs[j]))
        return idxs, known

    def _check_future(self, future, index):
        """A DataError naming the column and time of a known-future covariate value in ``future``
        (n, K) on ``index`` that lies too far from its fitted spread for float32 (as fit checks it)."""
        off = len(self.past_covariates_)
        check_scaled(future, self.scaling_.c_loc[off:], self.scaling_.c_scale[off:], self.future_covariates_, index)

    def _scaled_known(self, future, index):
        """Known-future features (n, K) of n rows: [scaled future covariates, calendar
        of ``index``] (``index`` is read only with calendar features)."""
        off, parts = len(self.past_covariates_), []
        if self.future_covariates_:
            parts.append((future - self.scaling_.c_loc[off:]) / self.scaling_.c_scale[off:])
        if self.calendar_features:
            parts.append(calendar(index, self.freq_))
        return np.concatenate(parts, axis=1) if parts else np.zeros((len(future), 0))

    def _covariate_frames(self, X, idxs):
        """id -> frame of the future covariates given in ``X`` (any form)."""
        if X is None:
            raise DataError(f"predict needs {pname('X')} with the future covariates {self.future_covariates_} "
                            f"for the {len(idxs[0])} timestamps from {frames.when(idxs[0][0])}")
        if self.form_ == "wide":
            xdf, _ = frames.as_frame(X, self.time_col, name="X", known_freq=self.freq_)
            missing = [c for c in self.future_covariates_ if c not in xdf.columns]
            if missing:
                raise DataError(f"{pname('X')} lacks the future covariate column(s) {missing}")
            return {sid: xdf for sid in self.ids_}
        if self.form_ == "dict":
            return {sid: frames.as_frame(df, self.time_col, name=f"series {sid!r}", known_freq=self.freq_)[0]
                    for sid, df in X.items()}
        out, X = {}, as_long(X)
        for sid, group in X.groupby(self.id_col_, sort=False):
            part = group.drop(columns=[self.id_col_])
            tcol = self.time_name_ if self.time_name_ in part.columns else None
            out[sid] = frames.as_frame(part, tcol, name=f"series {sid!r}", known_freq=self.freq_)[0]
        return out

    def _history_known(self, k):
        """Scaled known-future features over series k's last ``lookback_`` rows."""
        index = frames.history_index(self.cutoffs_[k], self.freq_, self.lookback_) if self.calendar_features else None
        return self._scaled_known(self.last_future_[k], index)

    def _check_range(self, k, series):
        """A DataError naming the column and time of a value of ``series`` (rows of series k:
        update's newer ones, before it moves anything; the stored ones at a forecast) too
        far from the fit's spread for float32."""
        sc, P = self.scaling_, len(self.past_covariates_)
        check_scaled(series.y[:, None], sc.t_loc[[k]], sc.t_scale[[k]], [self.ids_[k]], series.index)
        check_scaled(series.past, sc.c_loc[:P], sc.c_scale[:P], self.past_covariates_, series.index)
        self._check_future(series.future, series.index)

    def _tails(self, ks):
        """Per series: the scaled last window's target (L,) and past covariates (L, P)."""
        sc, P = self.scaling_, len(self.past_covariates_)
        z, past = [], []
        for k in ks:
            history = frames.history_index(self.cutoffs_[k], self.freq_, self.lookback_)
            history = np.arange(self.lookback_) if history is None else history
            self._check_range(k, Series(self.ids_[k], history, self.last_targets_[:, k], self.last_past_[k],
                                        self.last_future_[k]))  # the stored rows (older model files: unchecked)
            if getattr(self, "window_norm_", None) == "seasonal_ratio":  # the last season is divided by
                q = self.norm_period_
                check_positive(self.last_targets_[-q:, k], self.ids_[k], history[-q:])
            z.append((self.last_targets_[:, k] - sc.t_loc[k]) / sc.t_scale[k])
            past.append((self.last_past_[k] - sc.c_loc[:P]) / sc.c_scale[:P])
        return z, past

    def _panel_like(self, X, any_series=False):
        """``X`` read in the form of the training data (for update, score,
        on_series and historical forecasts), on the fit's time step (series of
        one or two rows are read on it: too few rows to infer one). ``any_series``: a wide frame's
        series are its numeric columns other than the model's covariates
        (on_series), else the model's series."""
        X = self._fitted_levels(X)
        if isinstance(X, pd.Series) and self.form_ == "wide":
            if any_series and X.name is not None:
                X = X.to_frame()  # on_series: a named Series is its own series
            elif len(self.ids_) == 1:
                X = X.rename(self.ids_[0]).to_frame()  # a frame: the covariates it lacks are named below
        target = self.ids_ if self.form_ == "wide" else self.targets_[0]
        if any_series and self.form_ == "wide" and isinstance(X, pd.DataFrame):
            others = {*self.past_covariates_, *self.future_covariates_, self.time_col}
            target = [c for c in X.columns if c not in others and pd.api.types.is_numeric_dtype(X[c])
                      and not pd.api.types.is_bool_dtype(X[c])]
            if not target:
                raise DataError(f"{pname('X')} has no series to forecast: no numeric column but the model's "
                                f"covariates; columns: {list(X.columns)}")
        elif isinstance(X, pd.DataFrame) and self.form_ in ("wide", "long"):
            needs = target if self.form_ == "wide" else [target]
            if self.form_ == "long" and self.id_col_ not in X.index.names:  # not a (series, time) MultiIndex's
                needs = [*needs, self.id_col_]
            missing = [t for t in needs if t not in X.columns]
            if missing and self.form_ == "long":  # its target or ids, not one of its series
                raise DataError(f"{pname('X')} has no column {missing[0]!r}: the model was fit on a long frame of "
                                f"{self.id_col_!r}, time and {target!r}; columns: {list(X.columns)}")
            if missing:  # not "target ... is not a column": the user did not name it here
                raise DataError(f"{pname('X')} has no column {missing[0]!r}, a series the model was fit on; "
                                f"columns: {list(X.columns)}" + ("" if any_series else self._new_series_hint()))
        if isinstance(X, pd.DataFrame) and self.form_ in ("wide", "long"):
            X = self._read_columns(X, target)
        elif isinstance(X, dict):
            X = {sid: self._read_columns(df, target) if isinstance(df, pd.DataFrame) else df for sid, df in X.items()}
        future = self.future_covariates_ or None
        panel = to_panel(X, id_col=self.id_col_, time_col=self.time_col, target=target,
                         future_covariates=future, strategy="direct", fill=self.fill, known_freq=self.freq_)
        if str(panel.freq) != str(self.freq_):  # a monthly model would read quarters as months
            raise DataError(f"{pname('X')} has frequency {panel.freq}, the model was fit on {self.freq_}")
        return panel

    def _read_columns(self, X, target):
        """``X`` without the numeric columns the model does not read (newer data may hold more: they
        became past covariates it has no weights for), its covariates in the fit's order; a
        DataError naming a covariate it lacks."""
        for c in [*self.past_covariates_, *self.future_covariates_]:
            if c not in X.columns:
                kind = "past" if c in self.past_covariates_ else "future"
                raise DataError(f"{pname('X')} has no column {c!r}, a {kind} covariate the model reads; columns: "
                                f"{list(X.columns)}")
        reads = [*(target if isinstance(target, list) else [target]), *self.past_covariates_, *self.future_covariates_]
        keep = {self.id_col_, self.time_col, self.time_name_}  # read as fit read them, as are text and times
        other = [c for c in X.columns if c in keep or not pd.api.types.is_numeric_dtype(X[c])]
        return X[[c for c in other if c not in reads] + [c for c in reads if c in X.columns]]

    def _with_history(self, k, series):
        """``series`` (newer rows of series k) merged into the stored rows, where it
        is shorter than the lookback and starts within them or right after them
        (sktime's ``update`` with the new rows alone; rows it shares with them take
        its values, revised data). Else ``series`` unchanged."""
        L = self.lookback_
        stored = frames.history_index(self.cutoffs_[k], self.freq_, L, integers=True)
        following = frames.future_index(self.cutoffs_[k], self.freq_, 1)[0]
        first = series.index[0]
        if len(series.y) >= L or not (first == following or first in stored):
            return series
        index, before, after = frames.splice(stored, series.index)

        def merged(kept, new):
            return np.concatenate([kept[before], new, kept[after]])

        return Series(series.id, index, merged(self.last_targets_[:, k], series.y),
                      merged(self.last_past_[k], series.past), merged(self.last_future_[k], series.future))

    def _check_update(self, k, series):
        """DataError unless ``series`` can move series k's origin: a lookback of
        rows, and for carried states (stateful, window_norm='ets') no gap after the cutoff
        and no end before it."""
        expected = frames.future_index(self.cutoffs_[k], self.freq_, 1)[0]  # the row after the data
        if len(series.y) < self.lookback_:
            raise DataError(f"{pname('X')} holds {row_count(len(series.y))} of series {series.id!r} from "
                            f"{frames.when(series.index[0])}: give the rows that follow its data (from "
                            f"{frames.when(expected)}), or at least {self.lookback_} rows (the lookback)")
        new = series.index > self.cutoffs_[k]
        if self._carries_state() and series.index[-1] < self.cutoffs_[k]:  # it has read the rows after them
            raise DataError(f"{pname('X')} ends at {frames.when(series.index[-1])}, before the last row of series "
                            f"{series.id!r} that the model's carried state has read ({frames.when(self.cutoffs_[k])})"
                            f": its origin cannot move back; give rows up to {frames.when(self.cutoffs_[k])} or "
                            "after, or refit")
        if not (new.any() and self._carries_state()):
            return
        if series.index[new][0] != expected:
            raise DataError(f"{pname('X')} must continue the data the state has read: the next row of series "
                            f"{series.id!r} is {frames.when(expected)}, got {frames.when(series.index[new][0])}")

    def _fitted_levels(self, X):
        """A (series, time) MultiIndex panel with its levels named as the fit's series and time:
        the levels are positional (sktime's convention), so their names need not match the fit's."""
        if self.form_ == "long" and isinstance(getattr(X, "index", None), pd.MultiIndex) and X.index.nlevels == 2:
            return X.rename_axis([self.id_col_, self.time_col if self.time_col is not None else X.index.names[1]])
        return X

    def on_series(self, X):
        """This fitted global model, set to forecast the series in ``X``.

        ``X`` (the training form) holds each series' recent history, at
        least ``lookback_`` rows (a new series with fewer is forecast by its
        own baseline, as fit forecasts its short series). Series the model was fit on keep their
        scaling; new series are scaled by their own history (a global model
        forecasts series it never saw, as in neuralforecast's
        ``predict(df=...)``). The weights are shared with this model, nothing
        is refit: ``predict`` then forecasts from the end of each series in
        ``X``. :func:`tsgate.dask.predict` runs this per partition.

        Returns
        -------
        A shallow copy of this forecaster with the series of ``X``.
        """
        panel = self._panel_like(X, any_series=True)
        where = {sid: k for k, sid in enumerate(self.ids_)}
        new = [s.id for s in panel.series if s.id not in where]
        if new and (self.id_embedding or getattr(self, "static_columns_", [])):
            raise DataError(f"series {new[:5]} were not in the training data: a model with an id embedding or "
                            "static covariates forecasts only the series it was fit on")
        if getattr(self, "stateful", False):
            raise DataError(f"a stateful model forecasts its own series only (use {pname('update')})")
        L, local = self.lookback_, getattr(self, "fallback_", {})  # a local baseline reads fewer rows
        short = [s.id for s in panel.series if len(s.y) < (fallback.rows_read(local[s.id]) if s.id in local else L)]
        if set(short) & set(where):  # a series it was fit on: its stored rows and update give them
            short = [sid for sid in short if sid in where]
            by_network, own = [i for i in short if i not in local], [i for i in short if i in local]
            needs = [f"at least {L} rows (the lookback) of series {by_network[:5]}"] if by_network else []
            needs += [f"at least {fallback.rows_read(local[sid])} rows of series {sid!r} (what its own baseline "
                      "reads)" for sid in own[:5]]
            raise DataError(f"{pname('X')} needs " + "; and ".join(needs))
        self._repair_in_place(panel.series)
        sc = self.scaling_
        fresh = Scaling.fit(self.scaler, [s.y for s in panel.series if s.id not in where], [np.zeros((1, 0))])
        fresh_at = {sid: j for j, sid in enumerate(new)}
        source = [(sc, where[s.id]) if s.id in where else (fresh, fresh_at[s.id]) for s in panel.series]
        out = copy.copy(self)
        out.scaling_ = Scaling(np.array([a.t_loc[j] for a, j in source]), np.array([a.t_scale[j] for a, j in source]),
                               sc.c_loc, sc.c_scale)
        out.ids_ = [s.id for s in panel.series]
        if self.form_ == "wide":
            out.targets_ = list(out.ids_)
        keep = [where.get(s.id, 0) for s in panel.series]
        out.static_ = getattr(self, "static_", np.zeros((len(self.ids_), 0)))[keep]
        rows = getattr(self, "embedding_rows_", None)
        out.embedding_rows_ = np.asarray(keep) if rows is None else np.asarray(rows)[keep]
        out._remember_tail([s.y for s in panel.series], [s.past for s in panel.series],
                           [s.future for s in panel.series], getattr(self, "es_model_", None))
        out.cutoffs_ = [s.index[-1] for s in panel.series]
        out.cutoff_ = out.cutoffs_[0]
        out.blend_ = blend.on_series(self, panel.series)
        if short:  # new series with fewer rows than the lookback: their own baselines, as fit's short series
            out._short_new(panel.series, short, self)
        return out
