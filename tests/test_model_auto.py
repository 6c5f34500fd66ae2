"""--model auto: the network or the best baseline, also where the network cannot be trained."""

import io

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from tsgate import LocalForecaster, LSTMForecaster
from tsgate.auto import fit_auto
from tsgate.baselines import CALIBRATION_ORIGINS, best_baseline
from tsgate.errors import TrainingDivergedError
from tsgate.cli import main


def _series(values, freq="D"):
    return pd.Series(values, index=pd.date_range("2020-01-01", periods=len(values), freq=freq), name="y")


def _spiked():
    """Ones with a spike in an older block: the linear start forecasts the exact validation tail far
    worse than naive before training: a global network's fit raises, one series' is handed to its best
    baseline (tests/test_accuracy_features.py)."""
    y = np.ones(120)
    y[60] = 1e6
    return y


def test_best_baseline_scores_each_from_the_last_origins_and_picks_the_lowest():
    rng = np.random.default_rng(0)
    y = np.empty(400)
    y[0] = 50.0
    for t in range(1, 400):  # AR(1) around 50: AR forecasts revert, naive's do not
        y[t] = 50.0 + 0.6 * (y[t - 1] - 50.0) + rng.normal()
    chosen, maes = best_baseline(_series(y).rename_axis("day"), horizon=7, outliers="keep")
    assert chosen.method_ == "ar" and maes[chosen.describe()] == min(maes.values()), maes
    first, last = 400 * 4 // 5, 400 - 7  # origins of the last fifth, each with 7 values after it
    naive = np.mean([np.abs(y[e + 1:e + 8] - y[e]) for e in range(first, last)])
    assert np.isclose(maes["naive"], naive) and naive > 1.1 * maes[chosen.describe()], maes
    tie, maes = best_baseline(_series(np.full(100, 3.0)), horizon=5)  # every one exact: the simplest
    assert tie.method_ == "naive" and maes["naive"] == 0.0
    few, maes = best_baseline(_series([1.0, 2.0, 3.0]), horizon=5)  # no origin has 5 values after it
    assert few.method_ == "naive" and np.isnan(maes["naive"]) and CALIBRATION_ORIGINS > 0


def test_model_auto_forecasts_by_a_baseline_where_the_network_cannot_be_trained(tmp_path):
    # --model network hands the series to its best baseline on validation (naive, exact) and warns
    # why (_spiked; tsgate.blend); --model auto forecasts by the best baseline from the last origins
    # and says why, as where the network raised.
    y = _spiked()
    csv = tmp_path / "s.csv"
    _series(y).rename_axis("day").to_csv(csv)
    r = CliRunner().invoke(main, ["forecast", str(csv), "--horizon", "5"])
    assert r.exit_code == 0 and "warning: the linear start (ar), chosen on earlier stretches" in r.stderr, r.stderr
    assert "The forecast is the naive baseline's alone (the best on validation)" in r.stderr
    assert "then naive alone: the network's linear start already forecast" in r.stderr
    assert "fallback=False" not in r.stderr  # no such option on the command line
    assert [float(line.split(",")[1]) for line in r.stdout.splitlines()[1:]] == [1.0] * 5
    model = tmp_path / "m.tsgate"
    r = CliRunner().invoke(main, ["forecast", str(csv), "--horizon", "5", "--model", "auto", "--save-model",
                                  str(model)])
    assert r.exit_code == 0, r.stderr
    assert "model auto: naive, the best baseline by MAE from the series' last origins (naive 0, drift 0, AR(" \
        in r.stderr and "the network could not be trained: the linear start (ar)" in r.stderr, r.stderr
    assert [float(line.split(",")[1]) for line in r.stdout.splitlines()[1:]] == [1.0] * 5
    r = CliRunner().invoke(main, ["predict", str(model), "--horizon", "2"])
    assert r.exit_code == 0 and [float(line.split(",")[1]) for line in r.stdout.splitlines()[1:]] == [1.0] * 2
    panel = pd.DataFrame({"id": ["a"] * 120 + ["b"] * 120, "day": list(pd.date_range("2020-01-01", periods=120)) * 2,
                          "y": np.r_[y, y]})
    panel.to_csv(tmp_path / "p.csv", index=False)
    r = CliRunner().invoke(main, ["forecast", str(tmp_path / "p.csv"), "--id-col", "id", "--horizon", "5",
                                  "--model", "auto"])  # a panel: each series' best baseline
    assert r.exit_code == 0, r.stderr
    assert "model auto: each series' best baseline, by MAE from its last origins (naive: 2 series); the network " \
        "could not be trained: the linear start (ar)" in r.stderr, r.stderr
    out = pd.read_csv(io.StringIO(r.stdout))
    assert list(out["id"]) == ["a"] * 5 + ["b"] * 5 and np.allclose(out["y"], 1.0)
    r = CliRunner().invoke(main, ["backtest", str(tmp_path / "p.csv"), "--id-col", "id", "--horizon", "5",
                                  "--model", "auto"])  # each refit of a backtest keeps the network's error
    assert r.exit_code == 2 and "linear start" in r.stderr, r.stderr
    frame = panel.assign(day=pd.to_datetime(panel["day"]))
    with pytest.raises(TrainingDivergedError, match="linear start"):
        fit_auto(LSTMForecaster(horizon=5, id_col="id", time_col="day"), frame, panels=False)
    local, why = fit_auto(LSTMForecaster(horizon=5, id_col="id", time_col="day"), frame)
    assert isinstance(local, LocalForecaster) and why["per_series"] == ["naive", "naive"]


