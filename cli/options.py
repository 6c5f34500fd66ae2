"""The command line's options and what they build: the forecaster, its fit
(``--model``), the forecasts with progress, and the summary on stderr."""

import sys

import click

from .shell import UserError


class _PositiveFinite(click.FloatRange):
    """A float above 0 that is a number: click's range lets inf and nan through."""

    name = "positive number"

    def __init__(self):
        super().__init__(min=0, min_open=True)

    def convert(self, value, param, ctx):
        import math

        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


POSITIVE = _PositiveFinite()

def _read(file, time_col, sep, decimal, encoding):
    from tsgate.csvio import read_csv

    return read_csv(file, time_col=time_col, sep=sep, decimal=decimal, encoding=encoding)


def _read_data(file, o):
    """FILE read as the options say, with only the columns the model may read
    when --past-covariates names them (or 'none')."""
    df = _read(file, o["time_col"], o["sep"], o["decimal"], o["encoding"])
    listed, future = o.get("past_covariates"), _future(o) or []
    if listed is None:
        if o["target"] is None and future:  # the one numeric column left over (a baseline reads no covariate)
            o["target"] = _left_over(df, future, o)
        return df
    past = [] if listed.strip().lower() == "none" else [c.strip() for c in listed.split(",") if c.strip()]
    target = o["target"] or _left_over(df, [*past, *future], o)
    if target is None:
        left = _numeric(df, [*past, *future, o.get("id_col")])
        raise UserError(f"--past-covariates needs --target: the column to forecast (the numeric columns it "
                        f"and --future-covariates leave: {left})")
    o["target"] = target  # the model is built from the options after the read
    targets = target if isinstance(target, list) else [target]
    for c in past:
        if c not in df.columns:
            raise UserError(f"--past-covariates names {c!r}, not a column of {_file_name(file)}; columns: "
                            f"{list(df.columns)}")
        if c in targets or c in future:
            raise UserError(f"--past-covariates names {c!r}, which is the target or a --future-covariates column")
    keep = [c for c in df.columns if c in {*targets, o.get("id_col"), *future, *past}]
    return df[keep]


def _numeric(df, besides):
    """The numeric columns of ``df`` not in ``besides``, True/False ones left out."""
    import pandas as pd

    return [c for c in df.columns if c not in besides and pd.api.types.is_numeric_dtype(df[c])
            and not pd.api.types.is_bool_dtype(df[c])]


def _left_over(df, covariates, o):
    """The target where --target is not given: with --id-col a column 'y', else the one numeric column
    that is not the id or a covariate named in ``covariates`` (None if there is not exactly one)."""
    if o.get("id_col") and "y" in df.columns:
        return "y"
    left = _numeric(df, [*covariates, o.get("id_col")])
    return left[0] if len(left) == 1 else None


def _targets(text):
    """--target: one column's name, or the list that a comma-separated value names."""
    names = [c.strip() for c in text.split(",") if c.strip()] if text and "," in text else None
    return text if names is None else (names if len(names) > 1 else names[0] if names else None)


def _future(o):
    """--future-covariates as a list of column names (None without it)."""
    return [c.strip() for c in o["future_covariates"].split(",")] if o.get("future_covariates") else None


def _progress(quiet, max_epochs):
    if quiet or not sys.stderr.isatty():
        return 0

    def cb(epoch, loss, val_loss):
        val = f"val_loss {val_loss:.4f}" if val_loss == val_loss else "refit, no validation"  # NaN: the refit
        click.echo(f"\r  epoch {epoch:4d}/{max_epochs}  loss {loss:.4f}  {val}", err=True, nl=False)

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


