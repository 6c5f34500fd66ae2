"""Forecasters on pandas data: accuracy, reproducibility, covariates,
intervals, model files, scikit-learn integration and bad input."""

import copy
import math
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit

import tsgate
from tsgate import GRUForecaster, LSTMForecaster, RNNForecaster, conformal, metrics
from tsgate.datasets import load
from tsgate.errors import CoverageWarning, DataError

FAST = dict(max_epochs=30, hidden_size=8)


def _monthly(n=72, seed=0, cols=("y",)):
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2000-01-01", periods=n, freq="MS")
    t = np.arange(n)
    data = {c: 10 + 0.05 * t + 2 * np.sin(2 * np.pi * t / 12 + k) + 0.2 * rng.standard_normal(n)
            for k, c in enumerate(cols)}
    return pd.DataFrame(data, index=idx)


@pytest.fixture(scope="module")
def air():
    y = load("airpassengers")
    return y[:"1958-12"], y["1959-01":]


@pytest.mark.slow
@pytest.mark.parametrize("cls", [LSTMForecaster, GRUForecaster])
def test_beats_seasonal_naive_on_airpassengers_with_defaults(cls, air):
    train, test = air
    pred = cls(horizon=24).fit(train).predict()
    assert list(pred.index) == list(test.index)
    assert list(pred.columns) == ["passengers"]
    mae = metrics.mae(test, pred["passengers"])
    naive = metrics.mae(test, metrics.seasonal_naive(train, 24, 12))
    assert mae < 0.7 * naive, (mae, naive)  # measured: ~30 vs 71


def test_same_seed_bit_identical_forecasts():
    df = _monthly()
    a = LSTMForecaster(horizon=6, random_state=5, **FAST).fit(df).predict()
    b = LSTMForecaster(horizon=6, random_state=5, **FAST).fit(df).predict()
    c = LSTMForecaster(horizon=6, random_state=6, **FAST).fit(df).predict()
    assert a.equals(b)
    assert not a.equals(c)


def test_verbose_reports_each_epoch_and_says_when_the_refit_has_no_validation(capsys):
    df = tsgate.datasets.delayed_echo(n=400, lag=3, random_state=0)  # the network beats its linear start at once
    fc = LSTMForecaster(target="y", horizon=1, lookback=6, max_epochs=4, hidden_size=8, learning_rate=1e-2,
                        window_norm=None, verbose=1).fit(df)
    lines = capsys.readouterr().out.splitlines()
    selection, refit = len(fc.history_["loss"]), fc.history_["refit_epochs"]
    assert refit > 0, fc.history_  # the setting must exercise the refit (refit='mean')
    assert len(lines) == selection + refit, lines
    assert all("val_loss=" in ln and "nan" not in ln for ln in lines[:selection]), lines
    assert all(ln.endswith("(no validation windows)") for ln in lines[selection:]), lines


def test_future_index_for_each_index_kind():
    df = _monthly(48)
    p = GRUForecaster(horizon=3, **FAST).fit(df).predict()
    assert list(p.index) == list(pd.date_range("2004-01-01", periods=3, freq="MS"))
    per = df.copy()
    per.index = per.index.to_period("M")
    p2 = GRUForecaster(horizon=3, **FAST).fit(per).predict()
    assert isinstance(p2.index, pd.PeriodIndex)  # the index type the user gave
    assert list(p2.index) == list(p.index.to_period("M"))
    rng = df.reset_index(drop=True)
    p3 = GRUForecaster(horizon=3, **FAST).fit(rng).predict()
    assert list(p3.index) == [48, 49, 50]
    withcol = df.reset_index().rename(columns={"index": "when"})
    p4 = GRUForecaster(horizon=3, time_col="when", **FAST).fit(withcol).predict()
    assert list(p4.columns) == ["when", "y"] and list(p4["when"]) == list(p.index)  # the time back in its column
    assert GRUForecaster(horizon=3, **FAST).fit(df["y"]).predict().shape == (3, 1)
    assert GRUForecaster(horizon=3, **FAST).fit(df).predict(horizon=2).shape == (2, 1)


@pytest.mark.parametrize("freq", ["W-SUN", "W-WED", "Q-NOV", "2M"])
def test_periods_come_back_as_the_periods_given(freq, tmp_path):
    # Weeks ending Sunday (pandas' 'W') came back as weeks ending Monday (2002-02-19/2002-02-25 after the week
    # ending 2002-02-24), quarters of a year ending in November were named as Q-FEB's, and two-month periods
    # raised pandas' "Invalid frequency: 2MS": the periods were rebuilt from their start times
    from tsgate import BaselineForecaster, load

    idx = pd.period_range("2001-01-01", periods=60, freq=freq)
    y = pd.Series(10 + np.sin(np.arange(60) / 3), index=idx, name="y")
    for est in (LSTMForecaster(horizon=3, **FAST), BaselineForecaster(method="naive", horizon=3)):
        est.fit(y.iloc[:50])
        p = est.predict()
        assert p.index.dtype == idx.dtype and list(p.index) == list(idx[50:53])
        est.save(tmp_path / "m.tsgate")
        assert load(tmp_path / "m.tsgate").predict().index.equals(p.index)
        hf = est.historical_forecasts(y, start=idx[44], stride=2)  # a Period of the index as the start
        assert hf["cutoff"].dtype == idx.dtype and hf["cutoff"].iloc[0] == idx[44] and hf["ds"].iloc[0] == idx[45]
        assert est.historical_forecasts(y, start=str(idx[44])).equals(est.historical_forecasts(y, start=idx[44]))
        est.update(y.iloc[50:52])
        assert est.predict().index[0] == idx[52]


