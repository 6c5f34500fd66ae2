"""Series too short for a panel's windows: a local baseline forecasts them (tsgate.short)."""

import warnings

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from tsgate import LSTMForecaster, fallback, load, short
from tsgate.cli import main
from tsgate.errors import DataError

FAST = dict(horizon=6, max_epochs=4, hidden_size=8, random_state=0)


def _series(sid, n, seed, noise=1.0):
    """n monthly values of a yearly wave ending in December 2024."""
    t = np.arange(n)
    y = 100 + 20 * np.sin(2 * np.pi * t / 12) + noise * np.random.default_rng(seed).standard_normal(n)
    return pd.DataFrame({"unique_id": sid, "ds": pd.date_range(end="2024-12-01", periods=n, freq="MS"), "y": y})


def _panel(short_rows=20, noise=0.01):
    return pd.concat([_series("a", 120, 0), _series("b", 96, 1), _series("c", short_rows, 2, noise)],
                     ignore_index=True)


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def test_a_short_series_does_not_cut_the_lookback_of_the_others():
    df = _panel()
    fc = LSTMForecaster(**FAST).fit(df)
    alone = LSTMForecaster(**FAST).fit(df[df.unique_id != "c"])
    assert fc.lookback_ == alone.lookback_ == 24  # two seasons
    assert LSTMForecaster(**FAST, on_short="raise").fit(df).lookback_ == 7  # as before: the shortest series' (20 rows)
    # the network never saw 'c': the other series' forecasts are those of the model fit without it
    mine = fc.predict().query("unique_id != 'c'")["y"].to_numpy()
    assert np.array_equal(mine, alone.predict()["y"].to_numpy())
    assert fc.fit_report_["short"] == ["c"] and fc.fit_report_["skipped"] == []


def test_the_lookback_fits_the_lower_quartile_of_the_lengths():
    lengths = [10, 60, 120]
    assert short.fitted_length(lengths, "baseline") == 35  # np.quantile's interpolation: 10 + (60 - 10) / 2
    assert short.fitted_length(lengths, "skip") == 60 and short.fitted_length(lengths, "raise") == 10
    assert short.effective("baseline", "pinball", False) == short.effective("baseline", "mse", True) == "raise"
    assert short.effective("baseline", "mse", False) == "baseline"


def test_its_own_best_baseline_forecasts_it_with_a_band():
    df = _panel()
    fc = LSTMForecaster(**FAST).fit(df)
    assert fc.fallback_["c"] == ["seasonal_naive", 12]  # a clean season: found within its 20 rows
    assert fc.fit_report_["short_baselines"] == {"c": "seasonal naive (m=12)"}
    c = df[df.unique_id == "c"]["y"].to_numpy()
    band = fc.predict_interval(0.9).query("unique_id == 'c'")
    assert np.allclose(band["y"], c[-12:-6])  # last year's values
    assert np.all(band["y_lower"] < band["y"]) and np.all(band["y"] < band["y_upper"])
    assert np.all(band["y_upper"] - band["y_lower"] < 1.0)  # its own residuals (noise 0.01), not the network's


def test_a_noisy_short_series_takes_whichever_baseline_scores_best_on_its_own_origins():
    fc = LSTMForecaster(**FAST).fit(_panel(short_rows=22, noise=30.0))
    spec = fc.fallback_["c"]
    assert spec[0] in ("naive", "seasonal_naive", "ar")
    y = _panel(short_rows=22, noise=30.0).query("unique_id == 'c'")["y"].to_numpy()
    assert np.allclose(fc.predict().query("unique_id == 'c'")["y"], fallback.forecast(spec, y, 6))


