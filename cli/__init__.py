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


def _user_errors(fn):
    """Turn the library's input errors into one-line exit-2 errors."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from tsgate.io import ModelFileError
        from tsgate.training import TrainingDivergedError

        try:
            return fn(*args, **kwargs)
        except (ValueError, TypeError, ModelFileError, TrainingDivergedError, ImportError, OSError) as exc:
            msg = " ".join(str(exc).split())
            raise UserError(msg or type(exc).__name__) from None

    return wrapper


def read_csv(path, time_col=None):
    """Read a CSV and put its time column (given or detected) on the index."""
    import pandas as pd

    try:
        df = pd.read_csv(path)
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except pd.errors.EmptyDataError:
        raise UserError(f"{path}: the file is empty") from None
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise UserError(f"{path}: not a readable CSV ({' '.join(str(exc).split())})") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if df.empty:
        raise UserError(f"{path}: the file has a header but no rows")
    if time_col is not None:
        if time_col not in df.columns:
            raise UserError(f"--time-col {time_col!r} is not a column of {path}; columns: {list(df.columns)}")
    else:
        for col in df.columns:
            if df[col].dtype == object or pd.api.types.is_string_dtype(df[col]):
                parsed = pd.to_datetime(df[col], errors="coerce", format="mixed")
                if parsed.notna().all():
                    time_col = col
                    break
    if time_col is not None:
        parsed = pd.to_datetime(df[time_col], errors="coerce", format="mixed")
        if parsed.isna().any():
            row = int(parsed.isna().to_numpy().argmax())
            raise UserError(f"{path}: column {time_col!r} has an unparseable timestamp at row {row + 1}: "
                            f"{df[time_col].iloc[row]!r}")
        df = df.drop(columns=[time_col])
        df.index = pd.DatetimeIndex(parsed, name=time_col)
    return df


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


def _default_horizon(df, horizon):
    if horizon is not None:
        return horizon
    from tsgate._data import as_frame, seasonal_period

    _, freq = as_frame(df, name="FILE")
    return max(seasonal_period(freq), 12) if seasonal_period(freq) > 1 else 12


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
        from tsgate.plot import _require_matplotlib

        _require_matplotlib()
    df = read_csv(file, time_col)
    fc = _build(cell, _default_horizon(df, horizon), lookback, epochs, seed, target, fill, quiet)
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
    fc = _build(cell, _default_horizon(df, horizon), lookback, epochs, seed, target, fill, quiet)
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
    import numpy as np

    from tsgate import metrics
    from tsgate._data import as_frame, seasonal_period

    df = read_csv(file, time_col)
    H = _default_horizon(df, horizon)
    frame, freq = as_frame(df, name="FILE")
    m = seasonal_period(freq)
    rows = []
    for k in range(folds):
        cut = len(frame) - (folds - k) * H
        if cut <= 0:
            raise ValueError(f"{folds} folds of horizon {H} need more than {folds * H} rows")
        train, test = frame.iloc[:cut], frame.iloc[cut:cut + H]
        fc = _build(cell, H, lookback, epochs, seed, target, fill, True).fit(train)
        t = fc.targets_[0]
        y_tr, y_te = train[t].to_numpy(float), test[t].to_numpy(float)
        f = fc.predict()[t].to_numpy()
        sn = metrics.seasonal_naive(y_tr, H, m)
        mm = m if len(y_tr) > m else 1
        for name, pred in (("tsgate", f), ("seasonal_naive", sn)):
            rows.append((k + 1, name, metrics.mae(y_te, pred), metrics.rmse(y_te, pred),
                         metrics.smape(y_te, pred), metrics.mase(y_te, pred, y_tr, mm)))
    click.echo(f"{'fold':>5} {'model':>15} {'MAE':>10} {'RMSE':>10} {'sMAPE':>8} {'MASE':>7}")
    for r in rows:
        click.echo(f"{r[0]:>5} {r[1]:>15} {r[2]:>10.4g} {r[3]:>10.4g} {r[4]:>8.2f} {r[5]:>7.3f}")
    for name in ("tsgate", "seasonal_naive"):
        a = np.array([r[2:] for r in rows if r[1] == name])
        click.echo(f"{'all':>5} {name:>15} {a[:, 0].mean():>10.4g} {a[:, 1].mean():>10.4g} "
                   f"{a[:, 2].mean():>8.2f} {a[:, 3].mean():>7.3f}")


@main.command()
def warmup():
    """Compile and cache every CPU kernel (float32 and float64) ahead of time."""
    import numpy as np

    from tsgate.network import RecurrentNetwork
    from tsgate.training import SequenceModel, train

    t0 = time.perf_counter()
    for dtype in ("float32", "float64"):
        for cell in ("lstm", "gru", "rnn"):
            net = RecurrentNetwork(cell, 2, 3, dtype=dtype)
            y, h, c = net.forward(np.zeros((2, 2, 2)))
            net.backward(np.ones_like(y))
    for opt in ("adam", "rmsprop", "sgd"):
        model = SequenceModel("lstm", 1, 2, 1, random_state=0)
        train(model, np.zeros((4, 3, 1), np.float32), np.zeros((4, 1), np.float32), optimizer=opt, max_epochs=1)
    click.echo(f"compiled and cached all kernels in {time.perf_counter() - t0:.1f} s", err=True)


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
