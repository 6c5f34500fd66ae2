"""The ``tsgate`` command line (installed as ``tsgate.cli``): a thin shell over the library.

User errors (an unreadable or malformed file, an unknown column, a series too
short, NaN without a fill policy, a bad option value, an unwritable output, a
corrupt model file) print one line on stderr and exit with code 2, never a
traceback; messages name CLI options (``--fill ffill``), not Python
parameters. Every output path is checked before any work, and the outputs of
one command are written all together, atomically, or not at all.
"""

import contextlib
import errno
import functools
import io
import json
import sys
import time
import warnings
from collections import Counter

import click

#: Python parameter -> command-line option, for messages raised by the library.
VOCABULARY = {"time_col": "--time-col", "target": "--target", "fill": "--fill", "horizon": "--horizon",
              "lookback": "--lookback", "max_epochs": "--epochs", "random_state": "--seed", "X": "FILE",
              "hidden_size": "--hidden-size", "num_layers": "--layers", "learning_rate": "--learning-rate",
              "future_covariates": "--future-covariates", "calendar_features": "--calendar", "sep": "--sep",
              "decimal": "--decimal", "encoding": "--encoding", "coverage": "--interval", "cell": "--cell",
              "window_norm": "--window-norm"}


class UserError(click.ClickException):
    """A user error: one line on stderr, exit code 2, no traceback."""

    exit_code = 2

    def show(self, file=None):
        click.echo(f"tsgate: error: {self.format_message()}", err=True)


class OneLineGroup(click.Group):
    """click's own usage errors on one line too, and a quiet exit when the
    reader of stdout goes away (``tsgate predict m | head``)."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.ClickException as exc:
            hint = f" (see '{exc.ctx.command_path} --help')" if getattr(exc, "ctx", None) else ""
            UserError(" ".join(exc.format_message().split()) + hint).show()
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        except OSError as exc:
            if exc.errno != errno.EPIPE:
                raise
            _quiet_broken_pipe()
        sys.exit(code if isinstance(code, int) else 0)


def _quiet_broken_pipe():
    """Exit like a Unix tool whose reader has gone: no message, status 141."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    sys.exit(141)


def _user_errors(fn):
    """Run ``fn`` speaking in CLI options; the library's user errors become
    one-line exit-2 errors. Anything else is a bug and keeps its traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from tsgate.bundle import OutputError
        from tsgate.elementmath import TrainingDivergedError
        from tsgate.errors import TsgateError, speaking

        try:
            with speaking({**VOCABULARY, "X": kwargs.get("file") or "FILE"}), _warnings_to_stderr():
                return fn(*args, **kwargs)
        except (TsgateError, TrainingDivergedError, OutputError) as exc:
            raise UserError(" ".join(str(exc).split()) or type(exc).__name__) from None

    return wrapper


@contextlib.contextmanager
def _warnings_to_stderr():
    """tsgate's own warnings as ``tsgate: warning:`` lines (others as Python shows them)."""
    from tsgate.errors import TsgateWarning

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", TsgateWarning)
            yield
    finally:  # replayed outside the recording context (inside it, showwarning records)
        for w in caught:
            if issubclass(w.category, TsgateWarning):
                click.echo(f"tsgate: warning: {w.message}", err=True)
            else:
                warnings.showwarning(w.message, w.category, w.filename, w.lineno)


def _read(file, time_col, sep, decimal, encoding):
    from tsgate.csvio import read_csv

    return read_csv(file, time_col=time_col, sep=sep, decimal=decimal, encoding=encoding)


def _progress(quiet, max_epochs):
    if quiet or not sys.stderr.isatty():
        return 0

    def cb(epoch, loss, val_loss):
        click.echo(f"\r  epoch {epoch:4d}/{max_epochs}  loss {loss:.4f}  val_loss {val_loss:.4f}",
                   err=True, nl=False)

    return cb


def _periods(text):
    """--seasonal-periods: None (detect), [] ('none') or the integers >= 2 it lists."""
    if text is None:
        return None
    if text.strip().lower() == "none":
        return []
    try:
        periods = [int(p) for p in text.split(",")]
    except ValueError:
        periods = []
    if not periods or min(periods) < 2:
        raise click.BadParameter(f"{text!r} is not a comma-separated list of integers >= 2 or 'none'",
                                 param_hint="'--seasonal-periods'")
    return periods


