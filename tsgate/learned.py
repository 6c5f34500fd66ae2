"""Did the networks learn? The check after a forecaster's fit.

A fit raises :class:`tsgate.errors.TrainingDivergedError` instead of
returning forecasts when training made the validation loss ten times worse
than before it without lowering its own training loss (e.g. a far too large
learning rate; where the training loss fell, the network overfit and early
stopping kept an earlier epoch or the start), or when a network
forecasts the validation tail ten times worse than the normalisation's
trivial forecast (repeating the last value or season; without a norm, the
mean). Where the linear start was already that bad before any training, the
message says so: the history's end then behaves unlike the stretches the start
was chosen on (an outlier, a level shift), and the learning rate is not to blame.
That case is the data's, not training's: where one series is forecast directly
with a point loss and ``fallback=True``, the fit goes on and the best baseline
on validation forecasts alone (:mod:`tsgate.blend`, with a warning that says
why): a short intermittent series whose validation tail happens to hold no
pulse, or a run of ones after a spike, gets a forecast, not an error; so does a
series whose validation tail the trivial forecast gets exactly (a constant
series, which ``fork=True``, reading raw windows, cannot repeat exactly).

Losses are in scaled units. A series that its start forecasts exactly (a loss
of 1e-29 against 0) is no failure: each test passes losses below a floor,
:data:`tsgate.recipe.NEGLIGIBLE_LOSS` or :data:`tsgate.recipe.FAILED_TRAINING_LOSS`
times the scaled series' variance (about 1 with the standard scaler; far less
with 'minmax' where one outlier sets the range).

Every forecast is checked too (:func:`check_range`): one that leaves the
history's range by more than the range's own width (below min - (max - min)
or above max + (max - min)) gets a :class:`tsgate.errors.RangeWarning`. No
trend extrapolated over a horizon shorter than the history goes that far; a
gross outlier in the newest rows does (a weekly cycle around 10 with one 1000
among its last 14 values was forecast at -5819). A (nearly) constant history
counts as at least 0.1% of its magnitude wide, and an all-zero one is not
checked: a forecast of 5.000001 after a run of 5.0 is no alarm.
"""

import warnings

import numpy as np

from . import recipe
from .errors import RangeWarning, TrainingDivergedError, name as pname, option
from .frames import when
from .training import _quantile_levels, evaluate, zero_prediction_loss
from .windows import spread_sample

#: Variance floor of :func:`spread` (a constant series).
MIN_SPREAD = 1e-4


def spread(scaling, ys):
    """Mean variance of the scaled series (the floors' unit), at least :data:`MIN_SPREAD`."""
    v = [np.nanvar((y - scaling.t_loc[k]) / scaling.t_scale[k]) for k, y in enumerate(ys) if len(y)]
    return max(float(np.mean(v)) if v else 1.0, MIN_SPREAD)


def check_learned(est, windows, models, ys):
    """Raise for the first of ``models`` (the selection models, with
    ``est.histories_``) that failed as the module doc says; where only its
    start was that bad and :func:`hands_over`, set ``est._start_failed`` to
    the message instead (else None)."""
    est._start_failed = None
    src = windows.val if windows.val.n else spread_sample(windows.train, 2_000)
    unit = spread(est.scaling_, ys)
    for model, history in zip(models, est.histories_):
        loss = evaluate(model, src, loss=est.loss, tau=_quantile_levels(est.loss, est.quantiles, model))
        naive = zero_prediction_loss(src, est.loss, est.quantiles, model)
        start, last = history.get("initial_val_loss"), (history["val_loss"] or [None])[-1]
        bound = None if start is None else max(10.0 * start, naive, recipe.FAILED_TRAINING_LOSS * unit)
        if bound is not None and last is not None and not last <= bound and not _training_loss_fell(history, bound):
            raise TrainingDivergedError(
                f"training failed: the validation loss went from {start:.4g} (before training) to {last:.4g}; "
                f"lower {pname('learning_rate')} (now {est.learning_rate:g})")
        floor = max(10.0 * naive, recipe.NEGLIGIBLE_LOSS * unit)
        if not loss <= floor:
            message = _worse_than_trivial(est, windows, loss, naive, start, floor, history)
            if (naive == 0.0 or _start_failed(history, start, floor)) and hands_over(est, windows, ys):
                est._start_failed = message
                return
            raise TrainingDivergedError(message)