def _coverages(text):
    """--interval: one coverage in (0, 1), or several, comma-separated (one band each)."""
    from tsgate.conformal import levels

    try:
        values = [float(v) for v in str(text).split(",")]
        levels(values)  # the library's check: each in (0, 1), all distinct (a ParameterError is a ValueError)
    except ValueError:
        parts = str(text).split(",")
        percent = all(p.strip().replace(".", "", 1).isdigit() and 50 <= float(p) < 100 for p in parts)
        hint = f" (a percentage? write {','.join(str(float(p) / 100) for p in parts)})" if percent else ""
        raise click.BadParameter(f"{text!r} is not a coverage in (0, 1) or a comma-separated list of distinct "
                                 f"ones{hint}", param_hint="'--interval'") from None
    return values[0] if len(values) == 1 else values


INTERVAL_OPTION = click.option("--interval", default="0.9", show_default=True,
                               callback=lambda ctx, param, v: _coverages(v),
                               help="prediction interval coverage, or several comma-separated (0.8,0.95: "
                                    "columns _lower_80, _upper_80, _lower_95, _upper_95)")


def _auto(o, key):
    """A --flag/--no-flag option left out: the parameter's 'auto'."""
    return "auto" if o.get(key) is None else o[key]


def _build(o, quiet=None):
    """The forecaster the options describe."""
    from tsgate.forecaster import FORECASTERS

    if o.get("id_col") and isinstance(o["target"], list):
        raise UserError(f"--target names {len(o['target'])} columns; with --id-col it names one, the long file's "
                        "values (several target columns are a wide file, read without --id-col)")
    future = _future(o)
    return FORECASTERS[o["cell"]](
        horizon=o["horizon"], lookback=o["lookback"], max_epochs=o["epochs"], random_state=o["seed"],
        target=o["target"], fill=o["fill"], outliers=o["outliers"], hidden_size=o["hidden_size"],
        num_layers=o["layers"], learning_rate=o["learning_rate"], time_budget=o.get("time_budget"),
        strategy=o.get("strategy", "direct"),
        n_models=o.get("ensemble", 1), n_jobs=-1 if o.get("ensemble", 1) > 1 else None,
        future_covariates=future, calendar_features=o["calendar"],
        id_col=o.get("id_col"), window_norm=None if o["window_norm"] == "none" else o["window_norm"],
        seasonal_periods=o.get("seasonal_periods"),
        window_position=_auto(o, "window_position"), nonnegative=_auto(o, "nonnegative"),
        device=o["device"], verbose=_progress(o["quiet"] if quiet is None else quiet, o["epochs"]))


# tsgate.backend.DEVICES, written out: importing the backend here would load numba for --help
DEVICE_OPTION = click.option("--device", type=click.Choice(["cpu", "cuda", "auto"]), default="cpu",
                             show_default=True, help="where the network trains and predicts: cuda needs an "
                                                     "NVIDIA GPU and pip install 'tsgate[cuda]'; auto: the GPU "
                                                     "when there is one")


