"""Rolling-origin evaluation of a forecaster next to seasonal naive."""

import pandas as pd
from sklearn.base import clone

from . import frames, metrics
from .errors import DataError


def backtest(estimator, data, folds=3, horizon=None):
    """Refit ``estimator`` at ``folds`` rolling origins and score each forecast.

    The last ``folds * horizon`` rows are split into ``folds`` consecutive
    test blocks of ``horizon`` rows; fold k trains on everything before its
    block. Each forecast of the first target is scored next to the seasonal
    naive forecast from the same origin.

    Parameters
    ----------
    estimator : forecaster (cloned for every fold)
    data : pandas Series or DataFrame with a time index
    folds : int
    horizon : int, optional
        Default: the estimator's, else :func:`tsgate.frames.default_horizon`.

    Returns
    -------
    pandas.DataFrame
        One row per fold and model (``tsgate``, ``seasonal_naive``) with the
        fold's first test timestamp, MAE, RMSE, sMAPE and MASE.
    """
    frame, freq = frames.as_frame(data, estimator.time_col, name="data")
    H = horizon or estimator.horizon or frames.default_horizon(freq)
    m = frames.seasonal_period(freq)
    rows = []
    for k in range(folds):
        cut = len(frame) - (folds - k) * H
        if cut <= 0:
            raise DataError(f"{folds} folds of horizon {H} need more than {folds * H} rows")
        train, test = frame.iloc[:cut], frame.iloc[cut:cut + H]
        fc = clone(estimator).set_params(horizon=H, time_col=None).fit(train)
        t = fc.targets_[0]
        y_tr, y_te = train[t].to_numpy(float), test[t].to_numpy(float)
        mm = m if len(y_tr) > m else 1
        for name, pred in (("tsgate", fc.predict()[t].to_numpy()),
                           ("seasonal_naive", metrics.seasonal_naive(y_tr, H, mm))):
            rows.append({"fold": k + 1, "start": test.index[0], "model": name, "MAE": metrics.mae(y_te, pred),
                         "RMSE": metrics.rmse(y_te, pred), "sMAPE": metrics.smape(y_te, pred),
                         "MASE": metrics.mase(y_te, pred, y_tr, mm)})
    return pd.DataFrame(rows)


def summarise(table):
    """Mean of each metric per model over the folds of a :func:`backtest` table."""
    return table.groupby("model", sort=False)[["MAE", "RMSE", "sMAPE", "MASE"]].mean()