def _build(o, quiet=None):
    """The forecaster the options describe."""
    from tsgate.forecaster import FORECASTERS

    future = [c.strip() for c in o["future_covariates"].split(",")] if o.get("future_covariates") else None
    return FORECASTERS[o["cell"]](
        horizon=o["horizon"], lookback=o["lookback"], max_epochs=o["epochs"], random_state=o["seed"],
        target=o["target"], fill=o["fill"], hidden_size=o["hidden_size"], num_layers=o["layers"],
        learning_rate=o["learning_rate"], future_covariates=future, calendar_features=o["calendar"],
        id_col=o.get("id_col"), window_norm=None if o["window_norm"] == "none" else o["window_norm"],
        seasonal_periods=o.get("seasonal_periods"), verbose=_progress(o["quiet"] if quiet is None else quiet, o["epochs"]))


def _check_outputs(**paths):
    """Every output path writable, and no two the same, before any work."""
    import os

    from tsgate.bundle import check_output

    given = {opt: p for opt, p in paths.items() if p and p != "-"}
    seen = {}
    for opt, p in given.items():
        key = os.path.abspath(p)
        if key in seen:
            raise UserError(f"{seen[key]} and {opt} name the same file {p!r}")
        seen[key] = opt
        check_output(p, opt)
    if given.get("--plot"):
        from tsgate.plot import check_plot_path

        check_plot_path(given["--plot"])


def _frame_text(frame, as_json):
    """CSV, or JSON records. A frame on a time index writes it as its first column
    (named ``time`` when unnamed); a long frame or a table (RangeIndex) has its
    columns only."""
    import pandas as pd

    if not isinstance(frame.index, pd.RangeIndex):
        frame = frame.rename_axis(frame.index.name or "time").reset_index()
    if as_json:  # pandas cannot write periods to JSON: their text, as in the CSV
        frame = frame.astype({c: str for c in frame.columns if isinstance(frame[c].dtype, pd.PeriodDtype)})
        return json.dumps(json.loads(frame.to_json(orient="records", date_format="iso")), indent=1) + "\n"
    return frame.to_csv(index=False)


def _write(outputs, stdout_text=None):
    """Commit the file outputs together, then print ``stdout_text``."""
    from tsgate.bundle import commit

    commit({p: (d.encode() if isinstance(d, str) else d) for p, d in outputs.items()})
    if stdout_text is not None:
        click.echo(stdout_text, nl=False)


MODELS = ["network", "auto", "naive", "seasonal_naive", "drift", "ar", "holt_winters"]
MODEL_OPTION = click.option("--model", "model_choice", type=click.Choice(MODELS), default="network",
                            show_default=True, help="the network, a baseline, or auto: the network or the best "
                                                    "baseline, whichever has the lower validation MAE")


def _fit_model(o, model_choice, history):
    """Fit the model --model names; with auto, a baseline replaces the network
    when it is better on the network's validation windows (and says so)."""
    from tsgate.baselines import BaselineForecaster

    fc = _build(o)
    if model_choice not in ("network", "auto"):
        return BaselineForecaster(model_choice, horizon=o["horizon"], target=o["target"]).fit(history)
    fc.fit(history)
    report = getattr(fc, "fit_report_", {}) or {}
    if model_choice != "auto" or not report or len(fc.ids_) > 1 or fc.future_covariates_:
        return fc
    scores = report["validation_mae"]
    best = report["best_baseline"]
    chosen = fc if scores["network"] <= scores[best] else BaselineForecaster(
        best, horizon=fc.horizon_, target=fc.targets_[0], seasonal_period=fc.seasonal_period_).fit(history)
    name = "the network" if chosen is fc else chosen.describe()
    if not o["quiet"]:
        click.echo(f"model auto: {name} (validation MAE: network {scores['network']:.4g}, "
                   f"best baseline {best.replace('_', ' ')} {scores[best]:.4g})", err=True)
    return chosen