def test_boolean_columns_are_covariates_of_zero_and_one():
    # a holiday flag of True/False raised "column 'holiday' is not numeric (dtype bool)" as a future covariate and
    # "non-numeric columns ['holiday'] cannot be covariates" as a past one; it is never picked as the target
    rng = np.random.default_rng(0)
    idx = pd.date_range("2020-01-01", periods=207, freq="D")
    holiday = pd.Series(rng.random(207) < 0.15, index=idx)
    df = pd.DataFrame({"sales": 10 + 5 * holiday + rng.normal(0, 0.3, 207), "holiday": holiday})
    fc = LSTMForecaster(horizon=7, future_covariates=["holiday"], random_state=0, **FAST).fit(df.iloc[:200])
    future = pd.DataFrame({"holiday": [False, True, False, False, True, False, False]}, index=idx[200:])
    p = fc.predict(X=future)["sales"].to_numpy()
    assert p[[1, 4]].min() > p[[0, 2, 3, 5, 6]].max() + 3  # the flag's effect (5) learned
    past = LSTMForecaster(horizon=7, random_state=0, **FAST).fit(df.iloc[:200])
    assert past.targets_ == ["sales"] and past.past_covariates_ == ["holiday"]
    nullable = df.assign(holiday=df["holiday"].astype("boolean"))
    nullable.loc[idx[5], "holiday"] = pd.NA
    with pytest.raises(DataError, match=r"column 'holiday' has NaN or inf \(first at 2020-01-06\)"):
        LSTMForecaster(horizon=7, **FAST).fit(nullable.iloc[:200])
    with pytest.raises(DataError, match=r"numeric columns \[\] \(True/False, forecast as 0/1 only when named: "
                                        r"\['holiday'\]\)"):
        LSTMForecaster(horizon=7, **FAST).fit(df[["holiday"]])


def test_multiple_series_global_model_and_past_covariates():
    df = _monthly(60, cols=("a", "b", "c"))
    fc = LSTMForecaster(horizon=4, target=["a", "b"], **FAST).fit(df)
    assert fc.past_covariates_ == ["c"]
    p = fc.predict()
    assert list(p.columns) == ["a", "b"] and p.notna().all().all()
    with pytest.raises(ValueError, match=r"cannot choose the target.*\['a', 'b', 'c'\]"):
        LSTMForecaster(**FAST).fit(df)


def test_sklearn_fit_X_y_form():
    df = _monthly(60, cols=("y", "x"))
    fc = GRUForecaster(horizon=3, **FAST).fit(df[["x"]], df["y"])
    assert fc.targets_ == ["y"] and fc.past_covariates_ == ["x"]
    assert fc.predict().shape == (3, 1)
    # y named as a column of X was pandas' "arg must be a list, tuple, 1-d array, or Series"
    with pytest.raises(DataError, match=r"^y's column 'x' is also a column of X: rename one of them$"):
        GRUForecaster(horizon=3, **FAST).fit(df[["x"]], df["y"].rename("x"))
    with pytest.raises(DataError, match="^X and y must share the same index$"):
        GRUForecaster(horizon=3, **FAST).fit(df[["x"]], df["y"].iloc[:-1])


def test_known_future_covariates_and_calendar_features():
    rng = np.random.default_rng(0)
    idx = pd.date_range("2020-01-01", periods=300, freq="D")
    promo = (rng.random(300) < 0.3).astype(float)
    y = 5 + 3 * promo + 0.1 * rng.standard_normal(300)  # the effect is same-day: needs the future value
    df = pd.DataFrame({"sales": y, "promo": promo}, index=idx)
    fc = GRUForecaster(horizon=7, future_covariates=["promo"], calendar_features=True,
                       max_epochs=60, hidden_size=8).fit(df)
    fut_idx = pd.date_range("2020-10-27", periods=7, freq="D")
    fut = pd.DataFrame({"promo": [1, 0, 1, 0, 0, 1, 0.0]}, index=fut_idx)
    p = fc.predict(X=fut)["sales"].to_numpy()
    assert np.all(p[[0, 2, 5]] > p[[1, 3, 4, 6]].max())  # it learned to use the future promo
    with pytest.raises(ValueError, match="predict needs X with the future covariates"):
        fc.predict()
    with pytest.raises(ValueError, match="X has no row for future timestamp 2020-11-02 of series"):
        fc.predict(X=fut.iloc[:-1])
    # a row missing in the middle is named too (it said "X has an irregular time index")
    with pytest.raises(ValueError, match=r"^X has no row for 2020-10-29 \(1 timestamp missing between 2020-10-27 "
                                         "and 2020-11-02 at the data's step D\)"):
        fc.predict(X=fut.drop(fut.index[2]))
    with pytest.raises(ValueError, match=r"lacks the future covariate column\(s\) \['promo'\]"):
        fc.predict(X=fut.rename(columns={"promo": "other"}))
    # a value no fit would take (too many spreads out for float32) is named, not forecast
    # (1e300 said the forecast of 'sales' overflowed; 1e35 was forecast)
    for big in (1e35, 1e300):
        with pytest.raises(ValueError, match=r"^column 'promo' at 2020-10-28: .* lies .* spreads from the "):
            fc.predict_interval(X=fut.assign(promo=[1, big, 1, 0, 0, 1, 0]))


def test_a_future_covariate_too_far_out_in_rows_update_stored_is_named():
    # without calendar features the stored rows had no index to name the time: a TypeError
    rng = np.random.default_rng(0)
    idx = pd.date_range("2020-01-01", periods=100, freq="D")
    df = pd.DataFrame({"sales": rng.standard_normal(100).cumsum(), "promo": (rng.random(100) < 0.3) * 1.0},
                      index=idx)
    fc = LSTMForecaster(horizon=3, future_covariates=["promo"], **FAST).fit(df.iloc[:90])
    before = fc.predict(X=df.iloc[90:93][["promo"]])
    with pytest.raises(ValueError, match=r"^column 'promo' at 2020-04-02: 1e\+35 lies .* spreads from the "):
        fc.update(df.iloc[90:95].assign(promo=[0, 0, 1e35, 1, 0]))  # refused at once (it was named at predict)
    pd.testing.assert_frame_equal(fc.predict(X=df.iloc[90:93][["promo"]]), before)  # nothing moved


