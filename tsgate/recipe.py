"""How the forecasters choose their structure when a parameter is 'auto' or None.

Pure functions of a few numbers (and the training series for
:func:`choose_norm`), so each rule is stated once and tested on its own:

* :func:`choose_lookback`: cover the longest seasonal period twice (and twice
  the horizon), within half of what the data allows;
* :func:`choose_segment`: recurrent steps over segments once the lookback is
  long (about 16 steps), preferring a segment of one seasonal period;
* :func:`choose_norm`: relative to the last value, the last season or a
  Holt-Winters forecast over the whole history, whichever gives the better
  linear start on the validation blocks;
* :func:`choose_ar_window`: the linear highway reads the whole lookback.
"""

import math

#: Lookbacks up to this many steps run the recurrence step by step.
PLAIN_LOOKBACK = 96
#: Recurrent steps aimed at once the lookback is segmented.
SEGMENT_STEPS = 16


def choose_lookback(n, horizon, period, given=None):
    """``given``, else max(2 * period, 2 * horizon, 8) capped at half of the
    rows left after the horizon (at least 2)."""
    if given is not None:
        return int(given)
    want = max(2 * period, 2 * horizon, 8)
    return max(2, min(want, (n - horizon) // 2))


def choose_segment(lookback, periods, given="auto", cap=None):
    """(segment length, lookback rounded up to a multiple of it; down when
    rounding up would pass ``cap``)."""
    if given != "auto":
        w = int(given)
    elif lookback <= PLAIN_LOOKBACK:
        w = 1
    else:
        target = math.ceil(lookback / SEGMENT_STEPS)
        fits = [p for p in periods if target / 2 <= p <= 2 * target]
        w = min(fits) if fits else target
    rounded = w * math.ceil(lookback / w)
    if cap is not None and rounded > cap and w * (lookback // w) >= w:
        rounded = w * (lookback // w)
    return w, rounded


#: The linear start is chosen on this many validation blocks: the validation
#: tail and the blocks before it, each candidate refit before each block.
SELECTION_BLOCKS = 3

#: Without a calendar season the linear start's candidates include an
#: ARIMA(p, 1, 0) by AICc (:mod:`tsgate.arima`; accuracy_2026-12-05_arima.md).
ARIMA_START = True

#: Where that ARIMA is (0, 1, 0) (the differences are white noise by AICc: a
#: random walk, with or without drift), the linear start is that model, naive or
#: naive with drift, and the forecast is it unless the network beats it clearly
#: (``start_weight`` 1; accuracy_2026-12-06.md).
RANDOM_WALK_START = True

#: A recursive model validates on at least ``horizon`` + this many one-step
#: windows (at most half of a series' windows): its interval is calibrated
#: on its forecasts of the whole horizon from validation origins, which need
#: ``horizon`` validation rows after them.
RECURSIVE_MIN_ORIGINS = 20

#: Losses in scaled units (the series' standard deviation is 1). A trained
#: network whose validation loss is this small has not failed, however many
#: times the trivial forecast's it is; nor has a training whose last epoch's
#: loss is below the second (the best epoch, perhaps the start, is kept).
NEGLIGIBLE_LOSS, FAILED_TRAINING_LOSS = 1e-3, 0.1

#: What window_norm='auto' chooses from, with a season (the ratio only for
#: positive series, 'ets' only for direct forecasts).
AUTO_NORMS = ("last", "seasonal", "seasonal_ratio", "ets")


def choose_norm(given, period, lookback, linear_error=None, positive=False, direct=True):
    """'last', 'seasonal', 'seasonal_ratio', 'ets' or None: ``given`` unless 'auto'.

    'auto' picks the normalisation whose linear start has the lower
    validation error (``linear_error(norm)``, see :mod:`tsgate.highway`: the
    residual is the scaled target's error under each, so they compare),
    'seasonal_ratio' among them only when ``positive`` (every series > 0),
    'ets' (:mod:`tsgate.esnorm`) only when ``direct``; 'last' when there is
    no season, no validation or a lookback shorter than the season.
    """
    if given != "auto":
        return given
    if period <= 1 or lookback < period or linear_error is None:
        return "last"
    skip = ({"seasonal_ratio"} if not positive else set()) | ({"ets"} if not direct else set())
    errors = {norm: linear_error(norm) for norm in AUTO_NORMS if norm not in skip}
    return min(errors, key=errors.get)


def norm_period(norm, period):
    """The ``norm_period`` of :class:`tsgate.windows.WindowSource` ('ets':
    the inputs' norm, relative to the last value)."""
    return {"last": 1, "seasonal": max(period, 1), "seasonal_ratio": max(period, 1), "ets": 1}.get(norm, 0)


def choose_ar_window(lookback, given="auto"):
    """How many of the last target values the linear highway reads."""
    return lookback if given == "auto" else min(int(given), lookback)
