"""A reference prediction interval for the benchmarks' interval scores."""

import numpy as np


def snaive_band(y, h, m, level):
    """Seasonal naive and its band: at step k the empirical ``level`` quantile of the
    absolute errors of the same forecast (ceil(k / m) seasons back) over the history."""
    f = np.resize(y[-m:], h)
    width = np.empty(h)
    for k in range(1, h + 1):
        back = m * -(-k // m)
        width[k - 1] = np.quantile(np.abs(y[back:] - y[:-back]), level)
    return f, f - width, f + width
