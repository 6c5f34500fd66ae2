"""The ``tsgate`` command line (installed as ``tsgate.cli``): a thin shell over the library.

User errors (an unreadable or malformed file, an unknown column, a series too
short, NaN without a fill policy, a bad option value, an unwritable output, a
corrupt model file) print one line on stderr and exit with code 2, never a
traceback; messages name CLI options (``--fill ffill``), not Python
parameters. Every output path is checked before any work, and the outputs of
one command are written all together, atomically, or not at all.
"""

import io
import time

import click

from .models import BACKTEST_MODEL_OPTION, MODEL_OPTION, _baseline, _fit_model
from .options import (DEVICE_OPTION, FILE_ARG, INTERVAL_OPTION, MODEL, READ, _build,  # noqa: F401
                      _check_future_rows, _coverages, _future,
                      _horizon_from_future, _history_and_future, _predict_with_progress, _progress, _read, _read_data,
                      options)
from .shell import (OneLineGroup, UserError, _check_outputs, _frame_text, _user_errors,  # noqa: F401
                    _write)
from .summary import summary as _summary


@click.group(cls=OneLineGroup)
@click.version_option(package_name="tsgate")
def main():
    """tsgate: Numba-accelerated recurrent networks for time series."""


@main.command()
@FILE_ARG
@options(READ, MODEL)
@INTERVAL_OPTION
@click.option("--out", type=click.Path(dir_okay=False, allow_dash=True), help="write the forecast here (default: stdout)")
@click.option("--plot", type=click.Path(dir_okay=False),
              help="save a plot here (PNG; needs matplotlib); with --id-col one panel per series, the first 12")
@click.option("--save-model", type=click.Path(dir_okay=False), help="save the fitted model here")
@click.option("--json", "as_json", is_flag=True, help="JSON records instead of CSV")
@MODEL_OPTION
@_user_errors
def forecast(file, interval, out, plot, save_model, as_json, model_choice, **o):
    """Fit on FILE (a CSV, or - for stdin) and forecast what follows it, with an interval."""
    t0 = time.perf_counter()
    _check_outputs(**{"--out": out, "--plot": plot, "--save-model": save_model})
    df = _read_data(file, o)
    history, future = _history_and_future(df, _build(o))
    _check_future_rows(_future(o), future, file, o["horizon"], o.get("id_col"))
    _horizon_from_future(o, future)
    fc = _fit_model(o, model_choice, history)
    pred = _predict_with_progress(fc, interval, future, o["quiet"])
    text = _frame_text(pred, as_json, df.attrs.get("time_format"))
    outputs = {out: text} if out and out != "-" else {}
    if plot:
        from tsgate.plot import check_plot_path, plot_png

        one = next(iter(fc.estimators_.values())) if hasattr(fc, "estimators_") else fc  # a baseline per series
        outputs[plot] = plot_png(history if o["id_col"] else history[one.targets_[0]], pred, target=one.targets_[0],
                                 last=max(8 * one.horizon_, 4 * getattr(one, "lookback_", one.horizon_)),
                                 fmt=check_plot_path(plot), id_col=o["id_col"])
    if save_model:
        buf = io.BytesIO()
        fc.save(buf)
        outputs[save_model] = buf.getvalue()
    _write(outputs, None if outputs.get(out) else text)
    _summary(fc, time.perf_counter() - t0, o["quiet"], scores=model_choice != "auto")


@main.command()
@FILE_ARG
@options(READ, MODEL)
@click.option("--save-model", type=click.Path(dir_okay=False), required=True, help="model file to write")
@MODEL_OPTION
@_user_errors
def fit(file, save_model, model_choice, **o):
    """Fit on FILE (a CSV, or - for stdin) and save the model (no forecast)."""
    t0 = time.perf_counter()
    _check_outputs(**{"--save-model": save_model})
    df = _read_data(file, o)
    history, future = _history_and_future(df, _build(o))
    _horizon_from_future(o, future)  # the rows of known-future covariates after the target's end, as forecast
    fc = _fit_model(o, model_choice, history)
    buf = io.BytesIO()
    fc.save(buf)
    _write({save_model: buf.getvalue()})
    _summary(fc, time.perf_counter() - t0, o["quiet"], scores=model_choice != "auto")


@main.command()
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--input", "input_", type=click.Path(dir_okay=False, allow_dash=True),
              help="newer data (a CSV, or - for stdin): the rows that follow the model's data (as few as "
                   "one per series), or a longer history; forecast after its end")
@options(READ)
@click.option("--horizon", type=click.IntRange(min=1), default=None)
@click.option("--new-series", is_flag=True,
              help="forecast each series of --input from its own rows there (at least the lookback), series the "
                   "model was not fit on included (a global network reads them with its weights; nothing is refit)")
