"""Static covariates: one row of features per series (NumPy and pandas only).

A frame indexed by series id (the ids of a long frame or dict, or the target
columns of a wide frame) whose columns describe each series: store size,
region, product family. Numeric and boolean columns are standardised over the
series; categorical ones (strings, ``category`` dtype) become one column per
category (one-hot). The forecaster feeds the encoded row of each series to
the head and to the network's initial state (:class:`tsgate.model.SequenceModel`).
"""

import numpy as np
import pandas as pd

from .errors import DataError, ParameterError
from .errors import name as pname
from .windows import usable_scale


def _listing(values, limit=5):
    shown = ", ".join(repr(v) for v in values[:limit])
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")


def check_frame(frame):
    """ParameterError unless ``frame`` (``static_covariates``) is a DataFrame."""
    if not isinstance(frame, pd.DataFrame):
        raise ParameterError(f"{pname('static_covariates')} must be a pandas DataFrame indexed by series id, "
                             f"got {type(frame).__name__}")


def _checked_rows(frame, ids):
    """``frame``'s rows for ``ids``, in their order; errors name the ids."""
    check_frame(frame)
    dup = frame.index[frame.index.duplicated()].unique().tolist()
    if dup:
        raise DataError(f"{pname('static_covariates')} has more than one row for series {_listing(dup)}")
    missing = [i for i in ids if i not in frame.index]
    if missing:
        raise DataError(f"{pname('static_covariates')} has no row for series {_listing(missing)} (its index must "
                        "hold every series id)")
    return frame.loc[list(ids)]


def encode_static(frame, ids):
    """Encoded static features (S, K) of the series ``ids`` and the names of the K columns.

    Raises
    ------
    ParameterError
        ``frame`` is not a DataFrame.
    DataError
        A series without a row, duplicate rows, missing values (naming the
        column and the series), or a column that is neither numeric nor
        categorical.
    """
    rows = _checked_rows(frame, ids)
    blocks, names = [], []
    for col in rows.columns:
        v = rows[col]
        bad = v.isna().to_numpy()
        if bad.any():
            raise DataError(f"{pname('static_covariates')} column {col!r} is missing for series "
                            f"{_listing(list(v.index[bad]))}")
        if pd.api.types.is_bool_dtype(v) or pd.api.types.is_numeric_dtype(v):
            x = v.to_numpy(dtype=np.float64)
            if not np.isfinite(x).all():
                raise DataError(f"{pname('static_covariates')} column {col!r} is not finite for series "
                                f"{_listing(list(v.index[~np.isfinite(x)]))}")
            spread = x.std()
            blocks.append(((x - x.mean()) / usable_scale(spread, x.mean()))[:, None])
            names.append(str(col))
        elif isinstance(v.dtype, pd.CategoricalDtype) or pd.api.types.is_object_dtype(v) \
                or pd.api.types.is_string_dtype(v):
            cats = sorted(v.astype(str).unique())
            blocks.append((v.astype(str).to_numpy()[:, None] == np.array(cats)[None, :]).astype(np.float64))
            names += [f"{col}={c}" for c in cats]
        else:
            raise DataError(f"{pname('static_covariates')} column {col!r} has dtype {v.dtype}: use numbers, "
                            "booleans or categories")
    matrix = np.concatenate(blocks, axis=1) if blocks else np.zeros((len(ids), 0))
    return matrix, names
