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
