"""The trained network, or the mean of it and its linear start.

A forecaster's network starts from a linear forecaster (:mod:`tsgate.highway`)
and early stopping keeps the epoch whose validation loss is lowest. On a
short validation tail that minimum is partly luck: on the accuracy
benchmark (13 real series, four origins each) the trained network replaced
its start at 17 of 52 origins and then forecast the hold-out worse than the
start at 12 of them (realgdp at the 2008 origin: MAE 622 against 538); the
mean of the two beat the network at 12 of the 17. On M4 hourly (414 series)
the network is far better than its start (MASE 1.44 against 1.98) and the
test says so (t = -10).

So the network replaces its start only when it beats it clearly on
validation: a paired test of the two models' validation losses (Diebold &
Mariano 1995), over blocks of ``horizon`` consecutive windows per series so
that the overlap of neighbouring windows' targets does not count as
evidence, must reject "the network is no better" at level :data:`LEVEL`,
with Student's t on the blocks' degrees of freedom (as Harvey, Leybourne &
Newbold 1997 do for small samples). Otherwise the forecast is the weighted
mean of the two, a forecast combination (Bates & Granger 1969).

Where the series' differences are white noise by AICc (the ARIMA start is
(0, 1, 0): :data:`tsgate.recipe.RANDOM_WALK_START`), the start is that model,
naive or naive with drift, and its weight 1 (any ``start_weight`` above 0):
the forecast of a random walk is its last value (plus the drift) unless the
network beats that clearly.

The start's head has zero rows for the recurrent state (and the id
embedding), so the mean of the two models' outputs is one model of the same
shape: its head is the mean of the two heads (:func:`mix`).
"""

import numpy as np

from .core import single_threaded_blas
from .elementmath import LOSSES
from .host_training import _row_losses
from .training import _quantile_levels

#: The network replaces its start when the one-sided test rejects "no better" at this level.
LEVEL = 0.025


def head(model):
    """A copy of the head's weights (F, M) and bias (M,)."""
    return model.views["head_weight"].copy(), model.views["head_bias"].copy()


def mix(model, other, weight):
    """Make ``model`` forecast (1 - weight) x itself + weight x the same model
    with the head ``other``; exact, since the output is linear in the head."""
    if weight:
        for name, value in zip(("head_weight", "head_bias"), other):
            model.views[name][...] = (1.0 - weight) * model.views[name] + weight * value


def row_losses(pred, Y, code, tau, delta):
    """Per window (B,): the training loss (``code``, :data:`tsgate.elementmath.LOSSES`)
    of each row of ``pred`` (B, M) against ``Y``, averaged over its outputs."""
    out = np.empty(len(pred))
    _row_losses(pred, Y, tau, code, delta, np.empty_like(pred), out)
    return out


def paired_t(model, start, source, code, tau, delta, batch_size=1024):
    """(t statistic, degrees of freedom) of the validation loss of ``model``
    minus that of the same model with head ``start``, over blocks of
    ``source.horizon`` consecutive windows per series; (None, 0) with fewer
    than two blocks or no spread."""
    trained = head(model)
    d = np.empty(source.n)
    with single_threaded_blas():
        for s in range(0, source.n, batch_size):
            idx = np.arange(s, min(s + batch_size, source.n))
            X, Y, E = source.batch(idx)
            net = model.forward(X, E)  # (B, M)
            mix(model, start, 1.0)
            d[idx] = row_losses(net, Y, code, tau, delta) - row_losses(model.forward(X, E), Y, code, tau, delta)
            mix(model, trained, 1.0)
    blocks = []
    for k in np.unique(source.series):
        mine = np.flatnonzero(source.series == k)
        blocks += block_means(d[mine], source.ends[mine], source.horizon)
    return t_statistic(blocks)


def block_means(d, ends, horizon):
    """The means of one series' per-window differences ``d`` over blocks of ``horizon``
    consecutive windows (by their last rows ``ends``): the overlap of neighbouring
    windows' targets is not evidence."""
    d, h = np.asarray(d)[np.argsort(ends, kind="stable")], max(1, int(horizon))
    return [float(d[i:i + h].mean()) for i in range(0, len(d), h)]


def t_statistic(blocks):
    """(Student's t of the blocks' mean, degrees of freedom); (None, 0) with fewer than two blocks or no spread."""
    b = np.asarray(blocks, dtype=np.float64)
    if b.size < 2 or not b.std(ddof=1) > 0:
        return None, 0
    return float(b.mean() / (b.std(ddof=1) / np.sqrt(b.size))), b.size - 1


def clearly_negative(t, df):
    """Whether the one-sided test rejects "the mean is not below zero" at :data:`LEVEL`."""
    from scipy.stats import t as student_t  # scipy comes with scikit-learn; imported here, not with tsgate

    return t is not None and t < -student_t.ppf(1.0 - LEVEL, df)


def start_weight(model, start, source, settings, weight):
    """(the weight of the linear start in the forecast, the paired t or None):
    0 when the network beats the start clearly on ``source`` or is the start
    (early stopping kept it), else ``weight``."""
    if not weight or source is None or not source.n:
        return 0.0, None
    if np.array_equal(start[0], model.views["head_weight"]) and np.array_equal(start[1], model.views["head_bias"]):
        return 0.0, None
    loss = settings.get("loss", "mse")
    tau = _quantile_levels(loss, settings.get("quantiles"), model)
    t, df = paired_t(model, start, source, LOSSES[loss], tau, settings.get("huber_delta", 1.0))
    return (0.0 if clearly_negative(t, df) else float(weight)), t
