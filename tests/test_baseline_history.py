"""BaselineForecaster.historical_forecasts and backtest: the network forecasters' tables,
from the same origins, each forecast as the baseline makes it at its origin."""

import re
import warnings

import numpy as np
import pandas as pd
import pytest

from tsgate import BaselineForecaster, LocalForecaster, LSTMForecaster, summarise_backtest
from tsgate.datasets import load
from tsgate.errors import DataError, ParameterError

METHODS = ["naive", "seasonal_naive", "drift", "ar", "holt_winters"]


@pytest.fixture(scope="module")
def air():
    return load("airpassengers")


def _fit(method, y, **kw):
    return BaselineForecaster(method, horizon=6, seasonal_period=12, outliers="keep", **kw).fit(y)


@pytest.mark.parametrize("method", METHODS)
def test_each_origin_is_forecast_as_update_and_predict_would_there(air, method):
    """Without retrain, the forecast from origin p is the fitted baseline's forecast after the
    rows up to p (update, then predict), its band predict_interval's."""
    fc = _fit(method, air.iloc[:100])
    hf = fc.historical_forecasts(air, start=air.index[100], stride=7, coverage=0.8)
    assert list(hf.columns) == ["unique_id", "cutoff", "month", "step", "y", "forecast", "lower", "upper"]
    cutoffs = hf["cutoff"].unique()
    assert len(hf) == 6 * len(cutoffs) and list(cutoffs) == list(air.index[100:138:7])
    for cutoff in cutoffs[[0, -1]]:
        rows = hf[hf["cutoff"] == cutoff]
        there = _fit(method, air.iloc[:100]).update(air[:cutoff]).predict_interval(0.8)
        assert np.allclose(rows["forecast"], there.iloc[:, 0], rtol=1e-12)
        assert np.allclose(rows["lower"], there.iloc[:, 1], rtol=1e-12)
        assert np.allclose(rows["y"], air[air.index > cutoff].iloc[:6])
        assert list(rows["month"]) == list(there.index)


@pytest.mark.parametrize("method,first", [("naive", 0), ("drift", 1), ("ar", None)])
def test_the_first_origin_is_the_first_row_with_the_rows_its_baseline_reads(air, method, first):
    """From the series' start, the first origin is the first position with as many rows up to it (itself
    included) as the baseline reads: naive from one row, drift from two, AR(p) from p."""
    fc = _fit(method, air.iloc[:100])
    first = fc.ar_.order_ - 1 if method == "ar" else first
    hf = fc.historical_forecasts(air, start=air.index[0])
    assert hf["cutoff"].iloc[0] == air.index[first]
    if method == "naive":  # from the one row it has
        assert hf["forecast"].iloc[0] == pytest.approx(air.iloc[0])


@pytest.mark.parametrize("method,every", [("ar", True), ("holt_winters", 3)])
def test_retrain_refits_on_the_rows_up_to_every_kth_origin(air, method, every):
    fc = _fit(method, air.iloc[:100])
    hf = fc.historical_forecasts(air, start=air.index[110], retrain=every, coverage=0.8)
    still = fc.historical_forecasts(air, start=air.index[110], coverage=0.8)
    assert not np.allclose(hf["forecast"], still["forecast"])  # the refits change the forecasts
    assert not np.allclose(hf["upper"] - hf["lower"], still["upper"] - still["lower"])  # and the bands
    cutoffs = hf["cutoff"].unique()
    k = 1 if every is True else every
    for j in (0, 1, k):  # a refit origin; the origin after it (refit again only when k = 1)
        refit_at = cutoffs[j - j % k]
        refit = _fit(method, air[:refit_at]).update(air[:cutoffs[j]]).predict_interval(0.8)  # as made then
        mine = hf[hf["cutoff"] == cutoffs[j]]
        assert np.allclose(mine["forecast"], refit.iloc[:, 0], rtol=1e-9)
        assert np.allclose(mine[["lower", "upper"]], refit.iloc[:, 1:], rtol=1e-9)