def test_recursive_strategy_any_horizon():
    df = _monthly(60)
    fc = LSTMForecaster(horizon=3, strategy="recursive", **FAST).fit(df)
    assert fc.predict(horizon=10).shape == (10, 1)
    direct = LSTMForecaster(horizon=3, **FAST).fit(df)
    with pytest.raises(ValueError, match="exceeds the horizon.*larger horizon or use strategy='recursive'"):
        direct.predict(horizon=4)
    with pytest.raises(ValueError, match=r"X holds 2 rows of series 'y' from 2005-02-01: give the rows that follow "
                                         r"its data \(from 2005-01-01\), or at least \d+ rows \(the lookback\)"):
        direct.update(_monthly(63).iloc[-2:])  # a gap of a month after the data
    with pytest.raises(ValueError, match="recursive' cannot use past covariates"):
        LSTMForecaster(strategy="recursive", target="a", **FAST).fit(_monthly(60, cols=("a", "b")))


def test_recursive_model_interval_from_its_fed_back_forecasts_on_validation(tmp_path):
    # A long series: the validation tail holds origins with a whole horizon
    # after them. The residuals are the selection model's recursive forecasts
    # (never trained on those rows), the last from the latest such origin.
    rng = np.random.default_rng(0)
    t = np.arange(600)
    y = pd.Series(10 + np.sin(2 * np.pi * t / 24) + 0.3 * rng.standard_normal(600),
                  index=pd.date_range("2020-01-01", periods=600, freq="h"), name="y")
    H = 12
    fc = LSTMForecaster(horizon=H, strategy="recursive", **FAST).fit(y)
    res = fc.val_residuals_
    assert res.shape[1] == H and 10 <= len(res) <= 200 and np.isfinite(res).all()
    selection = copy.deepcopy(fc)
    selection.models_ = fc.models_[fc.n_models:]  # refit='mean': the refits first, then the chosen models
    e = len(y) - 1 - H
    pred = selection.update(y.iloc[:e + 1]).predict()["y"].to_numpy()
    np.testing.assert_allclose(res[-1], (y.to_numpy()[e + 1:] - pred) / fc.scaling_.t_scale[0], rtol=1e-5, atol=1e-6)
    iv = fc.predict_interval(0.9)
    width = (iv["y_upper"] - iv["y_lower"]).to_numpy()
    assert (width > 0).all() and np.allclose(iv["y"], fc.predict()["y"])
    fc.save(tmp_path / "r.tsgate")
    assert tsgate.load(tmp_path / "r.tsgate").predict_interval(0.9).equals(iv)
    with pytest.raises(DataError, match="conformal interval of 13 steps"):
        fc.predict_interval(0.9, horizon=13)  # the point forecast goes on; the band is calibrated for 12
    short = LSTMForecaster(horizon=24, strategy="recursive", **FAST).fit(_monthly(60))
    with pytest.raises(DataError, match="with 24 rows after them, and the fit had none"):
        short.predict_interval(0.9)  # a validation tail of a few months holds no 24-step origin


def test_recursive_model_validates_on_enough_rows_for_its_interval():
    # 12 years of months, 24 months ahead: a fifth of the windows (19 rows)
    # holds no origin with 24 rows after it; the tail is horizon + 20 windows
    # (at most half of them), so 21 origins (the first 24 rows before the
    # last target, the last 44) calibrate the band
    fc = LSTMForecaster(horizon=24, strategy="recursive", **FAST).fit(_monthly(144))
    assert fc.val_residuals_.shape == (21, 24) and np.isfinite(fc.val_residuals_).all()
    iv = fc.predict_interval(0.9)
    assert (iv.iloc[:, 2] > iv.iloc[:, 1]).all()
    direct = LSTMForecaster(horizon=24, **FAST).fit(_monthly(144))  # one window per validation row, as before
    n = 144 - direct.lookback_ - 24 + 1
    assert len(direct.val_residuals_) == round(0.2 * n)


def test_recursive_model_with_known_future_covariates_backtests_and_has_an_interval():
    # A promotion known in advance and the hour of day (calendar): every origin's
    # fed-back forecast reads the covariate's values after that origin, as
    # update-then-predict with X does (historical_forecasts failed here before:
    # it asked for X), and the interval is calibrated the same way.
    rng = np.random.default_rng(0)
    n = 400
    promo = (rng.random(n) < 0.2).astype(float)
    y = 10 + np.sin(2 * np.pi * np.arange(n) / 24) + 2 * promo + 0.1 * rng.standard_normal(n)
    df = pd.DataFrame({"y": y, "promo": promo}, index=pd.date_range("2020-01-01", periods=n, freq="h"))
    H = 6
    fc = LSTMForecaster(target="y", future_covariates=["promo"], calendar_features=True, horizon=H,
                        strategy="recursive", random_state=0, **FAST).fit(df.iloc[:340])
    assert fc.val_residuals_.shape[1] == H and len(fc.val_residuals_) >= 20
    iv = fc.predict_interval(0.9, X=df.iloc[340:340 + H][["promo"]])
    assert ((iv["y_upper"] - iv["y_lower"]) > 0).all()
    hf = fc.historical_forecasts(df)
    assert hf["cutoff"].nunique() == n - 340 - H + 1  # from the fitted cutoff (row 339) on
    for cutoff, g in list(hf.groupby("cutoff"))[::9]:
        est = copy.deepcopy(fc).update(df.loc[:cutoff])
        pred = est.predict(X=df.loc[cutoff:].iloc[1:H + 1][["promo"]])["y"].to_numpy()
        np.testing.assert_allclose(g["forecast"].to_numpy(), pred, rtol=1e-6)
    mae = metrics.mae(hf["y"], hf["forecast"])
    assert mae < 0.5 * metrics.mae(hf["y"], np.full(len(hf), df["y"].iloc[:340].mean()))  # it reads the promotion


