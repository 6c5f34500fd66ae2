"""Training the members of an ensemble, serially or in parallel through joblib.

Member k is a :class:`tsgate.model.SequenceModel` built from the same spec
with seed ``seed + k``, its linear highway started at the ridge solution
(:mod:`tsgate.highway`), trained on the same windows. With ``n_jobs`` other
than 1 the members train in joblib workers (loky processes by default, or
whatever ``joblib.parallel_backend`` is active, Dask included), each limited
to its share of the cores; since the kernels' chunking does not follow the
thread count (:func:`tsgate.core.n_chunks`), a member trained in a worker is
bit-identical to the same member trained in this process.
"""

import os

import numpy as np

from . import recipe
from .core import single_threaded_blas
from .highway import NAIVE, REFIT, baseline_candidates, fit_highway
from .model import SequenceModel
from .shrinkage import head, mix, start_weight as combination_weight
from .training import train


def parallel_map(fn, jobs, n_jobs):
    """``[fn(*args) for args in jobs]``, in joblib workers when ``n_jobs`` (or an
    active ``joblib.parallel_backend``) gives more than one: each worker runs
    with its share of the cores as Numba threads. Results are bit-identical
    to the serial run (the kernels' chunking does not follow the thread count)."""
    from joblib import Parallel, delayed, effective_n_jobs

    workers = min(effective_n_jobs(n_jobs), max(1, len(jobs)))
    if workers == 1:
        return [fn(*args) for args in jobs]
    threads = max(1, (os.cpu_count() or 1) // workers)
    return Parallel(n_jobs=workers)(delayed(_with_threads)(threads, fn, args) for args in jobs)


def _with_threads(threads, fn, args):
    """``fn(*args)`` with at most ``threads`` Numba threads (in a worker)."""
    import numba

    numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
    return fn(*args)


def _start(model, data, val, hw, warm, freeze, choose=None):
    """Set the starting point: ``warm`` weights (a previous fit of the same shape),
    or the highway's start. ``freeze``: keep it fixed while training (True),
    or not (False), or 'auto': fixed when it beats the trivial forecast on
    validation (:func:`tsgate.highway.fit_highway`). Returns (its name, whether frozen)."""
    gain = None
    if warm is not None and warm.shape == model.flat.shape:
        model.set_flat(warm)
        start = "warm"
    else:
        start, gain = fit_highway(model, data, val, baseline_candidates(model, **hw) if hw else None, choose=choose)
    if freeze == "auto":
        freeze = gain is not None and gain < 1.0
    if freeze and start is not None:
        model.freeze_linear()
    return start, bool(freeze and start is not None)


def _described(hw):
    """The fitted starts of the highway's arguments by kind, for people:
    {'ar': 'AR(3)', 'arima': 'ARIMA(2,1,0) with drift', 'ets': 'Holt (damped trend)'}."""
    return {k: hw[k].describe() for k in ("ar", "arima", "ets") if hw.get(k) is not None}


def _random_walk(hw, start_weight):
    """The ARIMA start of the highway's arguments when it is (0, 1, 0), a random
    walk, and the rule applies (:data:`tsgate.recipe.RANDOM_WALK_START`, a
    linear start in the forecast); else None."""
    walk = hw.get("arima")
    if start_weight and recipe.RANDOM_WALK_START and walk is not None and walk.is_walk(drift=True):
        return walk
    return None


def _member(spec, seed, data, val, settings, highway, refit, warm=None, freeze=False, choose=None, everything=None,
            start_weight=0.0):
    """(final model, history, selection model): selection on ``val``, then,
    with ``refit``, the same recipe once more on all windows (see fit_members)."""
    hw = {k: v for k, v in (highway or {}).items() if not k.endswith(REFIT)}
    refit_hw = {k[:-len(REFIT)]: v for k, v in (highway or {}).items() if k.endswith(REFIT)}
    walk = _random_walk(hw, start_weight)  # naive (with drift) unless the network beats it clearly
    if walk is not None:
        choose, start_weight = NAIVE if walk.is_walk() else "arima", 1.0
    model = SequenceModel(**spec, random_state=seed)
    start, frozen = _start(model, data, val, hw, warm, freeze, choose)
    start_head = head(model)
    history = train(model, data, X_val=val, **dict(settings, random_state=seed))
    weight = start_weight if start not in (None, "warm") else 0.0  # a warm start is no linear start
    weight, history["start_t"] = combination_weight(model, start_head, val, settings, weight)
    mix(model, start_head, weight)  # (tsgate.shrinkage)
    history["start_weight"] = weight
    history["highway_start"], history["highway_frozen"] = start, frozen
    history["random_walk"] = None if walk is None else walk.describe()
    if not (refit and val is not None and val.n):
        history["start_models"] = _described(hw)  # the fits the forecast's start was built from
        return model, history, model
    refit_fits = dict(hw, **refit_hw)  # the same starts, fit on every row
    history["start_models"] = _described(refit_fits)
    final = SequenceModel(**spec, random_state=seed)
    everything = data.union(val) if everything is None else everything
    _start(final, everything, None, refit_fits if hw else None, warm, frozen, choose=start)
    start_head = head(final)
    epochs = history["best_epoch"]  # 0: the linear start was best on validation
    if epochs:
        train(final, everything, **dict(settings, random_state=seed, early_stopping=False, time_budget=None,
                                        learning_rates=history["lr"][:epochs]))
    mix(final, start_head, weight)
    history["refit_epochs"] = epochs
    return final, history, model


def fit_members(spec, data, val, settings, n_models, seed, n_jobs=None, highway=None, refit=False, warm=None,
                freeze=False, choose=None, everything=None, start_weight=0.0):
    """Train ``n_models`` models from ``spec`` (SequenceModel arguments).

    Each member chooses its highway start and its number of epochs on the
    validation windows ``val``; with ``refit`` it is then built again from the
    same seed on all windows (train and validation) with that start, refit on
    all of them (``highway['ar_all']``, ``['ets_all']``: the fits on all rows), and trained
    for that many epochs with the same learning rates, so the final model has
    seen the most recent data too. Returns (final models, histories,
    selection models): the selection models never saw the validation
    windows, so their residuals there calibrate the intervals. ``seed``
    None: fresh seeds. ``highway``: arguments of
    :func:`tsgate.highway.baseline_candidates` for the start. ``warm``: per
    member, weights of a previous fit to start from instead (a warm start).
    ``freeze``: keep the linear start fixed while training (the network
    learns its residual); 'auto': when it beats the trivial forecast on
    validation; a list: per member (a warm start keeps its model's choice).
    ``choose``: the name of the linear start (chosen on several validation
    blocks by the forecaster); None: the one that validates best on ``val``.
    ``everything``: the refit's windows (:meth:`tsgate.windows.Windows.everything`:
    also those in neither ``data`` nor ``val``); None: ``data`` and ``val``.
    ``start_weight``: the weight of the linear start in each member's
    forecast unless the member beats it clearly on ``val``
    (:func:`tsgate.shrinkage.start_weight`; not for a warm start); for a random
    walk (``highway['arima']`` is ARIMA(0, 1, 0)) the start is that model and its weight 1."""
    seeds = [None if seed is None else seed + k for k in range(n_models)]
    warm = list(warm or []) + [None] * n_models
    freeze = list(freeze) if isinstance(freeze, (list, tuple)) else [freeze] * n_models
    if n_jobs in (None, 1) or n_models == 1:
        out = [_member(spec, s, data, val, settings, highway, refit, w, f, choose, everything, start_weight)
               for s, w, f in zip(seeds, warm, freeze)]
    else:
        quiet = dict(settings, callback=None)  # a callback would run in the worker, not here
        jobs = [(spec, s, data, val, quiet, highway, refit, w, f, choose, everything, start_weight)
                for s, w, f in zip(seeds, warm, freeze)]
        out = parallel_map(_member, jobs, n_jobs)
    return [m for m, _, _ in out], [h for _, h, _ in out], [s for _, _, s in out]


def point(outs, members=None):
    """The ensemble's point forecast from its networks' outputs ``outs`` (n, ...):
    their median, where with 2 * ``members`` networks (``refit='mean'``: the
    members' refits, then their chosen models) each member is first the mean
    of its two, so the median runs over the members, not over 2k networks."""
    if members is not None and len(outs) == 2 * members:
        outs = (outs[:members] + outs[members:]) / 2  # (k, ...)
    return outs[0] if len(outs) == 1 else np.median(outs, axis=0)


def ensemble_forward(models, X, E, members=None):
    """The ensemble's point outputs (B, M) (:func:`point`; ``members``: the
    ensemble size, see there) and the spread of its networks (the standard
    deviation over all of them, refits and chosen models alike; zero for one)."""
    with single_threaded_blas():
        outs = np.stack([m.forward(X, E, tape=False) for m in models])  # (n, B, M): inference, no tape
    if len(models) == 1:
        return outs[0], np.zeros_like(outs[0])
    return point(outs, members), outs.std(axis=0)


def ensemble_predict(models, source, batch_size=1024):
    """Median outputs (N, M) over a data source (the training API's predict, per network; :func:`point`)."""
    from .training import predict

    if len(models) == 1:
        return predict(models[0], source, batch_size)
    return point(np.stack([predict(m, source, batch_size) for m in models]))
