"""Panels of many series: long, dict and wide input; ragged series; static
covariates and the id embedding; batched historical forecasts and backtests;
local models through joblib; scale-out on a real dask.distributed LocalCluster."""

import copy
import warnings

import numpy as np
import pandas as pd
import pytest

from tsgate import BaselineForecaster, LocalForecaster, LSTMForecaster, backtest, load
from tsgate.errors import CoverageWarning, DataError, OutlierWarning, ParameterError

FAST = dict(horizon=3, max_epochs=8, hidden_size=8, random_state=0)


def _series(n, s, seed=0, start="2020-01-01"):
    rng = np.random.default_rng(seed + s)
    t = np.arange(n)
    return 10 + (s + 1) * np.sin(2 * np.pi * t / 12) + 0.1 * rng.standard_normal(n), \
        pd.date_range(start, periods=n, freq="MS")


def _long(lengths, id_col="unique_id", ends_together=False):
    parts = []
    for s, n in enumerate(lengths):
        y, idx = _series(n, s)
        if ends_together:
            idx = pd.date_range(end="2035-12-01", periods=n, freq="MS")
        parts.append(pd.DataFrame({id_col: f"s{s}", "ds": idx, "y": y}))
    return pd.concat(parts, ignore_index=True)


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def test_long_dict_and_wide_inputs_give_identical_forecasts():
    df = _long([80, 80, 80])
    wide = df.pivot(index="ds", columns="unique_id", values="y")
    wide.columns.name = None
    wide.index.freq = "MS"
    as_dict = {sid: g.set_index("ds")["y"].asfreq("MS") for sid, g in df.groupby("unique_id")}
    long_out = LSTMForecaster(**FAST).fit(df).predict()
    dict_out = LSTMForecaster(**FAST).fit(as_dict).predict()
    wide_out = LSTMForecaster(**FAST, target=["s0", "s1", "s2"]).fit(wide).predict()
    assert list(long_out.columns) == ["unique_id", "ds", "y"] and len(long_out) == 9  # long in, long out
    for sid in ("s0", "s1", "s2"):
        a = long_out[long_out.unique_id == sid]["y"].to_numpy()
        assert np.array_equal(a, dict_out[sid].iloc[:, 0].to_numpy())
        assert np.array_equal(a, wide_out[sid].to_numpy())


def test_ragged_panel_each_series_from_its_own_end_and_a_subset():
    df = _long([150, 90, 120])
    fc = LSTMForecaster(**FAST).fit(df)
    out = fc.predict()
    for sid, g in df.groupby("unique_id"):
        first = out[out.unique_id == sid]["ds"].iloc[0]
        assert first == g["ds"].max() + pd.offsets.MonthBegin(1)
    sub = fc.predict(ids=["s2", "s0"])
    assert list(sub.unique_id.unique()) == ["s2", "s0"]
    assert np.array_equal(sub[sub.unique_id == "s0"]["y"].to_numpy(), out[out.unique_id == "s0"]["y"].to_numpy())
    with pytest.raises(DataError, match="unknown series \\['nope'\\]"):
        fc.predict(ids=["nope"])


def test_an_id_column_that_is_the_time_is_named_so():
    df = _long([60, 60]).set_index("ds")
    with pytest.raises(DataError, match=r"^id_col 'ds' is the time column of X; columns: \['unique_id', 'y'\]$"):
        LSTMForecaster(**FAST, id_col="ds").fit(df)


def test_an_id_column_that_is_the_time_column_or_the_target_or_gives_every_row_a_series_is_named_so():
    # the time as a column: pandas' KeyError 'ds' (id_col='ds'), KeyError 'unique_id' (time_col='unique_id');
    # target='unique_id': "series 's0': target 'unique_id' is not a column"
    df = _long([60, 60]).reset_index(drop=True)
    with pytest.raises(DataError, match=r"^id_col 'ds' names the series, but it is X's time column \(its one datetime "
                                        r"column\); name the column that tells the series apart$"):
        LSTMForecaster(**FAST, id_col="ds").fit(df)
    with pytest.raises(DataError, match=r"^id_col 'unique_id' names the series, but time_col names it too"):
        LSTMForecaster(**FAST, id_col="unique_id", time_col="unique_id").fit(df)
    with pytest.raises(DataError, match=r"^target 'unique_id' is id_col \(the series' names\); name the column"):
        LSTMForecaster(**FAST, id_col="unique_id", target="unique_id").fit(df)
    with pytest.raises(DataError, match=r"^target 'ds' is the time column; name the column of values to forecast$"):
        LSTMForecaster(**FAST, id_col="unique_id", target="ds").fit(df)
    # the values as ids: "series 0.51 is too short: 1 row(s), too few to infer the time step"
    with pytest.raises(DataError, match=r"^every series of id_col 'y' has fewer than 3 rows \(120 series in 120 rows\), "
                                        r"too few to infer the time step; is 'y' the column that tells the series apart\?$"):
        LSTMForecaster(**FAST, id_col="y").fit(df.drop(columns="unique_id").assign(y=np.arange(120.0)))
    two = pd.concat([df[df.unique_id == "s0"].iloc[:2], df[df.unique_id == "s1"].iloc[:2]])
    with pytest.raises(DataError, match=r"every series of id_col 'unique_id' has fewer than 3 rows \(2 series in 4 rows"):
        LSTMForecaster(**FAST).fit(two)  # 'unique_id' read as the id column of its own accord
    one_short = pd.concat([df[df.unique_id == "s0"], df[df.unique_id == "s1"].iloc[:2]])
    out = LSTMForecaster(**FAST).fit(one_short).predict()  # a series of two rows beside a long one: a cold start
    assert list(out.unique_id.unique()) == ["s0", "s1"] and np.isfinite(out["y"]).all()


def test_a_long_models_new_series_in_another_form_are_told_the_form():
    # "X has no column 'y', a series the model was fit on; ... use on_series", said to on_series itself
    df = _long([60, 60])
    fc = LSTMForecaster(**FAST).fit(df)
    wide = df[df.unique_id == "s0"].assign(unique_id="z").pivot(index="ds", columns="unique_id", values="y")
    with pytest.raises(DataError, match=r"^X has no column 'y': the model was fit on a long frame of 'unique_id', "
                                        r"time and 'y'; columns: \['z'\]$"):
        fc.on_series(wide)


def test_leading_missing_values_are_not_data():
    df = _long([100, 100])
    df.loc[(df.unique_id == "s1") & (df.index < 100 + 40), "y"] = np.nan  # s1 starts 40 steps late
    fc = LSTMForecaster(**FAST).fit(df)
    assert np.isfinite(fc.predict()["y"]).all()
    # an infinite value is not a missing one: leading, it was dropped as silently as a NaN
    df.loc[df.index[(df.unique_id == "s1").to_numpy()][40], "y"] = np.inf
    with pytest.raises(DataError, match=r"^series 's1': column 'y' has NaN or inf \(first at "):
        LSTMForecaster(**FAST).fit(df)
    with pytest.raises(DataError, match=r"^column 's1' has NaN or inf \(first at "):
        LSTMForecaster(**FAST, target=["s0", "s1"]).fit(df.pivot(index="ds", columns="unique_id", values="y"))


def test_missing_timestamps_of_one_series_are_inserted_with_fill():
    df = _long([90, 80])
    gap = df.drop(index=df.index[(df.unique_id == "s1") & df.ds.isin(df.ds.iloc[[20, 21]])])
    with pytest.raises(DataError, match="^series 's1' has an irregular time index.*or set fill='interpolate'"):
        LSTMForecaster(**FAST).fit(gap)
    fc = LSTMForecaster(**FAST, fill="ffill").fit(gap)
    by_hand = df.copy()
    mask = (by_hand.unique_id == "s1") & by_hand.ds.isin(df.ds.iloc[[20, 21]])
    by_hand.loc[mask, "y"] = by_hand.loc[(by_hand.unique_id == "s1") & (by_hand.ds == df.ds.iloc[19]), "y"].item()
    assert fc.predict().equals(LSTMForecaster(**FAST).fit(by_hand).predict())


