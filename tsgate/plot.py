"""Forecast plots (matplotlib is an optional extra: ``pip install tsgate[plot]``)."""

import io
import os

from .errors import MissingDependencyError, ParameterError


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


def plot_forecast(history, forecast, target=None, path=None, title=None, last=None):
    """Draw the history, the forecast and its interval band.

    Parameters
    ----------
    history : pandas Series or DataFrame
        Observed data (the target column is used for a DataFrame).
    forecast : pandas DataFrame
        From ``predict`` or ``predict_interval`` (columns ``t``,
        ``t_lower``, ``t_upper``, or one pair per coverage: ``t_lower_80``...).
    target : str, optional
        Column to draw (default: the first forecast column).
    path : str, optional
        Save the figure as PNG here.
    last : int, optional
        Show only the last ``last`` observations of the history.

    Returns
    -------
    matplotlib.figure.Figure
    """
    plt = require_matplotlib()
    target = target or forecast.columns[0]
    hist = history[target] if hasattr(history, "columns") else history
    if last:
        hist = hist.iloc[-last:]
    fig, ax = plt.subplots(figsize=(9, 4), dpi=110)
    ax.plot(hist.index, hist.to_numpy(), color="0.2", lw=1.3, label="history")
    ax.plot(forecast.index, forecast[target].to_numpy(), color="tab:blue", lw=1.8, label="forecast")
    for suffix, label in _bands(forecast, target):  # the widest first, the narrower drawn over it
        ax.fill_between(forecast.index, forecast[f"{target}_lower{suffix}"].to_numpy(),
                        forecast[f"{target}_upper{suffix}"].to_numpy(), color="tab:blue", alpha=0.18, label=label)
    ax.set_title(title or f"tsgate forecast of {target}")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left")
    fig.autofmt_xdate()
    fig.tight_layout()
    if path:
        fig.savefig(path)
    return fig


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


def plot_png(history, forecast, target=None, last=None, fmt="png"):
    """The bytes of :func:`plot_forecast`'s figure in image format ``fmt``."""
    plt = require_matplotlib()
    fig = plot_forecast(history, forecast, target=target, last=last)
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