def _summary(fc, seconds, quiet):
    if quiet:
        return
    if sys.stderr.isatty():  # end the progress line
        click.echo("", err=True)
    if not hasattr(fc, "model_"):  # a baseline
        click.echo(f"{fc.describe()}: horizon={fc.horizon_}", err=True)
        click.echo(f"time {seconds:.1f} s", err=True)
        return
    vs = getattr(fc, "val_scores_", {}) or {}
    line = (f"{type(fc).__name__}: hidden={fc.hidden_size} lookback={fc.lookback_} horizon={fc.horizon_} "
            f"norm={fc.window_norm_} epochs={len(fc.history_['loss'])} (best {fc.history_['best_epoch']})")
    click.echo(line, err=True)
    start = fc.history_.get("highway_start")
    if start:
        click.echo(f"linear start: {start.replace('+', ' + ').replace('_', ' ')} "
                   f"({'kept fixed' if fc.history_.get('highway_frozen') else 'trained'})", err=True)
        w = fc.history_.get("start_weight") or 0.0
        if w:
            click.echo(f"forecast: {1 - w:g} x network + {w:g} x linear start (the network did not beat it "
                       "clearly on validation)", err=True)
    if len(fc.models_) > fc.n_models:  # refit='mean'
        click.echo("network: the mean of its refit on all windows and the model chosen on validation", err=True)
    chosen = (getattr(fc, "fit_report_", {}) or {}).get("fallback") or {}
    if chosen:
        kinds = ", ".join(f"{k}: {n}" for k, n in sorted(Counter(chosen.values()).items()))
        click.echo(f"{len(chosen)} of {len(fc.ids_)} series forecast by a local baseline that beat the network "
                   f"on their validation windows ({kinds})", err=True)
    if vs:
        ratio = vs["mae"] / vs["seasonal_naive_mae"] if vs["seasonal_naive_mae"] > 0 else float("nan")
        report = fc.fit_report_
        best = report["best_baseline"]
        click.echo(f"validation MAE {vs['mae']:.4g} vs seasonal naive {vs['seasonal_naive_mae']:.4g} "
                   f"(ratio {ratio:.2f}, {vs['n_windows']} windows); best baseline {best.replace('_', ' ')} "
                   f"{report['validation_mae'][best]:.4g}", err=True)
    click.echo(f"time {seconds:.1f} s", err=True)


FILE_ARG = click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
READ = [
    click.option("--time-col", help="time column (default: detected)"),
    click.option("--sep", help="delimiter (default: detected among , ; tab |)"),
    click.option("--decimal", type=click.Choice([".", ","]), help="decimal mark (default: '.', or a detected ',')"),
    click.option("--encoding", help="text encoding of the file (default: utf-8)"),
    click.option("--fill", type=click.Choice(["ffill", "interpolate", "zero"]), default=None,
                 help="NaN policy (default: NaN is an error)"),
]
MODEL = [
    click.option("--target", help="target column (default: the only numeric column)"),
    click.option("--id-col", help="series id column of a long file (one row per series and time): one global "
                                  "model forecasts every series"),
    click.option("--horizon", type=click.IntRange(min=1), default=None,
                 help="steps to forecast (default: the seasonal period, at least 12)"),
    click.option("--cell", type=click.Choice(["lstm", "gru", "rnn"]), default="lstm", show_default=True),
    click.option("--lookback", type=click.IntRange(min=1), default=None, help="window length (default: from the data)"),
    click.option("--hidden-size", type=click.IntRange(min=1), default=32, show_default=True),
    click.option("--layers", type=click.IntRange(min=1), default=1, show_default=True),
    click.option("--learning-rate", type=click.FloatRange(min=0, min_open=True), default=3e-3, show_default=True),
    click.option("--epochs", type=click.IntRange(min=1), default=200, show_default=True),
    click.option("--future-covariates", help="comma-separated columns known in advance; their future values are "
                                             "the rows after the target's last value"),
    click.option("--window-norm", type=click.Choice(["auto", "last", "seasonal", "seasonal_ratio", "ets", "none"]),
                 default="auto", show_default=True,
                 help="windows relative to the last value, to the last season, as ratios to the last season "
                      "(positive series whose swing grows with the level), targets relative to a Holt-Winters "
                      "forecast over the whole history (ets), or raw; auto: chosen on validation"),
    click.option("--seasonal-periods", callback=lambda ctx, param, v: _periods(v),
                 help="comma-separated seasonal periods in steps (e.g. 24,168), or none; default: detected"),
    click.option("--calendar", is_flag=True, help="add calendar features (month, weekday, hour...)"),
    click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=0, show_default=True),
    click.option("--quiet", is_flag=True, help="no progress or summary on stderr"),
]


def options(*groups):
    def deco(fn):
        for opt in reversed([o for g in groups for o in g]):
            fn = opt(fn)
        return fn

    return deco