def test_the_model_file_and_update_keep_it_on_its_baseline(tmp_path):
    df = _panel()
    fc = LSTMForecaster(**FAST).fit(df)
    fc.save(tmp_path / "m.tsgate")
    back = load(tmp_path / "m.tsgate")
    assert back.predict_interval(0.9).equals(fc.predict_interval(0.9))
    new = pd.DataFrame({"unique_id": "c", "ds": pd.date_range("2025-01-01", periods=12, freq="MS"),
                        "y": np.arange(12.0) + 200})
    moved = back.update(new).predict().query("unique_id == 'c'")["y"].to_numpy()
    assert np.allclose(moved, np.arange(6.0) + 200)  # seasonal naive: the newest year


def test_a_series_too_short_to_score_a_baseline_on_is_forecast_from_the_panels_evidence(tmp_path):
    # 9 rows (horizon 6: a baseline is scored on origins of at least 10) stopped the whole fit with an error
    df = _panel(short_rows=9)
    fc = LSTMForecaster(**FAST).fit(df)
    assert fc.fit_report_["short"] == ["c"] and fc.fit_report_["short_baselines"] == {"c": "naive"}
    c = df[df.unique_id == "c"]["y"].to_numpy()
    band = fc.predict_interval(0.9).query("unique_id == 'c'")
    assert np.allclose(band["y"], c[-1])  # no season fits in 9 rows
    width = (band["y_upper"] - band["y_lower"]).to_numpy()
    # the other series' naive errors, in units of their spread, at this series' spread: 'c' is as noisy as
    # they are (sd ~14 over a season), so its band is as wide as theirs, and it widens with the step
    assert np.all(np.diff(width) > 0) and 10 < width[0] < width[-1] < 120
    assert np.all(band["y_lower"] < band["y"]) and np.all(band["y"] < band["y_upper"])
    fc.save(tmp_path / "m.tsgate")
    assert load(tmp_path / "m.tsgate").predict_interval(0.9).equals(fc.predict_interval(0.9))
    with pytest.raises(DataError, match=r"'c' \(9 rows\)"):
        LSTMForecaster(**FAST, on_short="raise").fit(df)
    skipped = LSTMForecaster(**FAST, on_short="skip").fit(df)
    assert skipped.ids_ == ["a", "b"] and skipped.fit_report_["skipped"] == ["c"]


def test_one_row_first_in_the_frame_takes_the_panels_step():
    # one or two rows cannot tell their own time step ("too few to infer the time step" stopped the fit)
    df = _panel(short_rows=1)
    df = pd.concat([df[df.unique_id == "c"], df[df.unique_id != "c"]], ignore_index=True)
    fc = LSTMForecaster(**FAST).fit(df)
    assert fc.ids_ == ["c", "a", "b"]  # the data's order
    out = fc.predict_interval(0.9).query("unique_id == 'c'")
    assert list(out["ds"]) == list(pd.date_range("2025-01-01", periods=6, freq="MS"))
    assert np.allclose(out["y"], df["y"].iloc[0]) and np.all(out["y_upper"] - out["y_lower"] > 1.0)


def test_a_season_of_rows_takes_seasonal_naive_where_the_panel_is_seasonal():
    # horizon 12: a baseline is scored from 16 rows; 'c' has 13, a season, and the others' seasonal naive
    # forecast them better than naive did
    df = _panel(short_rows=13, noise=1.0)
    fc = LSTMForecaster(**{**FAST, "horizon": 12}).fit(df)
    assert fc.fallback_["c"] == ["seasonal_naive", 12]
    c = df[df.unique_id == "c"]["y"].to_numpy()
    assert np.allclose(fc.predict().query("unique_id == 'c'")["y"], c[-12:])