FILE_ARG = click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
READ = [
    click.option("--time-col", help="time column (default: detected)"),
    click.option("--sep", help="delimiter, one character (\\t or tab: a tab; default: detected among , ; tab |)"),
    click.option("--decimal", type=click.Choice([".", ","]), help="decimal mark (default: '.', or a detected ',')"),
    click.option("--encoding", help="text encoding of the file (default: utf-8)"),
    click.option("--fill", type=click.Choice(["ffill", "interpolate", "zero"]), default=None,
                 help="NaN policy (default: NaN is an error)"),
]
MODEL = [
    click.option("--target", callback=lambda ctx, param, text: _targets(text),
                 help="target column, or several comma-separated (one model forecasts each; default: the only "
                      "numeric column)"),
    click.option("--outliers", type=click.Choice(["repair", "keep"]), default="repair", show_default=True,
                 help="a value far apart from its neighbours in time and one season away (a typo, a sensor "
                      "spike) is replaced before training, with a warning; keep: train on it"),
    click.option("--id-col", help="series id column of a long file (one row per series and time): one global "
                                  "model forecasts every series"),
    click.option("--horizon", type=click.IntRange(min=1), default=None,
                 help="steps to forecast (default: the rows of --future-covariates after the target's last "
                      "value, else the seasonal period, at least 12)"),
    click.option("--cell", type=click.Choice(["lstm", "gru", "rnn"]), default="lstm", show_default=True),
    click.option("--lookback", type=click.IntRange(min=1), default=None, help="window length (default: from the data)"),
    click.option("--hidden-size", type=click.IntRange(min=1), default=32, show_default=True),
    click.option("--layers", type=click.IntRange(min=1), default=1, show_default=True),
    click.option("--learning-rate", type=POSITIVE, default=3e-3, show_default=True),
    click.option("--epochs", type=click.IntRange(min=1), default=200, show_default=True),
    click.option("--time-budget", type=POSITIVE, default=None,
                 help="seconds of training per network after which no new epoch starts (default: no limit)"),
    click.option("--strategy", type=click.Choice(["direct", "recursive"]), default="direct", show_default=True,
                 help="one output per horizon step, or one step fed back horizon times (any --horizon later)"),
    click.option("--ensemble", type=click.IntRange(min=1), default=1, show_default=True,
                 help="train this many networks (seeds --seed, --seed + 1, ...) on all cores and forecast "
                      "their median; intervals add their spread"),
    click.option("--future-covariates", help="comma-separated columns known in advance; their future values are "
                                             "the rows after the target's last value"),
    click.option("--past-covariates", help="comma-separated columns the network reads up to the forecast origin, "
                                           "or none (other columns are left out); default: every numeric "
                                           "column but the target and the future covariates"),
    click.option("--window-norm", type=click.Choice(["auto", "last", "seasonal", "seasonal_ratio", "ets", "none"]),
                 default="auto", show_default=True,
                 help="windows relative to the last value, to the last season, as ratios to the last season "
                      "(positive series whose swing grows with the level), targets relative to a Holt-Winters "
                      "forecast over the whole history (ets), or raw; auto: chosen on validation"),
    click.option("--seasonal-periods", callback=lambda ctx, param, v: _periods(v),
                 help="comma-separated seasonal periods in steps (e.g. 24,168), or none; default: detected"),
    click.option("--calendar", is_flag=True, help="add calendar features (month, weekday, hour...)"),
    click.option("--window-position/--no-window-position", default=None,
                 help="each step's place in the window as an input (a lag is read, not counted); default: on "
                      "where the network reads covariates (--future-covariates, or other numeric columns)"),
    click.option("--nonnegative/--no-nonnegative", default=None,
                 help="keep forecasts and interval bounds at or above zero; default: for a series without "
                      "negative values whose lowest is at most 1% of its highest (counts, sunspots)"),
    click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=0, show_default=True),
    DEVICE_OPTION,
    click.option("--quiet", is_flag=True, help="no progress or summary on stderr"),
]


def options(*groups):
    def deco(fn):
        for opt in reversed([o for g in groups for o in g]):
            fn = opt(fn)
        return fn

    return deco


def _history_and_future(df, fc, file=None):
    """Rows after the target's last value (per series with --id-col) hold the future covariates.
    ``file``: predict's --input, read for the saved model ``fc`` (its columns are the model's, not options)."""
    from tsgate.panel import split_future

    est = getattr(fc, "estimator", fc)  # a LocalForecaster's models are clones of its estimator
    covariates = getattr(est, "future_covariates", None)  # baselines have none
    id_col = getattr(fc, "id_col_", None) or getattr(fc, "id_name_", None) or getattr(est, "id_col", None)
    if not covariates:
        return (df if file is None else _without_future_rows(df, fc, est, id_col, _file_name(file))), None
    if file is not None:
        _check_model_columns(df, [id_col] if id_col else [], covariates, _file_name(file))
    if not id_col:
        return split_future(df, est.target, covariates)
    if id_col not in df.columns:
        raise UserError(f"--id-col {id_col!r} is not a column of the file; columns: {list(df.columns)}")
    fitted = getattr(fc, "targets_", None)  # a saved model's, whether --target named it or not
    target = est.target or (fitted[0] if fitted else None)
    if target is None or target not in df.columns:
        left = _numeric(df, [id_col, *covariates])
        which = f"one of the numeric columns {left}" if left else "the file has no numeric column but --id-col's and " \
            "--future-covariates'"
        raise UserError(f"with --id-col and --future-covariates, name the target column with --target ({which})")
    later = _up_to_last_value(df, [target], id_col)
    future = df[~later]
    return df[later], (future[[id_col, *covariates]] if len(future) else None)