@pytest.mark.parametrize("kw", [{}, {"strategy": "recursive"}])
def test_origins_that_all_fall_before_a_lookback_of_rows_are_no_origin(kw):
    # start=0.0 with a stride longer than the series: one origin, at the first row, before any window; it was
    # NumPy's "need at least one array to concatenate" (direct) and an empty table (recursive)
    from tsgate.errors import NoOriginError

    y = pd.Series(10 + np.sin(np.arange(80) / 2.0), index=pd.date_range("2020-01-01", periods=80, freq="D"), name="y")
    fc = LSTMForecaster(horizon=2, lookback=12, **kw, **FAST).fit(y)
    for call in (fc.historical_forecasts, fc.backtest):
        with pytest.raises(NoOriginError, match=r"^X has no origin with 12 rows before it and 2 after it at "
                                                r"stride=100 from start 0\.0$"):
            call(y, start=0.0, stride=100)
    assert fc.historical_forecasts(y, start=0.0, stride=10)["cutoff"].iloc[0] == y.index[20]  # the grid's third
    steps = y.reset_index(drop=True)  # integer steps: a time is no start there, and the message says why
    on_steps = LSTMForecaster(horizon=2, lookback=12, **kw, **FAST).fit(steps)
    said = r"^start must be a time of the index, a fraction or None, got '2020-02-01' \(the data has integer steps"
    with pytest.raises(tsgate.errors.ParameterError, match=said):
        on_steps.historical_forecasts(steps, start="2020-02-01")


def test_a_recursive_fit_whose_validation_forecast_is_not_finite_still_fits(monkeypatch):
    from tsgate.forecasting import ForecastMixin

    def broken(self, ks, z, known, horizon):
        return np.full((len(ks), horizon), np.nan)

    y = pd.Series(np.sin(np.arange(300) / 3.0), index=pd.date_range("2020-01-01", periods=300, freq="h"), name="y")
    monkeypatch.setattr(ForecastMixin, "_fed_back", broken)  # every validation origin's forecast is NaN
    fc = LSTMForecaster(horizon=6, strategy="recursive", **FAST).fit(y)
    assert fc.val_residuals_.shape == (0, 6)
    monkeypatch.undo()
    with pytest.raises(DataError, match="no validation residuals"):
        fc.predict_interval(0.9)


@pytest.mark.parametrize("strategy", ["direct", "recursive"])
def test_conformal_interval_coverage_on_held_out_data(strategy):
    # 30 series from one process: one global model; coverage measured on the
    # 30 x 6 held-out points that follow the training data (recursive: the
    # band from its own fed-back forecasts at validation origins).
    rng = np.random.default_rng(0)
    n, S, H = 150, 30, 6
    idx = pd.date_range("2000-01-01", periods=n + H, freq="D")
    t = np.arange(n + H)
    data = {f"s{k}": np.sin(2 * np.pi * t / 7 + k) + 0.5 * rng.standard_normal(n + H) for k in range(S)}
    full = pd.DataFrame(data, index=idx)
    fc = GRUForecaster(horizon=H, target=list(data), max_epochs=20, hidden_size=8, strategy=strategy,
                       validation_fraction=0.3).fit(full.iloc[:n])
    iv = fc.predict_interval(coverage=0.9)
    truth = full.iloc[n:]
    inside = [((truth[c] >= iv[f"{c}_lower"]) & (truth[c] <= iv[f"{c}_upper"])).to_numpy() for c in data]
    cov = np.mean(inside)
    assert 0.8 <= cov <= 0.99, cov
    assert (iv[[f"{c}_upper" for c in data]].to_numpy() > iv[[f"{c}_lower" for c in data]].to_numpy()).all()
    narrow = fc.predict_interval(coverage=0.5)
    assert (narrow["s0_upper"] - narrow["s0_lower"] <= iv["s0_upper"] - iv["s0_lower"] + 1e-12).all()


def test_a_calm_validation_tail_does_not_narrow_the_band_below_the_historys_errors(tmp_path):
    # Volatile for 300 days, calm for the last 60 (the validation tail): the
    # band is floored by the in-sample errors over the training windows.
    rng = np.random.default_rng(0)
    n, H = 360, 6
    t = np.arange(n)
    y = np.sin(2 * np.pi * t / 7) + np.where(t < 300, 1.0, 0.05) * rng.standard_normal(n)
    df = pd.DataFrame({"y": y}, index=pd.date_range("2000-01-01", periods=n, freq="D"))
    fc = GRUForecaster(horizon=H, validation_fraction=0.15, random_state=0, **FAST).fit(df)
    assert len(fc.train_residuals_) > 100 and len(fc.val_residuals_) > 0
    band = fc.predict_interval(0.9)
    half = (band["y_upper"] - band["y_lower"]).to_numpy() / 2
    unfloored = clone(fc)
    unfloored.__dict__.update(fc.__dict__, train_residuals_=np.zeros((0, H)))
    tail_only = unfloored.predict_interval(0.9)
    assert np.allclose(tail_only["y"], band["y"])
    assert (half > 3 * (tail_only["y_upper"] - tail_only["y_lower"]).to_numpy() / 2).all()
    assert np.all(half > 1.0)  # about the 90% quantile of the history's noise (1.64) at least in part
    fc.save(tmp_path / "m.tsgate")
    pd.testing.assert_frame_equal(tsgate.load(tmp_path / "m.tsgate").predict_interval(0.9), band)
    refit = fc.set_params(stateful=True, tbptt=20, window_norm=None).fit(df)  # no in-sample floor statefully
    assert refit.train_residuals_.shape == (0, H)


def test_several_coverages_give_one_band_each_as_single_calls_do():
    df = _monthly(240)  # 47 validation windows: the 80% and 95% quantiles differ
    fc = LSTMForecaster(horizon=4, **FAST).fit(df)
    fan = fc.predict_interval([0.95, 0.8])
    assert list(fan.columns) == ["y", "y_lower_80", "y_upper_80", "y_lower_95", "y_upper_95"]  # narrowest first
    for c, pct in ((0.8, "80"), (0.95, "95")):
        one = fc.predict_interval(c)
        assert np.array_equal(one["y_lower"], fan[f"y_lower_{pct}"]) and np.array_equal(one["y_upper"],
                                                                                         fan[f"y_upper_{pct}"])
    assert (fan["y_lower_95"] < fan["y_lower_80"]).all() and (fan["y_upper_80"] < fan["y_upper_95"]).all(), fan
    assert list(fc.predict_interval([0.9]).columns) == ["y", "y_lower_90", "y_upper_90"]  # a list: named by level
    for bad in (1.0, 0, [0.8, 0.8], [], "0.9", True, [0.5, 1.5], float("nan")):
        with pytest.raises(ValueError, match="coverage must be a number in \\(0, 1\\) or a list of distinct ones"):
            fc.predict_interval(bad)
    q = LSTMForecaster(horizon=4, loss="pinball", quantiles=[0.05, 0.25, 0.5, 0.75, 0.95], **FAST).fit(df)
    qfan = q.predict_interval([0.5, 0.9])
    assert np.array_equal(qfan["y_upper_90"], q.predict_interval(0.9)["y_upper"])
    assert (qfan["y_lower_90"] <= qfan["y_lower_50"]).all()
    assert not np.array_equal(qfan["y_lower_90"], qfan["y_lower_50"])  # the 0.25 output, not the lowest's


