"""The network or the best baseline, chosen on the series (``tsgate forecast --model auto``).

:func:`fit_auto` fits a recurrent forecaster on one series and keeps it unless the
best baseline forecast its validation windows clearly better (``fit_report_``:
every baseline scored from the same origins as the network): a paired test of
the two models' errors over blocks of ``horizon`` windows must reject "the
baseline is no better" at :data:`tsgate.shrinkage.LEVEL`, as the network must
to replace its own linear start. Then that baseline, refit on the whole history,
forecasts instead. A lower validation MAE alone is a small sample's luck as
often as not: on the accuracy benchmark (17 series, four origins) taking the
baseline whenever its validation MAE was lower made AirPassengers, realgdp,
yearly sunspots and lynx 20-40% worse (benchmarks/results/accuracy_2026-12-06_auto.md).
Where the network cannot be trained at all
(:class:`~tsgate.errors.TrainingDivergedError`: e.g. a linear start far
worse than naive on a validation tail unlike the history), the baseline with the
lowest MAE from the series' last origins does (:func:`tsgate.baselines.best_baseline`).
A long panel (``id_col``) of one target there gets each series' best baseline
(:class:`~tsgate.local.LocalForecaster`); several targets or future covariates keep
the network (and its error): a baseline forecasts one column from its own past.
"""

import warnings

from sklearn.base import clone

from .baselines import BaselineForecaster, best_baseline
from .errors import BaselineWarning, DataError, TrainingDivergedError
from .fallback import baseline_words, count_words
from .shrinkage import block_means, clearly_negative, t_statistic


def _baseline_kind(est):
    """What may replace ``est`` by its parameters: 'series' (a baseline: one target, no future covariates,
    no panel), 'panel' (a baseline per series of a long panel of one target) or None."""
    params = est.get_params()
    if isinstance(params.get("target"), (list, tuple)) or params.get("future_covariates"):
        return None
    return "panel" if params.get("id_col") else "series"


def fit_auto(estimator, X, panels=True):
    """Fit a clone of ``estimator`` on ``X``, or the baseline that replaces it (``panels``: where the
    network cannot be trained on a long panel, each series' best baseline; else its error).

    Returns
    -------
    model : the fitted forecaster, :class:`tsgate.BaselineForecaster` or, for a panel,
        :class:`tsgate.LocalForecaster` of ``BaselineForecaster('auto')``
    why : dict
        ``chosen`` (the model's name: 'network', 'AR(3)'...), and either ``network`` and ``baseline``
        (the validation MAEs and the best baseline's name) or ``failed`` (the network's error) and
        ``maes`` (each baseline's MAE from the last origins) or, for a panel, ``per_series`` (each
        series' baseline).
    """
    fc = clone(estimator)
    try:
        with warnings.catch_warnings():  # a baseline better on validation is what the choice below is for
            warnings.simplefilter("ignore", BaselineWarning)
            fc.fit(X)
    except TrainingDivergedError as exc:
        return _instead(fc, X, str(exc), panels, exc)
    handed = ((getattr(fc, "fit_report_", None) or {}).get("blend") or {}).get("why")
    if handed:  # the start failed on validation and one baseline forecasts alone (tsgate.blend): as a failure
        return _instead(fc, X, handed, panels, None)
    return choose(fc, X)


def _instead(fc, X, failed, panels, exc):
    """:func:`fit_auto`'s baselines where the network could not be trained (``failed``: why; ``exc``: the
    error, raised again where no baseline can replace it)."""
    failed = " ".join(failed.split())
    kind = _baseline_kind(fc)
    if panels and kind == "panel":
        local = _local_baselines(fc, X)
        return local, {"chosen": "each series' best baseline", "failed": failed,
                       "per_series": [e.describe() for e in local.estimators_.values()]}
    chosen = None
    if kind == "series":
        try:
            chosen, maes = best_baseline(X, horizon=fc.horizon, target=fc.target, time_col=fc.time_col,
                                         outliers=fc.outliers, nonnegative=fc.nonnegative)
        except DataError:  # not one series after all (a long frame): the network's error stands
            pass
    if chosen is None:  # no baseline replaces it: the network, or its error
        if exc is None:
            return fc, {"chosen": "network"}
        raise exc
    return chosen, {"chosen": chosen.describe(), "failed": failed, "maes": maes}