def test_the_spread_of_a_short_history():
    spreads = [(10.0, 100.0), (30.0, 100.0), (2.0, 10.0)]  # sd over |mean|: 0.1, 0.3, 0.2 -> median 0.2
    assert short.cold_spread([50.0], spreads) == pytest.approx(10.0)  # one row: the panel's at its level
    assert short.cold_spread([50.0, 60.0], spreads) == pytest.approx(11.0)  # two rows: no spread of their own yet
    assert short.cold_spread([0.0, 100.0, 200.0], spreads) == pytest.approx(np.std([0.0, 100.0, 200.0]))
    assert short.cold_spread([0.0, 0.0, 0.0], spreads) == pytest.approx(10.0)  # zeros: the median spread
    errors = short.pooled_errors([np.arange(10.0), np.full(10, 3.0), np.arange(2.0)], [0, 1, 2], 2, "naive", 1)
    # origins 5, 6, 7 of the later half of the first (a line: naive is 1 and 2 short); constant, too short: none
    assert errors.shape == (3, 2) and np.allclose(errors, np.array([[1.0, 2.0]]) / np.std(np.arange(10.0)))
    small = short.pooled_errors([0.1 * np.arange(10.0)], [0], 2, "naive", 1)  # a spread below one is a spread
    assert np.allclose(small, errors)
    # origins from the middle (11 // 2) to the last with a value after it: a square's naive errors name them
    square = np.arange(11.0) ** 2
    got = short.pooled_errors([square], [0], 1, "naive", 1)[:, 0] * np.std(square)
    assert np.allclose(got, [2 * o + 1 for o in range(5, 10)])
    # a series of exactly one season and the horizon: one origin, the season's last row
    one = short.pooled_errors([np.array([1.0, 2.0, 3.0, 4.0, 9.0, 9.0])], [0], 2, "seasonal_naive", 4)
    assert one.shape == (1, 2) and np.allclose(one * np.std([1.0, 2.0, 3.0, 4.0, 9.0, 9.0]), [[8.0, 7.0]])


def test_quantile_outputs_fit_the_shortest_series_as_before():
    # a point baseline cannot give a quantile band: the lookback fits every series
    fc = LSTMForecaster(**FAST, loss="pinball", quantiles=[0.05, 0.5, 0.95]).fit(_panel())
    assert fc.lookback_ == 7 and fc.fit_report_["short"] == [] and fc.fallback_ == {}


def test_the_command_line_says_which_series_its_own_baseline_forecasts(tmp_path):
    path = tmp_path / "panel.csv"
    _panel().to_csv(path, index=False)
    r = CliRunner().invoke(main, ["forecast", str(path), "--id-col", "unique_id", "--horizon", "6", "--epochs", "4"])
    assert r.exit_code == 0, r.stderr
    assert ("1 of 3 series shorter than the 32 rows of a training and a validation window, forecast by their own "
            "baseline (seasonal naive (m=12): 1)") in r.stderr
    assert "lookback=24" in r.stderr


def test_a_short_series_with_a_lookback_of_rows_is_forecast_by_the_network_as_a_new_series(tmp_path):
    # 'c' (28 rows) has no training and validation window (32 rows) but a lookback (24): the global
    # network forecasts it as on_series forecasts a series it never saw (it had its own baseline)
    df = _panel(short_rows=28)
    fc = LSTMForecaster(**FAST).fit(df)
    assert fc.lookback_ == 24 and fc.fit_report_["short"] == ["c"] and "c" not in fc.fallback_
    alone = LSTMForecaster(**FAST).fit(df[df.unique_id != "c"])
    c = df[df.unique_id == "c"]
    mine = fc.predict_interval(0.9).query("unique_id == 'c'")
    assert np.allclose(mine["y"], alone.on_series(c).predict()["y"], rtol=1e-6, atol=0)
    assert np.all(mine["y_lower"] < mine["y"]) and np.all(mine["y"] < mine["y_upper"])
    # series under min_length stay on their own baseline, whatever their rows
    assert LSTMForecaster(**FAST, min_length=30).fit(df).fallback_["c"][0] in ("naive", "seasonal_naive", "ar")
    path = tmp_path / "panel.csv"
    df.to_csv(path, index=False)
    r = CliRunner().invoke(main, ["forecast", str(path), "--id-col", "unique_id", "--horizon", "6", "--epochs", "4"])
    assert r.exit_code == 0, r.stderr
    assert ("1 of 3 series shorter than the 32 rows of a training and a validation window: 1 forecast by the "
            "network, not trained on them") in r.stderr