def test_quantile_loss_intervals():
    df = _monthly(80)
    fc = LSTMForecaster(horizon=4, loss="pinball", quantiles=[0.05, 0.5, 0.95], **FAST).fit(df)
    iv = fc.predict_interval(coverage=0.9)
    assert (iv["y_lower"] <= iv["y_upper"]).all()
    with pytest.raises(ValueError, match="needs quantiles 0.25 and 0.75"):
        fc.predict_interval(coverage=0.5)


def test_save_load_round_trip_and_corrupt_files(tmp_path):
    df = _monthly(60, cols=("a", "b"))
    fc = GRUForecaster(horizon=4, target="a", **FAST).fit(df)
    path = tmp_path / "m.tsgate"
    fc.save(path)
    assert [p.name for p in tmp_path.iterdir()] == ["m.tsgate"]  # no temp file left behind
    back = tsgate.load(path)
    assert back.predict().equals(fc.predict())
    assert back.get_params() == fc.get_params()
    with np.load(path, allow_pickle=False) as z:  # pickle-free
        assert "__meta__" in z.files
    raw = path.read_bytes()
    (tmp_path / "trunc.tsgate").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(tsgate.ModelFileError, match="not a readable tsgate model file"):
        tsgate.load(tmp_path / "trunc.tsgate")
    (tmp_path / "junk.tsgate").write_bytes(b"hello")
    with pytest.raises(tsgate.ModelFileError, match="is not a tsgate model file"):
        tsgate.load(tmp_path / "junk.tsgate")
    with pytest.raises(tsgate.ModelFileError, match="does not exist"):
        tsgate.load(tmp_path / "nope.tsgate")
    import json

    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(str(arrays["__meta__"]))
    meta["version"] = 99
    arrays["__meta__"] = np.array(json.dumps(meta))
    np.savez(tmp_path / "v99.npz", **arrays)
    with pytest.raises(tsgate.ModelFileError, match="format version 99"):
        tsgate.load(tmp_path / "v99.npz")


@pytest.mark.parametrize("kw", [dict(fork=True, window_position=False), dict(), dict(fork=True)])
def test_forked_and_positional_models_round_trip(tmp_path, kw):
    # a forked model's head has one output per horizon step and reads every
    # step (the file used to rebuild it with lookback times too few outputs)
    df = _monthly(60, cols=("a", "b"))
    fc = LSTMForecaster(horizon=4, target="a", **FAST, **kw).fit(df)
    fc.save(tmp_path / "m.tsgate")
    back = tsgate.load(tmp_path / "m.tsgate")
    assert back.predict().equals(fc.predict())
    assert back.historical_forecasts(df, start=df.index[40]).equals(fc.historical_forecasts(df, start=df.index[40]))
    names = ["a", "b"] + (["position"] if kw.get("window_position", True) else [])  # the target by its name
    assert list(back.lag_importance().columns) == names


def test_column_importance_shuffles_each_input_and_survives_the_model_file(tmp_path):
    # y echoes x three steps later; 'noise' is unrelated: shuffling x across
    # the validation windows makes the forecasts far worse, shuffling noise
    # hardly changes them (its gradients are not zero), and the table
    # survives save/load
    from tsgate.datasets import delayed_echo

    df = delayed_echo(n=1500, lag=3, noise=0.01, random_state=0)
    df["noise"] = np.random.default_rng(1).standard_normal(len(df))
    fc = LSTMForecaster(target="y", horizon=1, max_epochs=30, random_state=0).fit(df)
    table = fc.column_importance()
    assert list(table.columns) == ["mae_increase", "std"] and table.index[0] == "x"
    assert set(table.index) == {"y", "x", "noise", "position"} and table.index.name == "input"
    assert table.loc["x", "mae_increase"] > 5 and abs(table.loc["noise", "mae_increase"]) < 0.05
    assert table.loc["position", "mae_increase"] == 0  # the same in every window
    assert fc.lag_importance()["noise"].abs().max() > 0  # where a gradient is not zero
    fc.save(tmp_path / "m.tsgate")
    assert tsgate.load(tmp_path / "m.tsgate").column_importance().equals(table)
    for bad, said in ((dict(n_repeats=0), "n_repeats must be a positive integer, got 0"),  # the stored table came back
                      (dict(random_state="x"), r"^The 'random_state' parameter of column_importance must be an int "
                                               r"in the range \[0, 4294967295\], an instance of "
                                               r"'numpy.random.RandomState' or None or an instance of 'Generator'. "
                                               r"Got 'x' instead.$")):
        with pytest.raises(tsgate.errors.ParameterError, match=said):
            fc.column_importance(**bad)
    stateful = LSTMForecaster(target="y", horizon=1, stateful=True, tbptt=20, max_epochs=2).fit(df.iloc[:300])
    with pytest.raises(tsgate.errors.ParameterError, match="column_importance needs a windowed model"):
        stateful.column_importance()


