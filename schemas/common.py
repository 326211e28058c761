"""What the sheet schemas share: batch context columns and failure-case translation."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import cache

import pandas as pd
import pandera.pandas as pa

from transforms.reference.versions import ANY_VERSION, commune_districts

# Validation runs on one frame holding the rows of many files; these columns
# say where each row came from, what its file declared in `info`, and the registry
# version the file is checked against (registry.md), so each row is judged by its own.
CONTEXT_COLUMNS = (
    "file_index",
    "excel_row",
    "submitted_district",
    "report_year",
    "registry_version",
)


def registry_district(frame: pd.DataFrame) -> pd.Series:
    """Return the district of each row's commune code in the row's registry version (NA when
    the code is no commune of that version; a row without a version: any version)."""
    version = frame["registry_version"].fillna(ANY_VERSION)
    out = pd.Series(pd.NA, index=frame.index, dtype="string")
    for name in version.unique():
        rows = version == name
        lookup = _districts_by_code(str(name))
        out[rows] = frame["commune_code"][rows].map(lookup, na_action="ignore").astype("string")
    return out


@cache
def _districts_by_code(version: str) -> pd.Series:
    """Return commune_districts(version) as a Series indexed by code: `map` looks codes up
    in its index, where a mapping would be turned into a Series at every call (3-4 ms, four
    calls a batch)."""
    return pd.Series(dict(commune_districts(version)), dtype="string")


def known_commune(frame: pd.DataFrame) -> pd.Series:
    """Return True where a code is blank (reported elsewhere) or a commune of the row's version."""
    return frame["commune_code"].isna() | registry_district(frame).notna()


def in_submitted_district(frame: pd.DataFrame) -> pd.Series:
    """Return False for rows whose known commune belongs to another district than declared."""
    actual = registry_district(frame)
    wrong = (
        actual.notna()
        & frame["submitted_district"].notna()
        & (actual != frame["submitted_district"])
    )
    return ~wrong.fillna(False)


def clean_schema(model: type[pa.DataFrameModel], optional: tuple[str, ...]) -> pa.DataFrameSchema:
    """Return the schema of one accepted file's rows: no batch context, no nulls but optional."""
    # Cross-row checks need the batch context; they already ran on the batch.
    schema = copy.deepcopy(model.to_schema()).remove_columns(
        [c for c in CONTEXT_COLUMNS if c != "excel_row"]
    )
    schema.checks = []
    return schema.update_columns(
        {name: {"nullable": False} for name in schema.columns if name not in optional}
    )


@dataclass(frozen=True)
class Failure:
    """One failed check on one row of the batch frame."""

    rule: str
    file_index: int
    excel_row: int
    column: str | None  # the column key the check is about
    value: object


def failures(
    schema: type[pa.DataFrameModel], frame: pd.DataFrame, anchor: dict[str, str]
) -> list[Failure]:
    """Return every failed check of a lazy validation, one per rule and row.

    `anchor` names, for each dataframe-wide rule, the column its message points
    at (the cell to fix).
    """
    try:
        schema.validate(frame, lazy=True)
        return []
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    schema_level = cases[cases["index"].isna()]
    if not schema_level.empty:
        # dtype or column errors mean the parser built a wrong frame: a bug, not bad input
        raise RuntimeError(f"batch frame does not fit {schema.__name__}:\n{schema_level}")
    out: list[Failure] = []
    seen: set[tuple[str, int]] = set()
    for rule, column, value, index in cases[
        ["check", "column", "failure_case", "index"]
    ].itertuples(index=False):
        key = (str(rule), int(index))
        if key in seen:
            continue
        seen.add(key)
        col = anchor.get(str(rule), column)
        i = int(index)
        shown = frame.at[i, col] if col in frame.columns else value
        out.append(
            Failure(
                str(rule),
                int(frame["file_index"].to_numpy()[i]),
                int(frame["excel_row"].to_numpy()[i]),
                col,
                shown,
            )
        )
    return out