def _history_and_future(df, fc):
    """Rows after the target's last value (per series with --id-col) hold the future covariates."""
    import pandas as pd

    from tsgate.frames import split_future

    if not fc.future_covariates:
        return df, None
    if not fc.id_col:
        return split_future(df, fc.target, fc.future_covariates)
    if fc.id_col not in df.columns:
        raise UserError(f"--id-col {fc.id_col!r} is not a column of the file; columns: {list(df.columns)}")
    target = fc.target or ("y" if "y" in df.columns else None)
    if target is None or target not in df.columns:
        raise UserError("with --id-col and --future-covariates, name the target column with --target")
    has = df[target].notna().to_numpy()
    later = pd.Series(has[::-1]).groupby(df[fc.id_col].to_numpy()[::-1]).cummax().to_numpy()[::-1]
    future = df[~later]
    return df[later], (future[[fc.id_col, *fc.future_covariates]] if len(future) else None)


def _predict_with_progress(fc, coverage, future, quiet):
    """Forecasts of every series; with many series, in blocks that report series done / total."""
    import pandas as pd

    ids = list(getattr(fc, "ids_", [None]))
    if len(ids) < 2 or getattr(fc, "form_", "wide") == "wide":
        return fc.predict_interval(coverage=coverage, X=future)
    parts, step = [], max(1, min(1000, len(ids) // 10 or 1))
    for start in range(0, len(ids), step):
        parts.append(fc.predict_interval(coverage=coverage, X=future, ids=ids[start:start + step]))
        done = min(start + step, len(ids))
        if not quiet and (sys.stderr.isatty() or done == len(ids)):  # a file gets the last line only
            click.echo(f"{chr(13) if sys.stderr.isatty() else ''}  forecast: {done}/{len(ids)} series", err=True,
                       nl=done == len(ids))
    return pd.concat(parts, ignore_index=True) if isinstance(parts[0], pd.DataFrame) else \
        {k: v for p in parts for k, v in p.items()}


@click.group(cls=OneLineGroup)
@click.version_option(package_name="tsgate")
def main():
    """tsgate: Numba-accelerated recurrent networks for time series."""


@main.command()
@FILE_ARG
@options(READ, MODEL)
@click.option("--interval", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.9,
              show_default=True, help="prediction interval coverage")
@click.option("--out", type=click.Path(dir_okay=False, allow_dash=True), help="write the forecast here (default: stdout)")
@click.option("--plot", type=click.Path(dir_okay=False), help="save a plot here (PNG; needs matplotlib)")
@click.option("--save-model", type=click.Path(dir_okay=False), help="save the fitted model here")
@click.option("--json", "as_json", is_flag=True, help="JSON records instead of CSV")
@MODEL_OPTION
@_user_errors
def forecast(file, interval, out, plot, save_model, as_json, model_choice, **o):
    """Fit on FILE (a CSV, or - for stdin) and forecast what follows it, with an interval."""
    t0 = time.perf_counter()
    _check_outputs(**{"--out": out, "--plot": plot, "--save-model": save_model})
    if plot and o["id_col"]:
        raise UserError("--plot draws one series: leave out --id-col, or plot from the written forecast")
    df = _read(file, o["time_col"], o["sep"], o["decimal"], o["encoding"])
    history, future = _history_and_future(df, _build(o))
    fc = _fit_model(o, model_choice, history)
    pred = _predict_with_progress(fc, interval, future, o["quiet"])
    text = _frame_text(pred, as_json)
    outputs = {out: text} if out and out != "-" else {}
    if plot:
        from tsgate.plot import check_plot_path, plot_png

        outputs[plot] = plot_png(history[fc.targets_[0]], pred, target=fc.targets_[0],
                                 last=max(8 * fc.horizon_, 4 * getattr(fc, "lookback_", fc.horizon_)),
                                 fmt=check_plot_path(plot))
    if save_model:
        buf = io.BytesIO()
        fc.save(buf)
        outputs[save_model] = buf.getvalue()
    _write(outputs, None if outputs.get(out) else text)
    _summary(fc, time.perf_counter() - t0, o["quiet"])


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
    df = _read(file, o["time_col"], o["sep"], o["decimal"], o["encoding"])
    fc = _fit_model(o, model_choice, _history_and_future(df, _build(o))[0])
    buf = io.BytesIO()
    fc.save(buf)
    _write({save_model: buf.getvalue()})
    _summary(fc, time.perf_counter() - t0, o["quiet"])


@main.command()
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--input", "input_", type=click.Path(dir_okay=False, allow_dash=True),
              help="newer data (a CSV, or - for stdin): forecast after its end")
@options(READ)
@click.option("--horizon", type=click.IntRange(min=1), default=None)
@click.option("--interval", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.9, show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--json", "as_json", is_flag=True)
@_user_errors
def predict(model, input_, time_col, sep, decimal, encoding, fill, horizon, interval, out, as_json):
    """Forecast from a saved MODEL, optionally after newer data."""
    from tsgate.forecaster import load

    _check_outputs(**{"--out": out})
    fc = load(model)
    future = None
    if input_:
        if hasattr(fc, "fill"):
            fc.set_params(fill=fill)
        history, future = _history_and_future(_read(input_, time_col, sep, decimal, encoding), fc)
        fc.update(history)
    text = _frame_text(fc.predict_interval(coverage=interval, horizon=horizon, X=future), as_json)
    _write({out: text} if out and out != "-" else {}, None if out and out != "-" else text)


@main.command()
@FILE_ARG
@options(READ, MODEL)
@click.option("--folds", type=click.IntRange(min=1), default=3, show_default=True)
@click.option("--retrain/--no-retrain", default=True, show_default=True,
              help="refit (warm-started) before every fold, or fit once before the first")
@click.option("--out", type=click.Path(dir_okay=False, allow_dash=True), help="write the table here (CSV, or JSON)")
@click.option("--json", "as_json", is_flag=True, help="JSON records instead of the text table")
@_user_errors
def backtest(file, folds, retrain, out, as_json, **o):
    """Rolling-origin evaluation: MAE, RMSE, sMAPE, MASE per fold, next to seasonal naive
    (every series of a long file with --id-col, pooled; the forecasts of all origins in batched passes)."""
    from tsgate.evaluation import backtest as run_backtest, summarise

    _check_outputs(**{"--out": out})
    table = run_backtest(_build(o, quiet=True), _read(file, o["time_col"], o["sep"], o["decimal"], o["encoding"]),
                         folds=folds, horizon=o["horizon"], retrain=retrain)
    if as_json or (out and out != "-"):
        text = _frame_text(table, as_json)
        _write({out: text} if out and out != "-" else {}, None if out and out != "-" else text)
        return
    lines = [f"{'fold':>5} {'start':>20} {'model':>15} {'MAE':>10} {'RMSE':>10} {'sMAPE':>8} {'MASE':>7}"]
    for r in table.itertuples():
        lines.append(f"{r.fold:>5} {str(r.start):>20} {r.model:>15} {r.MAE:>10.4g} {r.RMSE:>10.4g} "
                     f"{r.sMAPE:>8.2f} {r.MASE:>7.3f}")
    for name, r in summarise(table).iterrows():
        lines.append(f"{'all':>5} {'':>20} {name:>15} {r.MAE:>10.4g} {r.RMSE:>10.4g} {r.sMAPE:>8.2f} {r.MASE:>7.3f}")
    click.echo("\n".join(lines))


@main.command()
@FILE_ARG
@options(READ, MODEL)
@click.option("--plot", type=click.Path(dir_okay=False), help="save the lag profile here (PNG; needs matplotlib)")
@click.option("--top", type=click.IntRange(min=1), default=10, show_default=True, help="how many lags to list")
@_user_errors
def explain(file, plot, top, **o):
    """How far back the model looks: fit on FILE and rank the lags by mean |d forecast / d input|."""
    _check_outputs(**{"--plot": plot})
    if plot:
        from tsgate.plot import check_plot_path

        fmt = check_plot_path(plot)
    df = _read(file, o["time_col"], o["sep"], o["decimal"], o["encoding"])
    fc = _build(o)
    fc.fit(_history_and_future(df, fc)[0])
    imp = fc.lag_importance()
    ranked = imp.stack().sort_values(ascending=False).head(top)
    click.echo(f"{'lag':>6} {'input':>20} {'importance':>12}")
    for (lag, col), value in ranked.items():
        click.echo(f"{lag:>6} {str(col):>20} {value:>12.4g}")
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
    text = load(name, frame=True).to_csv()
    _write({out: text} if out and out != "-" else {}, None if out and out != "-" else text)


if __name__ == "__main__":  # pragma: no cover
    main()
