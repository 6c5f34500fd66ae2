"""Generators for long-delay tasks (exposed as ``tsgate.datasets.*``)."""

import numbers

import numpy as np
import pandas as pd

from tsgate.errors import ParameterError


def _integer(name, value, least=None):
    """``value`` as an int, or a ParameterError naming ``name`` unless it is an integer (>= ``least``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or (least is not None and value < least):
        raise ParameterError(f"{name} must be an integer" + (f" of at least {least}" if least is not None else "")
                             + f", got {value!r}")
    return int(value)


def _real(name, value, least=None, above=None):
    """``value`` as a float, or a ParameterError naming ``name`` unless it is a finite number
    >= ``least`` / > ``above`` (where given)."""
    ok = not isinstance(value, bool) and isinstance(value, numbers.Real) and bool(np.isfinite(value)) \
        and (least is None or value >= least) and (above is None or value > above)
    if not ok:
        bound = f" of at least {least}" if least is not None else f" above {above}" if above is not None else ""
        raise ParameterError(f"{name} must be a finite number{bound}, got {value!r}")
    return float(value)


def mackey_glass(n=2000, tau=17, a=0.2, b=10, g=0.1, dt=0.1, subsample=10, washout=1000,
                 x0=1.2, random_state=None):
    """Mackey-Glass delay differential equation, as in Jaeger (2001).

    ``dx/dt = a x(t - tau) / (1 + x(t - tau)^b) - g x(t)``, integrated by
    Euler with step ``dt`` and kept every ``subsample`` steps (one sample per
    unit of time). tau=17 gives mild chaos, tau=30 wilder chaos. The history
    before t=0 is ``x0`` plus a small seeded perturbation; the first
    ``washout`` samples are dropped.

    Returns
    -------
    pandas.Series of length ``n`` on a RangeIndex.
    """
    n, subsample, washout = _integer("n", n, 1), _integer("subsample", subsample, 1), _integer("washout", washout, 0)
    dt = _real("dt", dt, above=0)
    tau = _real("tau", tau, least=dt)  # a delay of at least one Euler step
    a, b, g, x0 = (_real(k, v) for k, v in (("a", a), ("b", b), ("g", g), ("x0", x0)))
    rng = np.random.default_rng(random_state)
    lag = int(round(tau / dt))
    steps = (n + washout) * subsample
    x = np.empty(steps + lag + 1)
    x[:lag + 1] = x0 + 0.01 * rng.standard_normal(lag + 1)
    for t in range(lag, steps + lag):
        xt = x[t - lag]
        x[t + 1] = x[t] + dt * (a * xt / (1.0 + xt ** b) - g * x[t])
    out = x[lag + 1::subsample][washout:washout + n]
    return pd.Series(out, name=f"mackey_glass_tau{tau:g}")


def adding_problem(n_sequences=1000, length=100, random_state=None, max_length=None):
    """The adding problem of Hochreiter & Schmidhuber (1997), experiment 4.

    Each sequence has two channels: values uniform in [-1, 1] and markers.
    Exactly two positions are marked: the first among the first 10 steps,
    the second among the first ``length/2 - 1``. The target is
    ``0.5 + (X1 + X2) / 4`` where X1, X2 are the marked values, so the
    information lies up to ``length`` steps back.

    With ``max_length`` (the paper's protocol: ``int(1.1 * length)``) each
    sequence has its own length, uniform in ``length .. max_length``, and is
    left-padded with zeros to ``max_length``: the markers then sit between
    ``length`` and ``max_length`` steps before the end.

    Returns
    -------
    X : ndarray (n_sequences, length or max_length, 2), float32
    y : ndarray (n_sequences,), float32
    """
    n_sequences, length = _integer("n_sequences", n_sequences, 1), _integer("length", length, 22)
    if max_length is not None:
        return _padded_adding(n_sequences, length, _integer("max_length", max_length, length), random_state)
    rng = np.random.default_rng(random_state)
    X = np.zeros((n_sequences, length, 2), np.float32)
    X[:, :, 0] = rng.uniform(-1, 1, (n_sequences, length))
    first = rng.integers(0, 10, n_sequences)
    second = rng.integers(0, length // 2 - 1, n_sequences)
    second = np.where(second == first, (second + 1) % (length // 2 - 1), second)
    rows = np.arange(n_sequences)
    X[rows, first, 1] = 1.0
    X[rows, second, 1] = 1.0
    y = 0.5 + (X[rows, first, 0] + X[rows, second, 0]) / 4.0
    return X, y.astype(np.float32)


def _padded_adding(n, length, max_length, random_state):
    rng = np.random.default_rng(random_state)
    X, y = np.zeros((n, max_length, 2), np.float32), np.zeros(n, np.float32)
    for i, L in enumerate(rng.integers(length, max_length + 1, n)):
        xi, yi = adding_problem(1, int(L), random_state=int(rng.integers(1 << 30)))
        X[i, -L:], y[i] = xi[0], yi[0]
    return X, y


def delayed_echo(n=2000, lag=100, noise=0.05, freq="h", start="2020-01-01", random_state=None):
    """A target that echoes an exogenous driver ``lag`` steps later.

    ``y_t = x_{t-lag} + noise``, with x a sparse sequence of random pulses
    (each step a pulse with probability 0.05, height uniform in [1, 2]);
    the first ``lag`` values of y are pure noise.

    Returns
    -------
    pandas.DataFrame with columns ``x`` (driver) and ``y`` (target) on a
    DatetimeIndex of frequency ``freq``.
    """
    n, lag, noise = _integer("n", n, 2), _integer("lag", lag), _real("noise", noise, least=0)
    if lag < 1 or lag >= n:
        raise ParameterError(f"lag must be >= 1 and less than n={n} (the echo must fall within the series), "
                             f"got {lag}")
    try:
        pd.tseries.frequencies.to_offset(freq)
        pd.Timestamp(start)
    except (ValueError, TypeError) as exc:
        raise ParameterError(f"freq {freq!r} and start {start!r} must be a pandas frequency and a time "
                             f"({exc})") from None
    rng = np.random.default_rng(random_state)
    x = np.where(rng.random(n) < 0.05, rng.uniform(1, 2, n), 0.0)
    y = noise * rng.standard_normal(n)
    y[lag:] += x[:-lag]
    idx = pd.date_range(start, periods=n, freq=freq)
    return pd.DataFrame({"x": x, "y": y}, index=idx)
