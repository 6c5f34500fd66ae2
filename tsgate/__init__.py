"""tsgate: Numba-accelerated recurrent networks for time-series forecasting."""

__version__ = "0.1.0"
