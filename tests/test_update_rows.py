"""update() with the new rows alone (sktime's convention): the model keeps each
series' last lookback rows, so one new row moves the origin as the whole
history would."""

import copy
import warnings

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from tsgate import GRUForecaster, LSTMForecaster, load
from tsgate.cli import main
from tsgate.errors import DataError

FAST = dict(horizon=3, max_epochs=4, hidden_size=8, random_state=0)


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _frame(n=90, freq="MS", start="2000-01-01"):
    rng = np.random.default_rng(0)
    t = np.arange(n)
    return pd.DataFrame({"y": 10 + np.sin(2 * np.pi * t / 12) + 0.2 * rng.standard_normal(n),
                         "temp": np.cos(2 * np.pi * t / 12) + 0.1 * rng.standard_normal(n)},
                        index=pd.date_range(start, periods=n, freq=freq))


def _long(df, ids=("a", "b")):
    parts = [df.assign(y=df["y"] * (k + 1)).rename_axis("ds").reset_index().assign(unique_id=s)
             for k, s in enumerate(ids)]
    return pd.concat(parts, ignore_index=True)[["unique_id", "ds", "y", "temp"]]


def _same(fc_a, fc_b):
    a, b = fc_a.predict_interval(coverage=0.9), fc_b.predict_interval(coverage=0.9)
    for key in (a if isinstance(a, dict) else [None]):  # a dict of frames by series id, or one frame
        pd.testing.assert_frame_equal(a[key] if key is not None else a, b[key] if key is not None else b)


def _twins(make, train):
    a = make().fit(train)
    return a, copy.deepcopy(a)


@pytest.mark.parametrize("settings", [{}, {"window_norm": "ets"}, {"stateful": True, "tbptt": 10}],
                         ids=["default", "ets", "stateful"])
def test_new_rows_alone_move_the_origin_as_the_whole_history_does(settings):
    df = _frame()
    whole, alone = _twins(lambda: LSTMForecaster(target="y", **FAST, **settings), df.iloc[:70])
    whole.update(df.iloc[:71])
    alone.update(df.iloc[70:71])  # one row
    assert alone.cutoff_ == df.index[70]
    _same(whole, alone)
    whole.update(df.iloc[:75])
    alone.update(df.iloc[71:75])  # then four
    _same(whole, alone)
    for attr in ("last_targets_", "last_past_", "target_range_"):
        np.testing.assert_array_equal(getattr(whole, attr), getattr(alone, attr))
    for per_whole, per_alone in zip(getattr(whole, "states_", []), getattr(alone, "states_", [])):
        for s, t in zip(per_whole, per_alone):
            np.testing.assert_array_equal(s, t)  # the carried state read the same rows
    if "window_norm" in settings:
        np.testing.assert_array_equal(whole.es_state_, alone.es_state_)


def test_new_rows_alone_in_each_panel_form():
    df = _frame()
    long = _long(df)
    cut = df.index[70]
    forms = {
        "long": (long, lambda d: d),
        "multiindex": (long, lambda d: d.set_index(["unique_id", "ds"])),
        "dict": (long, lambda d: {s: g.drop(columns="unique_id").set_index("ds") for s, g in d.groupby("unique_id")}),
    }
    for name, (data, form) in forms.items():
        whole, alone = _twins(lambda: GRUForecaster(target="y", **FAST), form(data[data.ds < cut]))
        whole.update(form(data[data.ds <= cut]))
        alone.update(form(data[data.ds == cut]))  # one row per series: too few to infer the step from
        _same(whole, alone)
        assert list(alone.cutoffs_) == [cut, cut], name


def test_rows_it_repeats_take_their_new_values():
    # revised data: the last two stored rows come again with new values, and one new row
    df = _frame()
    revised = df.copy()
    revised.iloc[68:70, 0] += 3.0
    whole, alone = _twins(lambda: LSTMForecaster(target="y", **FAST), df.iloc[:70])
    whole.update(revised.iloc[:71])
    alone.update(revised.iloc[68:71])
    _same(whole, alone)
    assert alone.last_targets_[-2, 0] == revised["y"].iloc[69]


