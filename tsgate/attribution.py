"""Attribution: how far back a fitted forecaster looks, and which inputs it needs.

:class:`AttributionMixin` gives the forecasters :meth:`lag_importance`: the
mean absolute gradient of the forecast with respect to every input of the
window (exact, from the BPTT that training already uses), per lag and input
column; and :meth:`column_importance`: how much worse the forecasts get when
one input column's values are shuffled across the windows (permutation
importance, Breiman 2001), which is about zero for an input the forecasts do
not use, where a gradient need not be. ``tsgate explain`` prints both and
plots the lag profile.
"""

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from .ensemble import ensemble_forward
from .errors import DataError, ParameterError
from .errors import name as pname
from .calendar_features import calendar_names
from .params import check_param, positive_int
from .windows import WindowSource, spread_sample

#: Shuffles of each input column in :meth:`AttributionMixin.column_importance`.
N_REPEATS = 5
#: At most this many windows (evenly spaced) are attributed.
ATTRIBUTION_WINDOWS = 1_000


def importance_table(rows, names):
    """:meth:`AttributionMixin.column_importance`'s table from (mae_increase, std)
    per input column in ``names``' order: indexed by input, most important first."""
    table = pd.DataFrame(rows, index=pd.Index(names, name="input"), columns=["mae_increase", "std"])
    return table.sort_values("mae_increase", ascending=False, kind="stable")


class AttributionMixin:
    """lag_importance and the input column names (see the module doc)."""

    def input_names(self):
        """Names of the network's input columns: the target (its column's name;
        'target' where several wide columns share the channel), the past and the
        future covariates, the calendar features ('month_sin', 'month_cos', ...),
        then the step's place in the window (``window_position``)."""
        pos = ["position"] if self._position() else []
        n_cal = self.model_.input_size - 1 - len(self.past_covariates_) - len(self.future_covariates_) - len(pos)
        target = str(self.targets_[0]) if len(self.targets_) == 1 else "target"
        cal = calendar_names(self.freq_)  # [] for an integer index
        cal = cal if len(cal) == n_cal else [f"calendar_{k}" for k in range(n_cal)]
        return [target] + self.past_covariates_ + self.future_covariates_ + cal + pos

    def _step_weights(self, step):
        """The weights of d(forecast)/d(input): the mean of all outputs, or one step's."""
        M = self.model_.n_outputs
        weights = np.zeros(M)
        if step is None:
            weights[:] = 1.0 / M
        else:
            steps = M // self.n_quantiles_  # the horizon (direct), one (recursive)
            if positive_int(step, "step") > steps:
                raise ParameterError(f"{pname('step')} must be at most {steps}, the steps the model forecasts at "
                                     f"once, got {step}")
            weights[(step - 1) * self.n_quantiles_:step * self.n_quantiles_] = 1.0 / self.n_quantiles_
        if getattr(self, "fork", False):  # the last step's outputs of a forked model
            weights = np.concatenate([np.zeros(M * (self.lookback_ - 1)), weights])
        return weights

    def _attribute(self, windows):
        """Both profiles of a fit, on (a sample of) its validation windows, else its training windows."""
        source = spread_sample(windows.val if windows.val.n else windows.train, ATTRIBUTION_WINDOWS)
        self.lag_importance_ = self.lag_importance(source=source)
        self.column_importance_ = self.column_importance(source=source)

    def column_importance(self, source=None, n_repeats=N_REPEATS, random_state=0, X=None):
        """Which input columns the forecasts need: permutation importance.

        Each input column in turn is shuffled across the windows (every
        window reads another window's values of that column, all its other
        inputs as they are), and the MAE of the point forecasts on the
        windows' targets is compared with that of the windows as they are,
        over ``n_repeats`` shuffles (seeded by ``random_state``). The
        windows are (a sample of) the fit's validation windows, or those of
        the data ``X`` (the training form: every origin with a lookback
        before it and the horizon after it), or ``source``. An input the
        forecasts do not use scores about 0.

        Returns
        -------
        pandas.DataFrame
            Indexed by input column (as :meth:`lag_importance`), most
            important first: ``mae_increase``, the mean relative increase of
            the MAE (0.5: 50% worse without that column's information), and
            ``std``, its standard deviation over the shuffles.
        """
        check_is_fitted(self, "model_")
        self._check_windowed("column_importance")
        n_repeats = positive_int(n_repeats, "n_repeats")  # checked first, even where the stored table answers
        check_param("random_state", random_state, ["random_state", np.random.Generator], "column_importance")
        source = self._data_windows(X) if X is not None and source is None else source
        if source is None:
            if getattr(self, "column_importance_", None) is None:
                raise DataError("column_importance() without a source needs the table stored at fit")
            return self.column_importance_
        sample = spread_sample(source, ATTRIBUTION_WINDOWS)
        every = np.arange(sample.n)
        (X, E), target = sample.inputs(every), sample.targets(every)  # targets as in _residuals: (n, H)

        def mae(inputs):
            out = ensemble_forward(self.models_, inputs, E, self.n_models)[0]
            return float(np.mean(np.abs(self._point(self._last_step(out.astype(np.float64))) - target)))

        base, rng, rows = max(mae(X), 1e-300), np.random.default_rng(random_state), []
        for d in range(X.shape[2]):
            shuffled = X.copy()
            increases = []
            for _ in range(n_repeats):
                shuffled[:, :, d] = X[rng.permutation(len(X)), :, d]
                increases.append(mae(shuffled) / base - 1.0)
            rows.append((float(np.mean(increases)), float(np.std(increases))))
        return importance_table(rows, self.input_names())

    def _check_windowed(self, what):
        if getattr(self, "stateful", False):
            raise ParameterError(f"{what} needs a windowed model (stateful=False)")

    def lag_importance(self, step=None, source=None, X=None):
        """How far back the model looks: mean |d forecast / d input| per lag and input column.

        The exact input gradients of BPTT, averaged over the validation
        windows of the fit, or over the windows of the data ``X`` (the
        training form: every origin with a lookback before it and the
        horizon after it, at most 1,000 evenly spaced; ``source``: another
        window source), for the mean of all horizon steps or, with ``step``
        (1-based), one of them (that needs ``X``: the fit keeps the mean).
        Lag k is the input k steps before the first forecast step (the last
        observed row is lag 1). In the model's scaled units: comparable
        across lags and columns. The network's gradients only: where a
        baseline joined a single series' forecast (``fit_report_['blend']``,
        :mod:`tsgate.blend`), its share is not in the profile.

        Returns
        -------
        pandas.DataFrame
            Indexed by lag (1 .. lookback), one column per input column.
        """
        check_is_fitted(self, "model_")
        self._check_windowed("lag_importance")
        weights = self._step_weights(step)  # the step checked before any work
        if source is not None and not isinstance(source, WindowSource):
            raise ParameterError(f"{pname('source')} must be a tsgate.windows.WindowSource (or None: pass the data as "
                                 f"{pname('X')}), got {type(source).__name__}")
        if X is not None and source is None:
            source = self._data_windows(X)
        if source is None:
            if step is not None:
                raise DataError(f"lag_importance({pname('step')}={step!r}) needs the data: the fit keeps the profile "
                                f"of all steps only; pass X (e.g. the training data)")
            if getattr(self, "lag_importance_", None) is None:
                raise DataError(f"lag_importance() needs the data {pname('X')}: this model keeps no profile")
            return self.lag_importance_
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
