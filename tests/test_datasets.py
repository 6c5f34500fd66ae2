import numpy as np
import pandas as pd
import pytest

from tsgate import datasets


@pytest.mark.parametrize("name", datasets.names())
def test_bundled_datasets_load_with_a_regular_index(name):
    s = datasets.load(name)
    assert isinstance(s.index, pd.DatetimeIndex) and s.index.freq is not None
    assert s.notna().all() and len(s) > 100
    assert "licence" in datasets.info(name)
    assert datasets.load(name, frame=True).shape[0] == len(s)


def test_known_values():
    air = datasets.load("airpassengers")
    assert air.iloc[0] == 112 and air.iloc[-1] == 432 and len(air) == 144
    assert datasets.load("macrodata", frame=True).shape == (203, 12)
    with pytest.raises(ValueError, match="unknown dataset 'x'; available: airpassengers"):
        datasets.load("x")
    with pytest.raises(ValueError, match=r"^unknown dataset 'AirPassengers' \(did you mean 'airpassengers'\?\); "):
        datasets.load("AirPassengers")  # as R and statsmodels spell it
    with pytest.raises(ValueError, match=r"^unknown dataset \['x'\]; available"):  # was "unhashable type: 'list'"
        datasets.load(["x"])


@pytest.mark.parametrize("tau", [17, 30])
def test_mackey_glass(tau):
    s = datasets.mackey_glass(1000, tau=tau, random_state=0)
    assert len(s) == 1000 and np.isfinite(s).all()
    assert 0.2 < s.min() < s.max() < 1.5  # the attractor's known range
    assert s.std() > 0.1  # not a fixed point
    assert s.equals(datasets.mackey_glass(1000, tau=tau, random_state=0))


def test_adding_problem():
    X, y = datasets.adding_problem(500, 60, random_state=0)
    assert X.shape == (500, 60, 2) and y.shape == (500,)
    assert (X[:, :, 1].sum(1) == 2).all()
    assert (np.argmax(X[:, :, 1], axis=1) < 10).all()
    marked = (X[:, :, 0] * X[:, :, 1]).sum(1)
    assert np.allclose(y, 0.5 + marked / 4)
    values, last_mark = X[:, :, 0], 59 - np.argmax(X[:, ::-1, 1], axis=1)  # uniform in [-1, 1]
    assert -1 <= values.min() < -0.99 and 0.99 < values.max() <= 1
    assert last_mark.max() == 60 // 2 - 2  # the second marker among the first length/2 - 1 steps (Sec. 5.4)


def test_delayed_echo():
    df = datasets.delayed_echo(500, lag=120, noise=0.0, random_state=1)
    assert np.array_equal(df["y"].to_numpy()[120:], df["x"].to_numpy()[:-120])
    assert df.index.freqstr == "h"
    from tsgate.errors import ParameterError

    for n, lag in ((500, 0), (100, 100), (100, 200)):  # lag >= n: y was pure noise, without a word
        with pytest.raises(ParameterError, match=f"lag must be >= 1 and less than n={n}"):
            datasets.delayed_echo(n, lag=lag)


@pytest.mark.parametrize("make,kwargs,named", [
    (datasets.mackey_glass, dict(washout=-1), "washout must be an integer of at least 0"),  # it returned one value
    (datasets.mackey_glass, dict(n=2.5), "n must be an integer"),
    (datasets.mackey_glass, dict(subsample=0), "subsample must be an integer of at least 1"),
    (datasets.mackey_glass, dict(dt=0), "dt must be a finite number above 0"),  # a ZeroDivisionError
    (datasets.mackey_glass, dict(tau=0.01), "tau must be a finite number of at least 0.1"),
    (datasets.mackey_glass, dict(b=float("nan")), "b must be a finite number"),
    (datasets.adding_problem, dict(n_sequences=2.5), "n_sequences must be an integer"),
    (datasets.adding_problem, dict(length=30, max_length=25), "max_length must be an integer of at least 30"),
    (datasets.delayed_echo, dict(lag=2.5), "lag must be an integer"),  # a TypeError from a slice
    (datasets.delayed_echo, dict(noise=-1), "noise must be a finite number of at least 0"),  # accepted
    (datasets.delayed_echo, dict(freq="xx"), "freq 'xx' and start '2020-01-01' must be a pandas frequency"),
])
def test_generators_name_a_bad_argument(make, kwargs, named):
    from tsgate.errors import ParameterError

    with pytest.raises(ParameterError, match=named):
        make(**kwargs)


def test_generators_take_numpy_integers_and_a_float_delay():
    assert len(datasets.mackey_glass(np.int64(50), tau=2.5, random_state=0)) == 50
    X, y = datasets.adding_problem(np.int32(3), np.int64(30), random_state=0, max_length=np.int64(33))
    assert X.shape == (3, 33, 2) and y.shape == (3,)
