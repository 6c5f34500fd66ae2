"""Training engine: head gradients, losses, optimizers, divergence, seeds."""

import numpy as np
import pytest

from tsgate.host_training import _loss_and_grad
from tsgate.training import LOSSES, SequenceModel, TrainingDivergedError, train


@pytest.mark.parametrize("bidirectional", [False, True])
def test_model_gradient_matches_finite_differences(bidirectional):
    model = SequenceModel("lstm", 2, 3, n_outputs=2, n_extra=2, num_layers=2,
                          bidirectional=bidirectional, dtype="float64", random_state=0)
    rng = np.random.default_rng(0)
    X, extra, R = rng.standard_normal((4, 5, 2)), rng.standard_normal((4, 2)), rng.standard_normal((4, 2))
    model.forward(X, extra)
    g = np.zeros_like(model.flat)
    model.backward(R, g)
    num = np.zeros_like(g)
    for k in range(g.size):
        old = model.flat[k]
        model.flat[k] = old + 1e-6
        up = np.sum(model.forward(X, extra) * R)
        model.flat[k] = old - 1e-6
        down = np.sum(model.forward(X, extra) * R)
        model.flat[k] = old
        num[k] = (up - down) / 2e-6
    assert np.linalg.norm(g - num) / np.linalg.norm(num) < 1e-6


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_loss_gradients(loss):
    rng = np.random.default_rng(1)
    pred, target = rng.standard_normal((5, 3)), rng.standard_normal((5, 3)) * 2
    if loss == "bce":
        target = (target > 0).astype(float)
    if loss == "ce":
        target = np.eye(3)[rng.integers(0, 3, 5)]
    tau = np.array([0.1, 0.5, 0.9])
    g = np.empty_like(pred)
    _loss_and_grad(pred, target, tau, LOSSES[loss], 1.0, g)
    num = np.empty_like(pred)
    for i in np.ndindex(pred.shape):
        p = pred.copy()
        p[i] += 1e-6
        up = _loss_and_grad(p, target, tau, LOSSES[loss], 1.0, np.empty_like(p))
        p[i] -= 2e-6
        down = _loss_and_grad(p, target, tau, LOSSES[loss], 1.0, np.empty_like(p))
        num[i] = (up - down) / 2e-6
    assert np.allclose(g, num, atol=1e-6)


def _toy(seed=0, n=200, T=8):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, T, 1)).astype(np.float32)
    Y = X[:, -3, :] * 0.8  # the value three steps back
    return X, Y


@pytest.mark.parametrize("optimizer", ["adam", "rmsprop", "sgd"])
def test_optimizers_reduce_the_loss(optimizer):
    X, Y = _toy()
    model = SequenceModel("gru", 1, 8, n_outputs=1, random_state=0)
    lr = {"adam": 1e-2, "rmsprop": 3e-3, "sgd": 5e-2}[optimizer]
    hist = train(model, X, Y, optimizer=optimizer, learning_rate=lr, max_epochs=30, random_state=0)
    assert hist["loss"][-1] < 0.3 * hist["loss"][0]


def test_same_seed_bit_identical_and_early_stopping_restores_best():
    X, Y = _toy()
    runs = []
    for _ in range(2):
        model = SequenceModel("lstm", 1, 6, n_outputs=1, dropout=0.0, random_state=3)
        h = train(model, X[:150], Y[:150], X_val=X[150:], Y_val=Y[150:], max_epochs=12,
                  learning_rate=1e-2, patience=3, random_state=3)
        runs.append((model.flat.copy(), h))
    assert np.array_equal(runs[0][0], runs[1][0])
    assert runs[0][1]["val_loss"] == runs[1][1]["val_loss"]
    h = runs[0][1]
    assert h["best_epoch"] == int(np.argmin(h["val_loss"])) + 1


def test_divergence_is_a_clear_error():
    X, Y = _toy()
    Y = Y.copy()
    Y[3, 0] = np.inf
    model = SequenceModel("rnn", 1, 4, n_outputs=1, random_state=0)
    with pytest.raises(TrainingDivergedError, match=r"training diverged at epoch 1, batch \d+: loss=inf") as info:
        train(model, X, Y, max_epochs=2)
    # one of the errors a user can cause and fix (``except tsgate.TsgateError`` catches it), and still the
    # FloatingPointError it always was
    import tsgate

    assert isinstance(info.value, tsgate.TsgateError) and isinstance(info.value, FloatingPointError)
    assert tsgate.TrainingDivergedError is TrainingDivergedError