@pytest.mark.parametrize("rows", [20, 2])  # its own seasonal naive; naive, as the other series advise
def test_dask_predict_forecasts_a_short_series_from_the_rows_it_has(rows):
    # tsgate.dask hands each partition's last lookback rows to on_series: a short series has fewer
    distributed = pytest.importorskip("distributed")
    import dask.dataframe as dd

    from tsgate import dask as tsdask

    df = _panel(short_rows=rows)
    fc = LSTMForecaster(**FAST).fit(df)
    ddf = dd.from_pandas(df.set_index("unique_id"), npartitions=2, sort=True)
    # a new series with c's rows (fewer than the lookback) is forecast as fit forecast c, by its own baseline
    # (it was "X needs at least 24 rows (the lookback) of series ['z']", which stopped a whole Dask job)
    new = df[df.unique_id == "c"].assign(unique_id="z")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cl, \
            distributed.Client(cl):
        scored = tsdask.predict(fc, ddf, coverage=0.9).compute()
        fresh = tsdask.predict(fc, dd.from_pandas(pd.concat([df[df.unique_id == "a"], new]), npartitions=1),
                               coverage=0.9).compute()
    key = ["unique_id", "ds"]
    scored = scored.sort_values(key).reset_index(drop=True)
    expected = fc.predict_interval(0.9).sort_values(key).reset_index(drop=True)
    assert scored[key].equals(expected[key])
    assert np.allclose(scored.iloc[:, 2:].to_numpy(), expected.iloc[:, 2:].to_numpy(), rtol=1e-6, atol=0)
    got = fresh[fresh.unique_id == "z"].iloc[:, 2:].to_numpy()
    assert "z" not in getattr(fc, "fallback_", {})  # the fitted model keeps its own series
    if rows == 2:  # too few to score a baseline on: the series at hand and the model's advise, not fit's panel
        assert (got[:, 0] == new["y"].iloc[-1]).all() and (got[:, 1] < got[:, 0]).all() and (got[:, 2] > got[:, 0]).all()
        return
    want = expected[expected.unique_id == "c"].iloc[:, 2:].to_numpy()
    np.testing.assert_allclose(got, want, rtol=1e-9)
    with pytest.raises(DataError, match=r"^X needs at least 12 rows of series 'c' \(what its own baseline reads\)$"):
        fc.on_series(df[df.unique_id == "c"].tail(5))  # a series it was fit on, fewer rows than its season


def test_retraining_reads_a_series_that_began_a_row_or_two_before_an_origin():
    # the refit at each origin sees the series as they were then: 'c' (20 rows, from 2023-05) has
    # none, then one, two... rows; one row used to fail the refit ("too few to infer the time step")
    df = _panel()
    fc = LSTMForecaster(**FAST).fit(df[df.ds <= "2022-12-01"])
    hf = fc.historical_forecasts(df, start="2022-12-01", stride=3, retrain=True)
    assert set(hf.unique_id) == {"a", "b", "c"} and hf["forecast"].notna().all()
    c = hf.query("unique_id == 'c'")
    assert c.cutoff.min() == pd.Timestamp("2023-06-01")  # 2 rows: the panel's evidence chose its forecast (naive)
    first = df[(df.unique_id == "c") & (df.ds == pd.Timestamp("2023-06-01"))]["y"].iloc[0]
    assert np.allclose(c[c.cutoff == c.cutoff.min()]["forecast"], first)
    assert sorted(hf.cutoff.unique())[:3] == list(pd.to_datetime(["2022-12-01", "2023-03-01", "2023-06-01"]))


