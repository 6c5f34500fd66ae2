"""Local models: one forecaster per series, fit and backtested in parallel through joblib.

A global forecaster (one network for all series, :mod:`tsgate.forecaster`)
is the default for panels. :class:`LocalForecaster` is the other classic
choice, as statsforecast's and skforecast's per-series models: a clone of
``estimator`` for every series, trained on that series alone. The series run
in parallel in joblib workers (loky processes by default, or whatever
``joblib.parallel_backend`` is active: ``'dask'`` spreads them over a Dask
cluster). Each clone keeps ``random_state``, and the kernels' chunking does not
depend on the thread count (:func:`tsgate.core.n_chunks`), so the results are
bit-identical serially, with ``n_jobs=2`` and on a cluster. ``update`` moves
each series' origin with its newer rows (as few as one), and ``save`` writes
every series' model into one model file that :func:`tsgate.load` reads.
"""

import copy
import numbers
import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_is_fitted

from .ensemble import parallel_map
from .errors import DataError, NoOriginError, ParameterError, TsgateError
from .errors import name as pname
from .panel import id_list, to_panel
from .params import FORECASTER, HasMethods, validate_params


def _call(est, method, data, kwargs):
    """``est.method(data, **kwargs)`` (``data`` None: ``est.method(**kwargs)``) and the warnings it
    raised, (category, message), carried back from a joblib worker."""
    return _recorded(getattr(est, method), *(() if data is None else (data,)), **kwargs)


def _or_error(est, method, data, kwargs):
    """:func:`_call`, with a user's error (a :class:`~tsgate.errors.TsgateError`) given back as the
    result, for the caller to name the series it came from (:func:`_raise_named`), or, for a
    series without an origin (NoOriginError), to pool the series that have origins."""
    try:
        return _call(est, method, data, kwargs)
    except TsgateError as e:
        return e, []


def _raise_named(failed):
    """Raise the first of ``failed``, (series id, TsgateError) pairs, naming its series (a model knows
    its data, not the series' id: "the series is too short" named none), and how many more failed; a
    bad parameter as it is."""
    if failed:
        sid, exc = failed[0]
        if isinstance(exc, ParameterError):  # the same parameters for every series: not one series' problem
            raise exc
        more = f" (and {len(failed) - 1} more series)" if len(failed) > 1 else ""
        text = str(exc)  # "X holds ...", "the series is too short": its model's words for the series
        lead = next((w for w in ("X ", "the series ") if text.startswith(w)), None)
        said = f"series {sid!r} {text[len(lead):]}" if lead else f"series {sid!r}: {text}"
        raise type(exc)(said + more) from exc


