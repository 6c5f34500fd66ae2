"""--model: the network, a baseline, or auto (the network or the best baseline) for the commands that fit."""

import click

from .options import _auto, _build
from .shell import UserError

MODELS = ["network", "auto", "naive", "seasonal_naive", "drift", "ar", "holt_winters", "best_baseline"]
MODEL_OPTION = click.option("--model", "model_choice", type=click.Choice(MODELS), default="network",
                            show_default=True, help="the network, a baseline, or auto: the network, or the best "
                                                    "baseline where it is clearly better on validation; "
                                                    "best_baseline: the baseline with the lowest MAE from the "
                                                    "series' last origins; with --id-col a baseline per series")


BACKTEST_MODEL_OPTION = click.option("--model", "model_choice", type=click.Choice(MODELS), default="network",
                                     show_default=True,
                                     help="the network, a baseline, or auto (each refit chooses the network or the "
                                          "best baseline, as forecast --model auto; best_baseline: each refit "
                                          "chooses among the baselines; with --id-col a baseline per series, "
                                          "the folds pooled over the series), backtested the same way next to "
                                          "seasonal naive")


def _baseline(o, model_choice):
    """The (unfitted) baseline --model names: with --id-col, one per series (a LocalForecaster: backtest
    pools its series' folds, as the network's)."""
    from tsgate.baselines import BaselineForecaster

    if isinstance(o["target"], list):
        raise UserError(f"--model {model_choice} forecasts one column; --target names {len(o['target'])}: use "
                        "--model network (the default) for several")
    from tsgate.seasonality import main_period

    method = "auto" if model_choice == "best_baseline" else model_choice
    periods = o.get("seasonal_periods")  # given: the longest is the baseline's season (none: 1)
    base = BaselineForecaster(method, horizon=o["horizon"], target=o["target"], outliers=o["outliers"],
                              nonnegative=_auto(o, "nonnegative"),
                              seasonal_period=None if periods is None else main_period(periods))
    if not o.get("id_col"):
        return base
    from tsgate.local import LocalForecaster

    return LocalForecaster(base, id_col=o["id_col"])


def _fit_model(o, model_choice, history):
    """Fit the model --model names; with auto, a baseline replaces the network where
    it is better on the network's validation windows, or where the network cannot be
    trained (:func:`tsgate.auto.fit_auto`), and says so."""
    from tsgate.auto import describe, fit_auto

    if model_choice == "network":
        return _build(o).fit(history)
    if model_choice != "auto":
        return _baseline(o, model_choice).fit(history)
    chosen, why = fit_auto(_build(o), history)
    if not o["quiet"] and (why.get("baseline") or why.get("failed") or why.get("unscored")):
        click.echo(f"model auto: {describe(why)}", err=True)
    return chosen