def test_rows_of_future_covariates_after_the_target_go_to_predict_not_into_the_fit():
    # The command line's layout (rows after the target's end hold the known-future
    # covariates). In Python, with fill='ffill' they became history: the target held
    # flat over them and the forecast starting after them, unsaid; without a fill,
    # "has NaN or inf ... use fill='ffill'", the advice that does that.
    df = _long([60, 60]).assign(promo=1.0)
    future = df.groupby("unique_id").tail(3).index
    df.loc[future, "y"] = np.nan
    single = df[df.unique_id == "s0"].drop(columns="unique_id").set_index("ds")
    kw = dict(FAST, future_covariates=["promo"])
    msg = r"the target 'y' has no value in the last 3 rows, from 2024-10-01.*predict as X"
    for data, extra in [(df, {}), (single, {}), ({"s0": single, "s1": single}, {})]:
        for fill in (None, "ffill"):
            with pytest.raises(DataError, match=msg):
                LSTMForecaster(**kw, **extra, fill=fill).fit(data)
    two = single.assign(z=single["y"] * 2)
    with pytest.raises(DataError, match=r"the targets \['y', 'z'\] have no value in the last 3 row"):
        LSTMForecaster(**kw, target=["y", "z"]).fit(two)
    # one target ending early among others is a ragged panel, still filled as asked
    two.loc[two.index[-5:-3], "z"] = np.nan
    history = two.iloc[:-3]
    fc = LSTMForecaster(**kw, target=["y", "z"], fill="ffill").fit(history)
    assert fc.predict(X=single[["promo"]].iloc[-3:])["y"].notna().all()
    # without known-future covariates a fill keeps its meaning for the last rows
    assert LSTMForecaster(**FAST, target="y", fill="ffill").fit(single).cutoff_ == single.index[-1]
    # the rows' covariates are what predict takes
    fc = LSTMForecaster(**kw).fit(df.dropna(subset=["y"]))
    assert len(fc.predict(X=df[df.y.isna()].drop(columns="y"))) == 6


def test_a_very_short_series_is_named_or_skipped():
    df = _long([120, 120, 12])
    with pytest.raises(DataError) as info:
        LSTMForecaster(**FAST, lookback=12, on_short="raise").fit(df)
    assert str(info.value) == ("1 of 3 series is too short: lookback (12) + horizon (3) + windows for training/"
                               "validation need at least 17: 's2' (12 rows) (or set on_short='skip' to leave it out)")
    fc = LSTMForecaster(**FAST, lookback=12, on_short="skip").fit(df)
    assert fc.fit_report_["skipped"] == ["s2"] and fc.ids_ == ["s0", "s1"]
    with pytest.raises(DataError, match="at least 30"):
        LSTMForecaster(**FAST, lookback=12, min_length=30, on_short="raise").fit(_long([120, 25]))
    fc = LSTMForecaster(**FAST, lookback=12).fit(df)  # the default: no window, but a lookback of rows
    assert fc.fit_report_["short"] == ["s2"] and fc.ids_ == ["s0", "s1", "s2"] and "s2" not in fc.fallback_
    assert "s2" in LSTMForecaster(**FAST, lookback=13).fit(df).fallback_  # under a lookback: its own baseline
    with pytest.raises(DataError, match="^2 of 2 series are too short: .*'s0' \\(12 rows\\), 's1' \\(12 rows\\)$"):
        LSTMForecaster(**FAST, lookback=12, on_short="skip").fit(_long([12, 12]))  # nothing left: no advice to skip


@pytest.mark.parametrize("bad,match", [
    ("dup", "series 's1' has two rows for the time"),
    ("text", "series 's0'.*'y'"),
    ("nan", "series 's1': column 'y' has NaN or inf \\(first at "),
    ("two_rows", "^series 's1': its 2 rows \\(2020-01-01, 2020-03-01\\) are not consecutive steps of the data's "
                 "frequency MS$"),  # named once, not 'series 's1': series 's1' ... (two rows take the panel's step)
    ("no_static", "static_covariates has no row for series 's1'"),
    ("static_nan", "static_covariates column 'size' is missing for series 's0'"),
])
def test_bad_panels_name_the_series(bad, match):
    df = _long([60, 60])
    static = pd.DataFrame({"size": [1.0, 2.0]}, index=["s0", "s1"])
    if bad == "dup":
        df = pd.concat([df, df[df.unique_id == "s1"].iloc[[5]]])
    if bad == "text":
        df["y"] = df["y"].astype(object)
        df.loc[3, "y"] = "n/a"
    if bad == "two_rows":
        df = pd.concat([df[df.unique_id == "s0"], df[df.unique_id == "s1"].iloc[[0, 2]]])
    if bad == "nan":
        df.loc[df.index[df.unique_id == "s1"][7], "y"] = np.nan
    if bad == "no_static":
        static = static.loc[["s0"]]
    if bad == "static_nan":
        static.loc["s0", "size"] = np.nan
    with pytest.raises(DataError, match=match):
        LSTMForecaster(**FAST).fit(df, static_covariates=static)


def test_a_long_list_of_series_is_named_by_its_first_five_and_a_count():
    df = _long([30] * 7)
    with pytest.raises(DataError, match=r"has no row for series 's1', 's2', 's3', 's4', 's5' and 1 more \(its"):
        LSTMForecaster(**FAST).fit(df, static_covariates=pd.DataFrame({"size": [1.0]}, index=["s0"]))
    with pytest.raises(DataError, match=r"has no row for series 's2', 's3', 's4', 's5', 's6' \(its"):  # five: all
        LSTMForecaster(**FAST).fit(df, static_covariates=pd.DataFrame({"size": [1.0, 2.0]}, index=["s0", "s1"]))


def _sign_panel(S=20, n=200):
    """Series whose dynamics differ only by a static flag: y' = +-0.8 y + noise."""
    rng = np.random.default_rng(0)
    parts, flags = [], {}
    for s in range(S):
        g = 1.0 if s % 2 else -1.0
        y, e = np.zeros(n), rng.standard_normal(n)
        for t in range(1, n):
            y[t] = 0.8 * g * y[t - 1] + e[t]
        parts.append(pd.DataFrame({"unique_id": f"s{s}", "ds": np.arange(n), "y": y}))
        flags[f"s{s}"] = "up" if g > 0 else "down"
    return pd.concat(parts, ignore_index=True), pd.DataFrame({"kind": pd.Series(flags)})


def test_static_covariates_change_the_forecast_when_they_carry_the_signal():
    df, static = _sign_panel()
    kw = dict(horizon=1, lookback=2, max_epochs=200, hidden_size=16, window_norm=None, random_state=0)
    plain = LSTMForecaster(**kw).fit(df)
    with_static = LSTMForecaster(**kw).fit(df, static_covariates=static)
    mae = lambda fc: fc.fit_report_["validation_mae"]["network"]  # noqa: E731
    with_id = [mae(LSTMForecaster(**dict(kw, random_state=seed), id_embedding=2).fit(df)) for seed in (0, 1, 2)]
    assert with_static.static_columns_ == ["kind=down", "kind=up"]
    # the noise's MAE is 0.80: the flag (or the learned identity) lets the network reach it; from two
    # values alone the sign is a guess (0.88 at seeds 0, 1, 2; static 0.80, id embedding 0.81, 0.81, 0.81
    # without window_position, the default 'auto' here (no covariate); with it 1.006 (stopped at epoch 4),
    # 0.806, 0.805: the median of 3 seeds)
    assert mae(with_static) < 0.83 < 0.95 * mae(plain)
    assert np.median(with_id) < 0.83, with_id
    assert not np.allclose(with_static.predict()["y"], plain.predict()["y"])


def test_static_and_id_embedding_survive_the_model_file(tmp_path):
    df, static = _sign_panel(S=6, n=80)
    fc = LSTMForecaster(horizon=2, max_epochs=5, hidden_size=8, id_embedding=3).fit(df, static_covariates=static)
    back = load(fc.save(tmp_path / "m.tsgate"))
    assert back.static_columns_ == fc.static_columns_
    assert np.array_equal(back.predict()["y"], fc.predict()["y"])


def test_historical_forecasts_equal_update_then_predict_at_every_origin():
    df = _long([120, 90, 150], ends_together=False)
    cut = pd.Timestamp("2026-06-01")
    fc = LSTMForecaster(**FAST).fit(df[df.ds <= cut])
    hf = fc.historical_forecasts(df)
    assert list(hf.columns) == ["unique_id", "cutoff", "ds", "step", "y", "forecast"]
    assert (hf["cutoff"] >= cut).all() and set(hf["step"]) == {1, 2, 3}
    for (sid, cutoff), g in hf.groupby(["unique_id", "cutoff"]):
        est = copy.deepcopy(fc)
        est.update(df[(df.unique_id == sid) & (df.ds <= cutoff)])
        ref = est.predict(ids=[sid])
        assert np.allclose(ref["y"].to_numpy(), g["forecast"].to_numpy(), rtol=1e-6, atol=1e-6)
        assert np.array_equal(ref["ds"].to_numpy(), g["ds"].to_numpy())
        actual = df[(df.unique_id == sid) & df.ds.isin(g["ds"])]["y"].to_numpy()
        assert np.array_equal(actual, g["y"].to_numpy())
    # only the training data: no origin after the cutoff, and the message says what to pass
    last = max(fc.cutoffs_)
    with pytest.raises(DataError, match=rf"after the fitted cutoff \({last.date()}\): pass newer rows, or an "
                                        r"earlier start \(e.g. start=0.5\) for origins in the training data"):
        fc.historical_forecasts(df[df.ds <= cut])
    assert (fc.historical_forecasts(df[df.ds <= cut], start=0.5)["cutoff"] < cut).all()


