"""One parameter contract: every estimator rejects every invalid value of every
parameter, with a message naming it, before it touches the data."""

import numbers
import re

import numpy as np
import pandas as pd
import pytest

from tsgate import (BaselineForecaster, GRUForecaster, LagWindowTransformer, LocalForecaster, LSTMClassifier,
                    LSTMForecaster, LSTMRegressor)
from tsgate.errors import ParameterError
from tsgate.params import (DIFFERENT_DEFAULTS, NETWORK, SHARED_DEFAULTS, TRAINING, Interval, ListOf, StrOptions,
                           check_param, seed_from)

ESTIMATORS = [LSTMForecaster, GRUForecaster, LSTMRegressor, LSTMClassifier, LagWindowTransformer, BaselineForecaster,
              LocalForecaster]


class Untouchable:
    """Data that fails loudly if the estimator looks at it."""

    def __getattr__(self, name):
        raise AssertionError(f"the data was touched ({name}) before the parameters were checked")

    def __len__(self):
        raise AssertionError("the data was touched (len) before the parameters were checked")


def _invalid_values(constraints):
    """Values that meet none of ``constraints``."""
    candidates = [-1, 0, 1.5, -0.5, 2.0, np.inf, np.nan, "bogus", True, [], [1.5], object()]
    return [v for v in candidates
            if not any(_meets(c, v) for c in constraints)]


def _meets(constraint, v):
    try:
        check_param("p", v, [constraint], "Owner")
        return True
    except ParameterError:
        return False


def _cases():
    for cls in ESTIMATORS:
        for name, constraints in cls._parameter_constraints.items():
            for value in _invalid_values(constraints):
                yield pytest.param(cls, name, value, id=f"{cls.__name__}-{name}-{value!r}"[:80])


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_constraints_cover_exactly_the_parameters(cls):
    assert set(cls._parameter_constraints) == set(cls().get_params(deep=False))


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_defaults_meet_their_own_constraints(cls):
    for name, value in cls().get_params(deep=False).items():
        check_param(name, value, cls._parameter_constraints[name], cls.__name__)


@pytest.mark.parametrize("cls,name,value", list(_cases()))
def test_invalid_parameter_is_rejected_before_the_data_is_touched(cls, name, value):
    est = cls(**{name: value})
    args = (Untouchable(),) if issubclass(cls, (LSTMForecaster, GRUForecaster)) else (Untouchable(), Untouchable())
    with pytest.raises(ParameterError, match=rf"The '{name}' parameter of {cls.__name__} must be .* Got .* instead"):
        est.fit(*args)


def test_every_kind_of_constraint_has_invalid_values():
    # the parametrisation above must not be empty for any parameter
    for cls in ESTIMATORS:
        for name, constraints in cls._parameter_constraints.items():
            assert _invalid_values(constraints), (cls.__name__, name)


def test_shared_defaults_are_shared_or_their_difference_is_documented():
    forecaster, regressor = LSTMForecaster().get_params(), LSTMRegressor().get_params()
    for name in set(NETWORK) | set(TRAINING):
        if name in DIFFERENT_DEFAULTS:
            assert forecaster[name] != regressor[name], f"{name} is listed as different but is not"
        else:
            assert forecaster[name] == regressor[name] == SHARED_DEFAULTS[name], name


def test_constraint_messages_follow_scikit_learns_wording():
    with pytest.raises(ParameterError, match=r"^The 'horizon' parameter of Est must be an int in the range "
                                             r"\[1, inf\) or None\. Got 0 instead\.$"):
        check_param("horizon", 0, [Interval(numbers.Integral, 1, None, closed="left"), None], "Est")
    with pytest.raises(ParameterError, match=r"must be a str among \{'a', 'b'\}\. Got 'c'"):
        check_param("x", "c", [StrOptions({"b", "a"})], "Est")
    with pytest.raises(ParameterError, match=r"must be a non-empty list of floats in the range \(0, 1\)\. Got"):
        check_param("q", [0.5, 1.0], [ListOf(Interval(numbers.Real, 0, 1, closed="neither"))], "Est")
    with pytest.raises(ParameterError, match=r"must be a list of ints in the range \[2, inf\)\. Got"):
        check_param("p", [1], [ListOf(Interval(numbers.Integral, 2, None, closed="left"), empty=True)], "Est")
    assert check_param("q", (0.1, 0.9), [ListOf(Interval(numbers.Real, 0, 1, closed="neither"))], "Est")