def test_tables_match_the_network_forecasters_origin_for_origin(air):
    """Same origins, time steps, actuals and seasonal naive as an LSTMForecaster's backtest
    of the same data, so the two tables stack into one comparison."""
    kw = dict(horizon=6, seasonal_periods=[12], lookback=24, hidden_size=4, max_epochs=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net = LSTMForecaster(**kw).fit(air.iloc[:110])
    base = _fit("ar", air.iloc[:110])
    h_net, h_base = net.historical_forecasts(air, stride=2), base.historical_forecasts(air, stride=2)
    assert list(h_base.columns) == list(h_net.columns)
    same = ["unique_id", "cutoff", "month", "step", "y"]
    pd.testing.assert_frame_equal(h_base[same], h_net[same], check_dtype=False)
    b_net, b_base = net.backtest(air, stride=2, coverage=0.9), base.backtest(air, stride=2, coverage=0.9)
    assert list(b_base.columns) == list(b_net.columns)
    sn = lambda t: t[t["model"] == "seasonal_naive"].drop(columns="model").reset_index(drop=True)  # noqa: E731
    pd.testing.assert_frame_equal(sn(b_base), sn(b_net))
    ar = b_base[b_base["model"] == "ar"]
    assert len(ar) == 6 and ar["coverage"].between(0, 1).all() and (ar["MSIS"] > 0).all()
    table = summarise_backtest(pd.concat([b_net, b_base[b_base["model"] == "ar"]]))
    assert list(table.index) == ["tsgate", "seasonal_naive", "ar"]
    with pytest.raises(DataError, match=r"this one lacks \['MASE'\]"):  # pandas' KeyError before
        summarise_backtest(b_net.drop(columns="MASE"))


def test_seasonal_naive_is_scored_once_and_out_of_sample_origins_by_default(air):
    fc = _fit("seasonal_naive", air.iloc[:120])
    bt = fc.backtest(air)
    assert list(bt["model"].unique()) == ["seasonal_naive"] and list(bt["step"]) == list(range(1, 7))
    hf = fc.historical_forecasts(air)
    assert hf["cutoff"].min() == air.index[119] and hf["cutoff"].max() == air.index[-7]  # from the fitted cutoff


def test_local_baselines_backtest_every_series_of_a_panel():
    t = pd.date_range("2000-01-01", periods=48, freq="MS")
    rng = np.random.default_rng(0)
    long = pd.concat([pd.DataFrame({"unique_id": sid, "ds": t, "y": 10 * (k + 1) + rng.standard_normal(48)})
                      for k, sid in enumerate(["a", "b"])])
    local = LocalForecaster(BaselineForecaster("drift", horizon=3)).fit(long[long.ds < t[36]])
    hf = local.historical_forecasts(long)
    assert list(hf.columns[:3]) == ["unique_id", "cutoff", "ds"] and set(hf["unique_id"]) == {"a", "b"}
    b = long[long.unique_id == "b"].drop(columns="unique_id")
    alone = BaselineForecaster("drift", horizon=3).fit(b[b.ds < t[36]]).historical_forecasts(b)
    assert np.allclose(hf[hf.unique_id == "b"]["forecast"], alone["forecast"])
    multi = long.rename(columns={"unique_id": "store"}).set_index(["store", "ds"])  # sktime's form
    hf = LocalForecaster(BaselineForecaster("drift", horizon=3)).fit(multi.loc[(slice(None), t[:36]), :]) \
        .historical_forecasts(multi)
    assert list(hf.columns[:2]) == ["store", "cutoff"] and np.allclose(hf[hf.store == "b"]["forecast"],
                                                                       alone["forecast"])
    unnamed = multi.rename_axis([None, None])  # its levels named as the networks' tables name them
    hf = LocalForecaster(BaselineForecaster("drift", horizon=3)).fit(unnamed).historical_forecasts(unnamed, start=0.8)
    assert list(hf.columns[:3]) == ["level_0", "cutoff", "level_1"] and set(hf["level_0"]) == {"a", "b"}
    named = long.rename(columns={"unique_id": "store"})  # another id column, named to LocalForecaster
    hf = LocalForecaster(BaselineForecaster("drift", horizon=3), id_col="store").fit(named[named.ds < t[36]]) \
        .historical_forecasts(named)
    assert list(hf.columns[:2]) == ["store", "cutoff"] and np.allclose(hf[hf.store == "b"]["forecast"],
                                                                       alone["forecast"])
    net = LocalForecaster(LSTMForecaster(horizon=3, lookback=6, hidden_size=2, max_epochs=1), id_col="store")
    assert set(net.fit(named).predict()["store"]) == {"a", "b"}  # a network without an id_col gets this one
    wide = long.pivot(index="ds", columns="unique_id", values="y")
    bt = LocalForecaster(BaselineForecaster("naive", horizon=3)).fit(wide.iloc[:36]).backtest(wide)
    assert set(bt["unique_id"]) == {"a", "b"} and set(bt["model"]) == {"naive", "seasonal_naive"}


def test_bad_arguments_are_errors_naming_them_before_any_work(air):
    fc = _fit("ar", air.iloc[:100])
    with pytest.raises(ParameterError, match="retrain must be True, False or a positive int, got 0"):
        fc.historical_forecasts(air, retrain=0)
    with pytest.raises(ParameterError, match="stride must be a positive integer"):
        fc.backtest(air, stride=0)
    with pytest.raises(ParameterError, match="coverage must be a number in"):
        fc.backtest(air, coverage=2)
    with pytest.raises(ParameterError, match=r"start as a fraction must be in \[0, 1\)"):
        fc.historical_forecasts(air, start=1.5)
    with pytest.raises(DataError, match=r"X has no origin with \d+ rows? up to it and 6 after it after the fitted "
                                        r"cutoff \(1957-04-01\): pass newer rows, or an earlier start"):
        fc.historical_forecasts(air.iloc[:100])
    with pytest.raises(DataError, match="X has frequency"):
        fc.historical_forecasts(air.resample("QS").mean())
    with pytest.raises(DataError, match=r"for a panel \(long, dict or MultiIndex\) use LocalForecaster"):
        fc.backtest({"a": air})
    with pytest.raises(DataError, match="X has no column 'passengers'"):
        fc.backtest(air.rename("other").to_frame())
    with pytest.raises(DataError, match="X has no column 'passengers'"):  # update reads X the same way
        fc.update(air.rename("other").to_frame())
    # a Series is the model's series whatever its name, as for the networks (named otherwise: "no column")
    for name in ("other", None):
        assert fc.backtest(air.rename(name), start=0.9).equals(fc.backtest(air, start=0.9))
    # the network forecasters' options are taken (a loop over models passes them), warm_start=True refused
    # by name (it was "unexpected keyword argument 'warm_start'")
    assert fc.historical_forecasts(air, start=0.9, warm_start=False).equals(fc.historical_forecasts(air, start=0.9))
    for method in (fc.historical_forecasts, fc.backtest):
        with pytest.raises(ParameterError, match="^warm_start=True: a baseline has no weights to start a refit from"):
            method(air, start=0.9, retrain=True, warm_start=True)
        # static_covariates too (it was "unexpected keyword argument"): None taken, a frame refused by name
        assert method(air, start=0.9, static_covariates=None).equals(method(air, start=0.9))
        with pytest.raises(ParameterError, match="^static_covariates: a baseline reads none"):
            method(air, start=0.9, static_covariates=pd.DataFrame({"kind": [1]}, index=["passengers"]))


@pytest.mark.parametrize("kw,words", [
    (dict(folds=2.5), "folds must be a positive integer, got 2.5"),  # a raw IndexError ("indexing with a float")
    (dict(folds=0), "folds must be a positive integer, got 0"),  # "X has no origin ... from start 1960-12-01"
    (dict(horizon=0), "horizon must be a positive integer, got 0"),  # the model's horizon, silently
    (dict(auto="yes"), "auto must be True or False, got 'yes'"),
    (dict(warm_start="x"), "warm_start must be True or False, got 'x'"),  # was "warm_start=True needs retrain=True"
])
def test_the_fold_view_names_a_bad_count_before_any_fit(air, kw, words):
    from tsgate.evaluation import backtest

    with pytest.raises(ParameterError, match=f"^{words}$"):
        backtest(BaselineForecaster("ar", horizon=6), air, **kw)


@pytest.mark.parametrize("estimator,words", [
    (None, "got NoneType"), ("ar", "got str"),  # scikit-learn's clone: "Cannot clone object 'None' ..."
    (BaselineForecaster, "got the class BaselineForecaster: pass an instance, BaselineForecaster()"),
])
def test_the_fold_view_names_an_estimator_that_is_not_a_forecaster(air, estimator, words):
    from tsgate import LSTMRegressor
    from tsgate.evaluation import backtest

    start = r"^estimator must be a tsgate forecaster \(LSTMForecaster, .* or LocalForecaster\), "
    with pytest.raises(ParameterError, match=start + re.escape(words) + "$"):
        backtest(estimator, air)
    with pytest.raises(ParameterError, match=start + "got LSTMRegressor$"):
        backtest(LSTMRegressor(), air)


def test_the_fold_view_backtests_a_baseline_refit_before_every_fold(air):
    """tsgate.evaluation.backtest (the CLI's backtest) of a baseline: fit before the last
    folds x horizon rows, AR refit before every fold; each fold's MAE is that of the
    historical forecasts from its origin."""
    from tsgate.evaluation import backtest

    table = backtest(BaselineForecaster("ar", horizon=6, outliers="keep"), air, folds=3, coverage=0.8)
    assert list(table["model"]) == ["ar", "seasonal_naive"] * 3 and list(table["fold"]) == [1, 1, 2, 2, 3, 3]
    cut = air.index[-19]
    hf = BaselineForecaster("ar", horizon=6, outliers="keep").fit(air[:cut]).historical_forecasts(
        air, start=cut, stride=6, retrain=True)
    mae = hf.assign(ae=(hf["y"] - hf["forecast"]).abs()).groupby("cutoff")["ae"].mean().to_numpy()
    assert np.allclose(table[table["model"] == "ar"]["MAE"], mae)
    assert list(table[table["model"] == "ar"]["start"]) == list(air.index[-18::6])


def scale_of_ar(y):
    """The in-sample seasonal-naive MAE (m = 12) AR's own backtest of ``y`` scales by (two folds of 6)."""
    from tsgate.evaluation import backtest

    own = backtest(BaselineForecaster("ar", horizon=6, outliers="keep"), y, folds=2)
    return float(own["MAE"].iloc[0] / own["MASE"].iloc[0])


def test_the_fold_view_backtests_every_baseline_at_the_same_folds(air):
    """baselines='all': naive, drift, AR and Holt-Winters rows after each fold's tsgate and seasonal
    naive rows, each the same as that baseline's own backtest, and on a panel a baseline per series,
    pooled; an unknown name is refused before any fit."""
    from tsgate import LSTMForecaster
    from tsgate.evaluation import backtest

    net = LSTMForecaster(horizon=6, max_epochs=2, random_state=0, outliers="keep")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # two epochs: the network may not beat AR on validation
        table = backtest(net, air, folds=2, baselines="all")
    models = ["tsgate", "seasonal_naive", "naive", "drift", "ar", "holt_winters"]
    assert list(table["model"]) == models * 2 and list(table["fold"]) == [1] * 6 + [2] * 6
    for m in ("ar", "holt_winters", "drift"):
        alone = backtest(BaselineForecaster(m, horizon=6, outliers="keep"), air, folds=2)
        assert np.allclose(table[table["model"] == m]["MAE"], alone[alone["model"] == m]["MAE"])
        assert np.allclose(table[table["model"] == m]["MASE"], alone[alone["model"] == m]["MASE"])
    two = backtest(BaselineForecaster("ar", horizon=6, outliers="keep"), air, folds=2, baselines=["naive", "ar"])
    assert list(two["model"]) == ["ar", "seasonal_naive", "naive"] * 2
    with pytest.raises(ParameterError, match=r"baselines must be 'all' \(or True\) or a list of .*; got 'arima'"):
        backtest(net, air, folds=2, baselines=["arima"])
    for bad in (3, {"ar"}, [["ar"]]):  # TypeErrors from inside ('int' object is not iterable, unhashable list)
        with pytest.raises(ParameterError, match=r"^baselines must be 'all' \(or True\) or a list of"):
            backtest(net, air, folds=2, baselines=bad)
    yes = backtest(BaselineForecaster("ar", horizon=6, outliers="keep"), air, folds=1, baselines=True)  # as the CLI's
    assert list(yes["model"]) == ["ar", "seasonal_naive", "naive", "drift", "holt_winters"]  # flag: 'all' (not ar twice)
    no = backtest(BaselineForecaster("ar", horizon=6, outliers="keep"), air, folds=1, baselines=False)
    assert list(no["model"]) == ["ar", "seasonal_naive"]  # was "'bool' object is not iterable"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        six = backtest(LSTMForecaster(horizon=6, max_epochs=2, random_state=0, outliers="keep", seasonal_periods=[6]),
                       air, folds=2, baselines=["ar"])  # the network's MASE at m = 6, AR's own at 12
        ratio = six["MASE"] / six["MAE"]  # one series: every row on the network's scale s, MASE = MAE / s
        assert np.allclose(ratio, ratio.iloc[0]) and not np.allclose(ratio.iloc[2], 1 / scale_of_ar(air))
        pair = backtest(net, {"a": air, "b": air * 2.0}, folds=2, baselines=["ar", "drift"])  # a baseline per series
    for m in ("ar", "drift"):  # b = 2 a: pooled MAE 1.5 times a's, the MASE a's (each series on its own scale)
        assert np.allclose(pair[pair["model"] == m]["MAE"], 1.5 * table[table["model"] == m]["MAE"])
        assert np.allclose(pair[pair["model"] == m]["MASE"], table[table["model"] == m]["MASE"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        one = backtest(net, {"a": air}, folds=2, baselines=["ar"])  # a panel's form of one series
    assert np.allclose(one[one["model"] == "ar"]["MAE"], table[table["model"] == "ar"]["MAE"])


def test_a_panel_of_local_models_backtests_pooled_over_its_series_as_a_global_network():
    """tsgate.backtest of a LocalForecaster: each fold's errors pooled over the series that have it (the MAE
    of the pooled points, the MASE by each series' own scale), in every form of panel; a series that ends
    before the folds is passed over, as a global network's table passes it."""
    from tsgate import backtest

    t = pd.date_range("2000-01-01", periods=60, freq="D")
    rng = np.random.default_rng(1)
    wide = pd.DataFrame({"a": 50 + rng.standard_normal(60).cumsum(),
                         "b": 20 + 5 * np.sin(np.arange(60) * 2 * np.pi / 7) + rng.standard_normal(60)}, index=t)
    long = wide.stack().rename("y").rename_axis(["ds", "unique_id"]).reset_index()
    base = BaselineForecaster("ar", horizon=7)
    table = backtest(LocalForecaster(base), long, folds=2, coverage=0.8)
    assert list(table["model"]) == ["ar", "seasonal_naive"] * 2 and list(table["fold"]) == [1, 1, 2, 2]
    alone = [backtest(base, wide[[c]], folds=2, coverage=0.8) for c in "ab"]  # each series by itself
    for col in ("MAE", "MASE", "coverage", "MSIS"):  # the same number of points per series: the mean of the two
        assert np.allclose(table[col], (alone[0][col] + alone[1][col]) / 2, equal_nan=True), col
    for data in (wide, {"a": wide["a"], "b": wide["b"]}, long.set_index(["unique_id", "ds"])["y"]):
        other = backtest(LocalForecaster(base, n_jobs=2), data, folds=2, coverage=0.8)
        assert np.allclose(other[["MAE", "MASE", "MSIS"]], table[["MAE", "MASE", "MSIS"]], equal_nan=True)
    short = pd.concat([long, pd.DataFrame({"unique_id": "c", "ds": t[:30], "y": 1.0 + np.arange(30.0)})])
    ragged = backtest(LocalForecaster(base), short, folds=2, coverage=0.8)  # c ends before the first fold
    assert np.allclose(ragged[["MAE", "MASE"]], table[["MAE", "MASE"]])
    net = LocalForecaster(LSTMForecaster(horizon=7, lookback=14, hidden_size=2, max_epochs=1))
    assert set(backtest(net, long, folds=2)["model"]) == {"tsgate", "seasonal_naive"}
    with pytest.raises(DataError, match="has no origin with 1 row"):  # no series has one: the first one's error
        LocalForecaster(base).fit(long)._historical(long, t[-3], 1, False, 7)
    with pytest.raises(ParameterError, match="auto=True chooses between a recurrent forecaster"):
        backtest(net, long, folds=2, auto=True)
    with pytest.raises(ParameterError, match="warm_start=True needs retrain=True and a recurrent forecaster"):
        backtest(LocalForecaster(base), long, folds=2, warm_start=True)