def _local_baselines(est, X):
    """Each series of the long panel ``X`` forecast by its own best baseline
    (:class:`~tsgate.local.LocalForecaster` of ``BaselineForecaster('auto')``), with ``est``'s settings."""
    from .local import LocalForecaster

    base = BaselineForecaster("auto", horizon=est.horizon, target=est.target, time_col=est.time_col,
                              outliers=est.outliers, nonnegative=est.nonnegative)
    return LocalForecaster(base, id_col=est.id_col).fit(X)


def choose(fc, X):
    """:func:`fit_auto`'s choice for a forecaster ``fc`` already fit on ``X``: ``fc``, or the best
    baseline where the paired test says it beat ``fc`` clearly on its validation windows, refit on
    ``X``; and why (with ``t``, the test's statistic, where the baseline's MAE was lower)."""
    report = getattr(fc, "fit_report_", {}) or {}
    unscored = _unscored(fc, report)
    if unscored:
        return fc, {"chosen": "network", "unscored": unscored}
    scores, best = report["validation_mae"], report["best_baseline"]
    why = {"network": scores["network"], "baseline": baseline_words(report, best), "baseline_mae": scores[best]}
    errors = getattr(fc, "_val_errors", None)  # per validation window (one series; tsgate.forecasting)
    if scores["network"] <= scores[best] or errors is None:
        return fc, {"chosen": "network", **why}
    why["t"], df = baseline_t(errors, best, fc.horizon_)
    if not clearly_negative(why["t"], df):  # better on these windows, not clearly: the network stays
        return fc, {"chosen": "network", **why}
    chosen = BaselineForecaster(best, horizon=fc.horizon_, seasonal_period=fc.seasonal_period_, target=fc.targets_[0],
                                time_col=fc.time_col, outliers=fc.outliers, nonnegative=fc.nonnegative).fit(X)
    return chosen, {**why, "chosen": chosen.describe()}


def _unscored(fc, report):
    """Why :func:`choose` cannot compare ``fc`` with one baseline (None where it can)."""
    if len(fc.ids_) > 1 or len(fc.targets_) > 1:
        return "one network forecasts several series; each has its own best baseline"
    if fc.future_covariates_:
        return "it reads known-future covariates, which no baseline does"
    if "validation_mae" not in report:
        return f"its validation was not scored against the baselines ({fc.strategy} strategy)"
    return None


def baseline_t(errors, baseline, horizon):
    """(Student's t, degrees of freedom) of ``baseline``'s per-window validation MAE less the forecast's
    (``errors``: a forecaster's ``_val_errors``) over blocks of ``horizon`` windows; (None, 0) without two
    blocks or spread. :func:`choose` replaces the forecast where it is clearly negative, :mod:`tsgate.blend`
    joins it where it is below -1."""
    return t_statistic(block_means(errors[baseline] - errors["network"], errors["ends"], horizon))


def score_words(maes):
    """Baselines' MAEs by name for people: 'naive 5.2, drift 5.3, AR(3) 4.9' (seasonal naive at m=1 is naive)."""
    return ", ".join(f"{k} {v:.4g}" for k, v in maes.items() if k != "seasonal naive (m=1)")


def describe(why):
    """``fit_auto``'s choice for people: 'the network (validation MAE: network 5.2, best baseline naive 5.3)'."""
    name = "the network" if why["chosen"] == "network" else why["chosen"]
    if "per_series" in why:  # a panel
        return (f"{name}, by MAE from its last origins ({count_words(why['per_series'])} series); the network "
                f"could not be trained: {why['failed']}")
    if "failed" in why:
        return (f"{name}, the best baseline by MAE from the series' last origins ({score_words(why['maes'])}); the "
                f"network could not be trained: {why['failed']}")
    if "unscored" in why:
        return f"{name}, not compared with the baselines: {why['unscored']}"
    if "baseline" not in why:
        return name
    t = why.get("t")
    clear = "" if t is None else f"; paired t {t:.2f}" + ("" if why["chosen"] != "network" else ", not clear")
    return f"{name} (validation MAE: network {why['network']:.4g}, best baseline {why['baseline']} " \
           f"{why['baseline_mae']:.4g}{clear})"
