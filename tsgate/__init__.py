"""tsgate: Numba-accelerated recurrent networks for time-series forecasting.

>>> from tsgate import LSTMForecaster
>>> from tsgate.datasets import load
>>> fc = LSTMForecaster(horizon=24).fit(load("airpassengers")[:"1958-12"])
>>> fc.predict()  # doctest: +SKIP
"""

__version__ = "0.1.0"

from . import metrics  # noqa: E402
from .forecaster import GRUForecaster, LSTMForecaster, RNNForecaster  # noqa: E402
from .io import ModelFileError, load  # noqa: E402
from .network import RecurrentNetwork  # noqa: E402

__all__ = ["LSTMForecaster", "GRUForecaster", "RNNForecaster", "RecurrentNetwork", "load",
           "ModelFileError", "metrics", "__version__"]
