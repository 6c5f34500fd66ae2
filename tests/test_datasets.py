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


def test_delayed_echo():
    df = datasets.delayed_echo(500, lag=120, noise=0.0, random_state=1)
    assert np.array_equal(df["y"].to_numpy()[120:], df["x"].to_numpy()[:-120])
    assert df.index.freqstr == "h"
    from tsgate.errors import ParameterError

    for n, lag in ((500, 0), (100, 100), (100, 200)):  # lag >= n: y was pure noise, without a word
        with pytest.raises(ParameterError, match=f"lag must be >= 1 and less than n={n}"):
            datasets.delayed_echo(n, lag=lag)