def _start_failed(history, start, floor):
    """Whether a linear start (a network without one starts from its random weights) was already
    above ``floor`` on validation before training."""
    return history.get("highway_start") is not None and start is not None and not start <= floor


def hands_over(est, windows, ys):
    """Whether the best baseline can forecast alone for a network whose start failed on the
    validation tail: one series, direct, a point loss, validation windows, ``fallback=True``."""
    return bool(est.fallback and len(ys) == 1 and est.strategy == "direct" and est.loss != "pinball"
                and windows.val.n)


def _training_loss_fell(history, bound):
    """Whether training lowered its own loss from a first epoch within ten times ``bound``: then a
    validation loss that rose is the network fitting the training rows ever more closely (a short
    series, or a validation tail unlike them), which early stopping has undone, not a learning rate
    too large (M4 weekly W295, 80 weeks: training loss 1.62 -> 1.05, validation loss 0.13 -> 1.36)."""
    train = np.asarray(history.get("loss") or [], dtype=np.float64)
    return len(train) > 1 and bool(np.isfinite(train).all()) and train[-1] < train[0] <= 10.0 * bound


def _worse_than_trivial(est, windows, loss, naive, start, floor, history):
    what = {"last": "repeating the last value", "ets": "the Holt-Winters forecast"}.get(
        est.window_norm_, "repeating the last season" if est.window_norm_ else "predicting the mean")
    if _start_failed(history, start, floor):  # bad before training: the start, chosen on older blocks
        return (f"the linear start ({history.get('highway_start')}), chosen on earlier stretches of the history, "
                f"already forecasts the validation tail far worse than {what} (loss {start:.4g} against {naive:.4g}; "
                f"the network: {loss:.4g}): the series' last rows behave unlike its earlier ones (an outlier or a "
                f"level shift?); remove the outlier, or fit on the rows after the shift")
    if naive == 0.0:  # a constant tail (fork=True reads raw windows: no norm repeats it exactly)
        return (f"the validation tail is constant: {what} forecasts it exactly, the network with a loss of "
                f"{loss:.4g}")
    times = f"{loss / naive:.3g} times that of"
    return (f"training failed: the network's {'validation' if windows.val.n else 'training'} loss {loss:.4g} is "
            f"{times} {what} ({naive:.4g}); lower {pname('learning_rate')} (now {est.learning_rate:g})")


def history_range(ys):
    """(2, S): each series' lowest and highest value (NaN ignored)."""
    return np.array([[np.nanmin(y), np.nanmax(y)] if len(y) else [np.nan, np.nan] for y in ys]).T


def widen_range(ranges, k, y):
    """Widen series ``k``'s column of ``ranges`` (2, S) to cover the new values ``y``."""
    if len(y):
        ranges[0, k], ranges[1, k] = min(ranges[0, k], np.nanmin(y)), max(ranges[1, k], np.nanmax(y))


#: A (nearly) constant history's range counts as at least this share of its magnitude.
MIN_WIDTH = 1e-3


def check_range(out, ranges, ids, idxs):
    """One RangeWarning naming the first series whose forecast ``out[j]`` (h,) leaves
    its history's range ``ranges[:, j]`` by more than the range's width (and how many
    other series do)."""
    lo, hi = ranges  # (S,) each
    width = np.maximum(hi - lo, MIN_WIDTH * np.maximum(np.abs(lo), np.abs(hi)))  # (S,)
    far = (width[:, None] > 0) & ((out < (lo - width)[:, None]) | (out > (hi + width)[:, None]))  # (S, h)
    bad = np.flatnonzero(far.any(axis=1))
    if bad.size:
        j = int(bad[0])
        i = np.flatnonzero(far[j])[np.argmax(np.abs(out[j][far[j]] - (lo[j] + hi[j]) / 2))]
        more = f" (and {bad.size - 1} other series)" if bad.size > 1 else ""
        baseline = f"{option('model')} auto" if option("model") else "tsgate.BaselineForecaster"
        warnings.warn(f"the forecast of series {ids[j]!r}{more} reaches {out[j][i]:.4g} at {when(idxs[j][i])}, far "
                      f"outside the range of its history [{lo[j]:.4g}, {hi[j]:.4g}]: an outlier or a level shift in "
                      f"the newest rows? Check the data, or compare a baseline ({baseline})", RangeWarning,
                      stacklevel=4)
