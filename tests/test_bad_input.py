"""Malformed input through the CLI: exit 2, one line, no traceback, the words a
user needs (row, column, option); and a property test over random series."""

import json
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings, strategies as st

from tsgate import LSTMForecaster
from tsgate.errors import DataError, ParameterError
from tsgate.cli import main

QUICK = ["--epochs", "2", "--quiet"]


def _monthly_csv(n=48, values=None, date_fmt="%Y-%m-%d"):
    idx = pd.date_range("2000-01-01", periods=n, freq="MS")
    t = np.arange(n)
    y = 100 + t + 10 * np.sin(2 * np.pi * t / 12) if values is None else values
    return pd.DataFrame({"date": idx.strftime(date_fmt), "sales": y})


def _write(path, df=None, text=None, raw=None):
    if raw is not None:
        path.write_bytes(raw)
    elif text is not None:
        path.write_text(text)
    else:
        df.to_csv(path, index=False)
    return path


def _cases(d):
    """(args, words that the one-line message must contain)."""
    good = _write(d / "good.csv", _monthly_csv())
    lines = good.read_text().splitlines()
    bad_date = _monthly_csv()
    bad_date.loc[30, "date"] = "2002-13-45"
    nan = _monthly_csv()
    nan.loc[5, "sales"] = np.nan
    text_value = _monthly_csv().astype({"sales": object})
    text_value.loc[39, "sales"] = "12a"
    huge = _monthly_csv()
    huge.loc[20:21, "sales"] = 1e308  # two rows: one alone is an isolated outlier, repaired (tests/test_outliers.py)
    two = _monthly_csv().assign(cost=1.0)
    label = _monthly_csv().assign(label="x")
    unsorted = _monthly_csv().iloc[[0, 2, 1] + list(range(3, 48))]
    dup_time = pd.concat([_monthly_csv().iloc[:5], _monthly_csv().iloc[4:]])
    gap = _monthly_csv().drop([5, 9])
    (d / "folder.csv").mkdir()
    model = d / "m.tsgate"
    return [
        (["forecast", d / "missing.csv"], ["missing.csv", "no such file"]),
        (["forecast", d / "folder.csv"], ["is a directory"]),
        (["forecast", _write(d / "empty.csv", text="")], ["the file is empty"]),
        (["forecast", _write(d / "blank.csv", text="  \n\n")], ["the file is empty"]),
        (["forecast", _write(d / "header.csv", text="date,sales\n")], ["header but no rows"]),
        (["forecast", _write(d / "baddate.csv", bad_date)], ["row 31", "'2002-13-45' is not a date", "'date'"]),
        (["forecast", _write(d / "one.csv", _monthly_csv(1))], ["too short"]),
        (["forecast", _write(d / "two.csv", _monthly_csv(2))], ["too short"]),
        (["forecast", _write(d / "nul.csv", raw=good.read_bytes().replace(b"2000-03-01", b"2000-03\x00-01"))],
         ["line 4", "NUL byte"]),
        (["forecast", _write(d / "semi.csv", text="\n".join(x.replace(",", ";") for x in lines)), "--sep", ","],
         ["only one column", "is the delimiter ';'", "--sep"]),
        (["forecast", _write(d / "tab.csv", text="\n".join(x.replace(",", "\t") for x in lines)), "--sep", ";"],
         ["only one column", "--sep"]),
        (["forecast", _write(d / "textvalue.csv", text_value)], ["column 'sales'", "row 40", "'12a' is not a number"]),
        (["forecast", _write(d / "latin1.csv", raw="date,ventes\u00e9\n".encode("latin-1") + b"2000-01-01,1\n")],
         ["not utf-8 text", "--encoding"]),
        (["forecast", good, "--encoding", "klingon"], ["unknown --encoding 'klingon'"]),
        (["forecast", _write(d / "duphead.csv", text="date,y,y\n2000-01-01,1,2\n")], ["'y' appears twice"]),
        (["forecast", _write(d / "onlydate.csv", text="date\n2000-01-01\n2000-02-01\n")], ["only one column"]),
        (["forecast", _write(d / "unsorted.csv", unsorted)], ["not sorted", "row 2"]),
        (["forecast", _write(d / "duptime.csv", dup_time)], ["duplicated timestamps"]),
        (["forecast", _write(d / "gap.csv", gap)],  # names the first missing month, not a 28-31 day wobble
         ["irregular time index", "steps by 'MS'", "row 5 is 2000-07-01 where 2000-06-01 was expected"]),
        (["forecast", _write(d / "nan.csv", nan)], ["column 'sales' has NaN", "2000-06-01", "--fill ffill"]),
        (["forecast", _write(d / "allnan.csv", _monthly_csv(values=[np.nan] * 47 + [1.0]).assign(
            sales=np.nan, level=1.0)), "--target", "sales", "--fill", "ffill"], ["'sales'", "has no values"]),
        (["forecast", _write(d / "inf.csv", _monthly_csv(values=np.where(np.arange(48) == 10, np.inf, 1.0 + np.arange(48))))],
         ["NaN or inf", "2000-11-01"]),
        (["forecast", _write(d / "huge.csv", huge)], ["column 'sales'", "too large to standardise", "2001-09-01"]),
        (["forecast", _write(d / "e160.csv", _monthly_csv(values=1e160 * (1 + np.arange(48.0))))],
         ["too large to standardise"]),
        (["forecast", _write(d / "e300daily.csv", text="ds,y\n" + "".join(  # squares overflow in the period search
            f"2020-01-{k:02d},{1e300 * k}\n" for k in range(1, 31)))], ["too large to standardise"]),
        (["forecast", good, "--target", "profit"], ["--target 'profit' is not a column"]),
        (["forecast", good, "--time-col", "when"], ["--time-col 'when' is not a column"]),
        (["forecast", _write(d / "two_numeric.csv", two)], ["cannot choose the target", "--target"]),
        (["forecast", _write(d / "label.csv", label)], ["non-numeric columns ['label']"]),
        (["forecast", good, "--lookback", "40", "--horizon", "12"], ["too short", "--lookback", "--horizon"]),
        (["forecast", good, "--seed", "-1"], ["--seed", "-1 is not in the range"]),
        (["forecast", good, "--interval", "1.5"], ["Invalid value for '--interval'"]),
        (["forecast", good, "--interval", "80,95"], ["'80,95' is not a coverage", "(a percentage? write 0.8,0.95)"]),
        (["forecast", good, "--time-col", "sales"], ["column 'sales' row 1 (line 2): 100.0 is not a date"]),
        (["forecast", good, "--future-covariates", "sales"], ["numeric columns not in --future-covariates []"]),
        (["forecast", good, "--horizon", "0"], ["Invalid value for '--horizon'"]),
        # click's FloatRange lets inf and nan through: they reached the forecaster's Python message
        (["forecast", good, "--learning-rate", "inf"], ["Invalid value for '--learning-rate'", "not a finite number"]),
        (["forecast", good, "--time-budget", "nan"], ["Invalid value for '--time-budget'", "not a finite number"]),
        (["forecast", good, "--cell", "tcn"], ["Invalid value for '--cell'"]),
        (["forecast", good, "--no-such-option"], ["No such option", "--no-such-option", "--help"]),
        (["forecast", good, "--out", d / "nodir" / "f.csv"], ["--out", "does not exist"]),
        (["forecast", good, "--out", d / "folder.csv"], ["--out", "is a directory"]),
        (["forecast", good, "--plot", d / "f.xyz"], ["cannot plot to", "'xyz'"]),
        (["forecast", good, "--out", d / "same.csv", "--plot", d / "same.csv"], ["--out and --plot", "same file"]),
        (["forecast", good, "--save-model", d / "nodir" / "m.tsgate"], ["--save-model", "does not exist"]),
        (["forecast", _write(d / "noisy.csv", _monthly_csv(values=100 + np.random.default_rng(0).standard_normal(48))),
          "--learning-rate", "1e6", "--epochs", "3", "--quiet"], ["training failed", "--learning-rate"]),
        (["forecast", good, "--future-covariates", "promo"],
         ["--future-covariates names 'promo', which is not a column"]),
        (["forecast", good, "--id-col", "shop"], ["--id-col 'shop' is not a column"]),
        (["predict", good], ["is not a tsgate model file"]),
        (["predict", d / "nomodel.tsgate"], ["does not exist"]),
        (["predict", _write(d / "trunc.tsgate", raw=b"PK\x03\x04" + b"\x00" * 20)], ["truncated or corrupt"]),
        (["predict", model, "--input", _write(d / "weekly.csv", _monthly_csv(60, date_fmt="%Y-%m-%d").assign(
            date=pd.date_range("2000-01-01", periods=60, freq="W-SUN").strftime("%Y-%m-%d")))], ["frequency"]),
        (["predict", model, "--input", _write(d / "nan_tail.csv", _monthly_csv(60, values=np.where(
            np.arange(60) == 57, np.nan, 1.0 + np.arange(60))))], ["NaN", "--fill"]),
        (["predict", model, "--input", _write(d / "two_late.csv", _monthly_csv(64).iloc[62:])],
         # two new rows after a gap: not 'too short to infer the step'
         ["two_late.csv holds 2 rows", "from 2005-03-01: give the rows that follow its data (from 2005-01-01)",
          "rows (the lookback)"]),
        (["predict", model, "--horizon", "99"], ["--horizon 99 exceeds", "refit with a larger --horizon"]),
        (["backtest", good, "--folds", "10", "--horizon", "12", *QUICK],
         ["--folds 10 of --horizon 12 need more than 120 time steps; the data has"]),
        (["datasets", "export", "nope"], ["unknown dataset 'nope'"]),
    ]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad")
    assert CliRunner().invoke(main, ["fit", str(_write(d / "fit.csv", _monthly_csv(60))), "--save-model",
                                     str(d / "m.tsgate"), *QUICK]).exit_code == 0
    return _cases(d)