@pytest.mark.parametrize("kind", ["direct", "recursive", "quantiles", "stateful"])
def test_historical_intervals_equal_update_then_predict_interval(kind):
    extra = {"direct": {}, "recursive": {"strategy": "recursive"}, "stateful": {"stateful": True, "tbptt": 20},
             "quantiles": {"loss": "pinball", "quantiles": [0.05, 0.1, 0.5, 0.9, 0.95]}}[kind]
    df = _long([90, 80])
    fc = LSTMForecaster(**dict(FAST, **extra)).fit(df[df.ds <= "2024-06-01"])
    hf = fc.historical_forecasts(df, coverage=[0.9, 0.8])
    assert list(hf.columns[-5:]) == ["forecast", "lower_80", "upper_80", "lower_90", "upper_90"]
    for (sid, cutoff), g in list(hf.groupby(["unique_id", "cutoff"]))[::5]:
        est = copy.deepcopy(fc)
        est.update(df[(df.unique_id == sid) & (df.ds <= cutoff)])
        iv = est.predict_interval([0.8, 0.9], ids=[sid])
        for c in ("lower_80", "upper_80", "lower_90", "upper_90"):
            assert np.allclose(iv[f"y_{c}"].to_numpy(), g[c].to_numpy(), rtol=1e-6, atol=1e-6), (kind, c)
    table = fc.backtest(df, coverage=0.9)
    mine, sn = table[table.model == "tsgate"], table[table.model == "seasonal_naive"]
    assert sn["coverage"].isna().all() and mine["coverage"].between(0, 1).all()
    first = hf[(hf.unique_id == "s0") & (hf.step == 1)]
    inside = ((first.y >= first.lower_90) & (first.y <= first.upper_90)).mean()
    assert mine["coverage"].iloc[0] == pytest.approx(inside)
    lo, hi, y = first.lower_90.to_numpy(), first.upper_90.to_numpy(), first.y.to_numpy()
    score = np.mean(hi - lo + 20 * (np.maximum(lo - y, 0) + np.maximum(y - hi, 0)))  # 2 / (1 - 0.9) = 20
    assert mine["MSIS"].iloc[0] == pytest.approx(score / hf.attrs["mase_scale"]["s0"])


def test_recursive_historical_forecasts_equal_update_then_predict():
    df = _long([80, 70])
    fc = LSTMForecaster(**dict(FAST, strategy="recursive")).fit(df[df.ds <= "2024-06-01"])
    hf = fc.historical_forecasts(df)
    assert hf["unique_id"].nunique() == 2
    for (sid, cutoff), g in hf.groupby(["unique_id", "cutoff"]):
        est = copy.deepcopy(fc)
        est.update(df[(df.unique_id == sid) & (df.ds <= cutoff)])
        assert np.allclose(est.predict(ids=[sid])["y"].to_numpy(), g["forecast"].to_numpy(), rtol=1e-6, atol=1e-6)


def test_data_on_another_time_step_is_refused_by_every_method_that_reads_it():
    # historical_forecasts and score read quarterly data with a monthly model as months
    y, idx = _series(120, 0)
    monthly = pd.Series(y, index=idx, name="y")
    fc = LSTMForecaster(**FAST).fit(monthly.iloc[:-24])
    quarterly = monthly.resample("QS").mean()
    for method in (fc.historical_forecasts, fc.backtest, fc.score, fc.update, fc.on_series):
        with pytest.raises(DataError, match="X has frequency QS-JAN, the model was fit on MS"):
            method(quarterly)

def test_backtest_scores_are_the_historical_forecasts_errors_by_hand():
    # Per series and step: MAE, MASE (over the in-sample seasonal naive MAE of the rows up to the
    # series' first origin), coverage and MSIS; ids that do not sort in the data's order ('b' first),
    # so rows grouped in another order would score one series' points for the other.
    # summarise_backtest is each model's mean over those rows.
    from tsgate import summarise_backtest

    df = _long([90, 110])
    df["unique_id"] = df["unique_id"].map({"s0": "b", "s1": "a"})
    fc = LSTMForecaster(**FAST).fit(df)
    start = pd.Timestamp("2026-01-01")
    hf = fc.historical_forecasts(df, start=start, coverage=0.8)
    table = fc.backtest(df, start=start, coverage=0.8)
    mine = table[table["model"] == "tsgate"]
    assert list(mine["unique_id"]) == ["b"] * 3 + ["a"] * 3
    m = fc.seasonal_period_
    for (sid, step), got in mine.set_index(["unique_id", "step"]).iterrows():
        rows = hf[(hf["unique_id"] == sid) & (hf["step"] == step)]
        y = df[df["unique_id"] == sid].set_index("ds")["y"]
        seen = y[:start].to_numpy()  # up to the first origin
        scale = np.mean(np.abs(seen[m:] - seen[:-m]))
        mae = np.mean(np.abs(rows["y"] - rows["forecast"]))
        inside = (rows["lower"] <= rows["y"]) & (rows["y"] <= rows["upper"])
        assert got["n"] == len(rows) and np.isclose(got["MAE"], mae) and np.isclose(got["MASE"], mae / scale)
        assert np.isclose(got["coverage"], inside.mean())
    assert mine["coverage"].nunique() > 1  # the two series' bands cover differently
    summary = summarise_backtest(table)
    for model in ("tsgate", "seasonal_naive"):
        rows = table[table["model"] == model]
        assert np.allclose(summary.loc[model].to_numpy(), rows[list(summary.columns)].mean().to_numpy())
        assert not np.allclose(summary.loc[model, "MAE"], rows["MAE"].median())  # a mean, not a median


def test_historical_forecasts_start_stride_and_retrain(monkeypatch):
    df = _long([100, 100])
    fc = LSTMForecaster(**FAST).fit(df[df.ds <= "2026-01-01"])
    hf = fc.historical_forecasts(df, start="2026-01-01", stride=4)
    cutoffs = sorted(hf["cutoff"].unique())
    assert cutoffs[0] == pd.Timestamp("2026-01-01") and all(
        (b.year - a.year) * 12 + b.month - a.month == 4 for a, b in zip(cutoffs, cutoffs[1:]))
    fits = []
    original = LSTMForecaster.fit
    monkeypatch.setattr(LSTMForecaster, "fit", lambda self, *a, **k: fits.append(1) or original(self, *a, **k))
    again = fc.historical_forecasts(df, start="2026-01-01", stride=4, retrain=2)
    assert len(fits) == (len(cutoffs) + 1) // 2 - 1  # every 2nd origin; the first is the fitted cutoff itself
    assert len(again) == len(hf) and not np.allclose(again["forecast"], hf["forecast"])
    with pytest.raises(ParameterError, match="retrain"):
        fc.historical_forecasts(df, retrain=0)
    # static covariates of another kind than a frame: named before any work (without retrain, taken unread)
    with pytest.raises(ParameterError, match="^static_covariates must be a pandas DataFrame indexed by series id, got "
                                             "str"):
        fc.historical_forecasts(df, start="2026-01-01", static_covariates="size")


