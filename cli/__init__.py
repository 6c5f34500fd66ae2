"""The ``tsgate`` command line (installed as ``tsgate.cli``).

User errors (unreadable or empty file, unknown column, a series too short,
NaN without a fill policy, a bad option value) print one line on stderr and
exit with code 2, never a traceback.
"""

import json
import sys
import time

import click


class UserError(click.ClickException):
    """A user error: one line on stderr, exit code 2, no traceback."""

    exit_code = 2

    def show(self, file=None):
        click.echo(f"tsgate: error: {self.format_message()}", err=True)


#: Python parameter -> command-line option, for messages raised by the library.
VOCABULARY = {"time_col": "--time-col", "target": "--target", "fill": "--fill", "horizon": "--horizon",
              "lookback": "--lookback", "max_epochs": "--epochs", "random_state": "--seed", "X": "FILE"}


def _user_errors(fn):
    """Run ``fn`` speaking in CLI options; the library's user errors become
    one-line exit-2 errors. Anything else is a bug and keeps its traceback."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from tsgate.elementmath import TrainingDivergedError
        from tsgate.errors import TsgateError, speaking

        try:
            with speaking(VOCABULARY):
                return fn(*args, **kwargs)
        except (TsgateError, TrainingDivergedError) as exc:
            msg = " ".join(str(exc).split())
            raise UserError(msg or type(exc).__name__) from None

    return wrapper


def read_csv(path, time_col=None):
    """The library's reader (:func:`tsgate.csvio.read_csv`)."""
    from tsgate.csvio import read_csv as _read

    return _read(path, time_col)


def _progress(quiet, max_epochs):
    if quiet or not sys.stderr.isatty():
        return 0

    def cb(epoch, loss, val_loss):
        click.echo(f"\r  epoch {epoch:4d}/{max_epochs}  loss {loss:.4f}  val_loss {val_loss:.4f}",
                   err=True, nl=False)

    return cb


def _build(cell, horizon, lookback, epochs, seed, target, fill, quiet):
    from tsgate.forecaster import FORECASTERS

    return FORECASTERS[cell](horizon=horizon, lookback=lookback, max_epochs=epochs, random_state=seed,
                             target=target, fill=fill, verbose=_progress(quiet, epochs))


def _emit(frame, out, as_json):
    frame = frame.copy()
    frame.index.name = frame.index.name or "time"
    if as_json:
        recs = json.loads(frame.reset_index().to_json(orient="records", date_format="iso"))
        text = json.dumps(recs, indent=1)
        if out:
            with open(out, "w") as fh:
                fh.write(text + "\n")
        else:
            click.echo(text)
    elif out:
        frame.to_csv(out)
    else:
        frame.to_csv(sys.stdout)


def _summary(fc, seconds, quiet):
    if quiet:
        return
    if sys.stderr.isatty():  # end the progress line
        click.echo("", err=True)
    vs = getattr(fc, "val_scores_", {}) or {}
    name = type(fc).__name__
    line = (f"{name}: hidden={fc.hidden_size} lookback={fc.lookback_} horizon={fc.horizon} "
            f"epochs={len(fc.history_['loss'])} (best {fc.history_['best_epoch']})")
    click.echo(line, err=True)
    if vs:
        ratio = vs["mae"] / vs["seasonal_naive_mae"] if vs["seasonal_naive_mae"] > 0 else float("nan")
        click.echo(f"validation MAE {vs['mae']:.4g} vs seasonal naive {vs['seasonal_naive_mae']:.4g} "
                   f"(ratio {ratio:.2f}, {vs['n_windows']} windows)", err=True)
    click.echo(f"time {seconds:.1f} s", err=True)


COMMON = [
    click.option("--target", help="target column (default: the only numeric column)"),
    click.option("--time-col", help="time column (default: detected)"),
    click.option("--horizon", type=click.IntRange(min=1), default=None,
                 help="steps to forecast (default: the seasonal period, at least 12)"),
    click.option("--cell", type=click.Choice(["lstm", "gru", "rnn"]), default="lstm", show_default=True),
    click.option("--lookback", type=click.IntRange(min=1), default=None, help="window length (default: from the data)"),
    click.option("--epochs", type=click.IntRange(min=1), default=200, show_default=True),
    click.option("--seed", type=int, default=0, show_default=True),
    click.option("--fill", type=click.Choice(["ffill", "interpolate", "zero"]), default=None,
                 help="NaN policy (default: NaN is an error)"),
    click.option("--quiet", is_flag=True, help="no progress or summary on stderr"),
]


