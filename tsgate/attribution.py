"""Lag attribution: how far back a fitted forecaster looks.

:class:`AttributionMixin` gives the forecasters :meth:`lag_importance`: the
mean absolute gradient of the forecast with respect to every input of the
window (exact, from the BPTT that training already uses), per lag and input
column. ``tsgate explain`` prints and plots it.
"""

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from .errors import DataError, ParameterError
from .params import positive_int


class AttributionMixin:
    """lag_importance and the input column names (see the module doc)."""

    def input_names(self):
        """Names of the network's input columns: the target (its column's name;
        'target' where several wide columns share the channel), the past and the
        future covariates, the calendar features, then the step's place in the window (``window_position``)."""
        pos = ["position"] if self._position() else []
        n_cal = self.model_.input_size - 1 - len(self.past_covariates_) - len(self.future_covariates_) - len(pos)
        target = str(self.targets_[0]) if len(self.targets_) == 1 else "target"
        return ([target] + self.past_covariates_ + self.future_covariates_ + [f"calendar_{k}" for k in range(n_cal)]
                + pos)

    def _step_weights(self, step):
        """The weights of d(forecast)/d(input): the mean of all outputs, or one step's."""
        M = self.model_.n_outputs
        weights = np.zeros(M)
        if step is None:
            weights[:] = 1.0 / M
        else:
            positive_int(step, "step")
            weights[(step - 1) * self.n_quantiles_:step * self.n_quantiles_] = 1.0 / self.n_quantiles_
        if getattr(self, "fork", False):  # the last step's outputs of a forked model
            weights = np.concatenate([np.zeros(M * (self.lookback_ - 1)), weights])
        return weights

    def lag_importance(self, step=None, source=None):
        """How far back the model looks: mean |d forecast / d input| per lag and input column.

        The exact input gradients of BPTT, averaged over the validation
        windows of the fit (``source``: another window source), for the
        mean of all horizon steps or, with ``step`` (1-based), one of them.
        Lag k is the input k steps before the first forecast step (the last
        observed row is lag 1). In the model's scaled units: comparable
        across lags and columns.

        Returns
        -------
        pandas.DataFrame
            Indexed by lag (1 .. lookback), one column per input column.
        """
        check_is_fitted(self, "model_")
        if getattr(self, "stateful", False):
            raise ParameterError("lag_importance needs a windowed model (stateful=False)")
        if source is None:
            if getattr(self, "lag_importance_", None) is None or step is not None:
                raise DataError("lag_importance() without a source needs the profile stored at fit (all steps); "
                                "for one step, pass the windows as source")
            return self.lag_importance_
        weights = self._step_weights(step)
        total, count = 0.0, 0
        for model in self.models_:
            scratch = np.zeros_like(model.flat)
            for s in range(0, source.n, 512):
                X, _, E = source.batch(np.arange(s, min(s + 512, source.n)))
                model.forward(X, E)
                dX = model.backward(np.tile(weights.astype(X.dtype), (len(X), 1)), scratch, want_dx=True)
                total = total + np.abs(dX).sum(axis=0)  # (L, D)
                count += len(X)
        imp = total / max(count, 1)
        L = imp.shape[0]
        return pd.DataFrame(imp[::-1], index=pd.RangeIndex(1, L + 1, name="lag"), columns=self.input_names())
