"""tsgate.blend: one series' best baseline joins the forecast where it validated better than the network."""

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from tsgate import BaselineForecaster, LSTMForecaster, blend, load
from tsgate.baselines import BASELINES
from tsgate.cli import main
from tsgate.datasets import load as load_data

H = 22


def _sunspots():
    """Yearly sunspots before the accuracy benchmark's fourth-last origin: seasonal naive at the
    11-year cycle validates better than the network there (paired t about -8, four blocks... two)."""
    s = load_data("sunspots_yearly")
    return s.iloc[:len(s) - 4 * H], s


@pytest.fixture(scope="module")
def fits():
    train, _ = _sunspots()
    return (LSTMForecaster(horizon=H, random_state=0).fit(train),
            LSTMForecaster(horizon=H, random_state=0, fallback=False).fit(train))


def test_a_baseline_that_validated_better_takes_half_of_the_forecast(fits):
    fc, alone = fits
    train, _ = _sunspots()
    joined = fc.fit_report_["blend"]
    assert joined["baseline"] == "seasonal naive (m=11)" and joined["t"] < blend.T_JOIN, joined
    assert "blend" not in alone.fit_report_ and alone.blend_ is None  # fallback=False: the network alone
    base = BaselineForecaster("seasonal_naive", horizon=H, seasonal_period=11, outliers="keep",
                              nonnegative=False).fit(train)
    want = (1 - blend.WEIGHT) * alone.predict()["sunactivity"].to_numpy() \
        + blend.WEIGHT * base.predict()["sunactivity"].to_numpy()
    np.testing.assert_allclose(fc.predict()["sunactivity"], np.maximum(want, 0.0), rtol=1e-6)
    # the band comes from the combination's validation residuals: the network's and the baseline's mixed
    assert joined["validation_mae"] < fc.fit_report_["validation_mae"]["network"]
    assert not np.allclose(fc.val_residuals_, alone.val_residuals_)
    band = fc.predict_interval(0.9)
    assert (band["sunactivity_lower"] <= band["sunactivity"]).all() and (band["sunactivity"] <= band[
        "sunactivity_upper"]).all()


def test_the_joined_baseline_follows_historical_forecasts_update_and_the_model_file(fits, tmp_path):
    fc, _ = fits
    train, full = _sunspots()
    pred = fc.predict()["sunactivity"].to_numpy()
    hf = fc.historical_forecasts(full, start=fc.cutoff_)
    np.testing.assert_allclose(hf.loc[hf["cutoff"] == fc.cutoff_, "forecast"], pred, rtol=1e-5)
    back = load(fc.save(tmp_path / "m.tsgate"))
    assert back.blend_.describe() == "seasonal naive (m=11)"
    pd.testing.assert_frame_equal(back.predict_interval(0.8), fc.predict_interval(0.8))
    back.update(full.iloc[len(train):len(train) + 5])  # five more years: the baseline reads them too
    moved = hf.loc[hf["cutoff"] == back.cutoff_, "forecast"].to_numpy()
    np.testing.assert_allclose(back.predict()["sunactivity"], moved, rtol=1e-5)
    assert back.blend_.y_.size == len(train) + 5


def test_join_needs_a_lower_mae_and_a_paired_t_below_the_threshold(fits):
    _, alone = fits
    errors = alone._val_errors
    n = len(errors["ends"])
    rng = np.random.default_rng(0)
    network = 1.0 + 0.1 * rng.standard_normal(n)
    block = np.argsort(np.argsort(errors["ends"])) // H  # each window's block of H
    assert block.max() >= 1  # at least two blocks: a t statistic
    cases = {"clearly better": (network - 0.5 + 0.05 * rng.standard_normal(n), True),
             "a hair better, blocks either way": (network + np.where(block % 2, 0.19, -0.21), False),
             "worse": (network + 0.5, False)}
    assert cases["a hair better, blocks either way"][0].mean() < network.mean()
    for name, (better, joins) in cases.items():
        est = LSTMForecaster(horizon=H)
        est.horizon_, est.seasonal_period_, est.cutoffs_, est.freq_ = H, 11, alone.cutoffs_, alone.freq_
        est.val_residuals_, est.fit_report_, est.blend_ = alone.val_residuals_.copy(), {"best_baseline": "drift"}, None
        est.histories_ = [{}]
        est._val_errors = {"ends": errors["ends"], "network": network,
                           **{k: network + 1.0 for k in BASELINES}, "drift": better}
        y = np.linspace(0, 1, int(errors["ends"].max()) + H + 1)
        blend.join(est, y, (None, None), np.ones_like(est.val_residuals_))
        assert (est.blend_ is not None) == joins and ("blend" in est.fit_report_) == joins, name


def _cli(command, tmp_path):
    """The CLI's ``command`` on the series of :func:`_sunspots`: its stderr."""
    _sunspots()[0].to_csv(tmp_path / "s.csv")
    r = CliRunner().invoke(main, [command, str(tmp_path / "s.csv"), "--horizon", str(H)])
    assert r.exit_code == 0, r.stderr
    return r


def test_the_cli_summary_says_so(tmp_path):
    r = _cli("forecast", tmp_path)
    assert "then 0.5 x that + 0.5 x seasonal naive (m=11) (it validated better than the network: paired t -" \
        in r.stderr and "; the combination's validation MAE " in r.stderr, r.stderr


def test_explain_says_the_profiles_are_the_networks(tmp_path):
    r = _cli("explain", tmp_path)
    assert "note: the forecast is 0.5 x the network's + 0.5 x seasonal naive (m=11)'s (it validated better); " \
        "these are the network's" in r.stderr, r.stderr


