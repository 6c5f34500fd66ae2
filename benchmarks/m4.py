"""The M4 competition's data (Makridakis et al. 2020) as the benchmarks read it.

From the M4-methods repository's ``Dataset`` folder: ``Train/<Subset>-train.csv`` and
``Test/<Subset>-test.csv``, one row per series (its id first, then its values; shorter series
end in empty cells). Not bundled: its licence is not stated.
"""

import os

import pandas as pd

#: Subset -> (horizon, the MASE's m as the competition scored it, seasonal naive's period,
#: the pandas frequency of its timestamps).
SUBSETS = {"Hourly": (48, 24, 24, "h"), "Weekly": (13, 1, 52, "W-MON")}


def paths(folder, subset):
    """(training file, test file) of ``subset`` under ``folder``."""
    return (os.path.join(folder, "Train", f"{subset}-train.csv"), os.path.join(folder, "Test", f"{subset}-test.csv"))


def read(folder, subset):
    """(training frame, test frame) of ``subset``, indexed by the series' ids."""
    return tuple(pd.read_csv(p, index_col=0) for p in paths(folder, subset))


def values(row):
    """A series' values from its row of a file (the empty cells after its end dropped)."""
    return row.dropna().to_numpy(float)