def test_retrain_refits_fresh_as_fit_at_that_time_or_from_warm_weights():
    """A refit is the fit a user would make at that origin (the linear start
    refit, the structure chosen again); ``warm_start`` trains from the last
    weights with the structure kept, a different model."""
    from sklearn.base import clone

    df = _long([100, 100])
    cut = pd.Timestamp("2026-01-01")
    fc = LSTMForecaster(**FAST).fit(df[df.ds <= cut])
    hf = fc.historical_forecasts(df, start=cut, retrain=3)
    second = sorted(hf["cutoff"].unique())[3]  # the first origin of the second block: a refit up to it
    fresh = clone(fc).set_params(on_short="skip", verbose=0).fit(df[df.ds <= second])
    got = hf[hf["cutoff"] == second].sort_values(["unique_id", "step"])
    want = fresh.predict().sort_values(["unique_id", "ds"])
    assert np.allclose(got["forecast"].to_numpy(), want["y"].to_numpy(), rtol=1e-5, atol=1e-6)
    first = hf[hf["cutoff"] == cut].sort_values(["unique_id", "step"])  # the fitted model itself
    assert np.allclose(first["forecast"].to_numpy(), fc.predict().sort_values(["unique_id", "ds"])["y"].to_numpy(),
                       rtol=1e-5, atol=1e-6)
    warm = fc.historical_forecasts(df, start=cut, retrain=3, warm_start=True)
    assert np.array_equal(warm["cutoff"], hf["cutoff"]) and np.array_equal(warm["step"], hf["step"])
    w2 = warm[warm["cutoff"] == second]
    assert not np.allclose(w2["forecast"].to_numpy(), got.sort_index()["forecast"].to_numpy(), rtol=1e-3)
    for bad in (dict(warm_start=True), dict(retrain=2, warm_start="yes")):
        with pytest.raises(ParameterError, match="warm_start"):
            fc.historical_forecasts(df, start=cut, **bad)


def test_backtest_per_series_and_step_next_to_seasonal_naive():
    df = _long([100, 100])
    fc = LSTMForecaster(**FAST).fit(df[df.ds <= "2026-01-01"])
    table = fc.backtest(df)
    assert set(table["model"]) == {"tsgate", "seasonal_naive"}
    assert len(table) == 2 * 2 * 3 and list(table.columns[:3]) == ["unique_id", "step", "model"]
    hf = fc.historical_forecasts(df)
    s0 = df[df.unique_id == "s0"].set_index("ds")["y"]
    row = table[(table.unique_id == "s0") & (table.step == 2) & (table.model == "seasonal_naive")].iloc[0]
    origins = hf[(hf.unique_id == "s0") & (hf.step == 2)]
    naive = [s0[c - pd.DateOffset(months=10)] for c in origins["cutoff"]]  # m=12: y(origin + 2 - 12)
    assert np.isclose(row["MAE"], np.mean(np.abs(origins["y"].to_numpy() - naive)))
    assert row["n"] == len(origins)


def test_global_model_forecasts_series_it_never_saw():
    df = _long([120, 120, 120])
    fc = LSTMForecaster(**FAST).fit(df[df.unique_id != "s2"])
    new = fc.on_series(df[df.unique_id == "s2"]).predict()
    assert list(new.unique_id.unique()) == ["s2"] and np.isfinite(new["y"]).all()
    same = fc.on_series(df[df.unique_id == "s0"]).predict()  # a known series keeps its scaling
    assert np.allclose(same["y"].to_numpy(), fc.predict(ids=["s0"])["y"].to_numpy(), rtol=1e-6)
    with pytest.raises(DataError, match=r"unknown series \['s2'\]: the model was fit on 2 series; to forecast "
                                        r"series it was not fit on, from their own history, use on_series$"):
        fc.update(df)


def test_a_global_model_fit_on_a_wide_frame_forecasts_its_new_columns():
    # on_series read a wide frame's series as the model's columns: a new
    # column was "target 'a' is not a column", so no new series could be given
    wide = _long([100, 100, 100]).pivot(index="ds", columns="unique_id", values="y").asfreq("MS")
    wide["promo"] = np.arange(100.0) % 3
    fc = LSTMForecaster(**FAST, target=["s0", "s1"]).fit(wide.drop(columns="s2"))
    assert fc.past_covariates_ == ["promo"]
    new = fc.on_series(wide[["s2", "promo"]]).predict()
    assert list(new.columns) == ["s2"] and np.isfinite(new["s2"]).all()
    both = fc.on_series(wide[["s0", "s2", "promo"]]).predict()  # a known column keeps its scaling
    assert np.allclose(both["s0"].to_numpy(), fc.predict()["s0"].to_numpy(), rtol=1e-6)
    assert np.allclose(both["s2"].to_numpy(), new["s2"].to_numpy(), rtol=1e-6)
    with pytest.raises(DataError, match=r"X has no series to forecast: no numeric column but the model's cov"):
        fc.on_series(wide[["promo"]])
    with pytest.raises(DataError, match=r"X has no column 's1', a series the model was fit on; columns: \['s0', "):
        fc.update(wide[["s0", "promo"]])  # update moves the model's own series
    one = LSTMForecaster(**FAST).fit(wide["s0"])  # a named Series is a series of its own (it took s0's scaling)
    tenfold = one.on_series(wide["s2"] * 10).predict()["s2"]
    np.testing.assert_allclose(tenfold, 10 * one.on_series(wide["s2"]).predict()["s2"], rtol=1e-5)
    assert list(one.on_series(wide["s0"].rename(None)).predict().columns) == ["s0"]  # unnamed: the model's

def test_ids_take_one_id_of_text_or_number_and_refuse_an_empty_or_repeated_choice():
    # ids="store_1" was read letter by letter ("unknown series ['s', 't', ...]"), ids=7 (an integer id) a
    # TypeError, [] an IndexError (a LocalForecaster's: "No objects to concatenate"), a repeated id two forecasts
    from tsgate.errors import DataError, ParameterError

    rng, parts = np.random.default_rng(0), []
    for sid in ("store_1", "store_2", 7):
        t = np.arange(80)
        parts.append(pd.DataFrame({"store": sid, "date": pd.date_range("2020-01-01", periods=80, freq="D"),
                                   "sales": 10 + np.sin(2 * np.pi * t / 7) + 0.1 * rng.standard_normal(80)}))
    df = pd.concat(parts, ignore_index=True)
    network = LSTMForecaster(id_col="store", time_col="date", **FAST).fit(df)
    local = LocalForecaster(BaselineForecaster("naive", horizon=3, time_col="date"), id_col="store").fit(df)
    for model in (network, local):
        assert model.predict(ids="store_1")["store"].unique().tolist() == ["store_1"]
        assert model.predict_interval(0.9, ids=7)["store"].unique().tolist() == [7]
        with pytest.raises(ParameterError, match="ids names no series"):
            model.predict(ids=[])
        with pytest.raises(ParameterError, match="ids names the series 'store_2' twice"):
            model.predict(ids=["store_2", "store_2"])
        with pytest.raises(ParameterError, match="start must be a time of the index.* not integer steps"):
            model.historical_forecasts(df, start=-1)  # nanoseconds to pandas: every origin
    with pytest.raises(DataError, match="X has no rows"):  # a LocalForecaster's update moved nothing, unsaid
        local.update(df.iloc[:0])


def test_local_models_take_the_forecasters_n_jobs():
    # n_jobs=0 was joblib's "n_jobs == 0 in Parallel has no meaning" from inside the fit
    from tsgate.errors import ParameterError

    y = pd.Series(np.arange(40.0) % 7, index=pd.date_range("2020-01-01", periods=40, freq="D"))
    for bad in (0, -2, 1.5):
        with pytest.raises(ParameterError, match="'n_jobs' parameter of LocalForecaster must be an int in the range"):
            LocalForecaster(BaselineForecaster("naive", horizon=2), n_jobs=bad).fit(y)


def test_local_models_in_joblib_workers_equal_the_serial_run():
    df = _long([90, 110, 100, 95])
    est = LSTMForecaster(**FAST)
    serial = LocalForecaster(est).fit(df)
    parallel = LocalForecaster(est, n_jobs=2).fit(df)
    assert serial.predict().equals(parallel.predict())
    assert set(serial.estimators_) == {"s0", "s1", "s2", "s3"}
    table = parallel.backtest(df, start=0.8)
    assert set(table["unique_id"]) == {"s0", "s1", "s2", "s3"}
    hf = parallel.historical_forecasts(df, start=0.8, coverage=0.9)  # each series by its own model
    own = serial.estimators_["s1"].historical_forecasts(df[df.unique_id == "s1"], start=0.8, coverage=0.9)
    assert hf[hf.unique_id == "s1"].reset_index(drop=True).equals(own)
    band = parallel.predict_interval([0.8, 0.95], ids=["s2", "s0"])  # each series' own model's band
    assert list(band["unique_id"].unique()) == ["s2", "s0"]
    mine = serial.estimators_["s2"].predict_interval([0.8, 0.95])
    assert band[band.unique_id == "s2"].reset_index(drop=True).equals(mine)