def _recorded(fn, *args, **kwargs):
    """``(fn(*args, **kwargs), [(category, message), ...])``: its result and the warnings it raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn(*args, **kwargs)
    return out, [(w.category, str(w.message)) for w in caught]


def _named(caught):
    """Warn again what the series' models warned (``caught``: id -> [(category, message)]), naming the
    series: a baseline knows its target column, not its id, and a joblib worker's warnings are lost
    otherwise. One warning per text, naming every series that raised it (the first three)."""
    said = {}
    for sid, found in caught.items():
        for category, message in found:
            said.setdefault((category, message), []).append(sid)
    for (category, message), sids in said.items():
        more = f" and {len(sids) - 3} more" if len(sids) > 3 else ""
        which = f"series {', '.join(repr(s) for s in sids[:3])}{more}"
        warnings.warn(f"{which}: {message}", category, stacklevel=3)


class LocalForecaster(BaseEstimator):
    """One clone of ``estimator`` per series of a panel.

    Parameters
    ----------
    estimator : forecaster
        Any tsgate forecaster (LSTMForecaster, BaselineForecaster...).
    n_jobs : int or None
        Series fit in parallel (joblib; -1: all cores; None: 1 unless a
        ``joblib.parallel_backend`` context says otherwise).
    id_col : str, int or None
        The series id column of a long frame (default: the estimator's ``id_col``, else
        ``unique_id``); what lets a single-series estimator such as BaselineForecaster, which
        has no ``id_col``, read a long frame with another id column. A network estimator without
        an ``id_col`` of its own gets this one.

    Attributes
    ----------
    estimators_ : dict
        Series id -> its fitted forecaster.
    form_ : 'long', 'dict', 'wide' or 'multiindex'
    """

    _parameter_constraints = {
        "estimator": [HasMethods("fit", "predict"), None],  # None: an error at fit that says what is needed
        "n_jobs": FORECASTER["n_jobs"],  # >= 1 or -1 (every core); 0 was joblib's "n_jobs == 0 has no meaning"
        "id_col": [str, numbers.Integral, None],
    }

    def __init__(self, estimator=None, n_jobs=None, id_col=None):
        self.estimator = estimator
        self.n_jobs = n_jobs
        self.id_col = id_col

    def _id_col(self):
        """The long frame's id column named here or by the estimator (None: ``unique_id`` if present)."""
        return self.id_col if self.id_col is not None else getattr(self.estimator, "id_col", None)

    def _single(self):
        """Whether ``estimator`` reads one series only (BaselineForecaster: no ``id_col``); its
        part of a panel then comes without the series id, which the outputs get back."""
        return "id_col" not in self.estimator.get_params()

    def _check_estimator(self):
        """ParameterError unless ``estimator`` is a tsgate forecaster: one model of one series'
        history, not a regressor, nor a LocalForecaster."""
        est = self.estimator
        if not hasattr(est, "historical_forecasts") or "horizon" not in getattr(est, "get_params", dict)():
            raise ParameterError(f"{pname('estimator')} must be a tsgate forecaster (LSTMForecaster, GRUForecaster, "
                                 f"RNNForecaster or BaselineForecaster), got {type(est).__name__}")

    def _split(self, X, known_freq=None):
        """``(form, id name, parts)``: the form of ``X`` ('dict', 'multiindex', 'long'
        or 'wide'), the name of its series ids (None: no id column or level) and the
        data of each series in that form, id -> data (``known_freq``: the fitted
        time step, for newer wide data of one or two rows)."""
        self._check_estimator()
        id_col, single = self._id_col(), self._single()
        if isinstance(X, dict):
            return "dict", None, {sid: df if single else {sid: df} for sid, df in X.items()}
        if isinstance(X, (pd.DataFrame, pd.Series)) and isinstance(X.index, pd.MultiIndex):  # sktime's panel
            return "multiindex", X.index.names[0], {sid: part.droplevel(0) if single else part
                                                    for sid, part in X.groupby(level=0, sort=False)}
        if isinstance(X, pd.DataFrame) and (id_col is not None or "unique_id" in X.columns):
            col = id_col if id_col is not None else "unique_id"
            if col not in X.columns:
                raise DataError(f"{pname('id_col')} {col!r} is not a column of {pname('X')}")
            return "long", col, {sid: g.drop(columns=[col]) if single else g for sid, g in X.groupby(col, sort=False)}
        if isinstance(X, pd.Series):  # one series: a wide frame of one column, as the forecasters read it
            X = X.to_frame(X.name if X.name is not None else "y")
        target = getattr(self.estimator, "target", None)
        if single and target is None and isinstance(X, pd.DataFrame):  # a baseline per numeric column
            time_col = getattr(self.estimator, "time_col", None)
            target = [c for c in X.columns if c != time_col and pd.api.types.is_numeric_dtype(X[c])
                      and not pd.api.types.is_bool_dtype(X[c])] or None
        panel = to_panel(X, time_col=getattr(self.estimator, "time_col", None), target=target, known_freq=known_freq)
        shared = [c for c in X.columns if c not in panel.ids] if isinstance(X, pd.DataFrame) else []
        return "wide", None, {sid: X[[sid] + shared] for sid in panel.ids}

    def fit(self, X, y=None):
        """Fit one clone of ``estimator`` per series of ``X`` (long, dict or wide; ``y``: None, the
        panel's targets are columns of ``X``)."""
        validate_params(self)
        if y is not None:  # it was dropped unread: X's columns were forecast instead
            raise ParameterError(f"{pname('y')}: a LocalForecaster reads each series' target from {pname('X')} "
                                 f"(a column of the panel); pass y=None")
        self.form_, id_name, parts = self._split(X)
        if id_name is not None:
            self.id_name_ = id_name
        extra = {}
        if self.form_ == "long" and not self._single() and self.estimator.id_col is None:
            extra = {"id_col": self.id_name_}  # the network reads its part as a long frame
        jobs = [(clone(self.estimator).set_params(**({"target": sid} if self.form_ == "wide" else extra)), "fit", data,
                 {}) for sid, data in parts.items()]
        fitted = parallel_map(_or_error, jobs, self.n_jobs)
        _raise_named([(sid, out) for sid, (out, _) in zip(parts, fitted) if isinstance(out, TsgateError)])
        _named({sid: caught for sid, (_, caught) in zip(parts, fitted)})
        self.estimators_ = {sid: est for sid, (est, _) in zip(parts, fitted)}
        return self

    def predict(self, horizon=None, X=None, ids=None):
        """Each series' forecast, in the form the data came in (``ids``: a subset)."""
        return self._per_series("predict", id_list(ids), horizon=horizon, X=X)

    def _per_series(self, call, ids, **kwargs):
        """Method ``call`` of each series' model (``ids``: a subset), in the form the data came in."""
        check_is_fitted(self, "estimators_")
        chosen = list(self.estimators_) if ids is None else list(ids)
        unknown = [sid for sid in chosen if sid not in self.estimators_]
        if unknown:
            raise DataError(f"unknown series {unknown[:5]}: fit on {len(self.estimators_)} series")
        outs, caught = {}, {}
        for sid in chosen:
            outs[sid], caught[sid] = _or_error(self.estimators_[sid], call, None, kwargs)
        _raise_named([(sid, out) for sid, out in outs.items() if isinstance(out, TsgateError)])
        _named(caught)
        if self._single() and self.form_ in ("long", "multiindex"):
            outs = {sid: self._with_id(sid, out) for sid, out in outs.items()}
        if self.form_ == "dict":
            return {sid: out if self._single() else out[sid] for sid, out in outs.items()}
        if self.form_ == "long":
            return pd.concat(outs.values(), ignore_index=True)
        if self.form_ == "multiindex":  # each on its (series, time) MultiIndex
            return pd.concat(outs.values())
        return pd.concat(outs.values(), axis=1)

    def _with_id(self, sid, out):
        """A single-series estimator's output with its series id back, as a network's output
        has it: the first column (long) or the first level (MultiIndex)."""
        if self.form_ == "multiindex":
            return pd.concat({sid: out}, names=[self.id_name_])
        out = out.reset_index() if out.index.name is not None else out.reset_index(drop=True)
        out.insert(0, self.id_name_, sid)
        return out

    def predict_interval(self, coverage=0.9, horizon=None, X=None, ids=None, method="auto"):
        """Each series' :meth:`predict_interval` (its own model's band, by ``method`` as the forecasters
        take it), in the form the data came in."""
        return self._per_series("predict_interval", id_list(ids), coverage=coverage, horizon=horizon, X=X,
                                method=method)

    def backtest(self, X, **kwargs):
        """Every series' :meth:`backtest` (same arguments), run in parallel; one table."""
        return self._tables("backtest", X, kwargs)

    def historical_forecasts(self, X, **kwargs):
        """Every series' :meth:`historical_forecasts` (same arguments: ``start``,
        ``retrain``, ``coverage``...), each by its own model, run in parallel; one table."""
        return self._tables("historical_forecasts", X, kwargs)

    def update(self, X):
        """Move each series' forecast origin to the end of its newer data in ``X``
        (the fit's form), without refitting: its own model's ``update``, so the rows
        that follow its data suffice. Series missing from ``X`` keep their origin;
        a bad series changes none.

        Returns
        -------
        self
        """
        check_is_fitted(self, "estimators_")
        parts = self._newer(X, "update")
        moved, caught = {}, {}
        for sid, part in parts.items():
            moved[sid], caught[sid] = _or_error(copy.deepcopy(self.estimators_[sid]), "update", part, {})
        _raise_named([(sid, out) for sid, out in moved.items() if isinstance(out, TsgateError)])
        _named(caught)  # once all series are checked (each update raises before it moves)
        self.estimators_.update(moved)
        return self

    def score(self, X, y=None):
        """The mean over the series in ``X`` of each one's model's ``score``: its
        negative MAE over the first ``min(rows, horizon)`` steps of ``X``, the
        data right after its training data (greater is better, as scikit-learn's
        ``GridSearchCV`` expects)."""
        check_is_fitted(self, "estimators_")
        parts = self._newer(X if y is None else y, "score")
        done = {sid: _or_error(self.estimators_[sid], "score", part, {}) for sid, part in parts.items()}
        _raise_named([(sid, out) for sid, (out, _) in done.items() if isinstance(out, TsgateError)])
        _named({sid: caught for sid, (_, caught) in done.items()})  # its models' warnings, as predict's
        return float(np.mean([out for out, _ in done.values()]))

    def _newer(self, X, method):
        """Newer data of fitted series for their models' ``method``, split per series
        (id -> data), in the fit's form."""
        self._check_method(method)
        form, _, parts = self._split(X, known_freq=next(iter(self.estimators_.values())).freq_)
        if form != self.form_:
            raise DataError(f"{pname('X')} is a {form} panel; the model was fit on a {self.form_} one")
        if not parts:  # as a single model's update says (this one moved nothing, unsaid)
            raise DataError(f"{pname('X')} has no rows")
        unknown = [sid for sid in parts if sid not in self.estimators_]
        if unknown:
            raise DataError(f"unknown series {unknown[:5]}: fit on {len(self.estimators_)} series")
        return parts

    # model files: every series' model in one bundle (tsgate.load reads it)

    def _fitted_state(self):
        """(metadata, arrays): the template estimator, the panel's form and each
        series' model (its arrays under ``m{k}__``)."""
        from .persist import _plain, plain_params

        check_is_fitted(self, "estimators_")
        members, arrays = [], {}
        for k, (sid, est) in enumerate(self.estimators_.items()):
            meta, own = est._fitted_state()
            members.append({"id": _plain(sid), "meta": meta})
            arrays.update({f"m{k}__{name}": a for name, a in own.items()})
        meta = {"class": type(self).__name__, "params": {"n_jobs": self.n_jobs, "id_col": self.id_col},
                "estimator": {"class": type(self.estimator).__name__, "params": plain_params(self.estimator)},
                "form": self.form_, "id_name": getattr(self, "id_name_", None), "members": members}
        return meta, arrays

    @classmethod
    def _from_fitted_state(cls, meta, arrays, device="cpu", classes=()):
        """Rebuild from :meth:`_fitted_state`'s output; ``classes``: those its models may be."""
        classes = {c.__name__: c for c in classes}
        template = classes[meta["estimator"]["class"]]
        params = meta["estimator"]["params"]
        est = cls(template(**dict(params, device=device) if "device" in params else params), **meta["params"])
        est.form_, est.estimators_ = meta["form"], {}
        if meta.get("id_name") is not None:
            est.id_name_ = meta["id_name"]
        for k, member in enumerate(meta["members"]):
            own = {name[len(f"m{k}__"):]: a for name, a in arrays.items() if name.startswith(f"m{k}__")}
            est.estimators_[member["id"]] = classes[member["meta"]["class"]]._from_fitted_state(
                member["meta"], own, device)
        return est

    def save(self, path):
        """Save every series' fitted model to ``path`` (one pickle-free npz + JSON
        file, written atomically, as the forecasters' ``save``), or into a
        writable binary file object. :func:`tsgate.load` reads it."""
        from . import persist

        return persist.write(self, path)

    def _check_method(self, method):
        """ParameterError unless the estimator has ``method``."""
        if not hasattr(self.estimator, method):
            raise ParameterError(f"{type(self.estimator).__name__} has no {method}")

    def _tables(self, method, X, kwargs):
        return pd.concat(self._series_tables(method, X, kwargs)[1], ignore_index=True)

    def _series_tables(self, name, X, kwargs, pooled=False):
        """(ids, tables): the table of each fitted series of ``X`` from its model's method ``name``, run in
        parallel, each naming its series as a network's does (``pooled``: a series without an origin gives
        its NoOriginError as its table)."""
        check_is_fitted(self, "estimators_")
        self._check_method(name)
        form, id_name, parts = self._split(X)
        sids = [sid for sid in parts if sid in self.estimators_]
        done = parallel_map(_or_error, [(self.estimators_[sid], name, parts[sid], kwargs) for sid in sids],
                            self.n_jobs)
        _raise_named([(sid, t) for sid, (t, _) in zip(sids, done)
                      if isinstance(t, TsgateError) and not (pooled and isinstance(t, NoOriginError))])
        _named({sid: caught for sid, (_, caught) in zip(sids, done)})
        tables = [table for table, _ in done]
        if self._single():  # a baseline's table names its target column: the series id instead
            idc = "unique_id" if form in ("wide", "dict") else id_name
            levels = [n if n is not None else f"level_{k}" for k, n in enumerate(X.index.names)] \
                if form == "multiindex" else None  # unnamed levels named as in the networks' tables
            tables = [t if isinstance(t, Exception) else
                      t.rename(columns={t.columns[0]: levels[0], t.columns[2]: levels[1]} if levels else
                               {t.columns[0]: idc}).assign(**{levels[0] if levels else idc: sid})
                      for sid, t in zip(sids, tables)]
        return sids, tables

    def _historical(self, X, start, stride, retrain, horizon, static_covariates=None, coverage=None,
                    warm_start=False):
        """Every series' ``_historical`` table in one, its MASE scale under its id in ``attrs['mase_scale']``:
        what :func:`tsgate.backtest` pools over the series, as it pools a global network's."""
        kwargs = dict(start=start, stride=stride, retrain=retrain, horizon=horizon, static_covariates=None,
                      coverage=coverage, **({} if self._single() else {"warm_start": warm_start}))
        sids, tables = self._series_tables("_historical", X, kwargs, pooled=True)
        found = [(sid, t) for sid, t in zip(sids, tables) if not isinstance(t, NoOriginError)]
        if not found:  # no series has an origin: the first one's error says why
            raise next((t for t in tables if isinstance(t, NoOriginError)), None) or \
                DataError(f"no series of {pname('X')} was fit")
        scales = {}
        for sid, t in found:
            own = t.attrs.get("mase_scale", {})
            scales.update({sid: next(iter(own.values()))} if self._single() else own)
        out = pd.concat([t for _, t in found], ignore_index=True)
        out.attrs["mase_scale"] = scales
        return out

    def _model_name(self):
        """The ``model`` of :func:`tsgate.backtest`'s table: the estimator's ('tsgate' for a network)."""
        return self.estimator._model_name() if self._single() else "tsgate"

    def _panel_of(self, X):
        """The panel of every series in ``X`` as their models read them (its time steps give the folds)."""
        form, _, parts = self._split(X)
        time_col = getattr(self.estimator, "time_col", None)
        target = list(parts) if form == "wide" else getattr(self.estimator, "target", None)
        id_col = (self._id_col() or "unique_id") if form == "long" else None
        return to_panel(X, id_col=id_col, time_col=time_col, target=target)
