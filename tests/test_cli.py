"""The tsgate command line, through click's CliRunner and a real subprocess."""

import importlib
import importlib.util
import io
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from tsgate import load
from tsgate.cli import main
from tsgate.errors import ParameterError

FAST = ["--epochs", "15", "--quiet"]


@pytest.fixture
def csv(tmp_path):
    idx = pd.date_range("2001-01-01", periods=72, freq="MS")
    t = np.arange(72)
    df = pd.DataFrame({"date": idx.strftime("%Y-%m-%d"), "sales": 100 + t + 10 * np.sin(2 * np.pi * t / 12)})
    p = tmp_path / "sales.csv"
    df.to_csv(p, index=False)
    return p


def run(args):
    r = CliRunner().invoke(main, [str(a) for a in args])
    return r.exit_code, r.stdout, r.stderr


def test_forecast_to_stdout_and_files(csv, tmp_path):
    code, out, err = run(["forecast", csv, "--horizon", 6, *FAST])
    assert code == 0, err
    lines = out.strip().splitlines()
    assert lines[0] == "date,sales,sales_lower,sales_upper"
    assert lines[1].startswith("2007-01-01") and len(lines) == 7
    model = tmp_path / "m.tsgate"
    code, _, err = run(["forecast", csv, "--horizon", 6, "--out", tmp_path / "f.csv", "--save-model", model,
                        "--epochs", 15])
    assert code == 0
    vs = load(model).val_scores_  # the summary's ratio is the network's validation MAE over seasonal naive's
    assert f"vs seasonal naive {vs['seasonal_naive_mae']:.4g} (ratio {vs['mae'] / vs['seasonal_naive_mae']:.2f}, " \
        in err, err
    assert "validation MAE" in err and "seasonal naive" in err and "time" in err
    code, _, err = run(["forecast", csv, "--horizon", 6, "--window-norm", "seasonal_ratio", "--epochs", 5])
    assert code == 0 and "norm=seasonal_ratio" in err
    assert pd.read_csv(tmp_path / "f.csv").shape == (6, 4)
    code, out, _ = run(["predict", model, "--horizon", 3, "--json"])
    recs = json.loads(out)
    assert code == 0 and len(recs) == 3 and set(recs[0]) == {"date", "sales", "sales_lower", "sales_upper"}


def test_a_true_false_column_is_a_covariate(tmp_path):
    # pandas reads a CSV column of True/False as booleans: it exited 2 with "non-numeric columns ['holiday']
    # cannot be covariates"
    rng = np.random.default_rng(0)
    holiday = rng.random(120) < 0.15
    p = tmp_path / "shop.csv"
    pd.DataFrame({"date": pd.date_range("2020-01-01", periods=120, freq="D").strftime("%Y-%m-%d"),
                  "sales": 10 + 5 * holiday + rng.normal(0, 0.3, 120), "holiday": holiday}).to_csv(p, index=False)
    assert "True" in p.read_text()
    code, out, err = run(["forecast", p, "--horizon", 3, "--epochs", 5])
    assert code == 0, err
    assert out.splitlines()[0] == "date,sales,sales_lower,sales_upper"
    assert "inputs: sales (target), 1 past covariate (holiday)" in err


def test_json_of_a_period_indexed_forecast_writes_the_periods_as_text():
    from tsgate.cli import _frame_text

    f = pd.DataFrame({"y": [1.5, 2.5]}, index=pd.period_range("2000Q1", periods=2, freq="Q").rename("quarter"))
    assert json.loads(_frame_text(f, True)) == [{"quarter": "2000Q1", "y": 1.5}, {"quarter": "2000Q2", "y": 2.5}]
    assert _frame_text(f, False).splitlines()[1] == "2000Q1,1.5"


def test_json_writes_dates_as_the_csv_does_and_times_of_day_in_iso_8601():
    from tsgate.cli import _frame_text

    days = pd.DataFrame({"y": [1.5, 2.5]}, index=pd.date_range("2000-01-01", periods=2, freq="MS").rename("date"))
    assert json.loads(_frame_text(days, True)) == [{"date": "2000-01-01", "y": 1.5}, {"date": "2000-02-01", "y": 2.5}]
    hours = pd.DataFrame({"y": [1.5]}, index=pd.date_range("2000-01-01 23:30", periods=1, freq="30min", tz="UTC"))
    assert json.loads(_frame_text(hours, True)) == [{"time": "2000-01-01T23:30:00+00:00", "y": 1.5}]
    table = pd.DataFrame({"start": pd.to_datetime(["2000-01-01", None]), "y": [1.5, 2.5]})
    assert [r["start"] for r in json.loads(_frame_text(table, True))] == ["2000-01-01", None]


def test_fit_predict_with_newer_data(csv, tmp_path):
    model = tmp_path / "m.tsgate"
    df = pd.read_csv(csv)
    df.iloc[:60].to_csv(tmp_path / "old.csv", index=False)
    assert run(["fit", tmp_path / "old.csv", "--save-model", model, "--horizon", 4, *FAST])[0] == 0
    code, out, _ = run(["predict", model, "--input", csv])
    assert code == 0 and out.splitlines()[1].startswith("2007-01-01")
    code, out, _ = run(["predict", model])
    assert out.splitlines()[1].startswith("2006-01-01")