def _count():
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as d:
        return len(_cases(Path(d)))


N_CASES = _count()


def test_the_corpus_is_large():
    assert N_CASES >= 40


@pytest.mark.parametrize("k", range(N_CASES))
def test_malformed_input_exits_2_with_one_clear_line(corpus, k):
    args, words = corpus[k]
    with warnings.catch_warnings():  # pytest keeps warnings off stderr: a stray one must fail here
        warnings.simplefilter("error", RuntimeWarning)
        r = CliRunner().invoke(main, [str(a) for a in args])
    assert r.exit_code == 2, (args, r.exit_code, r.stderr, r.exception)
    err = r.stderr.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    assert err.startswith("tsgate: error: ")
    for w in words:
        assert w in err, (w, err)


def test_no_output_is_written_when_one_output_fails(tmp_path):
    good = _write(tmp_path / "good.csv", _monthly_csv())
    r = CliRunner().invoke(main, ["forecast", str(good), "--out", str(tmp_path / "f.csv"), "--plot",
                                  str(tmp_path / "f.xyz"), *QUICK])
    assert r.exit_code == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.csv"]


def test_options_too_large_for_the_memory_exit_2_with_one_line(tmp_path, monkeypatch):
    # --hidden-size 100000 asks numpy for 298 GiB of weights: a traceback before
    from tsgate.model import SequenceModel

    def too_big(self, *a, **k):
        raise MemoryError("Unable to allocate 298. GiB for an array with shape (400000, 100000)")

    monkeypatch.setattr(SequenceModel, "__init__", too_big)
    good = _write(tmp_path / "good.csv", _monthly_csv())
    r = CliRunner().invoke(main, ["forecast", str(good), "--hidden-size", "100000", "--out", str(tmp_path / "f.csv"),
                                  *QUICK])
    assert r.exit_code == 2 and r.stderr.count("\n") == 1, r.stderr
    assert "out of memory (Unable to allocate 298. GiB" in r.stderr and "--hidden-size" in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.csv"]