def test_constraint_messages_name_the_command_lines_option_where_it_speaks():
    # `tsgate forecast --learning-rate inf` said "The 'learning_rate' parameter of LSTMForecaster must be ..."
    from tsgate.errors import speaking

    budget = [Interval(numbers.Real, 0, None, closed="neither"), None]
    with speaking({"time_budget": "--time-budget"}):
        with pytest.raises(ParameterError, match=r"^--time-budget must be a float in the range \(0, inf\), got inf$"):
            check_param("time_budget", float("inf"), budget, "LSTMForecaster")  # None: the option left out
        with pytest.raises(ParameterError, match=r"^The 'clip_norm' parameter of Est must be"):
            check_param("clip_norm", -1.0, budget, "Est")  # no option for it: Python's words
    with pytest.raises(ParameterError, match=r"^The 'time_budget' parameter of Est must be .* or None\. Got inf"):
        check_param("time_budget", float("inf"), budget, "Est")


def test_parameter_error_is_a_value_error_and_a_type_error():
    assert issubclass(ParameterError, ValueError) and issubclass(ParameterError, TypeError)


def test_seed_from_keeps_ints_and_draws_from_random_state_instances():
    assert seed_from(7) == 7 and seed_from(np.int64(7)) == 7
    assert seed_from(np.random.RandomState(0)) == seed_from(np.random.RandomState(0))
    assert seed_from(np.random.RandomState(0)) != seed_from(np.random.RandomState(1))
    assert seed_from(None) is None  # fresh entropy where it is used


def test_random_state_instance_works_in_every_estimator():
    X = np.random.default_rng(0).standard_normal((40, 5, 2))
    a = LSTMRegressor(max_epochs=2, random_state=np.random.RandomState(3)).fit(X, X[:, -1, 0]).predict(X)
    b = LSTMRegressor(max_epochs=2, random_state=np.random.RandomState(3)).fit(X, X[:, -1, 0]).predict(X)
    assert np.array_equal(a, b)
    idx = pd.date_range("2000-01-01", periods=40, freq="MS")
    y = pd.Series(np.sin(np.arange(40) / 3.0), index=idx)
    fc = LSTMForecaster(horizon=3, max_epochs=2, hidden_size=4, random_state=np.random.RandomState(3)).fit(y)
    assert fc.predict().shape == (3, 1)


def test_invalid_fill_is_rejected_even_when_the_data_has_no_nan():
    y = pd.Series(np.arange(40.0), index=pd.date_range("2000-01-01", periods=40, freq="MS"))
    with pytest.raises(ParameterError, match="'fill' parameter"):
        LSTMForecaster(fill="mean", max_epochs=1).fit(y)


@pytest.mark.parametrize("kw,words", [
    (dict(loss="pinball", strategy="recursive"), "loss='pinball' needs strategy='direct'"),
    (dict(window_norm="ets", strategy="recursive"), "window_norm='ets' needs strategy='direct'"),
    (dict(fork=True, id_embedding=4), "id_embedding needs fork=False and stateful=False"),
    (dict(stateful=True, tbptt=100, tbptt_depth=50), "tbptt_depth=50 must be at least tbptt=100"),
    (dict(fork=True, calendar_features=True), "fork=True reads raw windows step by step"),  # a raw ValueError before
    (dict(fork=True, bidirectional=True), "fork=True reads raw windows step by step"),
    # stateful: a raw "per_step outputs take no ... reverse direction" ValueError after the data was read (bidirectional),
    # segments silently dropped; the other two were checked only after it
    (dict(stateful=True, bidirectional=True), "stateful=True carries its state forward one step at a time: it takes "
                                              "bidirectional=False and segment_length 'auto' or 1"),
    (dict(stateful=True, segment_length=4), "stateful=True carries its state forward one step at a time"),
    (dict(stateful=True, future_covariates=["x"]), "stateful=True needs strategy='direct', no future_covariates"),
    (dict(stateful=True, window_norm="seasonal"), "stateful=True takes window_norm 'last' or None"),
])
def test_parameter_combinations_are_rejected_before_the_data_is_touched(kw, words):
    with pytest.raises(ParameterError, match=re.escape(words)):
        LSTMForecaster(**kw).fit(Untouchable())