def test_future_covariates_come_with_the_new_rows_and_after_a_saved_model(tmp_path):
    df = _frame()
    fc = LSTMForecaster(target="y", future_covariates=["temp"], **FAST).fit(df.iloc[:70])
    fc.save(tmp_path / "m.tsgate")
    whole, alone = fc, load(tmp_path / "m.tsgate")  # the stored rows travel in the model file
    whole.update(df.iloc[:72])
    alone.update(df.iloc[70:72])
    future = df[["temp"]].iloc[72:75]
    pd.testing.assert_frame_equal(whole.predict(X=future), alone.predict(X=future))


def test_an_integer_index_and_a_score_of_one_row():
    df = _frame().reset_index(drop=True)
    whole, alone = _twins(lambda: LSTMForecaster(target="y", **FAST), df.iloc[:70])
    whole.update(df.iloc[:71])
    alone.update(df.iloc[70:71])
    _same(whole, alone)
    long = _long(_frame())
    fc = GRUForecaster(**FAST).fit(long[long.ds < "2005-11-01"])
    one = long[long.ds == "2005-11-01"]  # one row per series
    first = fc.predict()
    expected = -np.mean(np.abs(first.groupby("unique_id")["y"].first().to_numpy() - one["y"].to_numpy()))
    assert fc.score(one) == pytest.approx(expected)


def test_rows_off_the_time_step_or_after_a_gap_are_refused_and_change_nothing():
    df = _frame(n=90, freq="D")
    fc = LSTMForecaster(target="y", **FAST).fit(df.iloc[:70])
    before = fc.predict()
    two = df.iloc[[70, 72]]
    two.index = pd.DatetimeIndex(list(two.index))  # as read from a file: no frequency set
    with pytest.raises(DataError, match=r"X: its 2 rows \(2000-03-11, 2000-03-13\) are not consecutive steps "
                                        r"of the data's frequency D"):
        fc.update(two)
    with pytest.raises(DataError, match=r"X holds 1 row of series 'y' from 2000-03-13: give the rows that follow "
                                        r"its data \(from 2000-03-11\)"):
        fc.update(df.iloc[72:73])
    monthly = LSTMForecaster(target="y", **FAST).fit(_frame().iloc[:70])
    with pytest.raises(DataError, match="not consecutive steps of the data's frequency MS"):
        monthly.update(pd.DataFrame({"y": [1.0], "temp": [0.0]}, index=pd.DatetimeIndex(["2005-11-15"])))  # off-grid
    pd.testing.assert_frame_equal(fc.predict(), before)
    # the target alone as a Series, for a model that reads a covariate: NumPy's "all the input array
    # dimensions except for the concatenation axis must match exactly"; now the covariate it lacks
    for series in (df["y"].iloc[70:73], df["y"].iloc[70:73].rename(None)):
        with pytest.raises(DataError, match=r"^X has no column 'temp', a past covariate the model reads; columns: "
                                            r"\['y'\]$"):
            fc.update(series)
    pd.testing.assert_frame_equal(fc.predict(), before)