def test_backtest_prints_metrics_next_to_seasonal_naive(csv):
    code, out, err = run(["backtest", csv, "--folds", 2, "--horizon", 6, *FAST])
    assert code == 0, err
    plain = out
    assert "MASE" in out and out.count("seasonal_naive") == 3 and "all" in out
    assert "coverage" not in out
    code, out, err = run(["backtest", csv, "--folds", 2, "--horizon", 6, "--interval", "0.8,0.95", *FAST])
    assert code == 0, err
    head, first = out.splitlines()[:2]
    assert head.split()[-4:] == ["coverage_80", "MSIS_80", "coverage_95", "MSIS_95"]
    assert len(first.split()) == 11 and 0 <= float(first.split()[-4]) <= 1  # tsgate's row: its band's scores
    assert first.split()[1] == "2006-01-01"  # the fold's first date, without a midnight time
    hourly = csv.parent / "hourly.csv"  # times of day are kept
    pd.read_csv(csv).assign(date=pd.date_range("2020-01-01 05:00", periods=72, freq="h")).to_csv(hourly, index=False)
    code, out, err = run(["backtest", hourly, "--folds", 2, "--horizon", 6, *FAST])
    assert code == 0 and out.splitlines()[1].split()[1:3] == ["2020-01-03", "17:00:00"], out
    code, out, err = run(["backtest", csv, "--folds", 2, "--horizon", 6, "--interval", "0.9", "--json", *FAST])
    records = json.loads(out)
    assert [r["coverage"] is None for r in records] == [False, True, False, True]  # seasonal naive: no band
    code, _, err = run(["backtest", csv, "--interval", "2", *FAST])
    assert code == 2 and "Invalid value for '--interval'" in err
    code, warm, err = run(["backtest", csv, "--folds", 2, "--horizon", 6, "--warm-start", *FAST])
    assert code == 0, err
    assert warm.splitlines()[1] == plain.splitlines()[1] and warm != plain  # the first fold's model, then a warm refit
    for extra in (["--no-retrain"], ["--model", "ar"]):
        code, _, err = run(["backtest", csv, "--warm-start", *extra, *FAST])
        assert code == 2 and err.count("\n") == 1 and "--warm-start" in err, err
    code, out, err = run(["backtest", csv, "--folds", 2, "--horizon", 6, "--baselines", *FAST])
    assert code == 0, err
    lines = out.splitlines()
    assert lines[1:3] == plain.splitlines()[1:3]  # the network's and seasonal naive's rows, unchanged
    assert [x.split()[2] for x in lines[1:7]] == ["tsgate", "seasonal_naive", "naive", "drift", "ar", "holt_winters"]
    assert [x.split()[1] for x in lines[-6:]] == ["tsgate", "seasonal_naive", "naive", "drift", "ar", "holt_winters"]
    two = csv.parent / "two.csv"  # two targets: a baseline per series, pooled (it was an error)
    pd.read_csv(csv).assign(sales2=lambda d: 2 * d["sales"]).to_csv(two, index=False)
    code, out, err = run(["backtest", two, "--baselines", "--target", "sales,sales2", "--folds", 2, "--horizon", 6,
                          *FAST])
    assert code == 0 and [x.split()[1] for x in out.splitlines()[-6:]] == ["tsgate", "seasonal_naive", "naive",
                                                                            "drift", "ar", "holt_winters"], err


def test_backtest_of_a_baseline_scores_it_the_same_way(csv, tmp_path):
    from tsgate import BaselineForecaster
    from tsgate.evaluation import backtest

    code, out, err = run(["backtest", csv, "--model", "ar", "--folds", 2, "--horizon", 6, "--interval", "0.9",
                          "--json", "--quiet"])
    assert code == 0, err
    table = pd.DataFrame(json.loads(out))
    assert list(table["model"]) == ["ar", "seasonal_naive"] * 2 and table["coverage"].notna().tolist() == [
        True, False] * 2
    series = pd.read_csv(csv, index_col="date", parse_dates=True)
    direct = backtest(BaselineForecaster("ar", horizon=6), series, folds=2, coverage=0.9)
    assert np.allclose(table["MAE"], direct["MAE"]) and np.allclose(table["MASE"], direct["MASE"])
    with pytest.raises(ParameterError, match="warm_start"):
        backtest(BaselineForecaster("ar", horizon=6), series, folds=2, warm_start=True)
    from tsgate import LSTMForecaster

    with pytest.raises(ParameterError, match="warm_start=True needs retrain=True"):  # before the first fit
        backtest(LSTMForecaster(horizon=6), series, folds=2, retrain=False, warm_start=True)
    code, out, _ = run(["backtest", csv, "--model", "seasonal_naive", "--folds", 2, "--horizon", 6])
    assert code == 0 and out.count("seasonal_naive") == 3  # two folds and 'all', scored once each
    code, out, _ = run(["backtest", csv, "--model", "holt_winters", "--no-retrain", "--folds", 2, "--horizon", 6])
    assert code == 0 and out.count("holt_winters") == 3
    long = tmp_path / "long.csv"
    pd.read_csv(csv).assign(unique_id="a").to_csv(long, index=False)
    code, out, _ = run(["backtest", long, "--model", "drift", "--id-col", "unique_id", "--folds", 2, "--horizon", 6])
    alone = backtest(BaselineForecaster("drift", horizon=6), series, folds=2)  # a panel of one series: the same
    assert code == 0 and f"{alone['MAE'].iloc[0]:.4g}" in out.splitlines()[1] and out.count("drift") == 3, out
    model = tmp_path / "long.tsgate"
    assert run(["fit", long, "--id-col", "unique_id", "--horizon", 6, "--save-model", model, *FAST])[0] == 0
    code, _, err = run(["predict", model, "--input", csv])  # a file without the series ids
    assert code == 2 and err.startswith(f"tsgate: error: {csv} has no column 'unique_id': the model was fit on a long "
                                        "frame of 'unique_id', time and 'sales'"), err
    code, _, err = run(["backtest", csv, "--model", "auto", "--warm-start"])
    assert code == 2 and "--warm-start restarts the network's refits: it needs --retrain and --model network" in err


def test_datasets_commands(tmp_path):
    code, out, _ = run(["datasets", "list"])
    assert code == 0 and "airpassengers" in out and "co2_weekly" in out
    code, _, _ = run(["datasets", "export", "sunspots_yearly", "--out", tmp_path / "s.csv"])
    assert code == 0 and len(pd.read_csv(tmp_path / "s.csv")) == 309


@pytest.mark.parametrize("name", ["airpassengers", "co2_weekly", "macrodata"])
def test_an_exported_dataset_forecasts_with_the_command_export_prints(name, tmp_path, monkeypatch):
    import shlex

    monkeypatch.chdir(tmp_path)
    code, _, err = run(["datasets", "export", name, "--out", f"{name}.csv"])
    assert code == 0 and err.count("\n") == 1, err
    hint = shlex.split(err.split("forecast it with: ")[1])
    assert hint[:3] == ["tsgate", "forecast", f"{name}.csv"]
    code, out, err = run([*hint[1:], "--horizon", 4, "--epochs", 2, "--quiet"])  # the bare file fails for two
    assert code == 0 and len(out.strip().splitlines()) == 5, err


