"""Read a cohort's visits from a data frame for a model, refusing what the model cannot use."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from alstrack.errors import InvalidInput

_SHOWN = 5  # row labels quoted in an error


@dataclass(frozen=True)
class Visits:
    """One row per visit: the patient's code (0..n−1, in order of first appearance), t and y."""

    patient: NDArray[np.intp]
    t: NDArray[np.float64]
    y: NDArray[np.float64]
    n_patients: int


def _rows(index: pd.Index[Any], mask: NDArray[np.bool_]) -> str:
    labels = [str(label) for label in index[mask][:_SHOWN]]
    more = int(mask.sum()) - len(labels)
    return ", ".join(labels) + (f" and {more} more" if more > 0 else "")


def _numeric(df: pd.DataFrame, argument: str, column: str) -> NDArray[np.float64]:
    series = df[column]
    if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
        raise InvalidInput.for_field(
            argument,
            f"column {column!r} holds {series.dtype} values, not numbers; convert it first "
            "(for example with pandas.to_numeric)",
        )
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    missing = ~np.isfinite(values)
    if missing.any():
        raise InvalidInput.for_field(
            argument,
            f"column {column!r} has {int(missing.sum())} missing or infinite values (rows "
            f"{_rows(df.index, missing)}); the model does not guess them: drop or complete "
            "those rows before fitting",
        )
    return values


def read_visits(df: object, patient: str, time: str, outcome: str) -> Visits:
    """The visits in ``df``, or InvalidInput naming the argument at fault and what to do."""
    if not isinstance(df, pd.DataFrame):
        raise InvalidInput.for_field("df", f"expected a pandas DataFrame, got {type(df).__name__}")
    for argument, column in (("patient", patient), ("time", time), ("outcome", outcome)):
        if column not in df.columns:
            raise InvalidInput.for_field(
                argument,
                f"column {column!r} is not in the data (columns: "
                f"{', '.join(map(str, df.columns))})",
            )
    no_patient = df[patient].isna().to_numpy()
    if no_patient.any():
        raise InvalidInput.for_field(
            "patient",
            f"column {patient!r} has {int(no_patient.sum())} missing values (rows "
            f"{_rows(df.index, no_patient)}); every visit must belong to a patient",
        )
    t = _numeric(df, "time", time)
    y = _numeric(df, "outcome", outcome)
    codes, uniques = pd.factorize(df[patient])
    n_patients = len(uniques)
    if n_patients < 2:
        raise InvalidInput.for_field(
            "patient", f"a mixed model needs at least 2 patients; the data have {n_patients}"
        )
    return Visits(np.asarray(codes, dtype=np.intp), t, y, n_patients)