def test_outputs_are_all_or_none_when_writing_fails(tmp_path, monkeypatch):
    import tsgate.bundle as bundle

    _write(tmp_path / "good.csv", _monthly_csv())
    real = bundle.tempfile.mkstemp
    calls = []

    def failing_second(*a, **k):
        calls.append(1)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(*a, **k)

    monkeypatch.setattr(bundle.tempfile, "mkstemp", failing_second)
    with pytest.raises(OSError, match="No space"):
        bundle.commit({tmp_path / "a.csv": b"a", tmp_path / "b.png": b"b"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.csv"]


def test_stdin_dash_and_decimal_commas(tmp_path):
    text = _monthly_csv().to_csv(index=False, sep=";", decimal=",")
    r = CliRunner().invoke(main, ["forecast", "-", "--horizon", "3", *QUICK], input=text)
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines()[0] == "date,sales,sales_lower,sales_upper"
    r = CliRunner().invoke(main, ["forecast", "-"], input="")
    assert r.exit_code == 2 and "<stdin>: the file is empty" in r.stderr


def test_a_file_written_newest_first_is_read_in_time_order(tmp_path):
    # a single series, and a long panel whose series share each timestamp's
    # rows: the forecast equals that of the same file in time order (series
    # in the same order); a file out of order otherwise is still an error
    rng = np.random.default_rng(0)
    df = _monthly_csv()
    panel = pd.concat([pd.DataFrame({"id": k, "date": df["date"], "sales": df["sales"] + rng.standard_normal(len(df))})
                       for k in ("b", "a")]).sort_values("date", kind="stable")
    for frame, extra in ((df, []), (panel, ["--id-col", "id"])):
        outs = []
        for rows in (frame, frame.sort_values("date", ascending=False, kind="stable")):  # newest first
            r = CliRunner().invoke(main, ["forecast", "-", "--horizon", "3", *extra, *QUICK],
                                   input=rows.to_csv(index=False))
            assert r.exit_code == 0, r.stderr
            outs.append(r.stdout)
        assert outs[0] == outs[1]
    assert outs[0].splitlines()[1].startswith("b,")
    swapped = df.iloc[[1, 0, *range(2, len(df))]]
    r = CliRunner().invoke(main, ["forecast", "-", *QUICK], input=swapped.to_csv(index=False))
    assert r.exit_code == 2 and "not sorted: row 1" in r.stderr
    assert r.stderr.rstrip().endswith("; sort the file's rows by time first"), r.stderr  # a file has no index
    series = df.set_index(pd.DatetimeIndex(df["date"]))["sales"]
    with pytest.raises(DataError, match=r"not sorted: row 1 .*; sort the index first$"):  # in Python it has
        LSTMForecaster(max_epochs=1).fit(series.iloc[[1, 0, *range(2, len(df))]])
    with pytest.raises(DataError, match=r"run backwards .*; sort the index first, e.g. with sort_index\(\)$"):
        LSTMForecaster(max_epochs=1).fit(series.iloc[::-1])


@pytest.mark.parametrize("freq", ["D", "MS"])
@pytest.mark.parametrize("fmt", ["%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%Y-%m-%d"])
def test_read_csv_reads_dates_day_or_month_first(tmp_path, freq, fmt):
    # 01/02/2000 is ambiguous: a day-first file is read day first when month
    # first would mix readings (daily: 01/02 as January 2, 13/02 as February
    # 13) or step irregularly (monthly: January 1, 2, ..., 12, then 2001)
    from tsgate.csvio import read_csv

    idx = pd.date_range("2000-01-01", periods=40, freq=freq)
    p = tmp_path / "d.csv"
    pd.DataFrame({"date": idx.strftime(fmt), "v": np.arange(40.0)}).to_csv(p, index=False)
    assert read_csv(p).index.equals(pd.DatetimeIndex(idx, name="date", freq=None))


def test_a_day_first_file_with_a_gap_is_read_day_first_throughout(tmp_path):
    # with two days missing the day-first reading no longer steps regularly, so
    # month first was kept and pandas read each date on its own: 12/01/2020 as
    # December 1, 13/01/2020 as January 13; the user was told the file was not
    # sorted, where it has a gap
    from tsgate.csvio import read_csv

    idx = pd.date_range("2020-01-01", periods=60, freq="D").delete([20, 41])
    p = tmp_path / "d.csv"
    pd.DataFrame({"date": idx.strftime("%d/%m/%Y"), "v": np.arange(58.0)}).to_csv(p, index=False)
    assert read_csv(p).index.equals(pd.DatetimeIndex(idx, name="date"))
    r = CliRunner().invoke(main, ["forecast", str(p), *QUICK])
    assert r.exit_code == 2 and "row 20 is 2020-01-22 where 2020-01-21 was expected" in r.stderr, r.stderr
    us = tmp_path / "us.csv"  # month first, where a second field exceeds 12
    pd.DataFrame({"date": idx.strftime("%m/%d/%Y"), "v": np.arange(58.0)}).to_csv(us, index=False)
    assert read_csv(us).index.equals(pd.DatetimeIndex(idx, name="date"))


@pytest.mark.parametrize("ambiguous", [False, True])
def test_iso_dates_beside_day_first_ones_keep_their_month(tmp_path, ambiguous):
    # a file joined from two exports: pandas' dayfirst reads an ISO 2020-01-02 as February 1 too, so the ISO
    # rows were read with day and month swapped, silently (a long file: "series 'a' steps by 'MS'")
    from tsgate.csvio import read_csv

    iso, dmy = pd.date_range("2020-01-01", periods=40, freq="D"), pd.date_range("2020-02-10", periods=40, freq="D")
    if ambiguous:  # day-first read because it steps regularly, every first field <= 12
        iso, dmy = pd.date_range("2020-01-01", periods=6, freq="MS"), pd.date_range("2020-07-01", periods=6, freq="MS")
    text = [*iso.strftime("%Y-%m-%d"), *dmy.strftime("%d/%m/%Y")]
    p = _write(tmp_path / "joined.csv", pd.DataFrame({"date": text, "v": np.arange(len(text), dtype=float)}))
    assert read_csv(p).index.equals(pd.DatetimeIndex(iso.append(dmy), name="date"))


def test_a_long_file_without_its_id_column_is_told_which_column_looks_like_one(tmp_path):
    parts = [_monthly_csv(36).assign(store=k) for k in (7, 8)]
    p = _write(tmp_path / "long.csv", pd.concat(parts)[["store", "date", "sales"]])
    r = CliRunner().invoke(main, ["forecast", str(p), *QUICK])
    assert r.exit_code == 2 and len(r.stderr.strip().splitlines()) == 1
    assert r.stderr.strip().endswith("has duplicated timestamps (first: 2000-01-01); several series in long form? "
                                     "name their id column with --id-col (perhaps 'store': no timestamp repeats "
                                     "within one of its values)"), r.stderr
    assert CliRunner().invoke(main, ["forecast", str(p), "--id-col", "store", *QUICK]).exit_code == 0
    dup = _write(tmp_path / "dup.csv", pd.concat([parts[0], parts[0].iloc[-1:]]))  # no such column: no guess
    r = CliRunner().invoke(main, ["forecast", str(dup), *QUICK])
    assert r.exit_code == 2 and r.stderr.strip().endswith("has duplicated timestamps (first: 2002-12-01)"), r.stderr

def test_integer_time_steps_through_the_cli(tmp_path):
    # --time-col t on steps 0, 1, 2... said "0 is not a date"; a file without a
    # time column wrote its forecast without the steps (a RangeIndex read as a
    # table); an increasing integer column 't' was read as a covariate that
    # grows without bound ("1 past covariate (t)"): it is the time, as named
    t = np.arange(80)
    p = _write(tmp_path / "steps.csv", pd.DataFrame({"t": t, "v": np.sin(t / 4.0)}))
    bare = _write(tmp_path / "bare.csv", pd.DataFrame({"v": np.sin(t / 4.0), "u": np.cos(t / 4.0)}))
    steps_t = "t,v,v_lower,v_upper"
    for f, args, first in ((p, ["--time-col", "t"], steps_t), (p, ["--target", "v"], steps_t), (p, [], steps_t),
                           (bare, ["--target", "v"], "step,v,v_lower,v_upper")):
        r = CliRunner().invoke(main, ["forecast", str(f), "--horizon", "2", *args, "--epochs", "2"])
        assert r.exit_code == 0, r.stderr
        lines = r.stdout.splitlines()
        assert lines[0] == first and [x.split(",")[0] for x in lines[1:]] == ["80", "81"], r.stdout
        assert ("1 past covariate (u)" in r.stderr) == (f == bare) and "(t)" not in r.stderr, r.stderr
    model = str(tmp_path / "steps.tsgate")  # then newer steps: read on the model's step column, unless told
    fit = ["fit", str(p), "--horizon", "2", "--time-col", "t", "--save-model", model, *QUICK]
    assert CliRunner().invoke(main, fit).exit_code == 0
    newer = _write(tmp_path / "newer.csv", pd.DataFrame({"t": [80, 81], "v": [0.1, 0.2]}))
    r = CliRunner().invoke(main, ["predict", model, "--input", str(newer)])
    assert r.exit_code == 0 and [x.split(",")[0] for x in r.stdout.splitlines()] == ["t", "82", "83"], r.output
    years = _write(tmp_path / "years.csv", pd.DataFrame({"year": 1900 + t, "v": np.sin(t / 4.0)}))
    r = CliRunner().invoke(main, ["forecast", str(years), "--horizon", "2", "--time-col", "year", *QUICK])
    assert r.exit_code == 0 and r.stdout.splitlines()[1].startswith("1980,"), r.stdout  # years stay years

def test_dates_written_both_day_and_month_first_are_named(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("when,v\n" + "".join(f"{d},{k}\n" for k, d in enumerate(["11/01/2020", "13/01/2020", "01/14/2020"])))
    r = CliRunner().invoke(main, ["forecast", str(p), *QUICK])
    assert r.exit_code == 2 and len(r.stderr.strip().splitlines()) == 1
    assert "column 'when' mixes day-first dates (row 2: '13/01/2020') and month-first dates (row 3: " \
           "'01/14/2020')" in r.stderr

def test_timestamps_whose_utc_offset_changes_with_daylight_saving_are_read_in_utc(tmp_path):
    # a local clock written with its offsets: +01:00, then +02:00 from 2022-03-27
    # 03:00 on; pandas refuses the mix ("Mixed timezones detected": a traceback
    # from tsgate forecast); read in UTC the hours step regularly
    idx = pd.date_range("2022-03-20", periods=300, freq="h", tz="Europe/Berlin")
    text = pd.DataFrame({"time": [t.isoformat() for t in idx], "load": np.sin(np.arange(300) / 3.8)})
    assert {"+01:00", "+02:00"} == {t[-6:] for t in text["time"]}
    r = CliRunner().invoke(main, ["forecast", "-", "--horizon", "4", *QUICK], input=text.to_csv(index=False))
    assert r.exit_code == 0, r.stderr
    first = pd.Timestamp(r.stdout.splitlines()[1].split(",")[0])
    assert first == idx[-1].tz_convert("UTC") + pd.Timedelta("1h")
    fc = LSTMForecaster(horizon=4, time_col="time", max_epochs=2).fit(text)  # a time column in Python alike
    assert fc.predict()["time"].iloc[0] == first


def test_read_csv_detects_an_integer_step_column_by_its_name_and_order(tmp_path):
    from tsgate.csvio import read_csv

    p = tmp_path / "s.csv"
    p.write_text("count,step,v\n5,10,1.5\n3,12,2.5\n9,13,0.5\n")  # increasing, not regular: still the time
    df = read_csv(p)
    assert df.index.name == "step" and df.index.tolist() == [10, 12, 13] and list(df.columns) == ["count", "v"]
    p.write_text("t,v\n3,1.5\n2,2.5\n1,0.5\n")  # decreasing: a column like any other
    assert list(read_csv(p).columns) == ["t", "v"]
    p.write_text("date,t,v\n2020-01-01,0,1.5\n2020-01-02,1,2.5\n")  # a date column comes first
    df = read_csv(p)
    assert df.index.name == "date" and list(df.columns) == ["t", "v"]


def test_a_first_column_of_row_numbers_is_left_out(tmp_path):
    # pandas' df.to_csv writes its RangeIndex as an unnamed first column, reset_index as 'index':
    # "cannot choose the target: set --target to one (or a list) of the numeric columns ['Unnamed: 0', 'sales']",
    # and with --target it was a past covariate that grows without bound
    from tsgate.csvio import read_csv

    t = np.arange(60)
    frame = pd.DataFrame({"date": pd.date_range("2015-01-01", periods=60, freq="MS").strftime("%Y-%m-%d"),
                          "sales": 100 + t + 10 * np.sin(2 * np.pi * t / 12)})
    frame.to_csv(tmp_path / "unnamed.csv")
    frame.reset_index().to_csv(tmp_path / "index.csv", index=False)
    for name in ("unnamed.csv", "index.csv"):
        assert list(read_csv(tmp_path / name).columns) == ["sales"]
        r = CliRunner().invoke(main, ["forecast", str(tmp_path / name), "--horizon", "2", "--epochs", "2"])
        assert r.exit_code == 0 and r.stdout.splitlines()[0] == "date,sales,sales_lower,sales_upper", r.output
        assert "covariate" not in r.stderr, r.stderr
    frame.assign(index=t + 5)[["index", "date", "sales"]].to_csv(tmp_path / "counts.csv", index=False)
    assert list(read_csv(tmp_path / "counts.csv").columns) == ["index", "sales"]  # not row numbers: data
    frame.reset_index().to_csv(tmp_path / "steps.csv", index=False, columns=["index", "sales"])
    df = read_csv(tmp_path / "steps.csv")  # no other time column: read as steps, as a file without one is
    assert list(df.columns) == ["sales"] and df.index.tolist() == list(range(60))


def test_read_csv_reads_thousands_separators_and_a_year_column(tmp_path):
    from tsgate.csvio import read_csv

    p = tmp_path / "t.csv"
    p.write_text('date,sales,units\n2000-01-01,"1,234.5",12\n2000-02-01,"12,345,678",7\n2000-03-01,999.5,"1,000"\n')
    df = read_csv(p)
    assert df["sales"].tolist() == [1234.5, 12345678.0, 999.5] and df["units"].tolist() == [12, 7, 1000]
    p.write_text('date;sales\n2000-01-01;1.234,5\n2000-02-01;2.345,25\n2000-03-01;7,5\n')  # decimal comma
    assert read_csv(p)["sales"].tolist() == [1234.5, 2345.25, 7.5]
    p.write_text('date,sales\n2000-01-01,"1,234.5"\n2000-02-01,"1,23"\n2000-03-01,5\n2000-04-01,6\n2000-05-01,7\n')
    with pytest.raises(DataError, match="row 2 \\(line 3\\): '1,23' is not a number"):
        read_csv(p)  # not a thousands group, and not all numbers
    # spreadsheet cells exported formatted: a currency sign before, a percent sign after
    p.write_text('date,sales,rate\n2000-01-01,"$1,234.50",5.3%\n2000-02-01,-$12,12 %\n2000-03-01,€7,0.5%\n')
    df = read_csv(p)
    assert df["sales"].tolist() == [1234.5, -12.0, 7.0] and df["rate"].tolist() == [5.3, 12.0, 0.5]
    p.write_text("date,rate\n2000-01-01,5%\n2000-02-01,x\n" + "".join(f"2000-0{m}-01,{m}%\n" for m in range(3, 8)))
    with pytest.raises(DataError, match="row 2 \\(line 3\\): 'x' is not a number"):
        read_csv(p)
    p.write_text("Year,value\n1950,1.5\n1951,2.5\n1952,3.5\n")
    df = read_csv(p)
    assert df.index.equals(pd.DatetimeIndex(["1950-01-01", "1951-01-01", "1952-01-01"], name="Year"))
    assert list(df.columns) == ["value"]
    p.write_text("count,value\n1950,1.5\n1951,2.5\n1952,3.5\n")  # another name: no time column
    assert list(read_csv(p).columns) == ["count", "value"]
    p.write_text("Date,value\n1950,1.5\n1951,2.5\n1952,3.5\n")  # years under 'date' (a yearly export)
    assert read_csv(p).index.equals(pd.DatetimeIndex(["1950-01-01", "1951-01-01", "1952-01-01"], name="Date"))
    p.write_text("date,value\n20220130,1.5\n20220131,2.5\n20220201,3.5\n")  # days written as yyyymmdd numbers
    df = read_csv(p)
    assert df.index.equals(pd.DatetimeIndex(["2022-01-30", "2022-01-31", "2022-02-01"], name="date"))
    p.write_text("date,value\n20220130,1.5\n20220132,2.5\n20220201,3.5\n")  # not all dates: no time column
    assert list(read_csv(p).columns) == ["date", "value"]
    p.write_text("day,value\n1950,1.5\n1951,2.5\n1952,3.5\n")  # years are no days
    assert list(read_csv(p).columns) == ["day", "value"]


def test_blank_rows_below_the_data_are_left_out(tmp_path):
    # a spreadsheet's export ends with ',,' rows: "row 37 (line 38) has no timestamp"
    from tsgate.csvio import read_csv

    rows = "".join(f"2015-{m:02d}-01,{m}.5\n" for m in range(1, 13))
    p = tmp_path / "s.csv"
    p.write_text("date,sales\n" + rows + ",\n , \n,\n")
    df = read_csv(p)
    assert len(df) == 12 and df["sales"].iloc[-1] == 12.5
    p.write_text("date,sales\n" + rows[:60] + ",\n" + rows[60:])  # in the middle: no time, named by its row
    with pytest.raises(DataError, match=r"column 'date' row 5 \(line 6\) has no timestamp"):
        read_csv(p)
    p.write_text("date,sales\n,\n,\n")
    with pytest.raises(DataError, match="the file has a header but no rows"):
        read_csv(p)


def test_read_csv_reads_missing_markers_and_trailing_delimiters(tmp_path):
    # FRED writes '.' for a missing value; spreadsheets end every line with a
    # delimiter (a column with no name and no value, or several)
    from tsgate.csvio import read_csv

    p = tmp_path / "f.csv"
    p.write_text("DATE,GDP\n2000-01-01,1.5\n2000-04-01,.\n2000-07-01,-\n2000-10-01,2.5\n")
    assert read_csv(p)["GDP"].isna().tolist() == [False, True, True, False]
    code = CliRunner().invoke(main, ["forecast", str(p), *QUICK])
    assert code.exit_code == 2 and "column 'GDP' has NaN or inf (first at 2000-04-01)" in code.stderr
    for tail in (",", ",,", ";"):
        sep = ";" if tail == ";" else ","
        p.write_text("".join(f"{line}{tail}\n" for line in ["d" + sep + "v", "2000-01-01" + sep + "1",
                                                            "2000-02-01" + sep + "2", "2000-03-01" + sep + "3"]))
        df = read_csv(p)
        assert list(df.columns) == ["v"] and df["v"].tolist() == [1, 2, 3], tail
    p.write_text("d,v,\n2000-01-01,1,x\n2000-02-01,2,\n")  # a nameless column with a value stays
    assert read_csv(p).shape == (2, 2)


def test_future_covariates_from_the_rows_after_the_target(tmp_path):
    df = _monthly_csv(60)
    df["promo"] = (np.arange(60) % 3 == 0).astype(float)
    df.loc[54:, "sales"] = np.nan  # the last 6 rows: future, covariate known
    r = CliRunner().invoke(main, ["forecast", str(_write(tmp_path / "f.csv", df)), "--future-covariates", "promo",
                                  "--horizon", "6", *QUICK])
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines()[1].startswith("2004-07-01")
    # without --horizon the future rows set it (the monthly default, 12, failed: "6 of the 12 horizon
    # rows missing"); with --id-col, the fewest rows of any series
    r = CliRunner().invoke(main, ["forecast", str(tmp_path / "f.csv"), "--future-covariates", "promo", *QUICK])
    assert r.exit_code == 0, r.stderr
    assert [line[:10] for line in r.stdout.splitlines()[1:]] == [f"2004-{m:02d}-01" for m in range(7, 13)]
    panel = pd.concat([df.assign(shop="a"), df.assign(shop="b").drop(index=[58, 59])])
    r = CliRunner().invoke(main, ["forecast", str(_write(tmp_path / "p.csv", panel)), "--future-covariates", "promo",
                                  "--id-col", "shop", "--target", "sales", *QUICK])
    assert r.exit_code == 0, r.stderr
    assert len(r.stdout.splitlines()) == 1 + 2 * 4


def test_backtest_json_and_out_with_fold_dates(tmp_path):
    good = _write(tmp_path / "good.csv", _monthly_csv(60))
    r = CliRunner().invoke(main, ["backtest", str(good), "--folds", "2", "--horizon", "6", "--json", *QUICK])
    assert r.exit_code == 0, r.stderr
    recs = json.loads(r.stdout)
    assert len(recs) == 4 and recs[0]["start"].startswith("2004-01-01") and recs[2]["start"].startswith("2004-07-01")
    r = CliRunner().invoke(main, ["backtest", str(good), "--folds", "2", "--horizon", "6", "--out",
                                  str(tmp_path / "bt.csv"), *QUICK])
    assert r.exit_code == 0 and list(pd.read_csv(tmp_path / "bt.csv").columns)[:3] == ["fold", "start", "model"]


def test_coverage_beyond_the_validation_windows_is_said(tmp_path):
    good = _write(tmp_path / "good.csv", _monthly_csv())
    r = CliRunner().invoke(main, ["forecast", str(good), "--interval", "0.999", "--horizon", "3", *QUICK])
    assert r.exit_code == 0
    assert "tsgate: warning: coverage 0.999 needs at least 999 validation windows" in r.stderr


def test_broken_pipe_is_quiet(tmp_path):
    import subprocess
    import sys

    code = ("import sys; from tsgate.cli import main; sys.argv = ['tsgate', 'datasets', 'export', 'co2_weekly'];"
            " main()")
    p = subprocess.run(f"{sys.executable} -c \"{code}\" | head -1", shell=True, capture_output=True, text=True)
    assert p.stdout.startswith("week,co2")
    assert p.stderr == ""


SERIES = st.tuples(st.sampled_from([1e-300, 1e-3, 1.0, 1e6, 1e30, 1e150, 1e300]),
                   st.lists(st.floats(allow_nan=False, allow_infinity=False, min_value=-1, max_value=1),
                            min_size=30, max_size=60),
                   st.sampled_from([0.0, 1.0, 1e100, -1e307]))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(series=SERIES)
def test_any_finite_series_gives_a_finite_forecast_or_a_clear_error(tmp_path, series):
    scale, unit, offset = series
    values = offset + scale * np.array(unit)
    path = tmp_path / "p.csv"
    _monthly_csv(len(values), values=values).to_csv(path, index=False, float_format="%.17g")
    r = CliRunner().invoke(main, ["forecast", str(path), "--horizon", "3", "--json", *QUICK])
    if r.exit_code == 0:
        recs = json.loads(r.stdout)
        assert all(isinstance(v, float) and np.isfinite(v) for rec in recs for k, v in rec.items() if k != "date")
    else:
        assert r.exit_code == 2 and len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr, r.stderr


@settings(max_examples=20, deadline=None)
@given(series=SERIES)
def test_python_api_never_returns_a_non_finite_forecast(series):
    from tsgate import LSTMForecaster
    from tsgate.errors import DataError, TrainingDivergedError

    scale, unit, offset = series
    y = pd.Series(offset + scale * np.array(unit), index=pd.date_range("2000-01-01", periods=len(unit), freq="MS"))
    try:
        fc = LSTMForecaster(horizon=3, max_epochs=2, hidden_size=4).fit(y)
        iv = fc.predict_interval(0.5)
    except (DataError, TrainingDivergedError) as exc:
        assert str(exc)
        return
    assert np.isfinite(iv.to_numpy()).all()


def test_other_warnings_pass_through_once(tmp_path, monkeypatch):
    # a warning that is not tsgate's is shown as Python shows it, once (replaying
    # it inside the recording context used to loop forever)
    import warnings

    import tsgate.csvio

    real = tsgate.csvio.read_csv

    def noisy(*a, **k):
        warnings.warn("a library's own warning", FutureWarning)
        return real(*a, **k)

    monkeypatch.setattr(tsgate.csvio, "read_csv", noisy)
    good = _write(tmp_path / "good.csv", _monthly_csv())
    with pytest.warns(FutureWarning, match="a library's own warning"):
        r = CliRunner().invoke(main, ["forecast", str(good), "--horizon", "3", *QUICK])
    assert r.exit_code == 0


def test_a_warning_each_series_of_a_panel_raises_is_shown_once(tmp_path):
    # two series with short validation tails each warn about their calibration
    # in the same words; the command line says it once
    rows = [(sid, d.strftime("%Y-%m-%d"), float(np.sin(k / 3)) + (sid == "b"))
            for sid in ("a", "b") for k, d in enumerate(pd.date_range("2020-01-01", periods=60, freq="D"))]
    path = _write(tmp_path / "panel.csv", pd.DataFrame(rows, columns=["unique_id", "ds", "y"]))
    r = CliRunner().invoke(main, ["forecast", str(path), "--horizon", "3", *QUICK])
    assert r.exit_code == 0, r.stderr
    lines = [line for line in r.stderr.splitlines() if line.startswith("tsgate: warning:")]
    assert any("for a conformal interval" in line for line in lines)
    assert len(lines) == len(set(lines))


def test_read_csv_names_a_bad_path_sep_or_decimal(tmp_path):
    # an int was read as a file descriptor ("3: cannot read (Bad file descriptor)"), None was a TypeError,
    # sep=',,' a pandas ParserWarning and a parse error, decimal='x' was passed on to pandas
    from tsgate.csvio import read_csv

    path = tmp_path / "s.csv"
    pd.DataFrame({"date": pd.date_range("2020-01-01", periods=30, freq="D").strftime("%Y-%m-%d"),
                  "y": np.arange(30.0)}).to_csv(path, index=False, sep="\t")
    for bad, said in ((3, "path must be a file path or '-', got int 3"), (None, "path must be a file path")):
        with pytest.raises(ParameterError, match=re.escape(said)):
            read_csv(bad)
    with pytest.raises(ParameterError, match="sep must be one character, got ',,'"):
        read_csv(path, sep=",,")
    with pytest.raises(ParameterError, match="decimal must be '.' or ',', got 'x'"):
        read_csv(path, decimal="x")
    for tab in ("\t", "\\t", "tab"):  # a shell's '\t' is two characters
        assert list(read_csv(path, sep=tab).columns) == ["y"]
    r = CliRunner().invoke(main, ["forecast", str(path), "--sep", ",,"])
    assert r.exit_code == 2 and r.stderr.strip() == "tsgate: error: --sep must be one character, got ',,'", r.stderr


def test_two_columns_of_one_name_a_missing_timestamp_and_a_float_index_are_named():
    # pandas gives a frame for a duplicated column name: "'DataFrame' object has no attribute 'dtype'" (wide),
    # "arg must be a list, tuple, 1-d array, or Series" (target='y'), "Grouper for 'unique_id' not 1-dimensional"
    # (long); a NaT said "row 41 comes before the previous row (NaT)"; a float index "got Index"
    from tsgate import BaselineForecaster

    idx = pd.date_range("2020-01-01", periods=60, freq="D")
    y = 10 + np.sin(np.arange(60.0))
    wide = pd.DataFrame(np.c_[y, 2 * y], index=idx, columns=["y", "y"])
    long = pd.DataFrame({"unique_id": "a", "ds": idx, "y": y, "u": 1.0}).set_axis(["unique_id", "ds", "y", "unique_id"],
                                                                                 axis=1)
    for est, data in ((LSTMForecaster(max_epochs=1), wide), (LSTMForecaster(max_epochs=1, target="y"), wide),
                      (BaselineForecaster("naive"), wide), (LSTMForecaster(max_epochs=1), long)):
        name = "unique_id" if data is long else "y"
        with pytest.raises(DataError, match=rf"^X has two columns named '{name}'; rename one$"):
            est.fit(data)
    nat = pd.DataFrame({"y": y}, index=idx.insert(40, pd.NaT).delete(41))
    for est in (LSTMForecaster(max_epochs=1), BaselineForecaster("naive")):
        with pytest.raises(DataError, match=r"^X row 40 has no timestamp \(NaT\)$"):
            est.fit(nat)
    with pytest.raises(DataError, match=r"needs a DatetimeIndex, PeriodIndex or integer index \(or time_col\), got "
                                        r"Index of float64 \(first 0\.0\)$"):
        LSTMForecaster(max_epochs=1).fit(pd.DataFrame({"y": y}, index=np.arange(60.0)))
