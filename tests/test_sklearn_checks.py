"""scikit-learn's estimator checks, and sequence regression/classification."""

import numpy as np
import pytest
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from tsgate import LagWindowTransformer, LSTMClassifier, LSTMRegressor

# Expected failures, each with its reason.
_FLOAT32_BATCH = ("float32 kernels: OpenBLAS picks its sgemm code path by matrix shape, so a row's "
                  "result moves by ~3e-7 relative when the batch around it changes; the check "
                  "demands 1e-7")
_TIME_ORDER = "rows are consecutive time steps: a row's lags come from the rows before it, by design"
EXPECTED_FAILED = {
    "LSTMRegressor": {"check_methods_sample_order_invariance": _FLOAT32_BATCH,
                      "check_methods_subset_invariance": _FLOAT32_BATCH},
    "LSTMClassifier": {"check_methods_sample_order_invariance": _FLOAT32_BATCH,
                       "check_methods_subset_invariance": _FLOAT32_BATCH},
    "LagWindowTransformer": {"check_methods_sample_order_invariance": _TIME_ORDER,
                             "check_methods_subset_invariance": _TIME_ORDER},
}


@parametrize_with_checks(
    [LSTMRegressor(max_epochs=60, hidden_size=8, random_state=0),  # chrono init needs ~60 epochs here (default 100)
     LSTMClassifier(max_epochs=40, hidden_size=8, random_state=0),
     LagWindowTransformer(window=3)],
    expected_failed_checks=lambda est: EXPECTED_FAILED.get(type(est).__name__, {}),
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_stacked_lstm_sequence_classification_keras_style():
    # Keras' "stacked LSTM for sequence classification": 2 LSTM layers,
    # sigmoid output, binary cross-entropy, RMSprop. Label: is the sum of the
    # first 5 steps (of 30) positive? The information sits far from the end.
    rng = np.random.default_rng(0)
    X = rng.standard_normal((600, 30, 2)).astype(np.float32)
    y = (X[:, :5, 0].sum(1) > 0).astype(int)
    clf = LSTMClassifier(num_layers=2, hidden_size=16, optimizer="rmsprop", learning_rate=3e-3,
                         max_epochs=40, random_state=0).fit(X[:500], y[:500])
    assert clf.score(X[500:], y[500:]) > 0.85
    assert clf.predict_proba(X[500:]).shape == (100, 2)


def test_regressor_in_a_pipeline_with_lag_windows():
    t = np.arange(600)
    series = np.sin(2 * np.pi * t / 25) + 0.05 * np.random.default_rng(0).standard_normal(600)
    X, y = series[:-1, None], series[1:]  # predict the next value
    pipe = Pipeline([("lags", LagWindowTransformer(window=30)),
                     ("rnn", LSTMRegressor(cell="gru", n_features=1, hidden_size=16, max_epochs=30,
                                           random_state=0))])
    pipe.fit(X[:500], y[:500])
    pred = pipe.predict(X[500:])
    assert np.mean(np.abs(pred - y[500:])) < 0.5 * np.mean(np.abs(y[500:] - X[500:, 0]))  # beats naive


def test_three_d_input_and_errors():
    X = np.random.default_rng(0).standard_normal((50, 6, 3))
    y = X[:, -1, 0]
    reg = LSTMRegressor(max_epochs=5, random_state=0).fit(X, y)
    assert reg.predict(X).shape == (50,)
    flat = LSTMRegressor(max_epochs=5, n_features=3, random_state=0).fit(X.reshape(50, 18), y)
    assert flat.predict(X.reshape(50, 18)).shape == (50,)
    with pytest.raises(ValueError, match="n_features=4 must be a positive integer dividing the 18 columns"):
        LSTMRegressor(n_features=4).fit(X.reshape(50, 18), y)
    with pytest.raises(ValueError, match="The .cell. parameter of LSTMRegressor must be a str among"):
        LSTMRegressor(cell="tcn").fit(X, y)
    with pytest.raises(ValueError, match="NaN"):
        LSTMRegressor().fit(np.full((5, 3), np.nan), np.zeros(5))
