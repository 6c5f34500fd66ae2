"""Compile and cache every CPU kernel ahead of time (``tsgate warmup``)."""

import time

import numpy as np


def warmup():
    """Run every CPU kernel once in float32 and float64, so Numba compiles and
    caches them; returns the seconds it took."""
    from .network import RecurrentNetwork
    from .model import SequenceModel
    from .training import train

    t0 = time.perf_counter()
    for dtype in ("float32", "float64"):
        for cell in ("lstm", "gru", "rnn"):
            net = RecurrentNetwork(cell, 2, 3, dtype=dtype)
            y, h, c = net.forward(np.zeros((2, 2, 2)))
            net.backward(np.ones_like(y))
    for opt in ("adam", "rmsprop", "sgd"):
        model = SequenceModel("lstm", 1, 2, 1, random_state=0)
        train(model, np.zeros((4, 3, 1), np.float32), np.zeros((4, 1), np.float32), optimizer=opt, max_epochs=1)
    return time.perf_counter() - t0
