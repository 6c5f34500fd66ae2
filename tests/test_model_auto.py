"""--model auto: the network or the best baseline, also where the network cannot be trained."""

import numpy as np
import pandas as pd
from click.testing import CliRunner

from tsgate.baselines import CALIBRATION_ORIGINS, best_baseline
from tsgate.cli import main


def _series(values, freq="D"):
    return pd.Series(values, index=pd.date_range("2020-01-01", periods=len(values), freq=freq), name="y")


def test_best_baseline_scores_each_from_the_last_origins_and_picks_the_lowest():
    rng = np.random.default_rng(0)
    y = np.empty(400)
    y[0] = 50.0
    for t in range(1, 400):  # AR(1) around 50: AR forecasts revert, naive's do not
        y[t] = 50.0 + 0.6 * (y[t - 1] - 50.0) + rng.normal()
    chosen, maes = best_baseline(_series(y).rename_axis("day"), horizon=7, outliers="keep")
    assert chosen.method == "ar" and maes[chosen.describe()] == min(maes.values()), maes
    first, last = 400 * 4 // 5, 400 - 7  # origins of the last fifth, each with 7 values after it
    naive = np.mean([np.abs(y[e + 1:e + 8] - y[e]) for e in range(first, last)])
    assert np.isclose(maes["naive"], naive) and naive > 1.1 * maes[chosen.describe()], maes
    tie, maes = best_baseline(_series(np.full(100, 3.0)), horizon=5)  # every one exact: the simplest
    assert tie.method == "naive" and maes["naive"] == 0.0
    few, maes = best_baseline(_series([1.0, 2.0, 3.0]), horizon=5)  # no origin has 5 values after it
    assert few.method == "naive" and np.isnan(maes["naive"]) and CALIBRATION_ORIGINS > 0


def test_model_auto_forecasts_by_a_baseline_where_the_network_cannot_be_trained(tmp_path):
    # Ones with a spike in an older block: the linear start forecasts the exact
    # validation tail far worse than naive before training, and the network fit
    # raises (tests/test_accuracy_features.py). --model network exits 2 saying so;
    # --model auto forecasts by naive (exact) and says why.
    y = np.ones(120)
    y[60] = 1e6
    csv = tmp_path / "s.csv"
    _series(y).rename_axis("day").to_csv(csv)
    r = CliRunner().invoke(main, ["forecast", str(csv), "--horizon", "5"])
    assert r.exit_code == 2 and "the linear start (ar), chosen on earlier stretches" in r.stderr, r.stderr
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
                                  "--model", "auto"])
    assert r.exit_code == 2 and "linear start" in r.stderr, r.stderr  # a panel: the error, as before
