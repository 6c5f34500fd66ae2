"""The linear highway's starting point: a combination of linear forecasters.

Before the network trains, the head's linear part (the rows that read the
extra features and the last ``n_ar`` target values, and the bias) is set to
the equal-weight mean of the candidates whose validation error (the training
loss's units) is within :data:`COMBINE_WITHIN` of the lowest: ridge
regressions of the targets on those inputs over the training windows (one
per penalty), and fixed forecasters written in the same coordinates
(:func:`baseline_candidates`: naive, seasonal naive with and without the
seasons' growth, the k-step maps of an AR(p) and, for series without a
calendar season, an ARIMA(p, 1, 0) by AICc (:mod:`tsgate.arima`: naive on a
random walk, the drift or the momentum of the changes on a trend),
Holt-Winters run over the window). A mean of linear maps is a linear map, so the combination is
one start. Combining the near-best instead of taking the best is the
classical remedy for a choice made on a short validation tail (Bates &
Granger 1969; the "forecast combination puzzle"): on the accuracy benchmark
the best single candidate on validation was often far from the best on the
hold-out. But when naive itself validates best, nothing beats the last value
and the start is naive alone: on the accuracy benchmark's heartrate series,
where an AR start mean-reverted while the level wandered, MAE 2.358 -> 2.31
over four origins (naive 1.95). Naive alone whenever it is within the band
did more there (1.941) but cost smooth trending series out of sample (US
employment by industry, 2006-2015: up to 37% worse; geometric mean of the
MAE ratios 1.0047 over 44 series against 0.9989 for this rule;
benchmarks/results/accuracy_2026-12-05_naive_alone.md).
The forecasters judge the candidates on more than one block
(:meth:`tsgate.fitting.FitMixin._selection_folds`: the validation tail and
the tails of the series cut back by one and two tails, every candidate
refit before each block) and pass the start's name as ``choose``. The
validation windows' targets are never training targets (the purged gap of
:func:`tsgate.windows.make_windows`). The rows that read the recurrent state start at zero.
Training then starts from that linear forecaster of the model family and
the recurrent part learns what it misses; early stopping may keep the start
itself (epoch 0).

The normal equations are accumulated batch by batch, so memory does not
grow with the number of windows.
"""

import numpy as np

#: Ridge penalties tried, relative to the mean diagonal of the Gram matrix.
PENALTIES = (1e-6, 1e-4, 1e-3, 1e-2, 1e-1, 1.0)
#: Candidates within this factor of the lowest validation MSE are averaged.
COMBINE_WITHIN = 1.25
#: Suffix of the candidates' inputs fit on all rows, for the refit ('ar_all').
REFIT = "_all"
#: Joins the names of the averaged candidates in a start's name ('ar+ridge(0.1)').
JOIN = "+"
#: The trivial start: the last value (zero output in last-relative windows).
NAIVE = "naive"
#: When naive validates best, the start is naive alone (module doc).
NAIVE_FIRST = True


def _design(model, X, E):
    """Highway inputs (B, P+1): [extra as the head reads it, last n_ar target values, 1]."""
    parts = []
    if model.n_head_extra:  # a series number in front is no regressor
        parts.append(E[:, model.n_extra - model.n_head_extra:].astype(np.float64))
    if model.n_ar:
        parts.append(X[:, -model.n_ar:, 0].astype(np.float64))
    parts.append(np.ones((X.shape[0], 1)))
    return np.concatenate(parts, axis=1)


def _normal_equations(model, source, batch_size=4096):
    """(F^T F, F^T Y, sum Y^2, n) over the windows of ``source``."""
    G = C = None
    yy, n = 0.0, 0
    for s in range(0, source.n, batch_size):
        X, Y, E = source.batch(np.arange(s, min(s + batch_size, source.n)))
        F, Y = _design(model, X, E), Y.astype(np.float64)
        G = F.T @ F if G is None else G + F.T @ F
        C = F.T @ Y if C is None else C + F.T @ Y
        yy += float(np.sum(Y * Y))
        n += Y.size
    return G, C, yy, n


def _solve(G, C, penalty):
    P = G.shape[0]
    reg = penalty * (np.trace(G) / P) * np.eye(P)
    reg[-1, -1] = 0.0  # the intercept is not penalised
    return np.linalg.solve(G + reg, C)