def common(fn):
    for opt in reversed(COMMON):
        fn = opt(fn)
    return fn


@click.group()
@click.version_option(package_name="tsgate")
def main():
    """tsgate: Numba-accelerated recurrent networks for time series."""


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@common
@click.option("--interval", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.9,
              show_default=True, help="prediction interval coverage")
@click.option("--out", type=click.Path(dir_okay=False), help="write the forecast here (default: stdout)")
@click.option("--plot", type=click.Path(dir_okay=False), help="save a PNG plot here (needs matplotlib)")
@click.option("--save-model", type=click.Path(dir_okay=False), help="save the fitted model here")
@click.option("--json", "as_json", is_flag=True, help="JSON records instead of CSV")
@_user_errors
def forecast(file, target, time_col, horizon, cell, lookback, epochs, seed, fill, quiet, interval, out,
             plot, save_model, as_json):
    """Fit on FILE.csv and forecast what follows it, with an interval."""
    t0 = time.perf_counter()
    if plot:  # fail before training, not after
        from tsgate.plot import require_matplotlib

        require_matplotlib()
    df = read_csv(file, time_col)
    fc = _build(cell, horizon, lookback, epochs, seed, target, fill, quiet)
    fc.fit(df)
    pred = fc.predict_interval(coverage=interval)
    _emit(pred, out, as_json)
    if plot:
        from tsgate.plot import plot_forecast

        plot_forecast(df[fc.targets_[0]], pred, target=fc.targets_[0], path=plot,
                      last=max(8 * fc.horizon, 4 * fc.lookback_))
    if save_model:
        fc.save(save_model)
    _summary(fc, time.perf_counter() - t0, quiet)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@common
@click.option("--save-model", type=click.Path(dir_okay=False), required=True, help="model file to write")
@_user_errors
def fit(file, target, time_col, horizon, cell, lookback, epochs, seed, fill, quiet, save_model):
    """Fit on FILE.csv and save the model (no forecast)."""
    t0 = time.perf_counter()
    df = read_csv(file, time_col)
    fc = _build(cell, horizon, lookback, epochs, seed, target, fill, quiet)
    fc.fit(df)
    fc.save(save_model)
    _summary(fc, time.perf_counter() - t0, quiet)


@main.command()
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--input", "input_", type=click.Path(dir_okay=False), help="newer data: forecast after its end")
@click.option("--time-col", help="time column of --input (default: detected)")
@click.option("--horizon", type=click.IntRange(min=1), default=None)
@click.option("--interval", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.9, show_default=True)
@click.option("--out", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True)
@_user_errors
def predict(model, input_, time_col, horizon, interval, out, as_json):
    """Forecast from a saved MODEL, optionally after newer data."""
    import tsgate

    fc = tsgate.load(model)
    if input_:
        fc.update(read_csv(input_, time_col))
    _emit(fc.predict_interval(coverage=interval, horizon=horizon), out, as_json)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@common
@click.option("--folds", type=click.IntRange(min=1), default=3, show_default=True)
@_user_errors
def backtest(file, target, time_col, horizon, cell, lookback, epochs, seed, fill, quiet, folds):
    """Rolling-origin evaluation: MAE, RMSE, sMAPE, MASE per fold, next to seasonal naive."""
    from tsgate.evaluation import backtest as run_backtest, summarise

    table = run_backtest(_build(cell, horizon, lookback, epochs, seed, target, fill, True),
                         read_csv(file, time_col), folds=folds, horizon=horizon)
    click.echo(f"{'fold':>5} {'model':>15} {'MAE':>10} {'RMSE':>10} {'sMAPE':>8} {'MASE':>7}")
    for r in table.itertuples():
        click.echo(f"{r.fold:>5} {r.model:>15} {r.MAE:>10.4g} {r.RMSE:>10.4g} {r.sMAPE:>8.2f} {r.MASE:>7.3f}")
    for name, r in summarise(table).iterrows():
        click.echo(f"{'all':>5} {name:>15} {r.MAE:>10.4g} {r.RMSE:>10.4g} {r.sMAPE:>8.2f} {r.MASE:>7.3f}")


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
@click.option("--out", type=click.Path(dir_okay=False), help="CSV file (default: stdout)")
@_user_errors
def datasets_export(name, out):
    """Write dataset NAME as CSV."""
    from tsgate.datasets import load

    df = load(name, frame=True)
    if out:
        df.to_csv(out)
    else:
        df.to_csv(sys.stdout)


if __name__ == "__main__":  # pragma: no cover
    main()
