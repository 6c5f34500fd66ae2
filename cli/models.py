"""--model: the network, a baseline, or auto (the network or the best baseline) for the commands that fit."""

import click

from .options import _auto, _build, _future
from .shell import UserError

MODELS = ["network", "auto", "naive", "seasonal_naive", "drift", "ar", "holt_winters"]
MODEL_OPTION = click.option("--model", "model_choice", type=click.Choice(MODELS), default="network",
                            show_default=True, help="the network, a baseline, or auto: the network or the best "
                                                    "baseline, whichever has the lower validation MAE")


BACKTEST_MODEL_OPTION = click.option("--model", "model_choice", type=click.Choice([m for m in MODELS if m != "auto"]),
                                     default="network", show_default=True,
                                     help="the network or a baseline, backtested the same way next to seasonal naive")


def _baseline(o, model_choice):
    """The (unfitted) baseline --model names; one series only."""
    from tsgate.baselines import BaselineForecaster

    if o.get("id_col"):
        raise UserError(f"--model {model_choice} forecasts one series; with --id-col use --model network (the "
                        "default): it forecasts each series by the network or, where that validates better, by the "
                        "series' own naive, seasonal naive or AR baseline")
    if isinstance(o["target"], list):
        raise UserError(f"--model {model_choice} forecasts one column; --target names {len(o['target'])}: use "
                        "--model network (the default) for several")
    return BaselineForecaster(model_choice, horizon=o["horizon"], target=o["target"], outliers=o["outliers"],
                              nonnegative=_auto(o, "nonnegative"))


def _fit_model(o, model_choice, history):
    """Fit the model --model names; with auto, a baseline replaces the network
    when it is better on the network's validation windows (and says so)."""
    from tsgate.baselines import BaselineForecaster
    from tsgate.fallback import baseline_words

    from tsgate.elementmath import TrainingDivergedError

    if model_choice not in ("network", "auto"):
        return _baseline(o, model_choice).fit(history)
    fc = _build(o)
    try:
        fc.fit(history)
    except TrainingDivergedError as exc:  # auto, one series: the best baseline, and why
        if model_choice != "auto" or o.get("id_col") or isinstance(o["target"], list) or _future(o):
            raise
        return _best_baseline(o, history, exc)
    report = getattr(fc, "fit_report_", {}) or {}
    if model_choice != "auto" or not report or len(fc.ids_) > 1 or fc.future_covariates_:
        return fc
    scores = report["validation_mae"]
    best = report["best_baseline"]
    chosen = fc if scores["network"] <= scores[best] else BaselineForecaster(
        best, horizon=fc.horizon_, target=fc.targets_[0], seasonal_period=fc.seasonal_period_,
        outliers=fc.outliers, nonnegative=fc.nonnegative).fit(history)
    name = "the network" if chosen is fc else chosen.describe()
    if not o["quiet"]:
        click.echo(f"model auto: {name} (validation MAE: network {scores['network']:.4g}, "
                   f"best baseline {baseline_words(report, best)} {scores[best]:.4g})", err=True)
    return chosen


def _best_baseline(o, history, exc):
    """--model auto where the network could not be trained: the baseline with the lowest MAE from the
    series' last origins (:func:`tsgate.baselines.best_baseline`), and why on stderr."""
    from tsgate.baselines import best_baseline

    chosen, maes = best_baseline(history, horizon=o["horizon"], target=o["target"], outliers=o["outliers"],
                                 nonnegative=_auto(o, "nonnegative"))
    if not o["quiet"]:
        scores = ", ".join(f"{name} {mae:.4g}" for name, mae in maes.items() if name != "seasonal naive (m=1)")
        click.echo(f"model auto: {chosen.describe()}, the best baseline by MAE from the series' last origins "
                   f"({scores}); the network could not be trained: {' '.join(str(exc).split())}", err=True)
    return chosen