def test_lag_importance_of_one_horizon_step_reads_that_step_s_lag():
    # y echoes x eight steps later, so the forecast k steps ahead reads x at
    # lag 9 - k (lag 1: the last observed row). One step's profile needs the
    # data (the fit keeps the mean over the steps); before, it needed an
    # internal window source.
    from tsgate.datasets import delayed_echo

    df = delayed_echo(n=2000, lag=8, noise=0.01, random_state=0)
    fc = LSTMForecaster(target="y", horizon=4, lookback=16, window_norm=None, max_epochs=60, learning_rate=1e-2,
                        random_state=0).fit(df)
    for step in (1, 2, 3, 4):  # measured: each peak 1.5-2.0x the next lag's
        profile = fc.lag_importance(step=step, X=df)["x"]
        assert profile.idxmax() == 9 - step and profile.max() > 1.3 * profile.drop(9 - step).max(), profile
    mean = fc.lag_importance(X=df)["x"]  # every window of the data, all steps
    assert set(mean.nlargest(4).index) == {5, 6, 7, 8}
    assert fc.column_importance(X=df).index[0] == "x"
    with pytest.raises(DataError, match=r"lag_importance\(step=2\) needs the data: the fit keeps the profile of "
                                        r"all steps only; pass X"):
        fc.lag_importance(step=2)
    with pytest.raises(tsgate.errors.ParameterError, match="step must be at most 4, the steps the model forecasts"):
        fc.lag_importance(step=5, X=df)
    with pytest.raises(DataError, match=r"X has no window of a series the model was fit on: one needs 16 rows"):
        fc.lag_importance(X=df.iloc[:18])
    with pytest.raises(tsgate.errors.ParameterError, match="^source must be a tsgate.windows.WindowSource"):
        fc.lag_importance(source=df)  # was "'DataFrame' object has no attribute 'n'"

def test_a_frame_with_its_time_in_a_column_forecasts_as_with_a_time_index(tmp_path):
    # Prophet's and neuralforecast's single series: columns ds and y on a
    # RangeIndex; also any one datetime column (here 'when', with a covariate)
    from tsgate.baselines import BaselineForecaster

    indexed = _monthly(60, cols=("y", "x"))
    want = LSTMForecaster(horizon=3, target="y", **FAST).fit(indexed).predict()
    for frame in (indexed.rename_axis("ds").reset_index(),
                  indexed.rename_axis("ds").reset_index().assign(ds=lambda d: d["ds"].dt.strftime("%Y-%m-%d")),
                  indexed.rename_axis("when").reset_index()):
        fc = LSTMForecaster(horizon=3, target="y", **FAST).fit(frame)
        got, band = fc.predict(), fc.predict_interval()
        # the forecast comes back as the data came: its times in the same column, on a RangeIndex
        time = frame.columns[0]
        assert fc.past_covariates_ == ["x"] and list(got.columns) == [time, "y"]
        assert list(band.columns) == [time, "y", "y_lower", "y_upper"] and got.index.equals(pd.RangeIndex(3))
        assert pd.DatetimeIndex(got[time]).equals(want.index.rename(time))
        np.testing.assert_array_equal(got["y"].to_numpy(), want["y"].to_numpy())
        path = tmp_path / f"{time}.tsgate"
        fc.save(path)
        pd.testing.assert_frame_equal(tsgate.load(path).predict(), got)
    base = BaselineForecaster("naive", horizon=2, target="y").fit(indexed.rename_axis("ds").reset_index())
    assert list(base.predict().columns) == ["ds", "y"] and base.predict()["ds"][0] == pd.Timestamp("2005-01-01")
    assert list(base.predict_interval().columns) == ["ds", "y", "y_lower", "y_upper"]
    split = LSTMForecaster(horizon=2, **FAST).fit({"a": frame.drop(columns="x"), "b": frame.drop(columns="x")})
    assert list(split.predict()["b"].columns) == [time, "y"]
    # a long frame whose time column has another name keeps that name
    long = pd.concat([indexed[["y"]].rename_axis("date").reset_index().assign(unique_id=k) for k in ("a", "b")],
                     ignore_index=True)
    out = LSTMForecaster(horizon=3, **FAST).fit(long).predict()
    assert list(out.columns) == ["unique_id", "date", "y"] and out["date"].iloc[0] == pd.Timestamp("2005-01-01")


def test_one_series_filtered_out_of_a_long_frame_reads_its_time_column():
    # long[long.unique_id == 'b'] keeps the long frame's row labels (1, 3, 5, ...;
    # here the long frame lacks one of series a's rows, so b's labels run 1, 3, ...,
    # 39, 40, 42, ..., not a range): the time is in 'ds' all the same, with or without
    # time_col, and the forecast comes back with it in 'ds'
    indexed = _monthly(60)
    want = LSTMForecaster(horizon=3, **FAST).fit(indexed).predict()
    long = pd.concat([indexed.rename_axis("ds").reset_index().assign(unique_id=k) for k in ("a", "b")])
    long = long.sort_values(["ds", "unique_id"], kind="stable").reset_index(drop=True)
    long = long.drop(index=[40]).reset_index(drop=True)
    one = long[long["unique_id"] == "b"].drop(columns="unique_id")
    assert not isinstance(one.index, pd.RangeIndex)
    for kw in ({}, {"time_col": "ds"}):
        got = LSTMForecaster(horizon=3, **FAST, **kw).fit(one).predict()
        assert list(got.columns) == ["ds", "y"] and got.index.equals(pd.RangeIndex(3))
        assert pd.DatetimeIndex(got["ds"]).equals(want.index.rename("ds"))
        np.testing.assert_array_equal(got["y"].to_numpy(), want["y"].to_numpy())


def test_attribution_names_the_calendar_features():
    # the calendar's columns by their cycle (the features themselves unchanged)
    from tsgate.calendar_features import calendar, calendar_names

    fc = LSTMForecaster(horizon=3, calendar_features=True, **FAST).fit(_monthly(60))
    assert list(fc.lag_importance().columns) == ["y", "month_sin", "month_cos"]
    assert set(fc.column_importance().index) == {"y", "month_sin", "month_cos"}
    idx = pd.date_range("2020-01-01", periods=5, freq="h")
    assert calendar_names("h") == ["hour_sin", "hour_cos", "weekday_sin", "weekday_cos"]
    np.testing.assert_allclose(calendar(idx, "h")[:, 0], np.sin(2 * np.pi * np.arange(5) / 24))
    assert calendar(idx, "h").shape == (5, len(calendar_names("h"))) and calendar_names(None) == []
    half = pd.date_range("2020-01-01 22:00", periods=5, freq="30min")  # the hour's fraction counts, then wraps
    hours = np.array([22, 22.5, 23, 23.5, 0])
    np.testing.assert_allclose(calendar(half, "30min")[:, 0], np.sin(2 * np.pi * hours / 24))
    days = pd.date_range("2020-12-30", periods=3, freq="D")  # days of the year 365, 366, 1 over a year of 365.25
    np.testing.assert_allclose(calendar(days, "D")[:, 2], np.sin(2 * np.pi * np.array([365, 366, 1]) / 365.25))
    # business months and quarters, semi-month ends and custom business days have their cycles too (they had none)
    assert calendar_names("BMS") == calendar_names("BME") == calendar_names("SME") == ["month_sin", "month_cos"]
    assert calendar_names("BQE-DEC") == ["quarter_sin", "quarter_cos"] and calendar_names("C") == calendar_names("B")