def baseline_candidates(model, norm_period, period, ar, level, repeat=1, ets=None, base=False, short=None,
                        arima=None):
    """Fixed linear forecasters as highway weights (P+1, M), by name.

    Design columns: [extra (known features, then the level when ``level``),
    x_{e-n_ar+1} .. x_e, 1]; output column k * repeat + j forecasts step
    k + 1. Written for ``norm_period`` 1 (targets and inputs relative to the
    last value z_e) or 0 (raw scaled values); 'seasonal' (q = m) has none
    beyond zero, which is seasonal naive there. ``ar`` is a fitted
    :class:`tsgate.baselines.AR` on the scaled series (or None); ``arima`` a
    fitted :class:`tsgate.arima.IntegratedAR` (a unit root: its weights sum to
    one, so it needs no level input); ``ets`` a fitted
    :class:`tsgate.ets.HoltWinters` (or None), run over the last
    ``n_ar`` values (its weights sum to one, so the same weights serve
    either coordinates). With ``base`` (``window_norm='ets'``, targets
    relative to a Holt-Winters forecast over the whole history) the one
    candidate is that forecast itself: zero weights.
    """
    if base:
        P, M = model.n_head_extra + model.n_ar + 1, model.n_outputs
        return {"holt_winters_state": np.zeros((P, M))}
    if norm_period not in (0, 1) or not model.n_ar:
        return {}
    P, H = model.n_head_extra + model.n_ar + 1, model.n_outputs // repeat
    col = lambda lag: model.n_head_extra + model.n_ar - 1 - lag  # noqa: E731 (x_{e-lag})
    out = {}

    def weights(lags_coefs, level_coef=None, bias=None):
        W = np.zeros((P, H))
        for k, pairs in enumerate(lags_coefs):
            for lag, c in pairs:
                if lag < model.n_ar:
                    W[col(lag), k] += c
        if level_coef is not None:
            W[model.n_head_extra - 1] = level_coef
        if bias is not None:
            W[-1] = bias
        return np.repeat(W, repeat, axis=1)

    def k_step(fit, levelled):
        """An AR's k-step map (:meth:`tsgate.baselines.AR.k_step`): z_{e+k} - z_e = A x + (sum A - 1) z_e + c
        in last-relative windows (``levelled``: the level's row), A x + c in raw ones or for a unit root."""
        A, c = fit.k_step(H)
        return weights([[(i, A[k, i]) for i in range(fit.order_)] for k in range(H)],
                       A.sum(axis=1) - 1.0 if levelled else None, c)

    raw = norm_period == 0  # inputs are z itself; with 'last' they are z - z_e
    out[NAIVE] = weights([[(0, 1.0)] if raw else [] for _ in range(H)])  # relative to z_e: the zero output
    if 1 < period <= model.n_ar:
        lags = [period * -(-(k + 1) // period) - (k + 1) for k in range(H)]
        out["seasonal_naive"] = weights([[(lag, 1.0)] for lag in lags])
        for d in sorted({1, short or period}) if (short or period) < period else ():  # two seasons or more
            if period + d <= model.n_ar:
                out[f"seasonal_growth({d})"] = weights([_growth(lag, k + 1, period, d) for k, lag in enumerate(lags)])
    if ar is not None and ar.order_ <= model.n_ar and (raw or level):
        out["ar"] = k_step(ar, not raw)
    if arima is not None and arima.order_ <= model.n_ar and not arima.is_walk():
        out["arima"] = k_step(arima, False)  # a unit root: weights sum to one, no level needed; (0, 1, 0) is naive
    if ets is not None and model.n_ar >= 2:
        Wm = ets.window_map(model.n_ar, H)  # (H, n_ar), oldest first
        out["ets"] = weights([[(model.n_ar - 1 - j, Wm[k, j]) for j in range(model.n_ar)] for k in range(H)])
    return out


def _growth(lag, step, period, d):
    """(lag, coefficient) pairs of seasonal naive plus the seasons' growth:
    z_{e+step} = z_{e-lag} + c (mean of the last d values - mean of the d
    values one season before), c the seasons between them (SARIMA(0,1,0)(0,1,0)
    at d=1; a level change measured over a whole short season at d > 1).
    The weights sum to one, so they serve raw and last-relative coordinates alike."""
    c = -(-step // period)
    return [(lag, 1.0)] + [(j, c / d) for j in range(d)] + [(period + j, -c / d) for j in range(d)]


def linear_options(model, data, val=None, candidates=None, choose=None):
    """Every starting point (name -> weights (P+1, M)) and, with validation
    windows, its validation MSE (name -> float; the residual is the error of
    the scaled target, whatever the normalisation), the combination
    (:func:`combination`) and the start named ``choose`` included, and that
    of the zero output (the normalisation's trivial forecast; None without
    validation windows)."""
    G, C, _, _ = _normal_equations(model, data)
    options = {f"ridge({p:g})": _solve(G, C, p) for p in PENALTIES}
    options.update(candidates or {})
    errors, zero = {}, None
    if val is not None and val.n:
        mse, zero = _quadratic_mse(model, val)
        errors = {k: mse(W) for k, W in options.items()}
        for name in [k for k in dict.fromkeys([chosen(errors), choose]) if k and k not in options]:  # combinations
            options[name] = _weights(options, name)
            errors[name] = mse(options[name])
    return options, errors, zero


def _quadratic_mse(model, val):
    """(W -> the MSE of the start ``W`` (P+1, M) on ``val``'s windows as they
    are, by the normal equations' quadratic form; that of the zero output)."""
    Gv, Cv, yy, n = _normal_equations(model, val)
    return (lambda W: float((np.sum(W * (Gv @ W)) - 2 * np.sum(W * Cv) + yy) / n)), yy / n


def mse_function(model, val):
    """W -> the validation MSE of the start ``W`` (P+1, M) on ``val`` in
    scaled units: the normal equations' quadratic form, or with ratio windows
    :func:`scaled_mse`."""
    if val.shift is not None:
        return lambda W: scaled_mse(model, val, W)
    return _quadratic_mse(model, val)[0]


def scaled_mse(model, val, W, batch_size=4096):
    """Validation MSE of the start ``W`` in scaled units: each relative
    residual times its window's unit (:meth:`tsgate.windows.WindowSource.units`;
    1 unless the windows are ratios), so it compares across normalisations."""
    total, n = 0.0, 0
    for s in range(0, val.n, batch_size):
        idx = np.arange(s, min(s + batch_size, val.n))
        X, Y, E = val.batch(idx)
        unit = np.repeat(val.units(idx, np.arange(1, val.n_out + 1))[1], val.repeat, axis=1)
        R = (_design(model, X, E) @ W - Y.astype(np.float64)) * unit
        total, n = total + float(np.sum(R * R)), n + R.size
    return total / max(n, 1)


def combination(errors, within=COMBINE_WITHIN):
    """The name of the start: the candidates (in order of validation MSE)
    within ``within`` times the lowest, joined by :data:`JOIN`; 'naive' alone
    when it is the best (:data:`NAIVE_FIRST`)."""
    ranked = sorted(errors, key=errors.get)
    near = [k for k in ranked if errors[k] <= within * errors[ranked[0]]]
    return NAIVE if NAIVE_FIRST and ranked[0] == NAIVE else JOIN.join(near)


def chosen(errors):
    """The name of the start :func:`fit_highway` takes, from :func:`linear_options`' errors."""
    return combination({k: e for k, e in errors.items() if JOIN not in k})


def _weights(options, name):
    """Weights (P+1, M) of a start's name: one option, or the mean of the
    joined ones that ``options`` can build (all its ridge fits at least)."""
    if name == "arima" and name not in options:  # (0, 1, 0) on the refit's rows (baseline_candidates): naive
        name = NAIVE
    parts = [k for k in name.split(JOIN) if k in options] or ["ridge(0.001)"]  # e.g. no AR on the refit data
    return np.mean([options[k] for k in parts], axis=0)


def fit_highway(model, data, val=None, candidates=None, choose=None):
    """Set ``model``'s head to the start of the module doc, or to the one
    named ``choose`` (rebuilt from ``data``: the refit). Returns its name
    ('ridge(0.001)', 'ar+ridge(0.1)'...; None without linear inputs) and,
    with validation windows, its validation MSE relative to that of the
    zero output, the normalisation's trivial forecast (repeating the last
    value or season; else None): below 1, the start is a forecaster."""
    if not (model.n_ar or model.n_head_extra):
        return None, None
    options, errors, zero = linear_options(model, data, val, candidates, choose)
    best = choose or (chosen(errors) if errors else "ridge(0.001)")
    gain = errors[best] / max(zero, 1e-300) if best in errors else None
    W = _weights(options, best)  # (P+1, M)
    head = model.views["head_weight"]  # (F, M): [recurrent state, embedding, extra, highway]
    start = model.n_features - model.n_head_extra - model.n_ar
    head[:start] = 0.0
    head[start:] = W[:-1]
    model.views["head_bias"][...] = W[-1]
    return best, gain
