"""The fit's summary on stderr: what was fit, what forecasts, and how it validated."""

import sys

import click


def _say(text):
    click.echo(text, err=True)


def summary(fc, seconds, quiet, scores=True):
    """The fit's summary on stderr; ``scores``: a best baseline's MAEs too (--model auto has said them)."""
    from tsgate.nonnegative import describe as describe_floor

    if quiet:
        return
    if sys.stderr.isatty():  # end the progress line
        _say("")
    if hasattr(fc, "estimators_"):  # a LocalForecaster: a baseline per series
        _local_lines(fc)
        _say(f"time {seconds:.1f} s")
        return
    floor = describe_floor(fc.nonnegative, fc.target_range_)  # tsgate.nonnegative: '' if none
    if not hasattr(fc, "model_"):  # a baseline
        _baseline_lines(fc, floor, scores)
    else:
        _network_lines(fc)
        _panel_lines(fc)
        if floor:
            _say(floor)
        _validation_line(fc)
    _say(f"time {seconds:.1f} s")


def _baseline_lines(fc, floor, scores):
    from tsgate.auto import score_words

    _say(f"{fc.describe()}: horizon={fc.horizon_}" + (f"; {floor}" if floor else ""))
    if fc.method == "auto" and scores:  # (--model auto has said them)
        _say(f"the best baseline by MAE from the series' last origins ({score_words(fc.scores_)})")


def _local_lines(fc):
    """Each series' own baseline: how many series each forecasts."""
    from tsgate.fallback import count_words

    models = list(fc.estimators_.values())
    how = "best baseline by MAE from its last origins" if models[0].method == "auto" else "own baseline"
    _say(f"{len(models)} series, each forecast by its {how} ({count_words([m.describe() for m in models])}): "
         f"horizon={models[0].horizon_}")


def _network_lines(fc):
    """The network, its inputs, its linear start and what forecasts: the start, the network or both."""
    from tsgate.blend import describe as blend_words

    line = (f"{type(fc).__name__}: hidden={fc.hidden_size} lookback={fc.lookback_} horizon={fc.horizon_} "
            f"norm={fc.window_norm_} epochs={len(fc.history_['loss'])} (best {fc.history_['best_epoch']})")
    line += " strategy=recursive" if fc.strategy == "recursive" else ""
    _say(line + (f" ensemble={fc.n_models} (median)" if fc.n_models > 1 else ""))
    inputs = _inputs(fc)
    if inputs:
        _say(f"inputs: {inputs}")
    start_only = _start_lines(fc)
    if len(fc.models_) > fc.n_models:  # refit='mean'
        _say(f"{'linear start' if start_only else 'network'}: the mean of its refit on all windows and the "
             "model chosen on validation")
    joined = blend_words(getattr(fc, "fit_report_", {}))  # tsgate.blend
    if joined:
        _say(f"forecast, {joined}")


def _start_lines(fc):
    """The linear start and its share of the forecast; whether it forecasts alone."""
    start, h = fc.history_.get("highway_start"), fc.histories_
    untrained = bool(start) and all(k.get("best_epoch") == 0 for k in h)  # the start itself
    start_only = untrained or bool(start) and all((k.get("start_weight") or 0.0) >= 1.0 for k in h)  # weight 1
    if not start:
        return start_only
    _say(f"linear start: {_start_words(start, fc.history_.get('start_models'))} "
         f"({'kept fixed' if fc.history_.get('highway_frozen') else 'trained'})")
    w = fc.history_.get("start_weight") or 0.0
    walk = fc.history_.get("random_walk")  # tsgate.recipe.RANDOM_WALK_START
    why = f"a random walk by AICc, {walk}; " if walk and start_only else ""
    if untrained:
        _say(f"forecast: the linear start alone ({why}no epoch of training beat it on validation)")
    elif start_only:
        _say(f"forecast: the linear start alone ({why}the network did not beat it clearly on validation)")
    elif w:
        _say(f"forecast: {1 - w:g} x network + {w:g} x linear start (the network did not beat it clearly on "
             "validation)")
    return start_only


def _panel_lines(fc):
    """A panel's series forecast by a local baseline, and its series too short to train on."""
    from tsgate.fallback import count_words

    report = getattr(fc, "fit_report_", {})
    chosen, short, own = (report.get(k) or {} for k in ("fallback", "short", "short_baselines"))
    if chosen:
        _say(f"{len(chosen)} of {len(fc.ids_)} series forecast by a local baseline that beat the network "
             f"on their validation windows ({count_words(chosen.values())})")
    if short:
        net = len(short) - len(own)  # a lookback of rows: the network forecasts them, as new series
        how = ([f"{net} forecast by the network, not trained on them"] if net else []) + (
            [f"{'' if net else 'forecast '}by their own baseline ({count_words(own.values())})"] if own else [])
        _say(f"{len(short)} of {len(fc.ids_)} series shorter than the {report['short_rows']} rows of "
             f"a training and a validation window{': ' if net else ', '}{', '.join(how)}")


def _validation_line(fc):
    """The network's validation MAE against seasonal naive's and the best baseline's."""
    from tsgate.fallback import baseline_words

    vs = getattr(fc, "val_scores_", {}) or {}
    if not vs:
        return
    ratio = f"ratio {vs['mae'] / vs['seasonal_naive_mae']:.2f}, " if vs["seasonal_naive_mae"] > 0 else ""
    report = fc.fit_report_
    best = report["best_baseline"]
    _say(f"validation MAE {vs['mae']:.4g} vs seasonal naive {vs['seasonal_naive_mae']:.4g} "
         f"({ratio}{vs['n_windows']} windows); best baseline {baseline_words(report, best)} "
         f"{report['validation_mae'][best]:.4g}")


def _start_words(start, fitted=None):
    """The linear start's name for people: 'ridge(1) + AR(3)', the fitted
    starts named by ``fitted`` (history's 'start_models'); three or more ridge
    fits averaged are one item ('the mean of 6 ridge fits (penalty 1e-06 to 1) and AR(3)')."""
    parts = [(fitted or {}).get(p, p).replace("_", " ") for p in start.split("+")]
    ridges = [p for p in parts if p.startswith("ridge(")]
    if len(ridges) < 3:
        return " + ".join(parts)
    penalties = sorted(float(p[6:-1]) for p in ridges)
    others = [p for p in parts if not p.startswith("ridge(")]
    fits = f"{len(ridges)} ridge fits (penalty {penalties[0]:g} to {penalties[-1]:g})"
    return f"the mean of {fits}" + (f" and {', '.join(others)}" if others else "")


def _inputs(fc, most=8):
    """What the network reads besides its target, when it reads covariates
    (a numeric column is a past covariate unless named otherwise); else ''."""
    past, future = list(fc.past_covariates_), list(fc.future_covariates_)
    if not (past or future):
        return ""

    def listed(cols, what):
        more = f", and {len(cols) - most} more" if len(cols) > most else ""
        return f"{len(cols)} {what}{'s' if len(cols) > 1 else ''} ({', '.join(cols[:most])}{more})"

    parts = [f"{', '.join(fc.targets_)} (target{'s' if len(fc.targets_) > 1 else ''})"]
    parts += [listed(past, "past covariate")] if past else []
    parts += [listed(future, "known-future covariate")] if future else []
    parts += ["calendar features"] if fc.calendar_features else []
    parts += ["each step's place in the window"] if fc._position() else []
    return ", ".join(parts)