def test_forecasters_reject_classification_losses():
    for loss in ("ce", "bce"):
        with pytest.raises(ParameterError, match="'loss' parameter of LSTMForecaster"):
            LSTMForecaster(loss=loss).fit(Untouchable())


def test_one_seasonal_period_may_be_given_as_an_int():
    # statsmodels' and Darts' habit: seasonal_periods=12 means [12]
    import pandas as pd

    from tsgate import LSTMForecaster

    t = np.arange(96)
    y = pd.Series(10 + np.sin(2 * np.pi * t / 12), index=pd.date_range("2000-01-01", periods=96, freq="MS"))
    for given in (12, np.int64(12), [12]):
        assert LSTMForecaster(horizon=3, max_epochs=2, seasonal_periods=given).fit(y).seasonal_periods_ == [12]
    with pytest.raises(ParameterError, match="'seasonal_periods' .* an int in the range \\[2, inf\\) or None"):
        LSTMForecaster(seasonal_periods=1).fit(y)
    # a period longer than the data: no season of it was observed (seasonal naive at it was naive, unsaid)
    from tsgate import BaselineForecaster, DataError

    for est, name in ((LSTMForecaster(seasonal_periods=[12, 200]), "seasonal_periods"),
                      (BaselineForecaster("seasonal_naive", seasonal_period=200), "seasonal_period")):
        with pytest.raises(DataError, match=f"^{name}: a period of 200 steps is longer than the data \\(96 rows\\)"):
            est.fit(y)


def test_list_parameters_take_numpy_arrays_and_save_them_as_lists(tmp_path):
    # np.array([0.1, 0.5, 0.9]) and np.arange-built periods are what NumPy users pass
    import pandas as pd

    import tsgate
    from tsgate import LSTMForecaster

    t = np.arange(120)
    y = pd.Series(np.sin(2 * np.pi * t / 7) + 0.3 * np.random.RandomState(0).randn(120),
                  index=pd.date_range("2000-01-01", periods=120, freq="D"))
    kw = dict(horizon=3, max_epochs=3, hidden_size=4, loss="pinball")
    a = LSTMForecaster(quantiles=np.array([0.1, 0.5, 0.9]), seasonal_periods=np.array([7]), **kw).fit(y)
    b = LSTMForecaster(quantiles=[0.1, 0.5, 0.9], seasonal_periods=[7], **kw).fit(y)
    assert a.seasonal_periods_ == [7] and a.n_quantiles_ == 3
    pd.testing.assert_frame_equal(a.predict_interval(coverage=0.8), b.predict_interval(coverage=0.8))
    a.save(tmp_path / "m.tsgate")
    loaded = tsgate.load(tmp_path / "m.tsgate")
    assert loaded.quantiles == [0.1, 0.5, 0.9]
    pd.testing.assert_frame_equal(loaded.predict(), a.predict())
    with pytest.raises(ParameterError, match="fitted quantiles: \\[0.1, 0.5, 0.9\\]$"):
        a.predict_interval(coverage=0.9)
    with pytest.raises(ParameterError, match="'quantiles' parameter .* non-empty list of floats"):
        LSTMForecaster(quantiles=np.array([[0.1, 0.9]])).fit(y)
