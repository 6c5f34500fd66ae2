"""tsgate: Numba-accelerated recurrent networks for time-series forecasting.

>>> from tsgate import LSTMForecaster
>>> from tsgate.datasets import load
>>> fc = LSTMForecaster(horizon=24).fit(load("airpassengers")[:"1958-12"])
>>> fc.predict()  # doctest: +SKIP

Heavy modules (pandas, scikit-learn) load on first use of the names below.
"""

__version__ = "0.1.0"

_LAZY = {
    "LSTMForecaster": "forecaster", "GRUForecaster": "forecaster", "RNNForecaster": "forecaster",
    "load": "forecaster", "ModelFileError": "errors", "TsgateError": "errors", "DataError": "errors",
    "ParameterError": "errors", "TrainingDivergedError": "errors", "RecurrentNetwork": "network", "metrics": None,
    "LSTMRegressor": "sequence", "LSTMClassifier": "sequence", "LagWindowTransformer": "sequence",
    "plot_forecast": "plot", "read_csv": "csvio", "backtest": "evaluation", "warmup": "warmup",
    "LocalForecaster": "local", "summarise_backtest": "scores", "BaselineForecaster": "baselines",
}

__all__ = sorted(_LAZY) + ["__version__"]


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module 'tsgate' has no attribute {name!r}")
    import importlib

    mod = _LAZY[name]
    if mod is None:
        return importlib.import_module(f"{__name__}.{name}")
    return getattr(importlib.import_module(f"{__name__}.{mod}"), name)


def __dir__():
    return __all__
