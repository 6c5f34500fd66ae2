"""Forecast plots (matplotlib is an optional extra: ``pip install tsgate[plot]``)."""

import io
import os

from . import bundle
from .errors import DataError, MissingDependencyError, ParameterError
from .params import positive_int


def require_matplotlib():
    """matplotlib.pyplot (Agg backend), or a MissingDependencyError naming the extra."""
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError:
        raise MissingDependencyError("plotting needs matplotlib: pip install 'tsgate[plot]' "
                          "(or pip install matplotlib)") from None
    return plt


#: At most this many series are drawn, one panel each, from a long forecast.
MAX_PANELS = 12


def plot_forecast(history, forecast, target=None, path=None, title=None, last=None, id_col=None):
    """Draw the history, the forecast and its interval band; one panel per
    series for a long forecast (``id_col``; the first :data:`MAX_PANELS`).

    Parameters
    ----------
    history : pandas Series or DataFrame
        Observed data (the target column is used for a DataFrame; with
        ``id_col``, a long frame with the time in the forecast's time column
        or on the index).
    forecast : pandas DataFrame
        From ``predict`` or ``predict_interval`` (columns ``t``,
        ``t_lower``, ``t_upper``, or one pair per coverage: ``t_lower_80``...;
        with ``id_col``, long: the id, the time, then those).
    target : str, optional
        Column to draw (default: the first forecast column).
    path : str, optional
        Save the figure here (PNG without a suffix, else the suffix's format), atomically; the
        format and the directory are checked before drawing.
    last : int, optional
        Show only the last ``last`` (>= 1) observations of the history.
    id_col : str, optional
        The series id column of a long forecast and history.

    Returns
    -------
    matplotlib.figure.Figure
    """
    plt = require_matplotlib()
    if last is not None:
        positive_int(last, "last")
    fmt = _check_path(path) if path else None
    target, panels = _panels(history, forecast, target, id_col)
    shown = panels[:MAX_PANELS]
    cols = min(3, len(shown))
    rows = -(-len(shown) // cols)
    size = (9, 4) if len(shown) == 1 else (4.6 * cols, 3.0 * rows)
    fig, axes = plt.subplots(rows, cols, figsize=size, dpi=110, squeeze=False)
    for j, (sid, hist, fc) in enumerate(shown):
        _draw(axes.flat[j], hist.iloc[-last:] if last else hist, fc, target, legend=j == 0)
        if sid is not None:  # a number alone says little: 'store 7'
            axes.flat[j].set_title(str(sid) if isinstance(sid, str) else f"{id_col} {sid}", fontsize=10)
    for ax in axes.flat[len(shown):]:
        ax.axis("off")
    more = f" ({len(shown)} of {len(panels)} series)" if len(panels) > len(shown) else ""
    heading = (title or f"tsgate forecast of {target}") + more
    if id_col is None:
        axes.flat[0].set_title(heading)
    else:
        fig.suptitle(heading)
    fig.autofmt_xdate()
    fig.tight_layout()
    if path:
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt)
        bundle.commit({path: buf.getvalue()})
    return fig


def _check_path(path):
    """``path``'s image format, once it is known writable (:func:`check_plot_path`, and its directory)."""
    fmt = check_plot_path(path)
    try:
        bundle.check_output(path, "path")
    except bundle.OutputError as exc:
        raise ParameterError(str(exc)) from None
    return fmt


def _panels(history, forecast, target, id_col):
    """(target, [(series id or None, its history, its forecast on its times)]) to draw."""
    for name, col in (("id_col", id_col), ("target", target)):
        if col is not None and col not in forecast.columns:
            raise DataError(f"{name} {col!r} is not a column of the forecast; columns: {list(forecast.columns)}")
    if id_col is None:
        target = target if target is not None else forecast.columns[0]
        return target, [(None, history[target] if hasattr(history, "columns") else history, forecast)]
    time = next(c for c in forecast.columns if c != id_col)  # long: the id, the time, then the columns
    target = target if target is not None else next(c for c in forecast.columns if c not in (id_col, time))
    past = history.set_index(time) if time in history.columns else history
    return target, [(sid, past.loc[past[id_col] == sid, target], part.set_index(time))
                    for sid, part in forecast.groupby(id_col, sort=False)]


def _draw(ax, hist, forecast, target, legend=True):
    """One series on ``ax``: its history, the forecast and every band of ``forecast``."""
    ax.plot(hist.index, hist.to_numpy(), color="0.2", lw=1.3, label="history")
    ax.plot(forecast.index, forecast[target].to_numpy(), color="tab:blue", lw=1.8, label="forecast")
    for suffix, label in _bands(forecast, target):  # the widest first, the narrower drawn over it
        ax.fill_between(forecast.index, forecast[f"{target}_lower{suffix}"].to_numpy(),
                        forecast[f"{target}_upper{suffix}"].to_numpy(), color="tab:blue", alpha=0.18, label=label)
    ax.grid(alpha=0.3)
    if legend:
        ax.legend(loc="upper left")


def _bands(forecast, target):
    """(column suffix, legend label) of every band of ``forecast``: '' for
    ``predict_interval(0.9)``'s, '_80', '_95'... for a list of coverages; widest first."""
    lower = f"{target}_lower"
    suffixes = [str(c)[len(lower):] for c in forecast.columns if str(c).startswith(lower)
                and f"{target}_upper{str(c)[len(lower):]}" in forecast.columns]
    pct = lambda s: float(s.lstrip("_")) if s.lstrip("_").replace(".", "", 1).isdigit() else 0.0  # noqa: E731
    return [(s, f"{pct(s):g}% interval" if s else "interval") for s in sorted(suffixes, key=pct, reverse=True)]


def check_plot_path(path):
    """Raise before any work when ``path`` has an image format matplotlib
    cannot write (or matplotlib is missing). No suffix means PNG."""
    plt = require_matplotlib()
    fmt = os.path.splitext(str(path))[1].lstrip(".").lower() or "png"
    supported = plt.figure().canvas.get_supported_filetypes()
    plt.close("all")
    if fmt not in supported:
        raise ParameterError(f"cannot plot to {str(path)!r}: matplotlib writes {', '.join(sorted(supported))}, "
                             f"not {fmt!r}")
    return fmt


def plot_png(history, forecast, target=None, last=None, fmt="png", id_col=None):
    """The bytes of :func:`plot_forecast`'s figure in image format ``fmt``."""
    plt = require_matplotlib()
    fig = plot_forecast(history, forecast, target=target, last=last, id_col=id_col)
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt)
    plt.close(fig)
    return buf.getvalue()


def lag_profile_png(importance, fmt="png"):
    """The bytes of a plot of a lag-importance table (lag x input column)."""
    plt = require_matplotlib()
    fig, ax = plt.subplots(figsize=(9, 4), dpi=110)
    for col in importance.columns:
        ax.plot(importance.index, importance[col].to_numpy(), lw=1.4, label=str(col))
    ax.set_xlabel("lag (steps before the first forecast step)")
    ax.set_ylabel("mean |d forecast / d input|")
    ax.set_title("How far back the model looks")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt)
    plt.close(fig)
    return buf.getvalue()