def test_lag_importance_names_a_shared_target_channel_target():
    fc = LSTMForecaster(horizon=3, target=["a", "b"], **FAST).fit(_monthly(60, cols=("a", "b")))  # two series, one channel
    assert fc.targets_ == ["a", "b"] and list(fc.lag_importance().columns) == ["target"]  # no covariate: no position


def test_joblib_pickle_clone_and_params():
    df = _monthly(48)
    fc = RNNForecaster(horizon=3, **FAST).fit(df)
    back = pickle.loads(pickle.dumps(fc))
    assert back.predict().equals(fc.predict())
    c = clone(fc)
    assert c.get_params() == fc.get_params() and not hasattr(c, "model_")
    c.set_params(hidden_size=4)
    assert c.hidden_size == 4


def test_grid_search_with_time_series_split():
    df = _monthly(96)
    gs = GridSearchCV(GRUForecaster(horizon=6, max_epochs=10), {"hidden_size": [4, 8]},
                      cv=TimeSeriesSplit(n_splits=2, test_size=6))
    gs.fit(df)
    assert gs.best_params_["hidden_size"] in (4, 8)
    assert np.isfinite(gs.best_score_) and gs.best_score_ < 0
    assert gs.best_estimator_.predict().shape == (6, 1)


# ------------------------------------------------------------------ bad input


def test_nan_in_target_names_column_and_timestamp():
    df = _monthly(48)
    df.iloc[10, 0] = np.nan
    with pytest.raises(ValueError, match=r"column 'y' has NaN or inf \(first at 2000-11-01"):
        LSTMForecaster(**FAST).fit(df)
    df.iloc[11, 0] = np.inf
    fc = LSTMForecaster(horizon=3, fill="interpolate", **FAST).fit(df)
    assert np.isfinite(fc.predict().to_numpy()).all()


@pytest.mark.parametrize("mutate,msg", [
    (lambda d: d.iloc[[0, 2, 1] + list(range(3, len(d)))], r"not sorted: row 2 \(2000-02-01\) comes before the "
                                                           r"previous row \(2000-03-01\)"),
    (lambda d: d.iloc[::-1], r"run backwards \(newest first: 2003-12-01 ... 2000-01-01\); sort"),
    (lambda d: pd.concat([d.iloc[:5], d.iloc[4:]]), r"duplicated timestamps \(first: 2000-05-01\)$"),
    (lambda d: d.drop(d.index[[5, 9]]), "irregular time index.*row 5 is 2000-07-01 where 2000-06-01 was expected"),
    (lambda d: d.iloc[:5], "too short: 5 rows"),
    (lambda d: d.assign(y=d["y"].astype(str)), "not numeric"),
    (lambda d: d.iloc[:0], "empty"),
    (lambda d: d.assign(label="x"), "non-numeric columns \\['label'\\]"),
])
def test_bad_frames(mutate, msg):
    with pytest.raises(ValueError, match=msg):
        LSTMForecaster(horizon=3, target="y", **FAST).fit(mutate(_monthly(48)))


@pytest.mark.parametrize("mutate,msg", [
    (lambda d: d.assign(y=d["y"].astype(str)),
     "^no numeric column to forecast: 'y' \\((object|str): '10.02[0-9]*', ...\\); convert"),
    (lambda d: d.assign(y=d["y"].map(lambda v: f"{v:.3f}".replace(".", ","))),  # a CSV's decimal commas
     r"^no numeric column to forecast: 'y' \((object|str): '10,0[0-9]+', ...\); convert the values to numbers "
     r"\(decimal commas\? read the file with decimal=','\)$"),
    (lambda d: d.set_axis(d.index.astype(str)), "got Index of strings \\(first '2000-01-01'\\): parse it, e.g. "
                                                "with pd.to_datetime$"),
])
def test_bad_frames_without_a_target(mutate, msg):
    with pytest.raises(ValueError, match=msg):
        LSTMForecaster(horizon=3, **FAST).fit(mutate(_monthly(48)))


def test_missing_timestamps_are_inserted_and_filled_by_the_fill_policy():
    # Two months missing from a monthly series (and steps missing from an
    # integer index): with fill=, the rows come back as NaN and the policy
    # fills them, exactly as if the user had inserted and filled them first.
    df = _monthly(72)
    gap = df.drop(df.index[[30, 31]])
    with pytest.raises(ValueError, match="resample it first or set fill='interpolate' \\(or ffill, zero\\) to "
                                         "insert the missing steps and fill them$"):
        LSTMForecaster(horizon=3, **FAST).fit(gap)
    by_hand = df.copy()
    by_hand.iloc[30:32, 0] = by_hand.iloc[[29, 32], 0].to_numpy() @ np.array([[2 / 3, 1 / 3], [1 / 3, 2 / 3]])
    for data in (gap, gap.set_axis(np.arange(0, 3 * 72, 3)[np.r_[0:30, 32:72]])):  # dates, then integer steps of 3
        filled = LSTMForecaster(horizon=3, fill="interpolate", **FAST).fit(data)
        expected = by_hand if isinstance(data.index, pd.DatetimeIndex) else by_hand.set_axis(np.arange(0, 216, 3))
        direct = LSTMForecaster(horizon=3, **FAST).fit(expected)
        assert filled.predict().equals(direct.predict())
    days = pd.date_range("2000-01-01", periods=72, freq="D")
    odd = df.set_axis(days + pd.to_timedelta(np.r_[np.zeros(40), np.full(32, 12)], unit="h"))  # off the grid
    with pytest.raises(ValueError, match="resample it first$"):  # no advice that fill cannot follow
        LSTMForecaster(horizon=3, fill="interpolate", **FAST).fit(odd)


