"""Split-conformal bands: the quantile of the absolute validation residuals,
its floor from the in-sample errors, and the pool of windows it is taken over
(backend-independent, used by :mod:`tsgate.forecasting`)."""

import math
import numbers
import warnings

import numpy as np

from .errors import CoverageWarning, ParameterError
from .errors import name as pname


def floored(q, floor, coverage):
    """The band's quantiles ``q`` (H,), never below the same quantile of the residuals over the history
    ``floor`` (n, H; None or empty: no floor): a short validation tail may be calmer than the series."""
    return q if floor is None or not len(floor) else np.maximum(q, np.quantile(np.abs(floor), coverage, axis=0))


def quantile(res, coverage, warn=True):
    """Split-conformal quantile (per column) of the absolute residuals ``res``
    (n, H). With too few rows for ``coverage`` (fewer than coverage / (1 -
    coverage)) the conformal quantile would be the widest residual, whose
    coverage is n / (n + 1) whatever was asked (0.75 from 3 windows): then it
    is the normal-theory band :func:`student_width` where that is wider;
    ``warn``: a CoverageWarning says so."""
    n = res.shape[0]
    if too_few(n, coverage):
        if warn:
            warn_few(coverage, f"validation windows for a conformal interval; with {n} the band is Student's t on "
                               "their root mean square (a normal-theory interval), as the widest of them guarantees a "
                               f"coverage of {n / (n + 1):.3f} only", stacklevel=5)
        return np.maximum(np.max(np.abs(res), axis=0), student_width(res, coverage))
    k = math.ceil((n + 1) * coverage)  # the band: the k-th smallest of n
    return np.quantile(np.abs(res), k / n, axis=0, method="inverted_cdf")  # numpy's 'higher' took the (k + 1)-th


def too_few(n, coverage):
    """Whether n residuals are too few for a conformal band of ``coverage``."""
    return math.ceil((n + 1) * coverage) > n


def warn_few(coverage, rest, stacklevel=4):
    """The CoverageWarning of a band from too few residuals: 'coverage c needs at least N ' + ``rest``."""
    warnings.warn(CoverageWarning(f"coverage {coverage:g} needs at least {math.ceil(coverage / (1 - coverage))} "
                                  + rest), stacklevel=stacklevel)


def student_width(res, coverage):
    """Half-width (H,) of the ``coverage`` band of a new error, for errors
    N(0, sigma^2) of which ``res`` (n, H) holds n: with sigma^2 estimated by
    the mean square of the n residuals, a new error over that estimate is
    Student's t with n degrees of freedom, so the width is its (1 + coverage)
    / 2 quantile times the root mean square."""
    from scipy.stats import t  # scikit-learn's dependency

    return t.ppf((1 + coverage) / 2, res.shape[0]) * np.sqrt(np.mean(np.square(res), axis=0))


def network_windows(res, series, fallen):
    """The rows of ``res`` whose series the network forecasts (not in ``fallen``):
    the pool of its conformal intervals. The fallen-back series are the ones a
    local baseline forecasts better, often the smooth ones with small scaled
    errors: kept in the pool, they narrowed the network's 90% band on M4 hourly
    to a coverage of 0.82 (0.90 without them). All rows if every series fell back."""
    mine = ~np.isin(series, fallen)
    return res[mine] if mine.any() else res


def levels(coverage):
    """The interval coverages asked for, sorted, and whether they came as a
    list (their columns then carry the coverage: :func:`band_columns`):
    ``coverage`` is a number in (0, 1) or a list of distinct ones. A
    ParameterError names ``coverage``."""
    single = isinstance(coverage, numbers.Real) and not isinstance(coverage, bool)
    many = [] if single or isinstance(coverage, (str, bytes)) else _as_list(coverage)
    values = [coverage] if single else many
    ok = values and all(isinstance(c, numbers.Real) and not isinstance(c, bool) and 0 < c < 1 for c in values)
    if not ok or len(set(values)) != len(values):
        raise ParameterError(f"{pname('coverage')} must be a number in (0, 1) or a list of distinct ones, "
                             f"got {coverage!r}")
    return sorted(float(c) for c in values), not single


def _as_list(values):
    try:
        return list(values)
    except TypeError:
        return []


def band_columns(coverage, several):
    """Suffixes of a band's columns: '_lower', '_upper' for one coverage;
    with ``several``, the coverage in percent after them ('_lower_80')."""
    if not several:
        return "_lower", "_upper"
    pct = f"{100 * coverage:.10g}"
    return f"_lower_{pct}", f"_upper_{pct}"


def table_columns(coverage, several):
    """A band's columns in a long table of historical forecasts ('lower',
    'upper'; 'lower_80', 'upper_80' with ``several``) and the suffix of its
    scores' columns ('', '_80': 'coverage_80', 'MSIS_80')."""
    lo, hi = band_columns(coverage, several)
    return lo[1:], hi[1:], lo[len("_lower"):]