@pytest.mark.parametrize("n_jobs", [None, 2])
def test_local_models_warnings_name_their_series_also_from_joblib_workers(n_jobs):
    # a baseline's outlier warning named its target column ('y') only, the same text for every series
    # (shown once), and a worker's warnings were lost
    df = _long([90, 110, 100])
    df.loc[df.groupby("unique_id").head(60).index[[30, 100, 157]], "y"] += 1e3  # one outlier in each series
    with pytest.warns(OutlierWarning) as caught:
        LocalForecaster(BaselineForecaster("naive", horizon=3), n_jobs=n_jobs).fit(df)
    said = [str(w.message) for w in caught if issubclass(w.category, OutlierWarning)]
    assert [m[:len("series 's0': ")] for m in said] == ["series 's0': ", "series 's1': ", "series 's2': "], said
    assert all("outlier" in m for m in said), said
    short = _long([40] * 5)  # the same words from every series: one warning naming them
    local = LocalForecaster(LSTMForecaster(**FAST), n_jobs=n_jobs).fit(short)
    with pytest.warns(CoverageWarning) as caught:
        local.predict_interval(0.95)
    said = [str(w.message) for w in caught if issubclass(w.category, CoverageWarning)]
    assert len(said) == 1 and said[0].startswith("series 's0', 's1', 's2' and 2 more: coverage 0.95 needs"), said
    with pytest.warns(CoverageWarning) as caught:  # three: all named, no count
        LocalForecaster(LSTMForecaster(**FAST), n_jobs=n_jobs).fit(_long([40] * 3)).predict_interval(0.95)
    said = [str(w.message) for w in caught if issubclass(w.category, CoverageWarning)]
    assert len(said) == 1 and said[0].startswith("series 's0', 's1', 's2': coverage 0.95 needs"), said


def test_local_models_are_tsgate_forecasters():
    # a regressor was "LSTMRegressor.fit() missing 1 required positional argument: 'y'" from inside
    # the loop over series; a LocalForecaster of LocalForecasters fit
    from sklearn.linear_model import LinearRegression

    from tsgate import LSTMRegressor

    df = _long([40, 40])
    for est in (None, LSTMRegressor(), LinearRegression(), LocalForecaster(BaselineForecaster("naive"))):
        with pytest.raises(ParameterError, match=r"^estimator must be a tsgate forecaster \(LSTMForecaster, "
                                                 rf"GRUForecaster, RNNForecaster or BaselineForecaster\), got "
                                                 rf"{type(est).__name__}$"):
            LocalForecaster(est).fit(df)


@pytest.mark.parametrize("n_jobs", [None, 2])
def test_local_models_name_the_series_that_cannot_be_fit(n_jobs):
    # each model knows its data, not the series' id: a LocalForecaster over many series said only
    # "the series is too short: 5 rows, ..." (and from a joblib worker)
    df = _long([90, 5, 100, 4])
    with pytest.raises(DataError, match=r"^series 's1' is too short: 5 rows, .* \(and 1 more series\)$"):
        LocalForecaster(LSTMForecaster(**FAST), n_jobs=n_jobs).fit(df)
    df = _long([60, 70])
    local = LocalForecaster(BaselineForecaster("naive", horizon=3), n_jobs=n_jobs).fit(df)
    after = pd.DataFrame({"unique_id": ["s1"], "ds": [df[df.unique_id == "s1"].ds.max() + pd.DateOffset(months=2)],
                          "y": [1.0]})  # a month left out
    with pytest.raises(DataError, match=r"^series 's1' holds 1 row from 2025-12-01: give the rows that follow "
                                        r"the data \(from 2025-11-01\)"):
        local.update(after)
    with pytest.raises(DataError, match=r"^series 's0' has no origin with 1 row up to it and 3 after it from start "
                                        r"2025-06-01$"):  # s0 ends ten months before s1
        local.backtest(df, start=df[df.unique_id == "s1"].ds.iloc[-5])
    with pytest.raises(ParameterError, match=r"^stride must be a positive integer, got 0$"):  # not one series' problem
        local.backtest(df, stride=0)


@pytest.mark.parametrize("name", ["sales", None])
def test_local_models_of_one_series_given_as_a_pandas_series(name):
    # a Series was indexed as a frame: KeyError "None of [Index(['sales'])] are in the [index]"
    y, idx = _series(90, 0)
    s = pd.Series(y, index=idx, name=name)
    local = LocalForecaster(LSTMForecaster(**FAST)).fit(s.iloc[:-6])
    alone = LSTMForecaster(**FAST).fit(s.iloc[:-6])
    assert local.predict().equals(alone.predict()) and list(local.predict().columns) == [name or "y"]
    assert local.update(s.iloc[-6:]).predict().equals(alone.update(s.iloc[-6:]).predict())

def test_dask_local_cluster_equals_the_in_process_results():
    distributed = pytest.importorskip("distributed")
    import dask.dataframe as dd
    import joblib

    from tsgate import dask as tsdask

    df = _long([90, 110, 100, 95])
    est = LSTMForecaster(**FAST)
    serial = LocalForecaster(est).fit(df).predict()
    fc = LSTMForecaster(**FAST).fit(df)
    ddf = dd.from_pandas(df.set_index("unique_id"), npartitions=2, sort=True)
    key = ["unique_id", "ds"]
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl, \
            distributed.Client(cl):
        with joblib.parallel_backend("dask"):
            on_cluster = LocalForecaster(est, n_jobs=-1).fit(df).predict()
        scored = tsdask.predict(fc, ddf).compute()
        banded = tsdask.predict(fc, ddf, coverage=[0.8, 0.95]).compute()
    assert on_cluster.equals(serial)
    assert ddf.npartitions == 2
    scored = scored.sort_values(key).reset_index(drop=True)
    # The same partitions scored in this process give the same bits; the
    # whole panel in one batch agrees to float32 rounding (a GEMM's rounding
    # may depend on the batch's shape, which a partition changes).
    here = tsdask.predict(fc, ddf).compute(scheduler="sync").sort_values(key).reset_index(drop=True)
    assert scored.equals(here)
    expected = fc.predict().sort_values(key).reset_index(drop=True)
    assert scored[key].equals(expected[key])
    assert np.allclose(scored["y"], expected["y"], rtol=1e-6, atol=0)
    banded = banded.sort_values(key).reset_index(drop=True)  # with intervals, on the workers too
    bands = fc.predict_interval([0.8, 0.95]).sort_values(key).reset_index(drop=True)
    assert list(banded.columns) == list(bands.columns) == ["unique_id", "ds", "y", "y_lower_80", "y_upper_80",
                                                           "y_lower_95", "y_upper_95"]
    assert np.allclose(banded.iloc[:, 2:].to_numpy(), bands.iloc[:, 2:].to_numpy(), rtol=1e-6, atol=0)
    with pytest.raises(ValueError, match="coverage must be a number in"):
        tsdask.predict(fc, ddf, coverage=1.5)  # before any work


@pytest.mark.parametrize("layout", ["id column, series split across partitions", "rows shuffled",
                                    "id index, unknown divisions"])
def test_dask_predict_forecasts_each_series_once_from_all_its_rows(layout):
    # Partitions cut by row count split series: each series must still be
    # forecast once, from all its rows (a partition holding half a series
    # would forecast it again from half its history).
    distributed = pytest.importorskip("distributed")
    import dask.dataframe as dd

    from tsgate import dask as tsdask

    df = _long([90, 110, 100, 95])
    fc = LSTMForecaster(**FAST).fit(df)
    if layout.startswith("id column"):
        ddf = dd.from_pandas(df, npartitions=3, sort=False)
    elif layout == "rows shuffled":
        ddf = dd.from_pandas(df.sample(frac=1, random_state=0), npartitions=3, sort=False)
    else:
        ddf = dd.from_pandas(df.set_index("unique_id"), npartitions=3, sort=False)
    key = ["unique_id", "ds"]
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cl, \
            distributed.Client(cl):
        scored = tsdask.predict(fc, ddf).compute().sort_values(key).reset_index(drop=True)
    expected = fc.predict().sort_values(key).reset_index(drop=True)
    assert scored[key].equals(expected[key])  # 4 series x horizon rows, no duplicates
    assert np.allclose(scored["y"], expected["y"], rtol=1e-6, atol=0)