def test_backtest_auto_chooses_at_every_refit_and_matches_the_network_where_it_keeps_it():
    import pytest

    from tsgate import BaselineForecaster, LSTMForecaster, backtest
    from tsgate.errors import ParameterError

    y = _spiked()
    table = backtest(LSTMForecaster(horizon=5), _series(y), folds=3, auto=True)
    mine = table[table["model"] == "auto"]
    assert list(mine["chosen"]) == ["naive"] * 3 and (mine["MAE"] == 0).all(), table  # the network raised each time
    rng = np.random.default_rng(1)
    t = np.arange(150)
    z = _series(10 + 3 * np.sin(2 * np.pi * t / 12) + 0.05 * t + rng.normal(0, 0.3, 150), "MS")
    est = LSTMForecaster(horizon=6, max_epochs=5, hidden_size=8)
    cols = ["MAE", "RMSE", "sMAPE", "MASE"]
    for retrain in (False, True):  # the network validates best at each fit: its own table, fold for fold
        auto = backtest(est, z, folds=2, retrain=retrain, auto=True)
        plain = backtest(est, z, folds=2, retrain=retrain)
        assert list(auto["chosen"]) == ["network", ""] * 2, auto
        assert np.allclose(auto[cols].to_numpy(), plain[cols].to_numpy(), rtol=1e-5), (auto, plain)  # float32 batches
    for bad in ({"estimator": BaselineForecaster("naive")}, {"warm_start": True}):
        with pytest.raises(ParameterError, match="auto=True chooses between a recurrent forecaster"):
            backtest(**{"estimator": est, "data": z, "auto": True, **bad})


def test_cli_backtest_model_auto_says_each_folds_choice(tmp_path):
    y = _spiked()
    csv = tmp_path / "s.csv"
    _series(y).rename_axis("day").to_csv(csv)
    r = CliRunner().invoke(main, ["backtest", str(csv), "--model", "auto", "--horizon", "5", "--folds", "2"])
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].endswith("  chosen") and [ln.split()[2] for ln in lines[1:5:2]] == ["auto", "auto"], r.stdout
    assert all(ln.endswith("  naive") for ln in lines[1:5:2]) and lines[-2].split()[1] == "auto", r.stdout


