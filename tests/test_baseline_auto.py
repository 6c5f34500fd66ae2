"""BaselineForecaster('auto'): the baseline with the lowest MAE from the calibration origins, per series."""

import numpy as np
import pandas as pd
import pytest

from tsgate import BaselineForecaster, LocalForecaster, load
from tsgate.baselines import BASELINES


def _ar1(n=300, seed=0):
    rng = np.random.default_rng(seed)
    y = np.empty(n)
    y[0] = 50.0
    for t in range(1, n):  # AR(1) around 50: AR forecasts revert, naive's do not
        y[t] = 50.0 + 0.6 * (y[t - 1] - 50.0) + rng.normal()
    return y


def _weekly(n=300, seed=1):
    rng = np.random.default_rng(seed)
    return 10.0 + 3.0 * np.tile([0, 1, 4, 2, -1, -3, 0.5], n // 7 + 1)[:n] + 0.2 * rng.standard_normal(n)


def _series(values, name="y"):
    return pd.Series(values, index=pd.date_range("2020-01-01", periods=len(values), freq="D"), name=name)


@pytest.mark.parametrize("make, expected", [(_ar1, "ar"), (_weekly, ("seasonal_naive", "holt_winters"))])
def test_auto_is_the_baseline_with_the_lowest_calibration_mae_and_forecasts_as_it(make, expected):
    s = _series(make())
    auto = BaselineForecaster("auto", horizon=7, seasonal_period=7, outliers="keep").fit(s)
    assert auto.method == "auto" and auto.method_ in np.atleast_1d(expected), auto.scores_
    alone = {m: BaselineForecaster(m, horizon=7, seasonal_period=7, outliers="keep").fit(s) for m in BASELINES}
    maes = {alone[m].describe(): float(np.mean(np.abs(alone[m].residuals_))) for m in BASELINES}
    assert auto.scores_ == pytest.approx(maes, rel=1e-12)  # every baseline scored as it scores alone
    assert auto.scores_[auto.describe()] == min(maes.values())
    same = alone[auto.method_]
    pd.testing.assert_frame_equal(auto.predict_interval(0.9), same.predict_interval(0.9))  # point and band


def test_local_auto_chooses_per_series_and_keeps_the_choice_in_the_model_file(tmp_path):
    long = pd.concat([_series(_ar1()).to_frame().assign(unique_id="ar").reset_index(names="ds"),
                      _series(_weekly()).to_frame().assign(unique_id="weekly").reset_index(names="ds")])
    local = LocalForecaster(BaselineForecaster("auto", horizon=7, outliers="keep")).fit(long)
    chosen = {k: est.method_ for k, est in local.estimators_.items()}
    assert chosen["ar"] == "ar" and chosen["weekly"] in ("seasonal_naive", "holt_winters"), chosen
    path = local.save(tmp_path / "local.tsgate")
    back = load(path)
    assert {k: est.method_ for k, est in back.estimators_.items()} == chosen
    pd.testing.assert_frame_equal(back.predict(), local.predict())
    one = load(BaselineForecaster("auto", horizon=7).fit(_series(_ar1())).save(tmp_path / "one.tsgate"))
    assert one.method == "auto" and one.method_ == "ar" and len(one.scores_) == len(BASELINES)


def test_auto_chooses_again_at_every_refit_of_historical_forecasts():
    # a random walk that turns weekly half-way: naive is best on the first refits, a seasonal baseline later
    rng = np.random.default_rng(2)
    walk = np.cumsum(rng.standard_normal(150)) + 20.0
    y = np.r_[walk, walk[-1] + _weekly(150) - 10.0]
    s = _series(y)
    kw = dict(horizon=7, seasonal_period=7, outliers="keep")
    fc = BaselineForecaster("auto", **kw).fit(s.iloc[:120])
    hf = fc.historical_forecasts(s, start=s.index[119], stride=7, retrain=4, coverage=0.9)
    cutoffs = sorted(hf["cutoff"].unique())
    methods = set()
    for k in range(0, len(cutoffs), 4):  # a refit at every 4th origin, chosen on the rows up to it
        refit = BaselineForecaster("auto", **kw).fit(s.loc[:cutoffs[k]])
        methods.add(refit.method_)
        band = hf.loc[hf["cutoff"] == cutoffs[k]]  # the refit's band, of the baseline it chose
        np.testing.assert_allclose(band[["lower", "upper"]], refit.predict_interval(0.9).iloc[:, 1:], rtol=1e-12)
        for c in cutoffs[k:k + 4]:
            got = hf.loc[hf["cutoff"] == c, "forecast"].to_numpy()
            model = BaselineForecaster(refit.method_, **kw).fit(s.loc[:cutoffs[k]])  # its parameters ...
            want = model._origin_forecasts(refit.method_, y, [s.index.get_loc(c)], 7, model.ar_, model.hw_)[0]
            np.testing.assert_allclose(got, want, rtol=1e-12)  # ... forecasting from each of its origins
    assert len(methods) >= 2 and methods & {"seasonal_naive", "holt_winters"}, methods  # the choice moved
    still = fc.historical_forecasts(s, start=s.index[119], stride=7)  # no retrain: the fitted choice throughout
    assert fc.method_ not in ("seasonal_naive", "holt_winters")  # chosen on the walk
    pos = [s.index.get_loc(c) for c in cutoffs]
    want = fc._origin_forecasts(fc.method_, y, pos, 7, fc.ar_, fc.hw_)
    np.testing.assert_allclose(still["forecast"].to_numpy().reshape(len(pos), 7), want, rtol=1e-12)


def test_ar_on_a_single_value_forecasts_it():
    for method in ("ar", "auto"):
        fc = BaselineForecaster(method, horizon=3).fit(_series([5.0]))
        np.testing.assert_array_equal(fc.predict()["y"], [5.0, 5.0, 5.0])


def test_cli_best_baseline_forecasts_and_backtests_as_the_python_estimator(tmp_path):
    from click.testing import CliRunner

    from tsgate import backtest
    from tsgate.cli import main

    s = _series(_ar1()).rename_axis("day")
    s.to_csv(tmp_path / "s.csv")
    r = CliRunner().invoke(main, ["forecast", str(tmp_path / "s.csv"), "--horizon", "7", "--model", "best_baseline",
                                  "--outliers", "keep"])
    assert r.exit_code == 0, r.stderr
    fc = BaselineForecaster("auto", horizon=7, outliers="keep").fit(s)
    assert f"{fc.describe()}: horizon=7" in r.stderr and "the best baseline by MAE from the series' last origins " \
        f"(naive {fc.scores_['naive']:.4g}" in r.stderr, r.stderr
    np.testing.assert_allclose([float(line.split(",")[1]) for line in r.stdout.splitlines()[1:]],
                               fc.predict()["y"], rtol=1e-12)
    r = CliRunner().invoke(main, ["fit", str(tmp_path / "s.csv"), "--horizon", "7", "--model", "best_baseline",
                                  "--outliers", "keep", "--save-model", str(tmp_path / "m.tsgate")])  # fit says it too
    assert r.exit_code == 0 and r.stderr.count("the best baseline by MAE from the series' last origins") == 1, r.stderr
    table = backtest(BaselineForecaster("auto", horizon=7, outliers="keep"), s, folds=2)
    assert set(table["model"]) == {"best_baseline", "seasonal_naive"}, table
    r = CliRunner().invoke(main, ["backtest", str(tmp_path / "s.csv"), "--horizon", "7", "--folds", "2", "--model",
                                  "best_baseline", "--outliers", "keep", "--json"])
    assert r.exit_code == 0, r.stderr
    got = pd.read_json(__import__("io").StringIO(r.stdout))
    mae = table.loc[table["model"] == "best_baseline", "MAE"].to_numpy()
    np.testing.assert_allclose(got.loc[got["model"] == "best_baseline", "MAE"].to_numpy()[:2], mae, rtol=1e-9)


def test_a_baseline_file_from_before_auto_loads_with_its_method(tmp_path):
    from tsgate import bundle, persist

    fc = BaselineForecaster("ar", horizon=7).fit(_series(_ar1()))
    meta, arrays = fc._fitted_state()
    assert meta.pop("method") == "ar" and meta.pop("scores") == {"AR(1)": pytest.approx(fc.scores_["AR(1)"])}
    bundle.write(tmp_path / "old.tsgate", persist.FORMAT, persist.VERSION, meta, arrays)
    old = load(tmp_path / "old.tsgate")
    assert old.method_ == "ar" and old.scores_ == {}
    pd.testing.assert_frame_equal(old.predict_interval(0.9), fc.predict_interval(0.9))


def test_the_networks_fit_X_y_form_forecasts_y():
    # BaselineForecaster.fit(X, y) ignored y and forecast X's column (the covariate), where the
    # network forecasters forecast y; a LocalForecaster dropped y unread
    from tsgate.errors import ParameterError

    idx = pd.date_range("2021-01-01", periods=60, freq="D")
    y = pd.Series(5 + np.sin(np.arange(60) / 3), index=idx, name="sales")
    X = pd.DataFrame({"x": np.arange(60.0)}, index=idx)
    alone = BaselineForecaster("naive", horizon=3).fit(y).predict()
    assert BaselineForecaster("naive", horizon=3).fit(X, y).predict().equals(alone)
    assert BaselineForecaster("naive", horizon=3).fit(None, y).predict().equals(alone)
    with pytest.raises(ParameterError, match="^y: a LocalForecaster reads each series' target from X"):
        LocalForecaster(BaselineForecaster("naive", horizon=3)).fit(X, y)


def test_a_horizon_that_is_not_a_positive_integer_is_refused_as_the_networks_refuse_it():
    # horizon=0 forecast the fitted horizon (it was read as "not given"), for a LocalForecaster's too
    from tsgate.errors import ParameterError

    y = pd.Series(5 + np.sin(np.arange(60) / 3), index=pd.date_range("2021-01-01", periods=60, freq="D"), name="y")
    base = BaselineForecaster("ar", horizon=3).fit(y)
    local = LocalForecaster(BaselineForecaster("naive", horizon=3)).fit({"a": y, "b": y + 1})
    for bad in (0, -1, 2.5, True):
        for call in (base.predict, base.predict_interval, local.predict):
            with pytest.raises(ParameterError, match=f"^horizon must be a positive integer, got {bad}$"):
                call(horizon=bad)
    assert len(base.predict_interval(0.8, horizon=5)) == 5 and len(local.predict(horizon=2)["a"]) == 2


def test_backtest_checks_the_estimators_parameters_before_any_fold():
    # horizon=0 was read as "not given" (a backtest at the default horizon), -2 an IndexError, 'x' a
    # TypeError; a LocalForecaster of None an AttributeError
    from tsgate import backtest
    from tsgate.errors import ParameterError

    y = pd.Series(5 + np.sin(np.arange(80) / 3), index=pd.date_range("2020-01-01", periods=80, freq="D"), name="y")
    for bad in (0, -2, "x"):
        with pytest.raises(ParameterError, match=r"^The 'horizon' parameter of BaselineForecaster must be an int"):
            backtest(BaselineForecaster("naive", horizon=bad), y)
        with pytest.raises(ParameterError, match=r"^The 'horizon' parameter of BaselineForecaster must be an int"):
            backtest(LocalForecaster(BaselineForecaster("naive", horizon=bad)), {"a": y})
    with pytest.raises(ParameterError, match="^estimator must be a tsgate forecaster"):
        backtest(LocalForecaster(None), {"a": y})


def test_a_baselines_band_takes_the_networks_method_option():
    # predict_interval(method=...) was "unexpected keyword argument" for a baseline and a LocalForecaster,
    # though a loop over forecasters passes it (as historical_forecasts' warm_start)
    from tsgate.errors import ParameterError

    rng = np.random.default_rng(0)
    y = pd.Series(5 + np.sin(np.arange(60) / 3) + 0.1 * rng.standard_normal(60),
                  index=pd.date_range("2020-01-01", periods=60, freq="D"), name="y")
    base = BaselineForecaster("ar", horizon=3).fit(y)
    assert base.predict_interval(0.9, method="conformal").equals(base.predict_interval(0.9))
    local = LocalForecaster(BaselineForecaster("naive", horizon=3)).fit({"a": y, "b": y + 1})
    assert local.predict_interval(0.9, method="conformal")["b"].equals(local.predict_interval(0.9)["b"])
    for est in (base, local):
        with pytest.raises(ParameterError, match=r"^method must be 'auto' or 'conformal' \(a baseline's band is "
                                                 r"conformal; 'quantile' needs a network fit with loss='pinball'\)"):
            est.predict_interval(0.9, method="quantile")
