"""Sequence estimators beyond scikit-learn's checks: shapes, parameters, seeds."""

import numpy as np
import pytest

from tsgate import LSTMClassifier, LSTMRegressor
from tsgate.errors import TrainingDivergedError
from tsgate.errors import DataError


def _data(n=60, T=6, D=2, seed=0):
    X = np.random.default_rng(seed).standard_normal((n, T, D))
    return X, X[:, 0, 0] + 0.5 * X[:, -1, 1]


def test_regressor_learns_and_is_reproducible():
    X, y = _data(200)
    a = LSTMRegressor(max_epochs=30, random_state=1).fit(X[:150], y[:150])
    b = LSTMRegressor(max_epochs=30, random_state=1).fit(X[:150], y[:150])
    assert np.array_equal(a.predict(X[150:]), b.predict(X[150:]))
    assert a.score(X[150:], y[150:]) > 0.8
    assert a.n_iter_ == 30


def test_regressor_in_tiny_units_predicts_as_in_ordinary_ones():
    # inputs and targets whose spread is below 1e-12 were left unscaled
    X, y = _data(120)
    base = LSTMRegressor(max_epochs=10, random_state=1).fit(X, y).predict(X[:20])
    tiny = LSTMRegressor(max_epochs=10, random_state=1).fit(X * 1e-15, y * 1e-15).predict(X[:20] * 1e-15)
    assert np.allclose(tiny / 1e-15, base, rtol=1e-4, atol=1e-5)


def test_multi_output_and_early_stopping():
    X, y = _data(120)
    Y = np.column_stack([y, -y])
    reg = LSTMRegressor(max_epochs=200, early_stopping=True, patience=3, random_state=0).fit(X, Y)
    assert reg.predict(X).shape == (120, 2)
    assert reg.n_iter_ < 200  # stopped early
    assert reg.history_["best_epoch"] >= 1


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_every_cell_classifies(cell):
    X, y = _data(200)
    labels = np.where(y > 0, "up", "down")
    clf = LSTMClassifier(cell=cell, max_epochs=30, random_state=0).fit(X, labels)
    assert set(clf.classes_) == {"up", "down"}
    assert clf.score(X, labels) > 0.8
    proba = clf.predict_proba(X)
    assert np.allclose(proba.sum(1), 1.0)


def test_three_classes_use_softmax():
    X, y = _data(150)
    labels = np.digitize(y, [-0.5, 0.5])
    clf = LSTMClassifier(max_epochs=30, random_state=0).fit(X, labels)
    assert clf.predict_proba(X).shape == (150, 3)
    assert clf.model_.n_outputs == 3


def test_data_errors():
    X, y = _data()
    with pytest.raises(DataError, match=r"needs samples of at least 2 classes in y; got 1 class \(0\)$"):
        LSTMClassifier().fit(X, np.zeros(len(X), dtype=int))  # the label as written (it said np.int64(0))
    with pytest.raises(DataError, match=r"X holds sequences of 3 to 6 steps: pad them to one length"):
        LSTMRegressor().fit([x[:3 + k % 4] for k, x in enumerate(X)], y)  # NumPy: "inhomogeneous shape"
    labels = (X[:, :, 0] > 0).astype(int)  # (n, T): sklearn said "y should be a 1d array"
    with pytest.raises(DataError, match=r"y of shape \(60, 6\) holds several labels per sequence: for one label "
                                        r"per step \(sequence labelling\) set target_shape='step'"):
        LSTMClassifier().fit(X, labels)
    assert LSTMClassifier(target_shape="step", max_epochs=1).fit(X, labels).predict(X).shape == (60, 6)
    reg = LSTMRegressor(max_epochs=1).fit(X, y)
    with pytest.raises(DataError, match="X has 3 features per step, fit had 2"):
        reg.predict(np.zeros((2, 6, 3)))
    with pytest.raises(DataError, match="2-D .* or 3-D"):
        LSTMRegressor().fit(np.zeros((4, 2, 2, 2)), np.zeros(4))
    for empty in (np.zeros((4, 0, 2)), np.zeros((4, 3, 0))):  # "X feature 0 has values too large to standardise"
        with pytest.raises(DataError, match=rf"^X must have at least one time step and one feature, got sequences "
                                            rf"of shape \({empty.shape[1]}, {empty.shape[2]}\) \(T, D\)$"):
            LSTMRegressor().fit(empty, np.zeros(4))


def test_values_too_large_to_standardise_are_named_not_forecast_as_inf():
    X, y = _data()
    with pytest.raises(DataError, match=r"^y column 0 has values too large to standardise"):
        LSTMRegressor(max_epochs=1).fit(X, y * 1e300)  # its spread overflows: the forecasts were -inf
    big = X.copy()
    big[:, :, 1] *= 1e300
    with pytest.raises(DataError, match=r"^X feature 1 has values too large to standardise"):
        LSTMRegressor(max_epochs=1).fit(big, y)
    reg = LSTMRegressor(max_epochs=1).fit(X, y)
    far = X[:3].copy()
    far[2, 4, 0] = 1e35  # finite, but 1e35 spreads out: inf in float32, NaN forecasts
    with pytest.raises(DataError, match=r"^X feature 0 of sample 2: 1e\+35 lies .* spreads from its mean"):
        reg.predict(far)
    assert np.isfinite(reg.predict(X[:3])).all()


@pytest.mark.parametrize("est,y", [(LSTMRegressor, lambda y: y * 1e3), (LSTMClassifier, lambda y: y > 0),
                                   (LSTMClassifier, lambda y: np.digitize(y, [-0.5, 0.5]))])
def test_a_diverged_training_is_an_error_naming_the_learning_rate(est, y):
    # learning_rate=1e6: the weights blow up; the fit said nothing and the regressor
    # predicted -4e9 for targets of about 1e3
    X, target = _data()
    with pytest.raises(TrainingDivergedError, match=r"^training failed: the network's loss on its training "
                                                    r"sequences, .* over ten times that of predicting the (mean|class "
                                                    r"frequencies) .*; lower learning_rate \(now 1e\+06\)"):
        est(learning_rate=1e6, max_epochs=3, random_state=0).fit(X, y(target))
    est(max_epochs=3, random_state=0).fit(X, y(target))  # the default rate: no error