def test_auto_takes_a_baseline_only_where_the_paired_test_says_it_is_clearly_better():
    # One validation tail is a small sample: on the accuracy benchmark, taking whichever validated
    # better made AirPassengers, realgdp, yearly sunspots and lynx 20-40% worse. A baseline replaces
    # the network only where blocks of horizon windows say it is better (one-sided, 2.5%), and
    # auto does not also warn that it validated better.
    import warnings

    from tsgate import LSTMForecaster
    from tsgate.auto import describe, fit_auto
    from tsgate.errors import BaselineWarning

    rng = np.random.default_rng(0)
    t = np.arange(144)
    y = _series(10 + 3 * np.sin(2 * np.pi * t / 12) + 0.2 * rng.standard_normal(144), "MS")
    untrained = LSTMForecaster(horizon=6, max_epochs=1, ar_window=0, hidden_size=2, window_norm=None,
                               learning_rate=1e-4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model, why = fit_auto(untrained, y)
    assert model.method == "ar" and why["t"] < -10 and "; paired t" in describe(why), why
    assert not [w for w in caught if issubclass(w.category, BaselineWarning)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        untrained.fit(y)  # the plain fit warns
    assert [w for w in caught if issubclass(w.category, BaselineWarning)]
    stateful = LSTMForecaster(horizon=6, stateful=True, max_epochs=1, hidden_size=2, learning_rate=1e-4)
    model, why = fit_auto(stateful, y)  # its validation steps' errors, per window too
    assert why["chosen"] != "network" and why["t"] < -10, why
    rng = np.random.default_rng(0)
    v = 100 + np.cumsum(rng.normal(0, 1, 285))
    model, why = fit_auto(LSTMForecaster(horizon=5), _series(v))  # a random walk: naive and the network tie
    assert why["chosen"] == "network" and why["baseline_mae"] < why["network"] and why["t"] > -1, why
    assert describe(why).endswith(", not clear)"), describe(why)
    model, why = fit_auto(LSTMForecaster(horizon=6, random_state=0), y)  # lower on validation: no test to run
    assert why["chosen"] == "network" and why["network"] < why["baseline_mae"] and "t" not in why, why


def test_auto_keeps_a_network_it_cannot_compare_and_says_why(tmp_path):
    # A recursive network's fit scores no baseline on validation: fit_auto raised KeyError 'validation_mae'
    # (exit 1 in the CLI); a panel, several targets or known-future covariates were kept silently
    rng = np.random.default_rng(0)
    y = _series(100 + 10 * np.sin(np.arange(200) * 2 * np.pi / 7) + rng.normal(size=200))
    fc, why = fit_auto(LSTMForecaster(horizon=10, strategy="recursive", max_epochs=3), y)
    assert isinstance(fc, LSTMForecaster) and why == {
        "chosen": "network", "unscored": "its validation was not scored against the baselines (recursive strategy)"}
    plain, future = tmp_path / "s.csv", tmp_path / "f.csv"
    frame = y.rename("sales").rename_axis("date").to_frame()
    frame.to_csv(plain)
    frame = frame.assign(promo=(np.arange(200) % 3 == 0).astype(float))
    frame.iloc[-5:, 0] = np.nan  # the last five rows: the promotion's future values
    frame.to_csv(future)
    for path, extra, words in ((plain, ["--strategy", "recursive"], "(recursive strategy)"),
                               (future, ["--future-covariates", "promo"], "it reads known-future covariates")):
        r = CliRunner().invoke(main, ["forecast", str(path), "--target", "sales", "--horizon", "5", "--epochs", "3",
                                      "--model", "auto", *extra])
        assert r.exit_code == 0, r.stderr
        assert r.stderr.startswith("model auto: the network, not compared with the baselines: ") and words in r.stderr
        quiet = CliRunner().invoke(main, ["forecast", str(path), "--target", "sales", "--horizon", "5", "--epochs",
                                          "3", "--model", "auto", "--quiet", *extra])
        assert quiet.exit_code == 0 and quiet.stderr == "", quiet.stderr  # --quiet: not even the choice


def test_a_network_of_several_series_is_kept_and_says_why_none_replaces_it():
    # Several series (a long panel, a wide frame of two targets): no single baseline is compared,
    # the network stays, and why says so; a wide network that cannot be trained keeps its error
    # (no baseline takes a list of targets).
    rng = np.random.default_rng(0)
    t = np.arange(80)
    a, b = np.sin(t / 3) + 0.1 * rng.standard_normal(80), np.cos(t / 4) + 0.1 * rng.standard_normal(80)
    idx = pd.date_range("2020-01-01", periods=80, freq="D")
    long = pd.DataFrame({"id": ["a"] * 80 + ["b"] * 80, "ds": np.tile(idx, 2), "y": np.r_[a, b]})
    wide = pd.DataFrame({"a": a, "b": b}, index=idx)
    for est, data in [(LSTMForecaster(horizon=5, id_col="id", max_epochs=3), long),
                      (LSTMForecaster(horizon=5, target=["a", "b"], max_epochs=3), wide)]:
        model, why = fit_auto(est, data)
        assert isinstance(model, LSTMForecaster)
        assert why == {"chosen": "network",
                       "unscored": "one network forecasts several series; each has its own best baseline"}
    spiked = pd.DataFrame({"a": _spiked(), "b": _spiked()}, index=pd.date_range("2020-01-01", periods=120))
    with pytest.raises(TrainingDivergedError, match="linear start"):
        fit_auto(LSTMForecaster(horizon=5, target=["a", "b"]), spiked)