def test_plot(csv, tmp_path):
    pytest.importorskip("matplotlib")
    png = tmp_path / "f.png"
    assert run(["forecast", csv, "--horizon", 6, "--plot", png, *FAST])[0] == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_forecast_checks_its_arguments_before_drawing(tmp_path):
    # a path without a directory was matplotlib's FileNotFoundError after the drawing, a .txt its ValueError,
    # last=0 drew the whole history, a target not forecast a KeyError
    pytest.importorskip("matplotlib")
    from tsgate import DataError, plot_forecast

    y = pd.Series(np.arange(30.0), index=pd.date_range("2020-01-01", periods=30, freq="D"), name="y")
    f = pd.DataFrame({"y": np.arange(3.0)}, index=pd.date_range("2020-01-31", periods=3, freq="D"))
    for kw, error, said in ((dict(path=tmp_path / "no" / "p.png"), ParameterError, "the directory .* does not exist"),
                            (dict(path=tmp_path / "p.txt"), ParameterError, "matplotlib writes .* not 'txt'"),
                            (dict(path=tmp_path), ParameterError, "is a directory"),
                            (dict(last=0), ParameterError, "^last must be a positive integer, got 0$"),
                            (dict(target="z"), DataError, "target 'z' is not a column of the forecast")):
        with pytest.raises(error, match=said):
            plot_forecast(y, f, **kw)
    plot_forecast(y, f, path=tmp_path / "p.svg", last=5)
    assert (tmp_path / "p.svg").read_bytes().lstrip().startswith(b"<?xml")
    assert [p.name for p in tmp_path.iterdir()] == ["p.svg"]  # written atomically: no temporary file left


def test_missing_months_need_fill_and_get_it(csv, tmp_path):
    gap = tmp_path / "gap.csv"
    pd.read_csv(csv).drop(index=[30, 31]).to_csv(gap, index=False)
    code, _, err = run(["forecast", gap, "--horizon", 3, *FAST])
    assert code == 2 and err.rstrip().endswith("resample it first or set --fill interpolate (or ffill, zero) to "
                                               "insert the missing steps and fill them"), err
    code, out, err = run(["forecast", gap, "--horizon", 3, "--fill", "interpolate", *FAST])
    assert code == 0 and out.splitlines()[1].startswith("2007-01-01"), err


def test_several_interval_coverages_give_a_fan(csv, tmp_path):
    from tsgate.plot import _bands

    model = tmp_path / "m.tsgate"
    code, out, err = run(["forecast", csv, "--horizon", 6, "--interval", "0.95,0.5", "--save-model", model, *FAST])
    assert code == 0, err
    fan = pd.read_csv(io.StringIO(out), index_col=0)
    assert list(fan.columns) == ["sales", "sales_lower_50", "sales_upper_50", "sales_lower_95", "sales_upper_95"]
    assert (fan["sales_lower_95"] <= fan["sales_lower_50"]).all()
    code, again, err = run(["predict", model, "--interval", "0.95,0.5"])
    assert code == 0 and again == out, err
    assert _bands(fan, "sales") == [("_95", "95% interval"), ("_50", "50% interval")]  # the widest drawn first
    assert _bands(fan.rename(columns=lambda c: c.replace("_50", "")).iloc[:, :3], "sales") == [("", "interval")]
    if importlib.util.find_spec("matplotlib"):
        png = tmp_path / "fan.png"
        assert run(["forecast", csv, "--horizon", 6, "--interval", "0.8,0.95", "--plot", png, *FAST])[0] == 0
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for bad in ("0.8,0.8", "0.5,1", "a", ""):
        code, _, err = run(["forecast", csv, "--interval", bad, *FAST])
        assert code == 2 and "Invalid value for '--interval'" in err and len(err.splitlines()) == 1, err


def _user_error_cases(csv, tmp_path):
    df = pd.read_csv(csv)
    nan = df.copy()
    nan.loc[5, "sales"] = np.nan
    nan.to_csv(tmp_path / "nan.csv", index=False)
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "header.csv").write_text("date,sales\n")
    df.iloc[:6].to_csv(tmp_path / "short.csv", index=False)
    (tmp_path / "bad.tsgate").write_bytes(b"not a model")
    zero = df.copy()
    zero.loc[20, "sales"] = 0.0
    zero.to_csv(tmp_path / "zero.csv", index=False)
    return [
        (["forecast", tmp_path / "zero.csv", "--window-norm", "seasonal_ratio"],
         "--window-norm seasonal_ratio divides by past values: series 'sales' has values <= 0"),
        (["forecast", tmp_path / "missing.csv"], "no such file"),
        (["forecast", tmp_path / "empty.csv"], "the file is empty"),
        (["forecast", tmp_path / "header.csv"], "no rows"),
        (["forecast", csv, "--target", "profit"], "--target 'profit' is not a column"),
        (["forecast", csv, "--time-col", "when"], "--time-col 'when' is not a column"),
        (["forecast", tmp_path / "short.csv"], "too short"),
        (["forecast", tmp_path / "nan.csv"], "column 'sales' has NaN or inf (first at 2001-06-01"),
        (["forecast", csv, "--horizon", "0"], "Invalid value for '--horizon'"),
        (["forecast", csv, "--cell", "tcn"], "Invalid value for '--cell'"),
        (["forecast", csv, "--interval", "1.5"], "Invalid value for '--interval'"),
        (["forecast", csv, "--seasonal-periods", "12,1"], "Invalid value for '--seasonal-periods'"),
        (["forecast", csv, "--ensemble", "0"], "Invalid value for '--ensemble'"),
        (["forecast", csv, "--strategy", "dirrec"], "Invalid value for '--strategy'"),
        (["forecast", csv, "--time-budget", "0"], "Invalid value for '--time-budget'"),
        (["forecast", csv, "--strategy", "recursive", "--horizon", "40", "--epochs", "2"],
         "with 40 rows after them, and the fit had none (with finite forecasts); use a shorter --horizon, "
         "a longer history, or --strategy direct"),
        (["predict", tmp_path / "bad.tsgate"], "is not a tsgate model file"),
        (["datasets", "export", "nope"], "unknown dataset 'nope'"),
    ]