def test_bad_arguments():
    df = _monthly(48)
    with pytest.raises(NotFittedError):
        LSTMForecaster().predict()
    with pytest.raises(ValueError, match="^target 'z' is not a column"):
        LSTMForecaster(target="z").fit(df)
    with pytest.raises(ValueError, match="^future_covariates names 'promo', which is not a column"):
        LSTMForecaster(future_covariates=["promo"]).fit(df)
    with pytest.raises(ValueError, match="time_col 'when' is not a column"):
        LSTMForecaster(time_col="when").fit(df)
    with pytest.raises(TypeError, match="NumPy array"):
        LSTMForecaster().fit(df.to_numpy())
    fc = LSTMForecaster(horizon=3, **FAST).fit(df)
    for h in (0, -1, 2.5, "3"):
        with pytest.raises(ValueError, match="horizon must be a positive integer"):
            fc.predict(horizon=h)
    for kw, m in [(dict(horizon=0), "horizon"), (dict(strategy="x"), "strategy"),
                  (dict(scaler="zscore"), "scaler"), (dict(loss="l3"), "loss"),
                  (dict(optimizer="lbfgs"), "optimizer"), (dict(device="cuda"), "device='cuda'")]:
        with pytest.raises(ValueError, match=m):
            LSTMForecaster(**{**FAST, **kw}).fit(df)


@pytest.mark.parametrize("scaler", ["standard", "robust", "minmax", None])
def test_scalers(scaler):
    df = _monthly(48) * 1000
    p = GRUForecaster(horizon=3, scaler=scaler, **FAST).fit(df).predict()
    assert np.isfinite(p.to_numpy()).all()
    assert 5000 < p.to_numpy().mean() < 20000  # inverted back to the original units


def test_a_series_in_tiny_or_huge_units_forecasts_as_in_ordinary_ones():
    # a spread below 1e-12 in absolute terms read as a constant series (scale 1):
    # a series in units of 1e-15 then failed to train (TrainingDivergedError)
    df = _monthly(60)
    base = LSTMForecaster(horizon=3, random_state=0, **FAST).fit(df).predict_interval(coverage=0.8)
    for units in (1e-15, 1e15):
        got = LSTMForecaster(horizon=3, random_state=0, **FAST).fit(df * units).predict_interval(coverage=0.8)
        assert np.allclose(got.to_numpy() / units, base.to_numpy(), rtol=1e-4), units
    const = LSTMForecaster(horizon=3, random_state=0, **FAST).fit(df * 0 + 1e-13 * 7).predict()
    assert np.allclose(const.to_numpy(), 7e-13, rtol=1e-6)  # a constant stays one, in any units


def test_predict_refuses_X_for_a_model_without_future_covariates():
    # X was ignored: a user passing newer history got the forecast from the fitted cutoff
    df = _monthly(60)
    fc = LSTMForecaster(horizon=3, random_state=0, **FAST).fit(df.iloc[:48])
    for call in (fc.predict, fc.predict_interval):
        with pytest.raises(ValueError, match="X gives known-future covariates.*call update"):
            call(X=df)
    assert fc.update(df).predict().index[0] == df.index[-1] + pd.offsets.MonthBegin()


def test_too_short_for_an_explicit_lookback():
    with pytest.raises(ValueError, match=r"too short: 30 rows, but lookback \(24\) \+ horizon \(6\)"):
        LSTMForecaster(lookback=24, horizon=6, **FAST).fit(_monthly(30))
    with pytest.raises(ValueError, match=r"lookback \(500, rounded up to 512: segments of 32\) \+ horizon"):
        LSTMForecaster(lookback=500, horizon=6, **FAST).fit(_monthly(60))  # the user's 500, and why 512


def test_interval_width_follows_each_series_scale():
    # two series with the same shape, one 1000x larger: the global model's
    # pooled residuals are in scaled units, so the bands scale with each series
    df = _monthly(72, cols=("small", "big"))
    df["big"] = df["small"] * 1000
    fc = GRUForecaster(horizon=4, target=["small", "big"], **FAST).fit(df)
    iv = fc.predict_interval(0.9)
    w_small = (iv["small_upper"] - iv["small_lower"]).to_numpy()
    w_big = (iv["big_upper"] - iv["big_lower"]).to_numpy()
    assert np.allclose(w_big, 1000 * w_small, rtol=1e-6)


@pytest.mark.parametrize("n,coverage", [(3, 0.95), (3, 0.8), (8, 0.95)])
def test_a_band_from_too_few_windows_keeps_its_coverage(n, coverage):
    # n Gaussian validation residuals and a new error, 20,000 times: the widest of n
    # residuals covers n / (n + 1) only (0.75 from 3); the band from Student's t on
    # their root mean square covers what was asked (a little more: never below the widest)
    rng = np.random.default_rng(0)
    res, new = rng.standard_normal((20_000, n, 2)), rng.standard_normal((20_000, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CoverageWarning)
        q = np.array([conformal.quantile(r, coverage) for r in res])  # (trials, 2)
    covered = float(np.mean(np.abs(new) <= q))
    assert coverage - 0.01 <= covered <= coverage + 0.03, covered
    assert float(np.mean(np.abs(new) <= np.abs(res).max(axis=1))) < coverage - 0.04  # the widest alone
    need, only = math.ceil(coverage / (1 - coverage)), f"{n / (n + 1):.3f}"  # 19 for 0.95; 0.750 from 3
    with pytest.warns(CoverageWarning, match=rf"coverage {coverage:g} needs at least {need} validation windows .* "
                                             rf"with {n} the band is Student's t .* a coverage of {only} only"):
        conformal.quantile(res[0], coverage)
    enough = rng.standard_normal((40, 2))  # enough windows: the conformal quantile, the 37th smallest of 40
    assert np.array_equal(conformal.quantile(enough, 0.9), np.sort(np.abs(enough), axis=0)[36])
