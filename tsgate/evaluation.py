"""Rolling-origin evaluation of a forecaster next to seasonal naive, in folds.

:func:`backtest` is the fold view of
:meth:`~tsgate.forecaster.LSTMForecaster.backtest`: the model is fit on the
data before the last ``folds * horizon`` time steps, then forecasts
``folds`` consecutive blocks, refit before each block (a fresh fit; with
``warm_start``, from the previous weights) unless ``retrain=False``; all
series of a panel at once, in batched passes.
"""

import numpy as np
import pandas as pd
from sklearn.base import clone

from . import conformal, seasonality
from .baselines import BASELINES, BaselineForecaster
from .errors import DataError, ParameterError
from .errors import name as pname
from .local import LocalForecaster
from .metrics import error_terms, interval_terms
from .panel import panel_form, timeline, to_panel, truncate
from .params import positive_int, validate_params

METRICS = ["MAE", "RMSE", "sMAPE", "MASE"]


def backtest(estimator, data, folds=3, horizon=None, retrain=True, coverage=None, warm_start=False, baselines=None,
             auto=False):
    """Forecast ``folds`` consecutive blocks of ``horizon`` steps and score each.

    Parameters
    ----------
    estimator : tsgate recurrent forecaster, :class:`tsgate.BaselineForecaster` or LocalForecaster (cloned)
        A LocalForecaster's series are scored by their own models, each fold's errors pooled over
        the series that have it (one that ends before the folds is passed over), as a global
        network's are.
    data : the data in any form the forecaster takes (wide, long, dict)
    folds : int
    horizon : int, optional
        Default: the estimator's, else :func:`tsgate.seasonality.default_horizon`.
    retrain : bool
        Refit before every fold (True: a fresh fit on the data before it, as
        ``fit`` at that time gives it) or only once, before the first (False).
    coverage : float or list of float, optional
        Score tsgate's prediction intervals too: their coverage and MSIS
        (``coverage_80``, ``MSIS_80``... for a list; NaN for seasonal naive).
    warm_start : bool
        A recurrent forecaster's refits start from the previous fold's weights
        (see :meth:`~tsgate.historical.HistoricalMixin.historical_forecasts`).
    baselines : 'all', bool or list of str, optional
        Backtest these :class:`tsgate.BaselineForecaster` methods too ('all' or True:
        naive, drift, AR(p) by AIC, Holt-Winters), at the same folds, refit
        before each as ``retrain`` says; on a panel a baseline per series
        (:class:`tsgate.LocalForecaster`), each fold's errors pooled over the
        series as the estimator's are.
    auto : bool
        Each fit (before the first fold, or before every fold with ``retrain``) keeps the
        network or replaces it by the best baseline, as ``tsgate forecast --model auto`` does
        (:func:`tsgate.auto.fit_auto`); the model is then 'auto' and the column ``chosen``
        names each fold's choice (one series, a recurrent forecaster).

    Returns
    -------
    pandas.DataFrame
        One row per fold and model (``tsgate`` or the baseline's ``method``, and
        ``seasonal_naive``): the
        fold's first forecast time, and MAE, RMSE, sMAPE and MASE pooled over
        the series (and the intervals' scores).
    """
    folds, horizon = positive_int(folds, "folds"), None if horizon is None else positive_int(horizon, "horizon")
    for name, flag in (("warm_start", warm_start), ("auto", auto)):
        if not isinstance(flag, (bool, np.bool_)):
            raise ParameterError(f"{pname(name)} must be True or False, got {flag!r}")
    return _backtest(estimator, data, folds, horizon, retrain, coverage, warm_start, baselines, auto)