def test_user_errors_exit_2_with_one_line(csv, tmp_path):
    for args, msg in _user_error_cases(csv, tmp_path):
        code, out, err = run(args)
        assert code == 2, (args, code, err)
        assert msg in err, (args, err)
        assert "Traceback" not in err
        assert len(err.strip().splitlines()) == 1, err  # click's usage errors too


def test_strategy_ensemble_and_time_budget_options_build_the_python_model(csv):
    # each option sets its parameter: the forecast and band equal the Python
    # model's, and the summary says what was built
    from tsgate import LSTMForecaster

    code, out, err = run(["forecast", csv, "--horizon", 6, "--strategy", "recursive", "--ensemble", 2,
                          "--time-budget", 600, "--epochs", 15, "--save-model", csv.parent / "e2.tsgate"])
    assert code == 0, err
    assert load(csv.parent / "e2.tsgate").n_jobs == -1  # an ensemble trains on all cores, as --help says
    assert "strategy=recursive ensemble=2 (median)" in err
    fc = LSTMForecaster(horizon=6, strategy="recursive", n_models=2, time_budget=600, max_epochs=15,
                        random_state=0).fit(pd.read_csv(csv, index_col=0, parse_dates=True))
    want = fc.predict_interval(0.9)
    got = pd.read_csv(io.StringIO(out), index_col=0)
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-9)
    code, _, err = run(["forecast", csv, "--horizon", 6, "--epochs", 15])
    assert code == 0 and "strategy=" not in err and "ensemble=" not in err and "epochs=15 " in err
    code, _, err = run(["forecast", csv, "--horizon", 6, "--epochs", 15, "--time-budget", 1e-9])
    assert code == 0 and "epochs=1 " in err, err  # no epoch starts after the budget


@pytest.mark.parametrize("times,first", [
    ([str(1950 + k) for k in range(60)], "2010"),
    ([f"{1990 + k // 4}Q{k % 4 + 1}" for k in range(60)], "2005Q1"),
    ([f"{2000 + k // 12}-{k % 12 + 1:02d}" for k in range(60)], "2005-01"),
    (list(pd.date_range("2000-01-01", periods=60, freq="MS").strftime("%b %Y")), "Jan 2005"),
    (list(pd.date_range("2000-01-01", periods=60, freq="MS").strftime("%B %Y")), "January 2005"),
    (list(pd.date_range("2000-01-01", periods=60, freq="MS").strftime("%b-%Y")), "Jan-2005"),
    (list(pd.date_range("2000-01-01", periods=60, freq="MS").strftime("%Y-%b")), "2005-Jan"),
])
def test_forecast_times_are_written_as_the_file_writes_them(tmp_path, times, first):
    # years (also an integer 'year' column), quarters and months (also by name: they came back
    # as 2005-01-01) come back in the file's own form, in CSV and JSON, and after newer data in predict
    t = np.arange(60)
    p = tmp_path / "short.csv"
    pd.DataFrame({"year" if len(first) == 4 else "when": times, "v": 10 + t + np.sin(t)}).to_csv(p, index=False)
    code, out, err = run(["forecast", p, "--horizon", 2, "--save-model", tmp_path / "m.tsgate", *FAST])
    assert code == 0, err
    assert out.splitlines()[1].startswith(first + ",")
    code, out, _ = run(["forecast", p, "--horizon", 2, "--json", *FAST])
    assert json.loads(out)[0]["year" if len(first) == 4 else "when"] == first
    code, out, _ = run(["predict", tmp_path / "m.tsgate", "--input", p])
    assert code == 0 and out.splitlines()[1].startswith(first + ",")


def test_the_inputs_line_lists_eight_covariates_and_counts_the_rest():
    from types import SimpleNamespace

    from tsgate.cli.summary import _inputs

    fc = SimpleNamespace(targets_=["y"], past_covariates_=[f"c{k}" for k in range(8)], future_covariates_=[],
                         calendar_features=False, _position=lambda: False)
    assert _inputs(fc) == "y (target), 8 past covariates (c0, c1, c2, c3, c4, c5, c6, c7)"  # no 'and 0 more'
    fc.past_covariates_ = fc.past_covariates_ + ["c8"]
    assert _inputs(fc).endswith("(c0, c1, c2, c3, c4, c5, c6, c7, and 1 more)")


def test_json_times_keep_their_time_of_day(tmp_path):
    # ISO dates only where every time is a midnight without a zone; hours otherwise (and the offset)
    t = np.arange(60)
    for times, first in ((pd.date_range("2020-01-01", periods=60, freq="D"), "2020-03-01"),
                         (pd.date_range("2020-01-01 05:00", periods=60, freq="h"), "2020-01-03T17:00:00"),
                         (pd.date_range("2020-01-01", periods=60, freq="D", tz="UTC"), "2020-03-01T00:00:00+00:00")):
        p = tmp_path / "t.csv"
        pd.DataFrame({"when": times.strftime("%Y-%m-%d %H:%M%z"), "v": 10 + t + np.sin(t)}).to_csv(p, index=False)
        code, out, err = run(["forecast", p, "--horizon", 2, "--json", *FAST])
        assert code == 0 and json.loads(out)[0]["when"] == first, (out, err)


def test_nan_with_fill_policy_succeeds(csv, tmp_path):
    df = pd.read_csv(csv)
    df.loc[5, "sales"] = np.nan
    df.to_csv(tmp_path / "nan.csv", index=False)
    assert run(["forecast", tmp_path / "nan.csv", "--fill", "interpolate", "--horizon", 3, *FAST])[0] == 0


def test_seasonal_periods_option(csv):
    # the summary names the norm: with no season 'auto' has only 'last' to choose
    for periods, norm in (("none", "last"), ("12", "seasonal")):
        norm_opt = ["--window-norm", "auto" if periods == "none" else norm]
        code, _, err = run(["forecast", csv, "--horizon", 3, "--seasonal-periods", periods, *norm_opt, "--epochs", 15])
        assert code == 0 and f"norm={norm} " in err, err
    # a baseline takes the longest given period as its season (the option was ignored: the detected one)
    code, _, err = run(["forecast", csv, "--horizon", 3, "--seasonal-periods", "6", "--model", "seasonal_naive"])
    assert code == 0 and "seasonal naive (m=6)" in err, err
    code, _, err = run(["forecast", csv, "--seasonal-periods", "12,500", "--model", "seasonal_naive"])
    assert code == 2 and err.startswith("tsgate: error: --seasonal-periods: a period of 500 steps is longer than"), err