def _up_to_last_value(df, targets, id_col):
    """(n,) bool: the rows of ``df`` up to its series' last value of ``targets`` (per ``id_col``, if a column)."""
    import numpy as np
    import pandas as pd

    has = df[targets].notna().any(axis=1).to_numpy()[::-1]
    groups = df[id_col].to_numpy()[::-1] if id_col in df.columns else np.zeros(len(df))
    return pd.Series(has).groupby(groups).cummax().to_numpy()[::-1]


def _without_future_rows(df, fc, est, id_col, label):
    """--input for a saved model that reads no known-future covariates (a baseline, or a network fit without
    them) in the layout that gives them: rows after the target's last value (per series) that hold other
    values are left out, with a warning, as forecast leaves them out. Trailing rows of a target alone stay:
    missing values, for --fill or its error."""
    import warnings

    from tsgate.errors import TsgateWarning, rows

    targets = [t for t in (getattr(fc, "targets_", None) or [est.target or "y"]) if t in df.columns]
    if not targets:
        return df
    later = _up_to_last_value(df, targets, id_col)
    others = df[~later].drop(columns=[c for c in [*targets, id_col] if c in df.columns]).select_dtypes("number")
    if not others.notna().any(axis=None):
        return df
    n = int((~later).sum())
    verb = "is" if n == 1 else "are"
    warnings.warn(TsgateWarning(f"{label}: its {rows(n)} after the target's last value {verb} left out: the model "
                                "reads no known-future covariates"), stacklevel=2)
    return df[later]


def _check_model_columns(df, ids, covariates, label):
    """A one-line error naming a column of a saved model's series ids or future covariates that --input lacks."""
    for c in [*ids, *covariates]:
        if c not in df.columns:
            what = "the series id column" if c in ids else "a future covariate"
            raise UserError(f"{label} has no column {c!r}, {what} the model reads; columns: {list(df.columns)}")


def _file_name(file):
    """How messages name FILE (or --input): '-' is standard input."""
    return "standard input" if file == "-" else file


def _check_future_rows(columns, future, file, horizon=None, id_col=None, said=None):
    """A one-line error, before any fit, where a model reads known-future ``columns``
    but ``file`` has no rows after the target's last value, or fewer than ``horizon`` (--horizon's,
    unless ``said`` names where it comes from)."""
    if columns and future is None:
        raise UserError(f"{_file_name(file)} has no rows after the target's last value: the future covariates "
                        f"{list(columns)} need their values over the forecast there, one row per step, the target "
                        "left empty")
    rows = _future_horizon(future, id_col) if columns else None
    if rows is not None and horizon is not None and rows < horizon:
        which = f" (series {future.groupby(id_col).size().idxmin()!r})" if id_col else ""
        raise UserError(f"{said or f'--horizon {horizon}'} needs {horizon} rows of the future covariates "
                        f"{list(columns)} after the target's last value; {_file_name(file)} has {rows}{which}")


def _future_horizon(future, id_col):
    """The rows of future covariates after the target's last value: per series with ``id_col``, the fewest."""
    return int(future.groupby(id_col).size().min()) if id_col else len(future)


def _horizon_from_future(o, future):
    """--horizon as the commands that fit read it: where not given and the file has rows of known-future
    covariates after the target's end (``future``), their number (set in the options ``o``); returned."""
    if o["horizon"] is None and future is not None:
        o["horizon"] = _future_horizon(future, o.get("id_col"))
    return o["horizon"]


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