def _backtest(estimator, data, folds, horizon, retrain, coverage, warm_start, baselines, auto, scales=None):
    """:func:`backtest`; ``scales``: the MASE scale of each series (by id) instead of the estimator's own (the
    baselines' rows are scaled as the estimator's)."""
    coverages, several = conformal.levels(coverage) if coverage is not None else ([], False)
    methods = _baseline_methods(baselines)
    if isinstance(estimator, type) or not hasattr(estimator, "historical_forecasts"):
        what = f"the class {estimator.__name__}: pass an instance, {estimator.__name__}()" \
            if isinstance(estimator, type) else type(estimator).__name__
        raise ParameterError(f"{pname('estimator')} must be a tsgate forecaster (LSTMForecaster, GRUForecaster, "
                             f"RNNForecaster, BaselineForecaster or LocalForecaster), got {what}")
    est = clone(estimator)
    local = isinstance(est, LocalForecaster)  # a model per series: the folds pooled as a global network's
    if local:
        est._check_estimator()
    for model in (est, est.estimator) if local else (est,):  # before any fold (horizon=0 read as 'not given')
        if hasattr(model, "_parameter_constraints"):
            validate_params(model)
    single = "id_col" not in (est.estimator if local else est).get_params()  # a baseline: one column, no covariates
    if warm_start and (single or not retrain):  # before any fit (historical_forecasts checks only after it)
        raise ParameterError(f"{pname('warm_start', True)} needs {pname('retrain', True)} and a recurrent forecaster "
                             "(a baseline has no weights)")
    if auto and (single or warm_start or local):
        raise ParameterError(f"{pname('auto', True)} chooses between a recurrent forecaster and the baselines: it "
                             f"needs one, without {pname('warm_start', True)} (the choice may be a baseline), not "
                             "a LocalForecaster")
    panel = _panel(est, data, single, local)
    model = est.estimator if local else est  # the one that reads the series' time and horizon
    H = horizon or model.horizon or seasonality.default_horizon(panel.freq)
    grid = timeline(panel)
    if len(grid) <= folds * H:
        raise DataError(f"{pname('folds', folds)} of {pname('horizon', H)} need more than {folds * H} time steps; "
                        f"the data has {len(grid)}")
    cut = grid[len(grid) - folds * H - 1]
    chosen = {}
    if auto:
        fc, hf, chosen = _auto_folds(est.set_params(horizon=H), data, grid, folds, H, retrain, coverage)
    else:
        fc = est.set_params(**{"estimator__horizon" if local else "horizon": H})
        fc = fc.fit(truncate(data, cut, model.time_col))
        hf = fc._historical(data, cut, H, retrain, H, None, coverage, **({} if single else {"warm_start": warm_start}))
    scales = hf.attrs["mase_scale"] if scales is None else scales
    scale = hf.iloc[:, 0].map(scales).to_numpy(dtype=float)
    fold = {c: k + 1 for k, c in enumerate(sorted(hf["cutoff"].unique()))}
    time_name = hf.columns[2]
    mine = "auto" if auto else est._model_name() if single or local else "tsgate"
    models = [(mine, "forecast")] + ([("seasonal_naive", "seasonal_naive")] if mine != "seasonal_naive" else [])
    rows = []
    for c, g in hf.groupby("cutoff", sort=True):
        s = scale[g.index]
        for name, col in models:
            ae, se, sape = error_terms(g["y"], g[col])
            rows.append({"fold": fold[c], "start": g[time_name].min(), "model": name, "MAE": np.mean(ae),
                         "RMSE": float(np.sqrt(np.mean(se))), "sMAPE": float(np.mean(sape)),
                         "MASE": float(np.mean(ae / s)), **({"chosen": chosen[c] if col == "forecast" else ""}
                                                              if auto else {})})
            for cov in coverages:  # the intervals' scores (seasonal naive has no band here)
                lo, hi, suffix = conformal.table_columns(cov, several)
                inside, score = interval_terms(g["y"], g[lo], g[hi], cov) if col == "forecast" else (np.nan, np.nan)
                rows[-1].update({f"coverage{suffix}": float(np.mean(inside)),
                                 f"MSIS{suffix}": float(np.mean(score / s))})
    table = pd.DataFrame(rows)
    return _with_baselines(table, [m for m in methods if m not in (mine, "seasonal_naive")], fc, data,
                           (folds, H, retrain, coverage), scales, len(panel.ids) > 1)