def test_installed_script_in_a_subprocess(csv, tmp_path):
    exe = shutil.which("tsgate", path=os.path.dirname(sys.executable)) or shutil.which("tsgate")
    if exe is None:
        pytest.skip("the tsgate console script is not installed")
    ok = subprocess.run([exe, "forecast", str(csv), "--horizon", "3", *FAST], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.splitlines()[0] == "date,sales,sales_lower,sales_upper"
    for args, msg in _user_error_cases(csv, tmp_path):
        p = subprocess.run([exe, *map(str, args)], capture_output=True, text=True)
        assert p.returncode == 2 and msg in p.stderr and "Traceback" not in p.stderr, (args, p.stderr)


def test_plot_without_matplotlib_is_a_clear_error(csv, tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    code, _, err = run(["forecast", csv, "--horizon", 3, "--plot", tmp_path / "x.png", *FAST])
    assert code == 2
    assert "plotting needs matplotlib: pip install 'tsgate[plot]'" in err


def test_warmup_reports_the_time():
    import re
    import time

    t0 = time.perf_counter()
    code, _, err = run(["warmup"])
    took = time.perf_counter() - t0
    assert code == 0 and err.startswith("compiled and cached all kernels in ")
    said = float(re.search(r"in ([\d.]+) ?s", err).group(1))  # the seconds it took, not a clock reading
    assert 0 < said <= took + 0.1, (said, took)


def test_progress_goes_to_stderr_only_on_a_terminal(csv, monkeypatch):
    import tsgate.cli as cli_mod

    class TTY:
        def isatty(self):
            return True

    monkeypatch.setattr(sys, "stderr", TTY())
    cb = cli_mod._progress(quiet=False, max_epochs=10)
    assert callable(cb)
    assert cli_mod._progress(quiet=True, max_epochs=10) == 0
    lines = []
    monkeypatch.setattr(cli_mod.click, "echo", lambda msg="", err=False, nl=True: lines.append((msg, err)))
    cb(3, 0.5, 0.25)
    cb(4, 0.5, float("nan"))  # the refit's epochs have no validation loss
    assert lines == [("\r  epoch    3/10  loss 0.5000  val_loss 0.2500", True),
                     ("\r  epoch    4/10  loss 0.5000  refit, no validation", True)]
    monkeypatch.setattr(sys, "stderr", type("NoTTY", (), {"isatty": lambda self: False})())
    assert cli_mod._progress(quiet=False, max_epochs=10) == 0


def test_ets_norm_model_moves_its_state_with_newer_data(csv, tmp_path):
    model = tmp_path / "m.tsgate"
    df = pd.read_csv(csv)
    df.iloc[:60].to_csv(tmp_path / "old.csv", index=False)
    code, _, err = run(["fit", tmp_path / "old.csv", "--save-model", model, "--horizon", 4, "--window-norm", "ets",
                        *FAST])
    assert code == 0, err
    code, out, err = run(["predict", model, "--input", csv])
    assert code == 0, err
    rows = out.strip().splitlines()
    assert rows[1].startswith("2007-01-01") and len(rows) == 5
    assert abs(float(rows[1].split(",")[1]) - (100 + 72 + 10 * np.sin(0))) < 15  # the series goes on


def test_window_position_is_on_with_covariates_by_default_and_can_be_set(csv, tmp_path):
    import tsgate

    driven = tmp_path / "driven.csv"  # sales and a second numeric column: a past covariate
    frame = pd.read_csv(csv)
    frame.assign(promo=(np.arange(len(frame)) % 5 == 0).astype(float)).to_csv(driven, index=False)
    cases = [(csv, [], False), (csv, ["--window-position"], True), (driven, [], True),
             (driven, ["--no-window-position"], False)]
    for k, (path, flag, want) in enumerate(cases):
        model = tmp_path / f"m{k}.tsgate"
        code, _, err = run(["fit", path, "--save-model", model, "--horizon", 4, "--target", "sales", *flag, *FAST])
        assert code == 0, err
        fc = tsgate.load(model)
        assert fc._position() is want, (path, flag)
        assert fc.model_.input_size == (1 if path == csv else 2) + want
        assert ("position" in fc.lag_importance().columns) is want


def test_summary_names_the_covariates_the_network_reads(csv, tmp_path):
    # Every other numeric column is a past covariate: the summary says which,
    # and says nothing of inputs for a target alone.
    frame = pd.read_csv(csv)
    wide = frame.assign(**{f"c{k}": np.cos(np.arange(len(frame)) / (k + 1)) for k in range(10)}, promo=0.0)
    wide.loc[::5, "promo"] = 1.0
    future = pd.date_range("2007-01-01", periods=4, freq="MS").strftime("%Y-%m-%d")
    wide = pd.concat([wide, pd.DataFrame({"date": future, "promo": [1.0, 0.0, 0.0, 0.0]})], ignore_index=True)
    path = tmp_path / "wide.csv"
    wide.to_csv(path, index=False)
    code, _, err = run(["forecast", path, "--target", "sales", "--horizon", 4, "--epochs", 5,
                        "--future-covariates", "promo", "--calendar"])
    assert code == 0, err
    line = next(x for x in err.splitlines() if x.startswith("inputs: "))
    # the same file backtests: its rows after the target's end are the forecast's covariates, not folds
    # (they were "column 'sales' has NaN or inf (first at 2007-01-01)")
    code, out, err = run(["backtest", path, "--target", "sales", "--horizon", 4, "--folds", 2, "--epochs", 3,
                          "--future-covariates", "promo", "--past-covariates", "none"])
    assert code == 0 and out.count("seasonal_naive") == 3, err
    # a saved baseline (it reads no covariates) predicts from the same layout: the rows after the target's end
    # are left out, with a warning, as forecast leaves them (they were "column 'sales' has NaN or inf")
    base = tmp_path / "ar.tsgate"
    assert run(["fit", path, "--target", "sales", "--future-covariates", "promo", "--model", "ar",
                "--save-model", base])[0] == 0
    code, out, err = run(["predict", base, "--input", path, "--horizon", 4])
    assert code == 0 and out.splitlines()[1].startswith("2007-01-01"), err
    assert f"tsgate: warning: {path}: its 4 rows after the target's last value are left out" in err, err
    assert line == ("inputs: sales (target), 10 past covariates (c0, c1, c2, c3, c4, c5, c6, c7, and 2 more), "
                    "1 known-future covariate (promo), calendar features, each step's place in the window"), line
    code, _, err = run(["forecast", csv, "--horizon", 4, "--epochs", 5])
    assert code == 0 and "inputs:" not in err, err
    # without the future rows: one line before the fit (it fitted, then "predict needs FILE with ...")
    past_only = tmp_path / "past_only.csv"
    wide.iloc[:-4].to_csv(past_only, index=False)
    from tsgate import LSTMForecaster

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(LSTMForecaster, "fit", lambda *a, **k: pytest.fail("fitted before the check"))
        code, _, err = run(["forecast", past_only, "--target", "sales", "--horizon", 4, "--future-covariates",
                            "promo"])
    assert code == 2 and err.strip() == (f"tsgate: error: {past_only} has no rows after the target's last value: "
                                         "the future covariates ['promo'] need their values over the forecast "
                                         "there, one row per step, the target left empty"), err
    model = tmp_path / "promo.tsgate"
    assert run(["fit", path, "--target", "sales", "--horizon", 4, "--epochs", 5, "--future-covariates", "promo",
                "--save-model", model])[0] == 0
    code, _, err = run(["predict", model])
    assert code == 2 and f"{model} reads the future covariates ['promo']: give their values over the forecast " \
                         "in --input" in err, err
    code, _, err = run(["predict", model, "--input", past_only])
    assert code == 2 and f"{past_only} has no rows after the target's last value" in err, err
    # --input without the model's column: named as the model's (it said "--future-covariates names 'promo', which
    # is not a column", an option this command did not take), standard input by name (it said "of -")
    no_promo = tmp_path / "no_promo.csv"
    pd.read_csv(path).drop(columns="promo").to_csv(no_promo, index=False)
    code, _, err = run(["predict", model, "--input", no_promo])
    assert code == 2 and err.count("\n") == 1 and err.startswith(
        f"tsgate: error: {no_promo} has no column 'promo', a future covariate the model reads; columns: ['sales'"), err
    r = CliRunner().invoke(main, ["predict", str(model), "--input", "-"], input=no_promo.read_text())
    assert r.exit_code == 2 and r.stderr.startswith("tsgate: error: standard input has no column 'promo'"), r.stderr


def test_past_covariates_option_chooses_the_columns_the_network_reads(csv, tmp_path):
    import tsgate
    from tsgate import LSTMForecaster

    frame = pd.read_csv(csv)
    raw = frame["sales"].where(np.arange(len(frame)) % 7 != 3)  # a raw copy with gaps (as co2_raw)
    path = tmp_path / "two.csv"
    frame.assign(sales_raw=raw, price=np.linspace(1, 2, len(frame)), note="x").to_csv(path, index=False)
    code, _, err = run(["fit", path, "--target", "sales", "--save-model", tmp_path / "m.tsgate", *FAST])
    assert code == 2 and err == ("tsgate: error: non-numeric columns ['note'] cannot be covariates; drop them or "
                                 "convert them to numbers, or list the columns to read in --past-covariates "
                                 "(or none)\n"), err
    cases = (("none", []), ("price", ["price"]), (" price , sales_raw", ["sales_raw", "price"]))  # the file's order
    for listed, want in cases:
        model = tmp_path / f"m{len(want)}.tsgate"
        code, _, err = run(["fit", path, "--target", "sales", "--past-covariates", listed, "--save-model", model,
                            "--fill", "ffill", *FAST])
        assert code == 0, err
        assert tsgate.load(model).past_covariates_ == want
    numeric = tmp_path / "numeric.csv"
    frame.assign(sales_raw=raw).to_csv(numeric, index=False)
    code, _, err = run(["fit", numeric, "--target", "sales", "--save-model", tmp_path / "n.tsgate", *FAST])
    assert code == 2 and "column 'sales_raw' has NaN or inf (first at 2001-04-01)" in err
    assert err.rstrip().endswith("or list the columns to read in --past-covariates (or none)"), err
    for args, message in ((["--target", "sales", "--past-covariates", "prices"], "names 'prices', not a column of"),
                          (["--past-covariates", "price"], "--past-covariates needs --target: the column to "
                           "forecast (the numeric columns it and --future-covariates leave: ['sales', 'sales_raw'])"),
                          (["--target", "sales", "--past-covariates", "sales"], "which is the target")):
        code, _, err = run(["forecast", path, *args, *FAST])
        assert code == 2 and message in err and len(err.splitlines()) == 1, err
    model = tmp_path / "left.tsgate"  # the one numeric column the covariates leave is the target
    code, _, err = run(["fit", path, "--past-covariates", "price,sales_raw", "--fill", "ffill", "--save-model", model,
                        *FAST])
    assert code == 0 and tsgate.load(model).targets_ == ["sales"], err
    with pytest.raises(ValueError) as info:  # in Python the advice is the fill only: the user selects columns
        LSTMForecaster(target="sales", time_col="date").fit(frame.assign(sales_raw=raw))
    assert str(info.value).endswith("use fill='ffill' (or interpolate, zero)")


def test_summary_words_the_linear_start():
    summary = importlib.import_module("tsgate.cli.summary")

    assert summary._start_words("ridge(1)") == "ridge(1)"
    assert summary._start_words("ets+seasonal_naive") == "ets + seasonal naive"
    long = "ridge(0.1)+ridge(1)+ridge(0.01)+ridge(0.001)+ridge(0.0001)+ridge(1e-06)+ar"
    assert summary._start_words(long) == "the mean of 6 ridge fits (penalty 1e-06 to 1) and ar"
    assert summary._start_words("ridge(1)+ridge(0.1)+ridge(0.01)") == "the mean of 3 ridge fits (penalty 0.01 to 1)"
    fitted = {"ar": "AR(3)", "arima": "ARIMA(1,1,0) with drift", "ets": "Holt (damped trend)"}
    assert summary._start_words("ar+arima+naive", fitted) == "AR(3) + ARIMA(1,1,0) with drift + naive"
    assert summary._start_words(long, fitted) == "the mean of 6 ridge fits (penalty 1e-06 to 1) and AR(3)"


def test_summary_says_when_the_forecast_is_the_mean_of_network_and_start(capsys):
    import tsgate.cli as cli_mod
    from tsgate import LSTMForecaster

    y = pd.Series(np.sin(np.arange(80) / 3.0), index=pd.date_range("2000-01-01", periods=80, freq="MS"))
    fc = LSTMForecaster(horizon=3, max_epochs=2).fit(y)
    for h in fc.histories_:
        h["best_epoch"] = 1  # training beat the start
    for weight, shown in ((0.5, True), (0.0, False)):
        fc.history_["start_weight"] = weight
        cli_mod._summary(fc, 1.0, quiet=False)
        err = capsys.readouterr().err
        assert ("forecast: 0.5 x network + 0.5 x linear start" in err) == shown, err
        assert "network: the mean of its refit on all windows and the model chosen on validation" in err
    fc.history_["start_weight"] = 1.0  # start_weight=1 and the network did not beat the start clearly
    cli_mod._summary(fc, 1.0, quiet=False)
    err = capsys.readouterr().err
    assert "forecast: the linear start alone (the network did not beat it clearly on validation)" in err, err
    assert "linear start: the mean of its refit" in err and "x network" not in err, err
    fc.history_["random_walk"] = "ARIMA(0,1,0) with drift"  # tsgate.recipe.RANDOM_WALK_START chose the start
    cli_mod._summary(fc, 1.0, quiet=False)
    assert ("forecast: the linear start alone (a random walk by AICc, ARIMA(0,1,0) with drift; the network did "
            "not beat it clearly on validation)") in capsys.readouterr().err
    fc.history_["random_walk"] = None
    fc.history_["best_epoch"] = 0  # no epoch beat the start: the forecast is the start
    cli_mod._summary(fc, 1.0, quiet=False)
    err = capsys.readouterr().err
    assert "forecast: the linear start alone (no epoch of training beat it on validation)" in err, err
    assert "linear start: the mean of its refit" in err and "x network" not in err, err
    fc.models_ = fc.models_[:1]  # refit=True or False: one model per member
    cli_mod._summary(fc, 1.0, quiet=False)
    assert "network: the mean" not in capsys.readouterr().err
    fc.fit_report_["fallback"] = {"a": "AR(2)", "b": "AR(2)", "c": "seasonal naive (m=24)"}
    fc.ids_ = ["a", "b", "c", "d"]
    cli_mod._summary(fc, 1.0, quiet=False)
    assert ("3 of 4 series forecast by a local baseline that beat the network on their validation windows "
            "(AR(2): 2, seasonal naive (m=24): 1)") in capsys.readouterr().err
    fc.fit_report_["fallback"] = {"a": "AR(14)", "b": "AR(24)", "c": "AR(16)", "d": "naive"}  # one item for every order
    cli_mod._summary(fc, 1.0, quiet=False)
    assert "(AR(14) to AR(24): 3, naive: 1)" in capsys.readouterr().err


def test_explain_ranks_the_decisive_lag_and_plots_the_profile(tmp_path):
    # y echoes x three steps later: forecasting the next y reads x at lag 3
    # (lag 1 is the last observed row), x's highest-ranked lag; the ranking
    # names the columns as the file does (y's own lags rank high too: the
    # linear highway reads them, and the gradient of a nonlinear network is
    # not zero where an input does not help)
    from tsgate.datasets import delayed_echo

    df = delayed_echo(n=2000, lag=3, noise=0.01, random_state=0)
    path = tmp_path / "echo.csv"
    df.rename_axis("time").to_csv(path)
    args = ["explain", path, "--target", "y", "--horizon", 1, "--lookback", 8, "--window-norm", "none",
            "--learning-rate", "0.01", "--epochs", 40, "--quiet"]
    png = tmp_path / "lags.png"
    plot = importlib.util.find_spec("matplotlib") is not None  # the plot extra
    code, out, err = run(args + (["--plot", png] if plot else []))
    assert code == 0, err
    assert not plot or png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    lags, columns = out.strip().split("\n\n")
    rows = [line.split() for line in lags.splitlines()]
    assert rows[0] == ["lag", "input", "importance"] and len(rows) == 11  # the ten most important
    assert [r[0] for r in rows[1:] if r[1] == "x"][0] == "3", rows
    assert {r[1] for r in rows[1:]} <= {"x", "y", "position"} and "x" in {r[1] for r in rows[1:4]}, rows
    # then every input by the MAE's increase when its values are shuffled
    # across the windows: x first; the position (the same in every window) nothing
    rows = [line.split() for line in columns.splitlines()]
    assert rows[0] == ["input", "MAE", "when", "shuffled"] and rows[1][0] == "x", rows
    change = {r[0]: float(r[1].rstrip("%")) for r in rows[1:]}
    assert change["x"] > 100 and change["position"] == 0 and len(change) == 3, rows
    step = ["explain", path, "--target", "y", "--horizon", 2, "--lookback", 8, "--window-norm", "none",
            "--learning-rate", "0.01", "--epochs", 40, "--quiet", "--step"]
    code, out, err = run(step + [2])  # the second step's forecast reads x at lag 3 - 1
    assert code == 0, err
    assert [r.split()[0] for r in out.split("\n\n")[0].splitlines()[1:] if r.split()[1] == "x"][0] == "2", out
    code, _, err = run(step + [3])
    assert code == 2 and "--step must be at most 2, the steps the model forecasts at once, got 3" in err, err


def test_device_option_trains_where_asked_and_names_itself_without_a_gpu(csv, tmp_path):
    from tsgate.backend import cuda_available

    if cuda_available()[0]:
        pytest.skip("a CUDA device or the simulator is present")
    code, out, err = run(["forecast", csv, "--horizon", 6, "--device", "cuda", *FAST])
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("tsgate: error: --device cuda is not usable here: no CUDA driver or GPU")
    model = tmp_path / "m.tsgate"
    code, _, err = run(["fit", csv, "--horizon", 6, "--device", "auto", "--save-model", model, *FAST])
    assert code == 0, err  # auto: the CPU here
    code, out, err = run(["predict", model, "--device", "cuda"])
    assert code == 2 and out == "" and err.startswith("tsgate: error: --device cuda is not usable here")
    code, out, err = run(["predict", model, "--device", "auto", "--horizon", 2])
    assert code == 0 and len(out.strip().splitlines()) == 3, err


def test_device_choices_are_the_backends():
    from tsgate.backend import DEVICES

    params = {p.name: p for p in main.commands["forecast"].params}
    assert tuple(params["device"].type.choices) == DEVICES
    assert tuple({p.name: p for p in main.commands["predict"].params}["device"].type.choices) == DEVICES


def test_target_names_several_columns_of_a_wide_file(tmp_path):
    # '--target a,b' said "--target 'a,b' is not a column", while the error without --target
    # asked for "one (or a list)": a comma-separated list is one global model over both columns
    t = np.arange(72)
    p = tmp_path / "wide.csv"
    pd.DataFrame({"date": pd.date_range("2001-01-01", periods=72, freq="MS").strftime("%Y-%m-%d"),
                  "a": 100 + t + 10 * np.sin(2 * np.pi * t / 12), "b": 50 - 0.5 * t + 5 * np.cos(2 * np.pi * t / 12),
                  "c": np.cos(t / 5.0)}).to_csv(p, index=False)
    code, out, err = run(["forecast", p, "--horizon", 3, "--target", "a, b", "--past-covariates", "none", *FAST])
    assert code == 0, err
    fan = pd.read_csv(io.StringIO(out), index_col=0)
    assert list(fan.columns) == ["a", "a_lower", "a_upper", "b", "b_lower", "b_upper"] and len(fan) == 3
    assert np.isfinite(fan.to_numpy()).all() and (fan["a"] > fan["b"]).all()  # each column its own forecast
    code, _, err = run(["forecast", p, "--target", "a,b", "--model", "ar"])
    assert code == 2 and err.strip() == ("tsgate: error: --model ar forecasts one column; --target names 2: use "
                                         "--model network (the default) for several")
    code, _, err = run(["forecast", p, "--target", "a,b", "--id-col", "c"])
    assert code == 2 and len(err.strip().splitlines()) == 1 and "with --id-col it names one" in err


@pytest.mark.parametrize("command", [[], ["forecast"], ["fit"], ["predict"], ["backtest"], ["explain"],
                                     ["datasets"], ["datasets", "export"], ["warmup"]])
def test_help_prints_percent_signs_once(command):
    # click writes help text as given; a '%%' meant for %-formatting shows up doubled
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "%%" not in result.output
    if command == ["forecast"]:
        assert "at most 1% of its highest" in " ".join(result.output.split())


def test_a_long_file_with_future_covariates_finds_its_target_as_a_single_series_does(tmp_path):
    # With --id-col and --future-covariates the target had to be named with --target (or be 'y'), where a
    # single series takes its only other numeric column: "name the target column with --target"
    rng, parts = np.random.default_rng(0), []
    for sid in ("a", "b"):
        t = np.arange(67)
        sales = np.where(t < 60, 10 + np.sin(2 * np.pi * t / 7) + 0.1 * rng.standard_normal(67), np.nan)
        parts.append(pd.DataFrame({"store": sid, "date": pd.date_range("2020-01-01", periods=67, freq="D"),
                                   "sales": sales, "promo": (t % 5 == 0).astype(int)}))
    path = tmp_path / "long.csv"
    pd.concat(parts).to_csv(path, index=False)
    code, out, err = run(["forecast", path, "--id-col", "store", "--future-covariates", "promo", *FAST])
    assert code == 0, err
    table = pd.read_csv(io.StringIO(out))
    assert list(table.columns[:3]) == ["store", "date", "sales"] and table.groupby("store").size().tolist() == [7, 7]
    assert table["date"].iloc[0] == "2020-03-01"  # the day after each series' last value (row 60)
    # fit, backtest and explain take the horizon from those rows too, as --horizon's help says (fit had 12)
    model = tmp_path / "m.tsgate"
    assert run(["fit", path, "--id-col", "store", "--future-covariates", "promo", "--save-model", model, *FAST])[0] == 0
    assert load(model).horizon_ == 7
    code, out, _ = run(["predict", model, "--input", path])
    assert code == 0 and pd.read_csv(io.StringIO(out)).groupby("store").size().tolist() == [7, 7]
    code, out, err = run(["backtest", path, "--id-col", "store", "--future-covariates", "promo", "--model", "naive",
                          "--folds", 2])
    assert code == 0 and "2020-02-23" in out, out + err  # the second fold starts 7 days before the end
    code, _, err = run(["forecast", path, "--id-col", "store", "--future-covariates", "promo", "--horizon", 9, *FAST])
    assert code == 2 and err.strip() == ("tsgate: error: --horizon 9 needs 9 rows of the future covariates ['promo'] "
                                         f"after the target's last value; {path} has 7 (series 'a')"), err  # no fit
    code, _, err = run(["predict", model, "--input", path, "--horizon", 9])
    assert code == 2 and "--horizon 9 needs 9 rows" in err, err
    code, _, err = run(["explain", path, "--id-col", "store", "--future-covariates", "promo", "--step", 8, *FAST])
    assert code == 2 and "--step must be at most 7" in err, err
    pd.concat(parts).assign(price=1.0).to_csv(path, index=False)  # two candidates: still to be named
    code, _, err = run(["forecast", path, "--id-col", "store", "--future-covariates", "promo", *FAST])
    assert code == 2 and "name the target column with --target (one of the numeric columns ['sales', 'price'])" in err
    pd.concat(parts).drop(columns="sales").to_csv(tmp_path / "none.csv", index=False)  # no candidate at all
    code, _, err = run(["forecast", tmp_path / "none.csv", "--id-col", "store", "--future-covariates", "promo", *FAST])
    assert code == 2 and err.strip().endswith("name the target column with --target (the file has no numeric column "
                                              "but --id-col's and --future-covariates')"), err
    code, out, err = run(["forecast", path, "--id-col", "store", "--future-covariates", "promo", "--target", "sales",
                          "--model", "naive", "--quiet"])  # a baseline reads no covariate: it had 'promo' as a target
    assert code == 0 and pd.read_csv(io.StringIO(out)).groupby("store").size().tolist() == [7, 7], err