@INTERVAL_OPTION
@click.option("--out", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--json", "as_json", is_flag=True)
@DEVICE_OPTION
@_user_errors
def predict(model, input_, time_col, sep, decimal, encoding, fill, horizon, new_series, interval, out, as_json,
            device):
    """Forecast from a saved MODEL, optionally after newer data."""
    from tsgate.forecaster import load

    _check_outputs(**{"--out": out})
    if new_series and not input_:
        raise UserError("--new-series needs --input: the series to forecast, each with its recent history")
    fc = load(model, device=device)
    if new_series and not hasattr(fc, "on_series"):
        raise UserError(f"--new-series needs a network model; {model} holds a {type(fc).__name__}")
    future, time_format = None, None
    if not input_ and getattr(fc, "future_covariates_", None):
        raise UserError(f"{model} reads the future covariates {list(fc.future_covariates_)}: give their values over "
                        "the forecast in --input, in rows after the target's last value (the target left empty)")
    if input_:
        if hasattr(fc, "fill"):
            fc.set_params(fill=fill)
        newer = _read(input_, time_col, sep, decimal, encoding)
        steps = getattr(fc, "time_name_", None)  # a model on integer steps: its step column, unless told
        if time_col is None and isinstance(getattr(fc, "cutoff_", None), int) and steps in newer.columns:
            newer = newer.set_index(steps)
        history, future = _history_and_future(newer, fc, input_)
        need = horizon or getattr(fc, "horizon_", None)
        _check_future_rows(getattr(fc, "future_covariates_", None), future, input_, need,
                           getattr(fc, "id_col_", None), None if horizon else f"the model's horizon ({need})")
        fc = fc.on_series(history) if new_series else fc.update(history)
        time_format = newer.attrs.get("time_format")
    text = _frame_text(fc.predict_interval(coverage=interval, horizon=horizon, X=future), as_json, time_format)
    _write({out: text} if out and out != "-" else {}, None if out and out != "-" else text)


@main.command()
@FILE_ARG
@options(READ, MODEL)
@BACKTEST_MODEL_OPTION
@click.option("--folds", type=click.IntRange(min=1), default=3, show_default=True)
@click.option("--retrain/--no-retrain", default=True, show_default=True,
              help="refit before every fold (a fresh fit on the rows before it), or fit once before the first "
                   "(a baseline: AR and Holt-Winters refit)")
@click.option("--warm-start", is_flag=True,
              help="start each refit from the previous fold's network (faster; can forecast worse than a fresh fit)")
@click.option("--out", type=click.Path(dir_okay=False, allow_dash=True), help="write the table here (CSV, or JSON)")
@click.option("--json", "as_json", is_flag=True, help="JSON records instead of the text table")
@click.option("--interval", callback=lambda ctx, param, v: None if v is None else _coverages(v),
              help="also score the prediction intervals of this coverage (or several, comma-separated): "
                   "their coverage and MSIS")
@click.option("--baselines", is_flag=True, help="also backtest naive, drift, AR(p) and Holt-Winters at the same folds "
              "(with --id-col or several --target columns, one per series, pooled as the model's folds)")
@_user_errors
def backtest(file, folds, retrain, warm_start, out, as_json, interval, model_choice, baselines, **o):
    """Rolling-origin evaluation: MAE, RMSE, sMAPE, MASE per fold, next to seasonal naive
    (every series of a long file with --id-col, pooled; the forecasts of all origins in batched passes)."""
    import pandas as pd

    from tsgate.evaluation import backtest as run_backtest, summarise

    if warm_start and (not retrain or model_choice != "network"):
        raise UserError("--warm-start restarts the network's refits: it needs --retrain and --model network")
    _check_outputs(**{"--out": out})
    df = _read_data(file, o)  # first: it may name the target
    network = _build(o, quiet=True)
    est = network if model_choice in ("network", "auto") else _baseline(o, model_choice)
    # rows of known-future covariates after the target's end (as the network's options read them, as forecast
    # does, whatever --model): not folds
    df, future = _history_and_future(df, network)
    _horizon_from_future(o, future)  # but their number is the horizon, as forecast reads it
    table = run_backtest(est, df, folds=folds, horizon=o["horizon"], retrain=retrain, coverage=interval,
                         warm_start=warm_start, baselines="all" if baselines else None, auto=model_choice == "auto")
    if as_json or (out and out != "-"):
        text = _frame_text(table, as_json)
        _write({out: text} if out and out != "-" else {}, None if out and out != "-" else text)
        return
    extra = [c for c in table.columns if c.startswith(("coverage", "MSIS"))]  # the intervals' scores
    head = "".join(f" {c:>12}" for c in extra)
    head += "  chosen" if model_choice == "auto" else ""
    lines = [f"{'fold':>5} {'start':>20} {'model':>15} {'MAE':>10} {'RMSE':>10} {'sMAPE':>8} {'MASE':>7}{head}"]
    cells = lambda r: "".join(f" {r[c]:>12.3f}" if r[c] == r[c] else f" {'':>12}" for c in extra)  # noqa: E731
    starts = pd.Series(table["start"])  # as the CSV writes them: dates without a midnight time
    starts = starts.dt.strftime("%Y-%m-%d") if pd.api.types.is_datetime64_any_dtype(starts) and \
        (starts == starts.dt.normalize()).all() else starts.astype(str)
    for (_, r), start in zip(table.iterrows(), starts):
        lines.append(f"{r.fold:>5} {start:>20} {r.model:>15} {r.MAE:>10.4g} {r.RMSE:>10.4g} "
                     f"{r.sMAPE:>8.2f} {r.MASE:>7.3f}{cells(r)}" + (f"  {r.chosen}" if r.get("chosen") else ""))
    for name, r in summarise(table).iterrows():
        lines.append(f"{'all':>5} {'':>20} {name:>15} {r.MAE:>10.4g} {r.RMSE:>10.4g} {r.sMAPE:>8.2f} "
                     f"{r.MASE:>7.3f}{cells(r)}")
    click.echo("\n".join(lines))


@main.command()
@FILE_ARG
@options(READ, MODEL)
@click.option("--plot", type=click.Path(dir_okay=False), help="save the lag profile here (PNG; needs matplotlib)")
@click.option("--top", type=click.IntRange(min=1), default=10, show_default=True, help="how many lags to list")
@click.option("--step", type=click.IntRange(min=1), default=None,
              help="the lags of one horizon step's forecast, over every window of FILE (default: the mean of all "
                   "steps, over the validation windows)")
@_user_errors
def explain(file, plot, top, step, **o):
    """How far back the model looks: fit on FILE and rank the lags by mean |d forecast / d input|;
    then each input column by how much worse the forecasts get when its values are shuffled."""
    _check_outputs(**{"--plot": plot})
    if plot:
        from tsgate.plot import check_plot_path

        fmt = check_plot_path(plot)
    df = _read_data(file, o)
    fc = _build(o)
    history, future = _history_and_future(df, fc)
    if o["horizon"] is None and _horizon_from_future(o, future) is not None:  # as forecast reads it
        fc.set_params(horizon=o["horizon"])
    steps = o["horizon"] if o.get("strategy", "direct") == "direct" else 1
    if step is not None and steps is not None and step > steps:  # before the fit
        raise UserError(f"--step must be at most {steps}, the steps the model forecasts at once, got {step}")
    fc.fit(history)
    imp = fc.lag_importance() if step is None else fc.lag_importance(step=step, X=history)
    ranked = imp.stack().sort_values(ascending=False).head(top)
    click.echo(f"{'lag':>6} {'input':>20} {'importance':>12}")
    for (lag, col), value in ranked.items():
        click.echo(f"{lag:>6} {str(col):>20} {value:>12.4g}")
    click.echo(f"\n{'input':>27} {'MAE when shuffled':>20}")  # permutation importance, most needed first
    for col, r in fc.column_importance().iterrows():
        click.echo(f"{str(col):>27} {100 * r.mae_increase:>+12.1f}% (sd {100 * r['std']:.1f}%)")
    joined = (getattr(fc, "fit_report_", None) or {}).get("blend")
    if joined:  # tsgate.blend: the profiles above are the network's
        click.echo(f"note: the forecast is {1 - joined['weight']:g} x the network's + {joined['weight']:g} x "
                   f"{joined['baseline']}'s (it validated better); these are the network's", err=True)
    if plot:
        from tsgate.plot import lag_profile_png

        _write({plot: lag_profile_png(imp, fmt=fmt)})


@main.command()
def warmup():
    """Compile and cache every CPU kernel (float32 and float64) ahead of time."""
    from tsgate.warmup import warmup as run_warmup

    click.echo(f"compiled and cached all kernels in {run_warmup():.1f} s", err=True)


@main.group()
def datasets():
    """Bundled real datasets."""


@datasets.command("list")
def datasets_list():
    """List the bundled datasets."""
    from tsgate.datasets import DATASETS

    for name, (fname, _, freq, m, target) in sorted(DATASETS.items()):
        click.echo(f"{name:18s} {fname:26s} freq={freq:7s} period={m:<4d} target={target}")


@datasets.command("export")
@click.argument("name")
@click.option("--out", type=click.Path(dir_okay=False, allow_dash=True), help="CSV file (default: stdout)")
@_user_errors
def datasets_export(name, out):
    """Write dataset NAME as CSV."""
    from tsgate.datasets import load

    _check_outputs(**{"--out": out})
    frame = load(name, frame=True)
    text = frame.to_csv()
    _write({out: text} if out and out != "-" else {}, None if out and out != "-" else text)
    if out and out != "-":
        click.echo(f"wrote {out} ({len(frame)} rows); forecast it with: {_forecast_hint(name, frame, out)}", err=True)


def _forecast_hint(name, frame, out):
    """The ``tsgate forecast`` command for an exported dataset: its target named where the
    file has other columns, and no past covariates where one of them has gaps."""
    from shlex import quote

    from tsgate.datasets import DATASETS

    target = DATASETS[name][4]
    others = [c for c in frame.columns if c != target]
    hint = f"tsgate forecast {quote(str(out))}" + (f" --target {target}" if others else "")
    return hint + (" --past-covariates none" if frame[others].isna().any().any() else "")


if __name__ == "__main__":  # pragma: no cover
    main()