def test_dask_predict_of_a_model_fit_on_a_multiindex_panel():
    # Dask's partitions are long frames (the levels as columns); the forecasts
    # come back long, with the levels' names as the id and time columns
    distributed = pytest.importorskip("distributed")
    import dask.dataframe as dd

    from tsgate import dask as tsdask

    mi = _multi(_long([90, 110]))
    fc = LSTMForecaster(**FAST).fit(mi)
    ddf = dd.from_pandas(mi.reset_index(), npartitions=2, sort=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cl, \
            distributed.Client(cl):
        scored = tsdask.predict(fc, ddf).compute().sort_values(["series", "when"]).reset_index(drop=True)
    expected = fc.predict().reset_index()
    assert list(scored.columns) == ["series", "when", "y"]
    assert scored[["series", "when"]].equals(expected[["series", "when"]])
    assert np.allclose(scored["y"], expected["y"], rtol=1e-6, atol=0)


@pytest.mark.parametrize("layout", ["timestamps", "steps", "int ids", "category ids"])
def test_dask_predicts_declared_columns_are_those_it_computes(layout):
    # Dask trusts the declared (meta) dtypes: they said object ids and nanosecond times where pandas 3 computes
    # str ids and the data's unit (microseconds from date_range)
    pytest.importorskip("distributed")
    import dask.dataframe as dd

    from tsgate import dask as tsdask

    df = _long([90, 110])
    if layout == "steps":  # integer time steps per series
        df["ds"] = df.groupby("unique_id").cumcount()
    df["unique_id"] = df["unique_id"].map({"s0": 7, "s1": 9}) if layout == "int ids" else \
        df["unique_id"].astype("category") if layout == "category ids" else df["unique_id"]
    fc = LSTMForecaster(**FAST).fit(df)
    lazy = tsdask.predict(fc, dd.from_pandas(df, npartitions=2), coverage=0.8)
    done = lazy.compute(scheduler="sync")
    assert lazy.dtypes.to_dict() == done.dtypes.to_dict() and len(done) == 2 * FAST["horizon"]
    assert done.dtypes.to_dict() == fc.predict_interval(0.8).dtypes.to_dict()  # as in memory
    assert done["ds"].dtype.kind == ("i" if layout == "steps" else "M")


def test_dask_predict_names_what_it_cannot_forecast_before_any_work():
    # A pandas frame or None was "'DataFrame' object has no attribute 'shuffle'", a frame without
    # the id column a KeyError from a worker (a RangeIndex has known divisions, so it was taken for
    # the ids), an unfitted model "fit on 'nothing' data"
    pytest.importorskip("distributed")
    import dask.dataframe as dd
    from sklearn.exceptions import NotFittedError

    from tsgate import dask as tsdask

    df = _long([90, 110])
    fc = LSTMForecaster(**FAST).fit(df)
    with pytest.raises(ParameterError, match=r"needs a dask.dataframe.DataFrame, got DataFrame \(fc.predict reads"):
        tsdask.predict(fc, df)
    with pytest.raises(ParameterError, match="needs a dask.dataframe.DataFrame, got NoneType$"):
        tsdask.predict(fc, None)
    ddf = dd.from_pandas(df, npartitions=2)
    with pytest.raises(DataError, match=r"has no series id id_col 'unique_id', as a column or the index; columns: "
                                        r"\['ds', 'y'\]"):
        tsdask.predict(fc, dd.from_pandas(df.drop(columns="unique_id"), npartitions=2))
    with pytest.raises(NotFittedError):
        tsdask.predict(LSTMForecaster(), ddf)
    with pytest.raises(ParameterError, match="needs a global network forecaster .* got BaselineForecaster"):
        tsdask.predict(BaselineForecaster("naive", horizon=3).fit(df[df.unique_id == "s0"].set_index("ds")["y"]), ddf)


def test_a_known_series_with_too_few_rows_is_told_the_rows_its_forecaster_reads():
    # on_series (each Dask partition's forecast): a series the network forecasts needs the lookback,
    # one its own baseline forecasts the rows that baseline reads (it was told the lookback too)
    from tsgate import fallback

    df = _long([90, 110])
    fc = LSTMForecaster(**FAST).fit(df)
    with pytest.raises(DataError, match=r"^X needs at least 24 rows \(the lookback\) of series \['s0', 's1'\]$"):
        fc.on_series(df.groupby("unique_id").tail(10))
    fc.fallback_ = {"s1": ["ar", 0.0, 0.5, 0.2]}  # s1 handed to an AR(3), as a fit does it
    need = fallback.rows_read(fc.fallback_["s1"])
    with pytest.raises(DataError, match=rf"^X needs at least 24 rows \(the lookback\) of series \['s0'\]; and at "
                                        rf"least {need} rows of series 's1' \(what its own baseline reads\)$"):
        fc.on_series(df.groupby("unique_id").tail(need - 1))


def test_cli_forecasts_every_series_of_a_long_file(tmp_path):
    from click.testing import CliRunner

    from tsgate.cli import main

    df = _long([80, 60, 70], id_col="store_item").rename(columns={"ds": "date", "y": "sales"})
    df["date"] = df["date"].dt.strftime("%Y-%m-%d")
    path = tmp_path / "long.csv"
    df.to_csv(path, index=False)
    opts = ["--id-col", "store_item", "--horizon", "3", "--epochs", "5", "--hidden-size", "8"]
    r = CliRunner().invoke(main, ["forecast", str(path), *opts])
    assert r.exit_code == 0, r.stderr
    out = pd.read_csv(__import__("io").StringIO(r.stdout))
    assert list(out.columns) == ["store_item", "date", "sales", "sales_lower", "sales_upper"]
    assert out.groupby("store_item").size().to_dict() == {"s0": 3, "s1": 3, "s2": 3}
    assert r.stderr.count("forecast: 3/3 series") == 1 and "forecast: 1/3" not in r.stderr  # a file: the last line only
    r = CliRunner().invoke(main, ["backtest", str(path), *opts, "--folds", "2", "--json"])
    assert r.exit_code == 0, r.stderr
    assert {rec["model"] for rec in __import__("json").loads(r.stdout)} == {"tsgate", "seasonal_naive"}
    if __import__("importlib").util.find_spec("matplotlib"):  # one panel per series (it was an error)
        r = CliRunner().invoke(main, ["forecast", str(path), *opts, "--plot", str(tmp_path / "p.png")])
        assert r.exit_code == 0 and (tmp_path / "p.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", r.stderr
    r = CliRunner().invoke(main, ["forecast", str(path), *opts, "--model", "naive"])  # a baseline per series
    assert r.exit_code == 0, r.stderr
    out = pd.read_csv(__import__("io").StringIO(r.stdout))
    last = df.groupby("store_item")["sales"].last()
    assert np.allclose(out["sales"], out["store_item"].map(last)) and out["store_item"].nunique() == 3
    assert "3 series, each forecast by its own baseline (naive: 3): horizon=3" in r.stderr, r.stderr
    model = tmp_path / "m.tsgate"
    r = CliRunner().invoke(main, ["fit", str(path), *opts, "--model", "best_baseline", "--save-model", str(model)])
    assert r.exit_code == 0 and "3 series, each forecast by its best baseline by MAE from its last origins (" \
        in r.stderr, r.stderr
    again = CliRunner().invoke(main, ["predict", str(model)])  # the model file reads back: the same forecasts
    chosen = LocalForecaster(BaselineForecaster("auto", horizon=3, target="sales"),
                                    id_col="store_item").fit(df.assign(date=pd.to_datetime(df["date"])).set_index("date"))
    expected = chosen.predict()
    assert again.exit_code == 0 and np.allclose(pd.read_csv(__import__("io").StringIO(again.stdout))["sales"],
                                                expected["sales"]), again.stderr
    r = CliRunner().invoke(main, ["backtest", str(path), *opts, "--model", "naive", "--folds", "2", "--json"])
    assert r.exit_code == 0, r.stderr  # a baseline per series, the folds pooled (it was an error)
    table = pd.DataFrame(__import__("json").loads(r.stdout))
    pooled = backtest(LocalForecaster(BaselineForecaster("naive", horizon=3, target="sales"), id_col="store_item"),
                      df.assign(date=pd.to_datetime(df["date"])).set_index("date"), folds=2)
    assert list(table["model"]) == ["naive", "seasonal_naive"] * 2 and np.allclose(table["MAE"], pooled["MAE"])


def test_a_long_forecast_is_plotted_one_panel_per_series():
    pytest.importorskip("matplotlib")
    from tsgate.plot import MAX_PANELS, plot_forecast

    df = _long([40 + k for k in range(MAX_PANELS + 1)])
    fc = LSTMForecaster(**FAST).fit(df)
    band = fc.predict_interval([0.8, 0.95])
    fig = plot_forecast(df, band, id_col="unique_id", last=24)
    drawn = [ax for ax in fig.axes if ax.get_visible() and ax.axison]
    assert len(drawn) == MAX_PANELS and drawn[0].get_title() == "s0" and drawn[-1].get_title() == "s11"
    assert fig._suptitle.get_text() == f"tsgate forecast of y ({MAX_PANELS} of {MAX_PANELS + 1} series)"
    first = drawn[0]
    assert len(first.lines) == 2 and len(first.collections) == 2  # history and forecast; two bands
    assert len(first.lines[0].get_xdata()) == 24 and first.lines[1].get_ydata() == pytest.approx(
        band.loc[band.unique_id == "s0", "y"].to_numpy())
    numbered = df.assign(unique_id=df["unique_id"].str[1:].astype(int)).query("unique_id < 2")
    fig = plot_forecast(numbered, LSTMForecaster(**FAST).fit(numbered).predict(), id_col="unique_id")
    assert [ax.get_title() for ax in fig.axes] == ["unique_id 0", "unique_id 1"]
    __import__("matplotlib.pyplot").pyplot.close("all")

def test_tsgate_predict_new_series_forecasts_series_the_model_was_not_fit_on(tmp_path):
    from click.testing import CliRunner

    from tsgate import load as load_model
    from tsgate.cli import main

    df = _long([80, 60, 70]).rename(columns={"ds": "date"})
    df["date"] = df["date"].dt.strftime("%Y-%m-%d")
    df[df.unique_id != "s2"].to_csv(tmp_path / "two.csv", index=False)
    df.to_csv(tmp_path / "three.csv", index=False)
    model = str(tmp_path / "m.tsgate")
    fit = ["fit", str(tmp_path / "two.csv"), "--id-col", "unique_id", "--horizon", "3", "--epochs", "5",
           "--hidden-size", "8", "--save-model", model, "--quiet"]
    assert CliRunner().invoke(main, fit).exit_code == 0

    def refused(name, message):  # without --new-series: one line saying how
        r = CliRunner().invoke(main, ["predict", model, "--input", str(tmp_path / name)])
        assert r.exit_code == 2 and r.stderr.strip().endswith(
            f"{message}; to forecast series it was not fit on, from their own history, use --new-series"), r.stderr
        r = CliRunner().invoke(main, ["predict", model, "--input", str(tmp_path / name), "--new-series"])
        assert r.exit_code == 0, r.stderr
        return r.stdout

    out = pd.read_csv(__import__("io").StringIO(refused("three.csv", "unknown series ['s2']: the model was fit on "
                                                                     "2 series")))
    three = df.assign(date=pd.to_datetime(df["date"]))
    want = load_model(model).set_params(time_col="date").on_series(three).predict_interval(0.9)
    assert out["unique_id"].tolist() == want["unique_id"].tolist() == ["s0"] * 3 + ["s1"] * 3 + ["s2"] * 3
    assert np.allclose(out["y"], want["y"], rtol=1e-9) and np.allclose(out["y_upper"], want["y_upper"], rtol=1e-9)
    r = CliRunner().invoke(main, ["predict", model, "--new-series"])
    assert r.exit_code == 2 and "--new-series needs --input" in r.stderr
    one = df[df.unique_id == "s0"].drop(columns="unique_id")  # a file of one series, and one named otherwise
    one.to_csv(tmp_path / "one.csv", index=False)
    one.rename(columns={"y": "z"}).to_csv(tmp_path / "other.csv", index=False)
    fit[1], fit[2:4] = str(tmp_path / "one.csv"), ["--target", "y"]
    assert CliRunner().invoke(main, fit).exit_code == 0
    out = refused("other.csv", "other.csv has no column 'y', a series the model was fit on; columns: ['z']")
    assert out.splitlines()[0] == "date,z,z_lower,z_upper", out

def test_the_pooled_ar_fit_does_not_materialise_the_lag_matrix():
    """AR(p) by AIC over a big panel (the highway's start): memory does not grow with
    rows x order; a (2,000,000 x 24) lag matrix alone would take 384 MB."""
    import tracemalloc

    from tsgate.baselines import AR

    rng = np.random.default_rng(0)
    series = [np.cumsum(rng.standard_normal(200_000)) * 0.01 + rng.standard_normal(200_000) for _ in range(10)]
    tracemalloc.start()
    ar = AR(24).fit(series)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 60e6, peak
    x = series[0][:5000]
    small = AR(3).fit(x)
    p = small.order_  # all orders are fit on the rows after the largest (3)
    Z = np.column_stack([np.ones(5000 - 3)] + [x[3 - j - 1:5000 - j - 1] for j in range(p)])
    ref = np.linalg.lstsq(Z, x[3:], rcond=None)[0]  # the normal equations give least squares
    assert np.allclose([small.intercept_, *small.coef_], ref, rtol=1e-6, atol=1e-8) and ar.order_ >= 1


def _panels_equal(a, b):
    assert (a.freq, a.form, a.target, a.past_names, a.future_names, a.id_col, a.time_name) == \
        (b.freq, b.form, b.target, b.past_names, b.future_names, b.id_col, b.time_name)
    assert [s.id for s in a.series] == [s.id for s in b.series]
    for s, t in zip(a.series, b.series):
        assert s.index.equals(t.index) and s.index.name == t.index.name and s.index.dtype == t.index.dtype
        assert getattr(s.index, "freq", None) == getattr(t.index, "freq", None)
        for x, z in ((s.y, t.y), (s.past, t.past), (s.future, t.future)):
            assert x.shape == z.shape and np.array_equal(x, z)


@pytest.mark.parametrize("case", ["hourly", "integer", "index", "covariates"])
def test_the_whole_column_reader_equals_the_per_series_reader(case):
    from tsgate.panel import _long, _long_fast

    rng = np.random.default_rng(0)
    parts = []
    for s, n in enumerate([50, 30, 41]):
        t = pd.date_range("2024-01-01", periods=n, freq="h") + pd.Timedelta(hours=5 * s)
        parts.append(pd.DataFrame({"store": f"s{s}", "when": t, "y": rng.standard_normal(n),
                                   "promo": rng.standard_normal(n), "temp": rng.standard_normal(n)}))
    df = pd.concat(parts, ignore_index=True).sample(frac=1.0, random_state=1)  # rows in any order
    early = df.store.eq("s1") & (df.when < df.loc[df.store == "s1", "when"].min() + pd.Timedelta(hours=4))
    df.loc[early, "y"] = np.nan  # s1 starts 4 steps later: leading missing values are not data
    kw = dict(id_col="store", time_col="when", target=None, future_covariates=None, strategy="direct", fill=None)
    if case in ("hourly", "integer", "index"):
        df = df.drop(columns=["promo", "temp"])
    if case == "integer":
        df["when"] = (df["when"] - pd.Timestamp("2024-01-01")) // pd.Timedelta(hours=1)
    if case == "index":
        df = df.set_index("when")
        kw["time_col"] = None
    if case == "covariates":
        kw["future_covariates"] = ["promo"]
    fast = _long_fast(df, **{k: v for k, v in kw.items()})
    assert fast is not None
    _panels_equal(fast, _long(df, **kw, fast=False))
    broken = df.copy()
    broken.loc[broken.index[broken.store == "s0"][-1], "y"] = np.nan  # a gap or end: the per-series path words it
    assert _long_fast(broken, **kw) is None


@pytest.mark.parametrize("kind", ["plain", "ets", "stateful"])
def test_update_that_fails_on_one_series_changes_no_series(kind):
    # Every series is checked before any origin or carried state moves: a
    # gap (or too few rows) in the second series leaves the first untouched.
    rng = np.random.default_rng(0)
    t = np.arange(140)
    long = pd.concat([pd.DataFrame({"unique_id": sid, "ds": pd.date_range("2000-01-01", periods=140, freq="MS"),
                                    "y": 50 + 0.3 * t + 5 * np.sin(2 * np.pi * t / 12) + rng.standard_normal(140)})
                      for sid in ("a", "b")], ignore_index=True)
    extra = {"plain": {}, "ets": {"window_norm": "ets"}, "stateful": {"stateful": True, "tbptt": 20}}[kind]
    fc = LSTMForecaster(horizon=3, max_epochs=2, random_state=0, **extra).fit(long[long.ds < "2010-01-01"])
    before = fc.predict()
    arrays = {k: getattr(fc, k).copy() for k in ("last_targets_", "es_state_") if hasattr(fc, k)}
    states = [[s.copy() for s in per] for per in np.asarray(fc.states_, dtype=object)] if kind == "stateful" else []
    a = long[(long.unique_id == "a") & (long.ds < "2010-07-01")]
    b = long[(long.unique_id == "b") & (long.ds >= "2010-03-01") & (long.ds < "2010-07-01")]  # a gap; short
    with pytest.raises(DataError, match="series 'b'"):
        fc.update(pd.concat([a, b]))
    pd.testing.assert_frame_equal(fc.predict(), before)
    assert all(np.array_equal(getattr(fc, k), v) for k, v in arrays.items())
    assert list(fc.cutoffs_) == [pd.Timestamp("2009-12-01")] * 2
    for per, kept in zip(fc.states_ if kind == "stateful" else [], states):
        assert all(np.array_equal(s, k) for s, k in zip(per, kept))


def test_update_with_a_series_shorter_than_the_lookback_names_it():
    # two rows of series s1 that leave a gap after its data: neither the rows
    # that follow it nor a lookback of rows (and one or two rows are read on the
    # fit's time step, not refused as too few to infer one)
    df = _long([60, 60])  # both series end at 2024-12-01
    fc = LSTMForecaster(**FAST).fit(df[df.ds < "2024-10-01"])
    newer = pd.concat([df[df.unique_id == "s0"], df[df.unique_id == "s1"].iloc[-2:]])
    with pytest.raises(DataError, match=r"X holds 2 rows of series 's1' from 2024-11-01: give the rows that follow "
                                        rf"its data \(from 2024-10-01\), or at least {fc.lookback_} rows "
                                        r"\(the lookback\)"):
        fc.update(newer)


def _multi(df, names=("series", "when")):
    """A long frame as sktime's panel: (series, time) on a MultiIndex."""
    return df.set_index(["unique_id", "ds"]).rename_axis(list(names))


def test_a_multiindex_panel_forecasts_as_its_long_frame_and_answers_in_its_form(tmp_path):
    # sktime's panel form: the levels are the series and the time; forecasts,
    # bands, a subset, update and the model file come back on the same levels
    df = _long([80, 70, 90])
    mi = _multi(df)
    long_fc, fc = LSTMForecaster(**FAST).fit(df), LSTMForecaster(**FAST).fit(mi)
    out, ref = fc.predict(), long_fc.predict()
    assert isinstance(out.index, pd.MultiIndex) and out.index.names == ["series", "when"]
    assert list(out.columns) == ["y"] and np.array_equal(out["y"].to_numpy(), ref["y"].to_numpy())
    assert np.array_equal(out.index.get_level_values("when"), ref["ds"].to_numpy())
    assert list(out.index.get_level_values("series").unique()) == ["s0", "s1", "s2"]
    assert np.array_equal(fc.predict_interval(0.9).to_numpy(), long_fc.predict_interval(0.9).iloc[:, 2:].to_numpy())
    assert list(fc.predict(ids=["s2"]).index.get_level_values(0).unique()) == ["s2"]
    assert np.array_equal(LSTMForecaster(**FAST).fit(mi["y"]).predict()["y"].to_numpy(), ref["y"].to_numpy())
    back = load(fc.save(tmp_path / "m.tsgate"))
    assert back.predict().equals(out)
    newer = _long([85, 75, 95])  # five more rows of each series
    fc.update(_multi(newer))
    long_fc.update(newer)
    assert np.array_equal(fc.predict()["y"].to_numpy(), long_fc.predict()["y"].to_numpy())
    later = _long([95, 85, 105])
    hf, hf_long = fc.historical_forecasts(_multi(later)), long_fc.historical_forecasts(later)
    assert list(hf.columns[:3]) == ["series", "cutoff", "when"] and len(hf) == len(hf_long) > 0
    assert np.array_equal(hf["forecast"].to_numpy(), hf_long["forecast"].to_numpy())
    # the levels are positional (sktime): newer data on differently named levels is read the same
    # (it was "leave id_col and time_col unset", which the user had done); outputs keep the fit's names
    renamed = _multi(later).rename_axis(["store", "ds"])
    assert fc.historical_forecasts(renamed).equals(hf)
    assert fc.update(renamed).predict().equals(fc.update(_multi(later)).predict())
    assert long_fc.update(renamed).predict().equals(long_fc.update(later).predict())  # fit on the long frame


def test_multiindex_levels_periods_unnamed_covariates_and_local_models():
    df = _long([60, 60])
    periods = _multi(df)
    periods.index = periods.index.set_levels(periods.index.levels[1].to_period("M"), level=1)
    out = LSTMForecaster(**FAST).fit(periods).predict()
    assert isinstance(out.index.levels[1], pd.PeriodIndex) and str(out.index[0][1]) == "2025-01"
    unnamed = LSTMForecaster(**FAST).fit(_multi(df, (None, None))).predict()
    assert unnamed.index.names == [None, None] and np.array_equal(unnamed["y"], out["y"])
    # a known-future covariate, given for the horizon on the same MultiIndex
    df["promo"] = (np.arange(len(df)) % 5 == 0).astype(float)
    future = _long([63, 63]).assign(promo=1.0).groupby("unique_id").tail(3).drop(columns="y")
    fc = LSTMForecaster(**FAST, future_covariates=["promo"]).fit(_multi(df))
    by_long = LSTMForecaster(**FAST, future_covariates=["promo"]).fit(df).predict(X=future)
    assert np.array_equal(fc.predict(X=_multi(future))["y"].to_numpy(), by_long["y"].to_numpy())
    local = LocalForecaster(LSTMForecaster(**FAST)).fit(_multi(df.drop(columns="promo")))
    band = local.predict_interval(0.9)
    assert band.index.names == ["series", "when"] and list(band.columns) == ["y", "y_lower", "y_upper"]
    assert list(band.index.get_level_values(0).unique()) == ["s0", "s1"]


def test_integer_series_ids_are_named_as_the_user_wrote_them():
    # the whole-column reader used to keep NumPy scalars: messages said "series np.int64(0)"
    df = _long([60, 60])
    df["unique_id"] = df["unique_id"].str[1:].astype(int)
    df["ds"] = np.tile(pd.date_range("2020-01-01", periods=60, freq="D"), 2)  # a fixed step: the fast reader
    fc = LSTMForecaster(**FAST).fit(df)
    assert fc.ids_ == [0, 1] and all(type(i) is int for i in fc.ids_)
    with pytest.raises(DataError, match=r"; series 0 starts at 2020-01-01"):
        fc.score(df)


def test_integer_column_names_come_back_as_integers(tmp_path):
    # the point forecast's column was built as name + '': column 0 came back as '0'
    y, idx = _series(80, 0)
    wide = pd.DataFrame({0: y, 1: _series(80, 1)[0]}, index=idx)
    fc = LSTMForecaster(**FAST, target=[0, 1]).fit(wide)
    assert list(fc.predict().columns) == [0, 1]
    band = fc.predict_interval(0.9)
    assert list(band.columns) == [0, "0_lower", "0_upper", 1, "1_lower", "1_upper"]
    fc.save(tmp_path / "m.tsgate")
    assert load(tmp_path / "m.tsgate").predict().equals(fc.predict())
    long = pd.DataFrame({"unique_id": "a", "ds": idx, 7: y})
    fc = LSTMForecaster(**FAST, target=7).fit(long)
    assert list(fc.predict().columns) == ["unique_id", "ds", 7]

def test_a_multiindex_that_is_not_a_series_by_time_panel_is_named():
    mi = _multi(_long([40, 40]))
    three = mi.assign(k=1).set_index("k", append=True)
    with pytest.raises(DataError, match=r"X has a MultiIndex of 3 levels \['series', 'when', 'k'\]; a panel needs "
                                        r"two, \(series, time\)"):
        LSTMForecaster(**FAST).fit(three)
    with pytest.raises(DataError, match=r"X is a panel on a MultiIndex \['series', 'when'\].*leave id_col and "
                                        r"time_col unset"):
        LSTMForecaster(**FAST, id_col="store").fit(mi)
    with pytest.raises(DataError, match=r"X has a column 'when' named like a level of its MultiIndex"):
        LSTMForecaster(**FAST).fit(mi.assign(when=1.0))
    # a panel as fit's y (the X, y form is for one frame of series and covariates): how to pass it
    with pytest.raises(DataError, match=r"y needs a DatetimeIndex.*got MultiIndex \(levels \['series', 'when'\], a "
                                        r"panel of series by time\?\): pass the panel as fit's X, on this MultiIndex "
                                        r"or as the long frame y.reset_index\(\) with id_col='series', time_col='when'"):
        LSTMForecaster(**FAST).fit(None, mi["y"])