def test_on_series_keeps_the_baseline_for_its_own_series_only(fits):
    fc, _ = fits
    train, full = _sunspots()
    same = fc.on_series(full.iloc[:len(train) + 3])  # its own series, three rows on
    assert same.blend_ is not None and same.blend_.y_.size == len(train) + 3 and fc.blend_.y_.size == len(train)
    moved = fc.historical_forecasts(full, start=full.index[len(train) + 2])
    np.testing.assert_allclose(same.predict()["sunactivity"], moved.loc[moved["cutoff"] == same.cutoff_, "forecast"],
                               rtol=1e-5)
    other = fc.on_series(full.iloc[:len(train)].rename("other"))  # another series: the network alone
    assert other.blend_ is None


def _intermittent():
    """60 days of a pulse series (pulses of 100 at days 9 and 36) and 10 more (one at day 61): the validation
    tail holds no pulse, so repeating the last value forecasts it exactly and the network's linear
    start (an AR that has seen the pulses) far worse."""
    rng = np.random.default_rng(1)
    y = np.where(rng.random(70) < 0.05, 100.0, 0.0)
    full = pd.Series(y, index=pd.date_range("2021-01-01", periods=70, freq="D"), name="demand")
    assert list(np.flatnonzero(y)) == [9, 36, 61]
    return full.iloc[:60], full


def test_a_start_that_failed_on_validation_hands_the_series_to_its_best_baseline(tmp_path):
    # The start fails on the validation tail (the data's end unlike its history, not training):
    # with fallback the best baseline on validation forecasts alone, in predict, the band,
    # historical forecasts, update and the model file; fallback=False raises as before.
    from tsgate.errors import TrainingDivergedError
    from tsgate.errors import BaselineWarning, CoverageWarning

    train, full = _intermittent()
    with pytest.raises(TrainingDivergedError, match=r"^the linear start \(ar\), chosen on earlier stretches"):
        LSTMForecaster(horizon=7, max_epochs=20, fallback=False).fit(train)
    with pytest.warns(BaselineWarning, match=r"already forecasts the validation tail far worse than repeating the "
                                             r"last value .* The forecast is the naive baseline's alone"):
        fc = LSTMForecaster(horizon=7, max_epochs=20).fit(train)
    report = fc.fit_report_["blend"]
    assert report["weight"] == 1.0 and report["baseline"] == "naive" and report["validation_mae"] == 0.0
    base = BaselineForecaster("naive", horizon=7, outliers="keep", nonnegative=False).fit(train)
    pd.testing.assert_frame_equal(fc.predict(), base.predict())
    band = fc.predict_interval(0.8)  # the baseline's validation residuals (all zero) and the in-sample floor
    assert (band["demand_lower"] <= 0).all() and (band["demand_upper"] >= 0).all()
    # the floor in the series' units: a pulse's height above, as the baseline's own band, and kept at zero below
    with pytest.warns(CoverageWarning, match="coverage 0.95 needs at least 19 validation windows"):  # 8 here
        wide, own = fc.predict_interval(0.95), base.predict_interval(0.95)
    np.testing.assert_array_equal(wide["demand_upper"], own["demand_upper"])
    assert (own["demand_upper"] == 100).all() and (wide["demand_lower"] == 0).all()
    hf = fc.historical_forecasts(full, start=0.5)
    want = base.historical_forecasts(full, start=0.5)
    np.testing.assert_array_equal(hf["forecast"].to_numpy(), want["forecast"].to_numpy())
    back = load(fc.save(tmp_path / "m.tsgate"))
    assert back.fit_report_["blend"]["weight"] == 1.0
    pd.testing.assert_frame_equal(back.predict_interval(0.8), band)
    back.update(full.iloc[60:])  # ten more rows: still naive, from the new last value (0 on day 69)
    assert (back.predict()["demand"] == 0.0).all() and back.cutoff_ == full.index[-1]
    assert back.blend_.y_.size == 70
    r = CliRunner().invoke(main, ["forecast", _csv(tmp_path, train), "--horizon", "7", "--epochs", "20"])
    assert r.exit_code == 0, r.stderr
    assert "then naive alone: the network's linear start already forecast the validation tail far worse" in r.stderr


def test_a_constant_series_that_fork_cannot_repeat_exactly_is_forecast_by_naive():
    # fork=True reads raw windows (no norm repeats the last value): its network missed a constant series by
    # 0.006, which was a TrainingDivergedError ("far above that of predicting the mean (0)"); now naive
    # forecasts it exactly, with a warning that says why, and fallback=False raises as before
    from tsgate.errors import BaselineWarning, TrainingDivergedError

    for level in (0.0, 5.0):
        s = pd.Series(level, index=pd.date_range("2020-01-01", periods=120, freq="D"), name="y")
        with pytest.warns(BaselineWarning, match=r"^the validation tail is constant: predicting the mean forecasts "
                                                 r"it exactly, the network with a loss of .* naive baseline's alone"):
            fc = LSTMForecaster(horizon=7, max_epochs=3, fork=True, random_state=0).fit(s)
        band = fc.predict_interval(0.9)
        assert (band.to_numpy() == level).all()
        assert fc.fit_report_["blend"]["weight"] == 1.0
        with pytest.raises(TrainingDivergedError, match="^the validation tail is constant"):
            LSTMForecaster(horizon=7, max_epochs=3, fork=True, random_state=0, fallback=False).fit(s)
    assert blend.describe(fc.fit_report_) == ("then naive alone: it forecasts the constant validation tail exactly, "
                                              "the network does not")  # the CLI's summary line


def _csv(tmp_path, s):
    path = tmp_path / "s.csv"
    s.rename_axis("date").to_frame().to_csv(path)
    return str(path)
