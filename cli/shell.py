"""The command line's shell: CLI vocabulary, one-line user errors, warnings on
stderr, and outputs checked before any work and written together, atomically."""

import contextlib
import errno
import functools
import json
import sys
import warnings

import click

#: Python parameter -> command-line option, for messages raised by the library.
VOCABULARY = {"time_col": "--time-col", "target": "--target", "fill": "--fill", "horizon": "--horizon",
              "lookback": "--lookback", "max_epochs": "--epochs", "random_state": "--seed", "X": "FILE",
              "hidden_size": "--hidden-size", "num_layers": "--layers", "learning_rate": "--learning-rate",
              "future_covariates": "--future-covariates", "calendar_features": "--calendar", "sep": "--sep",
              "decimal": "--decimal", "encoding": "--encoding", "coverage": "--interval", "cell": "--cell",
              "window_norm": "--window-norm", "seasonal_periods": "--seasonal-periods",
              "seasonal_period": "--seasonal-periods",
              "window_position": "--window-position", "past_covariates": "--past-covariates",
              "strategy": "--strategy", "n_models": "--ensemble", "time_budget": "--time-budget",
              "model": "--model", "device": "--device", "outliers": "--outliers", "folds": "--folds",
              "id_col": "--id-col", "on_series": "--new-series",
              "step": "--step", "nonnegative": "--nonnegative"}


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
    one-line exit-2 errors, as does running out of memory (options too large for the
    machine). Anything else is a bug and keeps its traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from tsgate.bundle import OutputError
        from tsgate.errors import TsgateError, speaking

        try:
            data = kwargs.get("file") or kwargs.get("input_") or "FILE"  # predict's newer data: --input
            data = "standard input" if data == "-" else data
            with speaking({**VOCABULARY, "X": data}), _warnings_to_stderr():
                return fn(*args, **kwargs)
        except (TsgateError, OutputError) as exc:
            raise UserError(" ".join(str(exc).split()) or type(exc).__name__) from None
        except MemoryError as exc:  # e.g. --hidden-size 100000: 298 GiB of weights
            raise UserError(f"out of memory ({' '.join(str(exc).split()) or 'MemoryError'}): lower --hidden-size, "
                            "--layers, --lookback or --ensemble") from None

    return wrapper


@contextlib.contextmanager
def _warnings_to_stderr():
    """tsgate's own warnings as ``tsgate: warning:`` lines (others as Python shows them)."""
    from tsgate.errors import TsgateWarning

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", TsgateWarning)
            yield
    finally:  # replayed outside the recording context (inside it, showwarning records), each text once
        seen = set()
        for w in caught:
            if (w.category, str(w.message)) in seen:
                continue  # e.g. the same short-calibration warning for each series of a panel
            seen.add((w.category, str(w.message)))
            if issubclass(w.category, TsgateWarning):
                click.echo(f"tsgate: warning: {w.message}", err=True)
            else:
                warnings.showwarning(w.message, w.category, w.filename, w.lineno)


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


def _frame_text(frame, as_json, time_format=None):
    """CSV, or JSON records. A frame on a time index writes it as its first column
    (named ``time`` when unnamed; integer steps ``step``); a long frame or a table
    (a RangeIndex from 0) has its columns only. ``time_format`` (:data:`tsgate.csvio.SHORT_TIMES`: the input
    file's years, months or quarters) writes the times in that form."""
    import pandas as pd

    if not (isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0):  # a forecast's times or steps
        default = "step" if pd.api.types.is_integer_dtype(frame.index) else "time"
        frame = frame.rename_axis(frame.index.name or default).reset_index()
    if time_format:
        frame = frame.assign(**{c: _short_times(frame[c], time_format) for c in frame.columns
                                if pd.api.types.is_datetime64_any_dtype(frame[c])})
    if as_json:  # times as text, as in the CSV (pandas writes periods not at all, dates with a time of day)
        frame = frame.assign(**{c: _json_times(frame[c]) for c in frame.columns
                                if isinstance(frame[c].dtype, pd.PeriodDtype)
                                or pd.api.types.is_datetime64_any_dtype(frame[c])})
        return json.dumps(json.loads(frame.to_json(orient="records")), indent=1) + "\n"
    return frame.to_csv(index=False)


def _json_times(times):
    """Periods as their text; datetimes as ISO 8601 dates ('2025-01-01') when every one is a
    midnight without a time zone, else with their time of day (and offset); NaT as null."""
    import pandas as pd

    if isinstance(times.dtype, pd.PeriodDtype):
        return times.astype(str)
    if times.dt.tz is None and (times.dropna() == times.dropna().dt.normalize()).all():
        return times.dt.strftime("%Y-%m-%d").where(times.notna(), None)
    return times.map(lambda t: None if t is None or t != t else t.isoformat())


def _short_times(times, time_format):
    """Datetimes as text in a short form: '%Y', '%Y-%m'..., or 'quarter' (2005Q1)."""
    if time_format == "quarter":
        return times.dt.to_period("Q").astype(str)
    return times.dt.strftime(time_format)


def _write(outputs, stdout_text=None):
    """Commit the file outputs together, then print ``stdout_text``."""
    from tsgate.bundle import commit

    commit({p: (d.encode() if isinstance(d, str) else d) for p, d in outputs.items()})
    if stdout_text is not None:
        click.echo(stdout_text, nl=False)
