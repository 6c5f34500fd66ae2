"""Scale-out on Dask: a fitted global model forecasts a Dask DataFrame, partition by partition.

A global forecaster trained on one machine holds only its weights and
scaling rules; :func:`predict` ships it to the workers and, with
``map_partitions``, forecasts each partition's series from their own recent
history (:meth:`~tsgate.forecaster.LSTMForecaster.on_series`). Memory per
worker grows with one partition, so millions of series fit on a cluster.
Local models and backtests use joblib instead: ``with
joblib.parallel_backend('dask'):`` (:mod:`tsgate.local`).

Needs the ``dask`` extra (``pip install tsgate[dask]``).
"""

import pandas as pd
from sklearn.utils.validation import check_is_fitted

from .conformal import band_columns, levels
from .errors import DataError, MissingDependencyError, ParameterError
from .errors import name as pname


def _partition(part, fc, id_col, horizon, meta, coverage=None):
    """Forecasts of one partition (a long pandas frame) in long format (with
    ``coverage``: and their bands), in ``meta``'s dtypes."""
    if not len(part):
        return meta
    if id_col not in part.columns:  # the id is the index (ddf.set_index(id_col))
        part = part.reset_index()
    time_name = fc.time_name_ or "ds"
    if time_name in part.columns:  # a shuffle keeps each series whole, not its rows' order
        part = part.sort_values([id_col, time_name], kind="stable")
    here = fc.on_series(part)
    here.multiindex_ = None  # Dask's forecasts are long frames, whatever form the model was fit on
    out = here.predict(horizon=horizon) if coverage is None else here.predict_interval(coverage, horizon=horizon)
    return out.reset_index(drop=True).astype(meta.dtypes.to_dict())


def _meta(fc, id_dtype, id_col, coverage=None):
    """The forecasts' empty frame: the ids in ``id_dtype``, the times as the model forecasts them
    (timestamps in the unit and zone of its data, periods or integer steps), floats."""
    time_name, target = fc.time_name_ or "ds", fc.targets_[0]
    if str(fc.index_kind_).startswith("period"):
        times = pd.api.types.pandas_dtype(fc.index_kind_)
    elif fc.index_kind_ == "datetime" and fc.freq_ is not None and isinstance(fc.cutoff_, pd.Timestamp):
        times = pd.DatetimeIndex([fc.cutoff_]).dtype
    else:
        times = "int64"
    columns = {id_col: pd.Series(dtype=id_dtype), time_name: pd.Series(dtype=times), target: pd.Series(dtype=float)}
    if coverage is not None:
        coverages, several = levels(coverage)
        for c in coverages:
            columns.update({f"{target}{suffix}": pd.Series(dtype=float) for suffix in band_columns(c, several)})
    return pd.DataFrame(columns)


def predict(fc, ddf, horizon=None, coverage=None):
    """Forecast every series of the Dask DataFrame ``ddf`` with the fitted global model ``fc``.

    Parameters
    ----------
    fc : fitted forecaster (fit on long data, ``id_col`` or ``unique_id``)
    ddf : dask.dataframe.DataFrame
        Long format, like the training data, each series with at least
        ``fc.lookback_`` rows of recent history. A series' rows may lie in
        several partitions: unless the id is the index with known divisions
        (``ddf.set_index(id_col)``, which keeps each id in one partition),
        the frame is first shuffled on the id so that every series is
        forecast from all its rows, once.
    horizon : int, optional
    coverage : float or list of float, optional
        With it, each series' forecast comes with its prediction interval(s),
        as :meth:`~tsgate.forecasting.ForecastMixin.predict_interval` gives them.

    Returns
    -------
    dask.dataframe.DataFrame
        Lazy long-format forecasts (id, time, target[, bands]); ``.compute()`` runs them.
    """
    try:
        import dask.dataframe as dd
    except ImportError:
        raise MissingDependencyError("tsgate.dask needs dask: pip install 'tsgate[dask]'") from None
    if not hasattr(fc, "on_series"):  # a baseline or LocalForecaster forecasts its own series only
        raise ParameterError("tsgate.dask.predict needs a global network forecaster (LSTMForecaster, GRUForecaster "
                             f"or RNNForecaster) fit on long data, got {type(fc).__name__}")
    check_is_fitted(fc, "model_")
    if not isinstance(ddf, dd.DataFrame):
        hint = " (fc.predict reads a pandas frame; dask.dataframe.from_pandas makes it a Dask one)"
        raise ParameterError(f"tsgate.dask.predict needs a dask.dataframe.DataFrame, got {type(ddf).__name__}"
                             + (hint if isinstance(ddf, pd.DataFrame) else ""))
    if fc.form_ != "long":
        raise DataError(f"tsgate.dask.predict needs a model fit on long data ({pname('id_col')}), "
                        f"got one fit on {fc.form_!r} data")
    id_col = fc.id_col_
    from dask.dataframe.utils import meta_nonempty

    whole = _whole_series(ddf, id_col)
    stored = whole.dtypes[id_col] if id_col in whole.columns else whole.index.dtype
    sample = meta_nonempty(pd.Series(dtype=stored)).iloc[:1]  # Dask's sample value of that dtype
    id_dtype = pd.Series(list(sample)).dtype  # the forecasts' ids: a list of the ids, as predict builds them
    meta = _meta(fc, id_dtype, id_col, coverage)  # checks the coverage before any work
    return whole.map_partitions(_partition, fc, id_col, horizon, meta, coverage, meta=meta)


def _whole_series(ddf, id_col):
    """``ddf`` with every series in one partition: as it is when the id is the
    index with known divisions, else shuffled on the id."""
    if id_col in ddf.columns:
        return ddf.shuffle(on=id_col)
    if ddf.index.name != id_col:
        raise DataError(f"the Dask frame has no series id {pname('id_col')} {id_col!r}, as a column or the index; "
                        f"columns: {list(ddf.columns)}")
    return ddf if ddf.known_divisions else ddf.reset_index().shuffle(on=id_col)