def test_historical_forecasts_give_a_short_series_its_baselines_forecasts():
    # 'c' (20 rows from 2023-05) has no lookback of 24 rows before any origin: its own seasonal naive
    # forecasts it from every origin with the 12 rows it reads; it had no historical forecasts at all
    df = _panel()
    fc = LSTMForecaster(**FAST).fit(df)
    hf = fc.historical_forecasts(df, start="2024-01-01", coverage=0.9)
    c = hf[hf.unique_id == "c"]
    assert sorted(c.cutoff.unique()) == list(pd.to_datetime(["2024-04-01", "2024-05-01", "2024-06-01"]))
    y = df[df.unique_id == "c"].set_index("ds")["y"]
    last_year = y.reindex(c["ds"] - pd.DateOffset(months=12)).to_numpy()
    assert np.allclose(c["forecast"], last_year)
    assert np.all(c["lower"] < c["forecast"]) and np.all(c["forecast"] < c["upper"])
    others = fc.historical_forecasts(df[df.unique_id != "c"], start="2024-01-01", coverage=0.9)
    assert hf[hf.unique_id != "c"].reset_index(drop=True).equals(others)  # the network's as before
    assert list(dict.fromkeys(hf.unique_id)) == ["a", "b", "c"]  # the panel's order, then origins and steps
    assert (fc.backtest(df, start="2024-01-01").query("unique_id == 'c' and model == 'tsgate'")["n"] == 3).all()


def test_retraining_refits_with_the_fits_rule_for_short_series():
    # each refit is the fit the user would have made then: the lookback fits the lower quartile of the
    # lengths and 'c' (12 rows at 2024-04) gets its own baseline; refits used to leave it out
    df = _panel()
    fc = LSTMForecaster(**FAST).fit(df)
    hf = fc.historical_forecasts(df, start="2024-04-01", stride=12, retrain=True)
    then = LSTMForecaster(**FAST).fit(df[df.ds <= "2024-04-01"])
    assert then.fit_report_["short"] == ["c"]
    assert np.array_equal(hf["forecast"].to_numpy(), then.predict()["y"].to_numpy())
    # a series with fewer rows than a baseline is scored on gets the forecast a fit then gives it (it waited for
    # a later refit before: 9 rows at 2024-01)
    early = fc.historical_forecasts(df, start="2023-07-01", stride=3, retrain=True)
    assert early.query("unique_id == 'c'").cutoff.min() == pd.Timestamp("2023-07-01")  # 3 rows
    then = LSTMForecaster(**FAST).fit(df[df.ds <= "2024-01-01"])
    assert then.fit_report_["short_baselines"] == {"c": "naive"}
    got = early[(early.unique_id == "c") & (early.cutoff == pd.Timestamp("2024-01-01"))]["forecast"].to_numpy()
    assert np.array_equal(got, then.predict().query("unique_id == 'c'")["y"].to_numpy())


def test_series_too_short_for_a_stateful_fit_are_named_with_their_rows():
    # it was "the series is too short: 1 rows for horizon 12" for a panel, naming none of them;
    # a windowed fit's message says "1 row", not "1 rows"
    parts = [pd.DataFrame({"unique_id": f"s{k}", "ds": pd.date_range(end="2030-01-01", periods=n, freq="MS"),
                           "y": np.arange(n, dtype=float)}) for k, n in enumerate([1, 40, 5])]
    panel = pd.concat(parts, ignore_index=True)
    kw = dict(stateful=True, horizon=12, max_epochs=1)
    with pytest.raises(DataError, match=r"^series 's0', 's2' are too short for stateful=True with horizon 12: 1, 5 "
                                        r"rows \(each needs two training steps before"):
        LSTMForecaster(**kw).fit(panel)
    with pytest.raises(DataError, match="^the series is too short for stateful=True with horizon 12: 5 rows"):
        LSTMForecaster(**kw).fit(parts[2].set_index("ds")["y"])
    with pytest.raises(DataError, match=r"'s0' \(1 row\), 's2' \(5 rows\)"):
        LSTMForecaster(horizon=12, max_epochs=1, on_short="raise").fit(panel)