def test_cli_predict_after_one_new_row(tmp_path):
    df = _frame()[["y"]].rename_axis("date").reset_index()
    df.iloc[:70].to_csv(tmp_path / "fit.csv", index=False)
    df.iloc[70:71].to_csv(tmp_path / "new.csv", index=False)
    runner = CliRunner()
    r = runner.invoke(main, ["fit", str(tmp_path / "fit.csv"), "--save-model", str(tmp_path / "m.tsgate"),
                             "--horizon", "3", "--epochs", "4", "--hidden-size", "8", "--quiet"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(main, ["predict", str(tmp_path / "m.tsgate"), "--input", str(tmp_path / "new.csv"), "--json"])
    assert r.exit_code == 0, r.output
    assert "2005-12-01" in r.output and "2005-11-01" not in r.output  # the forecast starts after the new row


def test_future_covariates_of_one_or_two_rows_from_a_file():
    # horizon 1 or 2: the covariates' frame has too few rows to infer the step; the fit's is used
    df = _frame(n=80, freq="D")
    fc = LSTMForecaster(target="y", future_covariates=["temp"], **{**FAST, "horizon": 2}).fit(df.iloc[:70])
    future = df[["temp"]].iloc[70:72]
    expected = fc.predict(X=future)  # sliced: the index keeps its frequency
    future.index = pd.DatetimeIndex(list(future.index))  # as read from a file: none
    pd.testing.assert_frame_equal(fc.predict(X=future), expected)
    long = _long(df)
    fl = GRUForecaster(target="y", future_covariates=["temp"], **{**FAST, "horizon": 1})
    fl.fit(long[long.ds < df.index[70]])
    one = long[long.ds == df.index[70]][["unique_id", "ds", "temp"]]
    assert fl.predict(X=one)["ds"].tolist() == [df.index[70]] * 2


@pytest.mark.parametrize("method", ["drift", "ar", "holt_winters", "seasonal_naive"])
def test_a_baseline_appends_the_new_rows(method):
    from tsgate import BaselineForecaster

    df = _frame()[["y"]]
    whole = BaselineForecaster(method=method, horizon=3).fit(df.iloc[:70])
    alone = copy.deepcopy(whole)
    whole.update(df.iloc[:72])
    alone.update(df.iloc[70:72])  # two rows: the step is the fit's
    _same(whole, alone)
    np.testing.assert_array_equal(whole.y_, alone.y_)


def test_a_revision_inside_the_stored_rows_keeps_the_origin():
    df = _frame()
    revised = df.copy()
    revised.iloc[60:62, 0] -= 2.0
    whole, alone = _twins(lambda: LSTMForecaster(target="y", **FAST), df.iloc[:70])
    whole.update(revised.iloc[:70])
    alone.update(revised.iloc[60:62])  # two revised rows, none new
    assert alone.cutoff_ == df.index[69]
    _same(whole, alone)
    assert not np.array_equal(whole.predict(), LSTMForecaster(target="y", **FAST).fit(df.iloc[:70]).predict())


def test_local_models_update_with_new_rows_and_round_trip_a_model_file(tmp_path):
    from tsgate import LocalForecaster

    long = _long(_frame())
    cut = pd.Timestamp("2005-11-01")
    fc = LocalForecaster(LSTMForecaster(target="y", **FAST)).fit(long[long.ds < cut])
    fc.save(tmp_path / "local.tsgate")
    loaded = load(tmp_path / "local.tsgate")
    assert type(loaded) is LocalForecaster and list(loaded.estimators_) == ["a", "b"]
    pd.testing.assert_frame_equal(loaded.predict_interval(coverage=0.9), fc.predict_interval(coverage=0.9))
    assert loaded.get_params()["estimator"].get_params() == fc.get_params()["estimator"].get_params()
    whole = copy.deepcopy(fc).update(long[long.ds <= cut])
    loaded.update(long[long.ds == cut])  # one new row per series, after the model file
    pd.testing.assert_frame_equal(loaded.predict(), whole.predict())
    assert loaded.predict()["ds"].iloc[0] == pd.Timestamp("2005-12-01")
    before = loaded.predict()
    with pytest.raises(DataError, match=r"unknown series \['zz'\]"):
        loaded.update(pd.concat([long[long.ds == cut], long[long.ds == cut].assign(unique_id="zz")]))
    with pytest.raises(DataError, match="is a wide panel; the model was fit on a long one"):
        loaded.update(_frame())
    pd.testing.assert_frame_equal(loaded.predict(), before)  # nothing moved


def test_local_baselines_on_a_wide_frame_through_the_cli(tmp_path):
    from tsgate import BaselineForecaster, LocalForecaster

    df = _frame()
    wide = pd.DataFrame({"a": df["y"], "b": 2 * df["temp"] + 5}).rename_axis("date")
    fc = LocalForecaster(BaselineForecaster(method="ar", horizon=3)).fit(wide.iloc[:70])
    fc.save(tmp_path / "local.tsgate")
    wide.iloc[70:71].reset_index().to_csv(tmp_path / "new.csv", index=False)
    r = CliRunner().invoke(main, ["predict", str(tmp_path / "local.tsgate"), "--input", str(tmp_path / "new.csv"),
                                  "--out", str(tmp_path / "f.csv")])
    assert r.exit_code == 0, r.output
    got = pd.read_csv(tmp_path / "f.csv", index_col=0, parse_dates=True)
    expected = fc.update(wide.iloc[70:71]).predict_interval(coverage=0.9)
    assert got.index[0] == pd.Timestamp("2005-12-01")
    np.testing.assert_allclose(got[expected.columns].to_numpy(), expected.to_numpy(), rtol=1e-6)


def test_cli_predict_after_new_rows_from_a_baseline_model_file(tmp_path):
    # a baseline's model file (no future covariates attribute) with --input
    from tsgate import BaselineForecaster

    df = _frame()[["y"]].rename_axis("date")
    fc = BaselineForecaster(method="seasonal_naive", horizon=3).fit(df.iloc[:70])
    fc.save(tmp_path / "b.tsgate")
    df.iloc[70:72].reset_index().to_csv(tmp_path / "new.csv", index=False)
    r = CliRunner().invoke(main, ["predict", str(tmp_path / "b.tsgate"), "--input", str(tmp_path / "new.csv"),
                                  "--json"])
    assert r.exit_code == 0, r.output
    assert "2006-01-01" in r.output and "2005-12-01" not in r.output


def test_a_baseline_refuses_rows_after_a_gap_and_changes_nothing():
    # one row two months after the data became the baseline's whole history (naive from that one value)
    from tsgate import BaselineForecaster

    df = _frame()[["y"]]
    fc = BaselineForecaster(method="naive", horizon=3).fit(df.iloc[:70])
    before = fc.predict()
    with pytest.raises(DataError, match=r"^X holds 1 row from 2005-12-01: give the rows that follow the data "
                                        r"\(from 2005-11-01\), revised rows, or a whole history from 2000-01-01 or "
                                        r"before$"):
        fc.update(df.iloc[71:72])
    pd.testing.assert_frame_equal(fc.predict(), before)
    fc.update(df.iloc[70:72])  # the rows that follow
    assert fc.cutoff_ == df.index[71]


def test_a_baseline_keeps_the_stored_rows_around_a_revision():
    from tsgate import BaselineForecaster

    df = _frame()[["y"]]
    revised = df.copy()
    revised.iloc[65:67, 0] += 5.0
    fc = BaselineForecaster(method="ar", horizon=3).fit(df.iloc[:70])
    fc.update(revised.iloc[65:67])  # two revised rows: the origin stays
    assert fc.cutoff_ == df.index[69]
    np.testing.assert_array_equal(fc.y_, revised["y"].to_numpy()[:70])
    fc.update(df.iloc[:60])  # a whole history from the start: the origin moves to its end
    assert fc.cutoff_ == df.index[59] and len(fc.y_) == 60


def test_one_period_of_another_frequency_is_refused():
    y = pd.Series(10 + np.sin(np.arange(80) / 2), index=pd.period_range("2000-01", periods=80, freq="M"), name="y")
    fc = LSTMForecaster(**FAST).fit(y.iloc[:70])
    fc.update(y.iloc[70:71])  # one month
    assert fc.predict().index[0] == pd.Period("2005-12", freq="M")
    with pytest.raises(DataError, match="X holds periods of Q-DEC, not of the data's frequency MS"):
        fc.update(pd.Series([1.0], index=pd.PeriodIndex(["2005-12"], freq="Q"), name="y"))


def test_local_models_score_and_search_a_grid():
    from sklearn.model_selection import GridSearchCV

    from tsgate import BaselineForecaster, LocalForecaster

    long = _long(_frame())
    train, test = long[long.ds < "2005-11-01"], long[long.ds >= "2005-11-01"]
    fc = LocalForecaster(BaselineForecaster(method="naive", horizon=3, target="y")).fit(train)
    per_series = [fc.estimators_[s].score(test[test.unique_id == s].drop(columns="unique_id")) for s in ("a", "b")]
    assert fc.score(test) == pytest.approx(np.mean(per_series)) and fc.score(test) < 0
    one = test[test.ds == "2005-11-01"]  # one row per series: the fit's step
    assert fc.score(one) == pytest.approx(-np.mean(np.abs(fc.predict().groupby("unique_id")["y"].first().to_numpy()
                                                          - one["y"].to_numpy())))
    cv = [(np.flatnonzero((long.ds < cut).to_numpy()), np.flatnonzero(((long.ds >= cut) & (long.ds < end)).to_numpy()))
          for cut, end in [("2005-05-01", "2005-08-01"), ("2005-08-01", "2005-11-01")]]
    search = GridSearchCV(LocalForecaster(BaselineForecaster(horizon=3, target="y")),
                          {"estimator__method": ["naive", "seasonal_naive"]}, cv=cv).fit(long)
    assert search.best_params_ == {"estimator__method": "seasonal_naive"}  # the series has a season of 12


def _carried(fc):
    """The carried states of ``fc``: Holt-Winters' (window_norm='ets') or the members' (h, c), flattened."""
    if getattr(fc, "es_model_", None) is not None:
        return fc.es_state_.ravel()
    return np.concatenate([a.ravel() for per in fc.states_ for h, c in per for a in (h, c) if a is not None])


@pytest.mark.parametrize("settings", [{"window_norm": "ets"}, {"stateful": True, "tbptt": 10}],
                         ids=["ets", "stateful"])
def test_a_carried_state_cannot_move_its_origin_back(settings):
    # rows that end before the cutoff, as many as a lookback (two for a stateful model, whose lookback is one
    # row), moved the origin back to their end while the state had read the rows after them: a stateful
    # model forecast from 2005-08 with a state at 2005-10 (a revision of the two rows before the last one)
    df = _frame()
    fc = LSTMForecaster(target="y", **FAST, **settings).fit(df.iloc[:70])
    before = fc.predict()
    stretch = df.iloc[66:68] if settings.get("stateful") else df.iloc[40:68]
    with pytest.raises(DataError, match=r"^X ends at 2005-08-01, before the last row of series 'y' that the model's "
                                        r"carried state has read \(2005-10-01\): its origin cannot move back"):
        fc.update(stretch)
    pd.testing.assert_frame_equal(fc.predict(), before)
    plain = LSTMForecaster(target="y", **FAST).fit(df.iloc[:70]).update(df.iloc[40:68])  # no state: it moves back
    assert plain.cutoff_ == df.index[67]


@pytest.mark.parametrize("settings", [{"window_norm": "ets"}, {"stateful": True, "tbptt": 10}],
                         ids=["ets", "stateful"])
def test_a_carried_state_rereads_the_stored_rows_that_update_revises(settings, tmp_path):
    # The carried state read only rows after the cutoff: a revised stored row
    # changed the stored window but not the state, so the forecast mixed the old
    # and the new values, and a wrong value (1e35) stayed in the state after its
    # correction (AirPassengers, window_norm='ets': a forecast of 2.8e34).
    df = _frame()
    revised = df.copy()
    revised.iloc[69, 0] += 3.0  # the last stored row (the stateful lookback is one row)
    make = lambda: LSTMForecaster(target="y", outliers="keep", **FAST, **settings)  # noqa: E731
    fc, fresh = _twins(make, df.iloc[:70])
    fc.update(revised.iloc[69:70])  # one revised row, none new: the origin stays
    if "window_norm" in settings:  # exactly the state of a run over the revised series from its start
        from tsgate import esnorm

        z = (revised["y"].to_numpy()[:70] - fc.scaling_.t_loc[0]) / fc.scaling_.t_scale[0]
        np.testing.assert_array_equal(fc.es_state_[0], esnorm.end_state(fc.es_model_, z))
    else:  # the state of a cold pass over the revised rows (to float32 rounding: another row blocking)
        rows = fc._step_rows(0, revised["y"].to_numpy()[:70], revised[["temp"]].to_numpy()[:70], revised.index[:70])
        from tsgate.stateful import warm

        np.testing.assert_allclose(fc.states_[0][0][0], warm(fc.models_[0], rows)[0], rtol=1e-5, atol=1e-6)
    assert not np.allclose(_carried(fc), _carried(fresh))
    fc.save(tmp_path / "m.tsgate")
    loaded = load(tmp_path / "m.tsgate")  # the anchors travel in the model file
    for model in (fc, loaded):
        model.update(revised.iloc[70:73])
    _same(fc, loaded)
    np.testing.assert_array_equal(_carried(fc), _carried(loaded))
    bad = revised.iloc[70:74].copy()
    bad.iloc[-1, 0] = 1e35  # refused before the state reads it (it was read: the stateful forecast was 1e35)
    with pytest.raises(DataError, match=r"column 'y' at 2006-02-01: 1e\+35 lies .* spreads from the column's centre"):
        loaded.update(bad)
    _same(fc, loaded)
    bad.iloc[-1, 0] = 30.0  # a wrong value the network can read, then its correction
    loaded.update(bad)
    assert not np.array_equal(_carried(fc), _carried(loaded))
    loaded.update(revised.iloc[73:74])  # as if the wrong value had never come
    fc.update(revised.iloc[70:74])
    _same(fc, loaded)
    np.testing.assert_array_equal(_carried(fc), _carried(loaded))


def test_a_model_file_without_anchors_refuses_a_revision_and_takes_new_rows():
    df = _frame()
    revised = df.copy()
    revised.iloc[69, 0] += 3.0
    fc = LSTMForecaster(target="y", window_norm="ets", **FAST).fit(df.iloc[:70])
    fc.es_anchor_ = None  # as read from a file written before anchors were kept
    before = fc.predict()
    with pytest.raises(DataError, match="series 'y': this model file keeps no state from before its stored rows, "
                                        "so it cannot re-read revised values of them; refit"):
        fc.update(revised.iloc[69:71])
    pd.testing.assert_frame_equal(fc.predict(), before)  # nothing moved
    fc.update(df.iloc[69:71])  # the stored row unchanged, one new row
    assert fc.cutoff_ == df.index[70]
    long = _long(df)
    panel = GRUForecaster(target="y", window_norm="ets", **FAST).fit(long[long.ds < df.index[70]])
    panel.es_anchor_ = None
    before = panel.predict()
    rows = long[long.ds.isin(df.index[69:71])].copy()
    rows.loc[(rows.unique_id == "b") & (rows.ds == df.index[69]), "y"] += 1.0  # series b revises its last row
    with pytest.raises(DataError, match="series 'b': this model file keeps no state"):
        panel.update(rows)
    pd.testing.assert_frame_equal(panel.predict(), before)  # series a did not move either


def test_newer_data_may_hold_columns_the_model_does_not_read(tmp_path):
    # A model fit on 'y' alone, updated with a frame that also holds 'temp': 'temp' became a past covariate it
    # has no weights for (a raw NumPy concatenate error); now only the model's columns are read, in its order,
    # and a covariate the model reads is named where it is missing
    df = _frame(100).assign(flag=True, note="x")
    alone = LSTMForecaster(**FAST).fit(df[["y"]].iloc[:90])
    want = copy.deepcopy(alone).update(df[["y"]].iloc[90:]).predict()
    for extra in (df[["y", "temp"]], df[["temp", "y", "flag"]]):
        pd.testing.assert_frame_equal(copy.deepcopy(alone).update(extra.iloc[90:]).predict(), want)
    both = LSTMForecaster(target="y", **FAST).fit(df[["y", "temp"]].iloc[:90])
    want = copy.deepcopy(both).update(df[["y", "temp"]].iloc[90:]).predict()
    got = copy.deepcopy(both).update(df[["temp", "flag", "y"]].iloc[90:]).predict()
    pd.testing.assert_frame_equal(got, want)
    with pytest.raises(DataError, match=r"^X has no column 'temp', a past covariate the model reads; columns: \['y'\]"):
        both.update(df[["y"]].iloc[90:])
    two = df.assign(temp2=np.sin(np.arange(100.0)))
    three = LSTMForecaster(target="y", **FAST).fit(two[["y", "temp", "temp2"]].iloc[:90])  # reversed: not swapped
    pd.testing.assert_frame_equal(copy.deepcopy(three).update(two[["temp2", "temp", "y"]].iloc[90:]).predict(),
                                  copy.deepcopy(three).update(two[["y", "temp", "temp2"]].iloc[90:]).predict())
    long = _long(df[["y", "temp"]])
    panel = GRUForecaster(**FAST).fit(long[long["ds"] < df.index[90]][["unique_id", "ds", "y"]])
    newer = long[long["ds"] >= df.index[90]]
    pd.testing.assert_frame_equal(copy.deepcopy(panel).update(newer).predict(),
                                  copy.deepcopy(panel).update(newer.drop(columns="temp")).predict())
    path = tmp_path / "newer.csv"
    df.iloc[90:][["y", "temp"]].rename_axis("date").to_csv(path)
    model = alone.save(tmp_path / "m.tsgate")
    r = CliRunner().invoke(main, ["predict", str(model), "--input", str(path)])  # the file's extra column
    assert r.exit_code == 0, r.stderr