def _panel(est, data, single, local):
    """``data`` read as a :class:`tsgate.panel.Panel` the way ``est`` reads it (its time steps give the folds)."""
    if local:
        return est._panel_of(data)
    if single:
        return to_panel(data, time_col=est.time_col, target=est.target)
    return to_panel(data, id_col=est.id_col, time_col=est.time_col, target=est.target,
                    future_covariates=est.future_covariates, strategy=est.strategy, fill=est.fill)


def _auto_folds(est, data, grid, folds, H, retrain, coverage):
    """The fitted model (the last fold's), the forecasts of every fold from :func:`tsgate.auto.fit_auto`'s
    choice on the rows before it (or before the first, without ``retrain``), and each fold's choice by
    its cutoff. MASE scales are the first fold's, as a single call's are."""
    from .auto import fit_auto

    parts, chosen = [], {}
    for k in range(folds):
        cut, end = grid[len(grid) - (folds - k) * H - 1], grid[len(grid) - (folds - k - 1) * H - 1]
        if k == 0 or retrain:
            fc, why = fit_auto(est, truncate(data, cut, est.time_col), panels=False)  # a panel: the network
        parts.append(fc._historical(truncate(data, end, est.time_col), cut, H, False, H, None, coverage))
        chosen[parts[-1]["cutoff"].iloc[0]] = why["chosen"]
    hf = pd.concat(parts, ignore_index=True)
    hf.attrs["mase_scale"] = parts[0].attrs["mase_scale"]
    return fc, hf, chosen


def _baseline_methods(baselines):
    """The methods ``baselines`` names (checked before any fit): all but seasonal naive, which every table has."""
    if baselines is None or (isinstance(baselines, (bool, np.bool_)) and not baselines):
        return []
    if isinstance(baselines, (bool, np.bool_)) or (isinstance(baselines, str) and baselines == "all"):
        return [b for b in BASELINES if b != "seasonal_naive"]
    names = list(baselines) if isinstance(baselines, (list, tuple)) else [baselines]
    bad = [b for b in names if not isinstance(b, str) or b not in BASELINES]
    if bad:
        raise ParameterError(f"{pname('baselines')} must be 'all' (or True) or a list of {list(BASELINES)}; got "
                             f"{bad[0]!r}")
    return names


def _with_baselines(table, methods, fc, data, how, scales, several):
    """``table`` with the rows of each baseline of ``methods`` at the same folds (``how``: folds, horizon,
    retrain, coverage), after each fold's own rows, their MASE on the estimator's ``scales``; on a panel
    (``several`` series, or a panel's form): a baseline per series (a LocalForecaster), its folds pooled
    as ``fc``'s are."""
    if not methods:
        return table
    model = fc.estimator if isinstance(fc, LocalForecaster) else fc  # whose reading of the data the baselines take
    targets = getattr(model, "targets_", None) or [getattr(model, "target", None)]
    wide = several and len(targets) > 1  # one column per series: the baselines read those columns only
    id_col = fc._id_col() if isinstance(fc, LocalForecaster) else getattr(fc, "id_col", None)
    per_series = several or panel_form(data, id_col)
    parts = [table]
    for m in methods:  # the network's reading of the data: its target, time column, outliers and floor
        base = BaselineForecaster(m, target=None if wide else targets[0], time_col=getattr(model, "time_col", None),
                                  outliers=getattr(model, "outliers", "repair"),
                                  nonnegative=getattr(model, "nonnegative", "auto"))
        if per_series:
            base = LocalForecaster(base, id_col=id_col)
        rows = _backtest(base, _columns(data, targets, model) if wide else data, *how, warm_start=False,
                         baselines=None, auto=False, scales=scales)
        parts.append(rows[rows["model"] == m])
    return pd.concat(parts).sort_values("fold", kind="stable", ignore_index=True)  # each fold's rows in part order


def _columns(data, targets, model):
    """A wide frame's target columns (and its time column), without the covariates."""
    time_col = getattr(model, "time_col", None)
    return data[[c for c in data.columns if c in targets or c == time_col]]


def summarise(table):
    """Mean of each metric (and interval score) per model over the folds of a :func:`backtest` table."""
    scores = METRICS + [c for c in table.columns if c.startswith(("coverage", "MSIS"))]
    return table.groupby("model", sort=False)[scores].mean()
