"""Schema of the `communes` sheet after cell parsing: registry and cross-field rules."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from schemas.common import clean_schema, in_submitted_district, known_commune
from transforms.workbook import contract as c

Count = Series[pd.Int64Dtype]
Flag = Series[pd.BooleanDtype]
Text = Series[pd.StringDtype]


def _count() -> Any:
    # Null marks a cell the parser already reported; range rules hold for the rest.
    return pa.Field(nullable=True, ge=0)


def _exceeds(frame: pd.DataFrame, part: str, whole: str) -> pd.Series:
    return ~(frame[part] > frame[whole]).fillna(False)


class CommuneRows(pa.DataFrameModel):
    """One row per commune row of every file in a batch; null cells were unreadable."""

    file_index: Series[int]
    excel_row: Series[int]
    submitted_district: Text = pa.Field(nullable=True)
    report_year: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    registry_version: Text = pa.Field(nullable=True)

    commune_code: Text = pa.Field(nullable=True)
    commune_name: Text = pa.Field(nullable=True)
    party_resolution: Flag = pa.Field(nullable=True)
    commune_plan: Flag = pa.Field(nullable=True)
    security_incidents: Count = _count()
    mass_complaints: Count = _count()
    social_order_crimes: Count = _count()
    serious_crimes: Count = _count()
    serious_crimes_solved: Count = _count()
    drug_crimes: Count = _count()
    social_evil_cases: Count = _count()
    traffic_accidents: Count = _count()
    traffic_deaths: Count = _count()
    traffic_injuries: Count = _count()
    fires: Count = _count()
    villages_total: Count = pa.Field(nullable=True, ge=1)
    villages_safe: Count = _count()
    police_rating: Text = pa.Field(nullable=True, isin=[key for key, _ in c.POLICE_RATINGS])
    police_disciplined: Count = _count()
    movement_rating: Text = pa.Field(nullable=True, isin=[key for key, _ in c.MOVEMENT_RATINGS])
    security_teams: Count = _count()
    mediation_teams: Count = _count()
    fire_teams: Count = _count()
    interfamily_groups: Count = _count()
    cameras: Count = _count()
    reintegrated_persons: Count = _count()

    class Config:
        strict = True  # the parser builds this frame: an extra column is a bug
        coerce = False

    @pa.dataframe_check(name="commune_unknown")
    def _commune_in_registry(cls, frame: pd.DataFrame) -> pd.Series:
        return known_commune(frame)

    @pa.dataframe_check(name="commune_wrong_district")
    def _commune_in_district(cls, frame: pd.DataFrame) -> pd.Series:
        return in_submitted_district(frame)

    @pa.dataframe_check(name="commune_duplicate")
    def _commune_once_per_file(cls, frame: pd.DataFrame) -> pd.Series:
        dup = frame.duplicated(["file_index", "commune_code"], keep=False)
        return ~(dup & frame["commune_code"].notna())

    @pa.dataframe_check(name="serious_exceeds_total")
    def _serious_within_total(cls, frame: pd.DataFrame) -> pd.Series:
        return _exceeds(frame, "serious_crimes", "social_order_crimes")

    @pa.dataframe_check(name="solved_exceeds_serious")
    def _solved_within_serious(cls, frame: pd.DataFrame) -> pd.Series:
        return _exceeds(frame, "serious_crimes_solved", "serious_crimes")

    @pa.dataframe_check(name="safe_exceeds_total")
    def _safe_within_total(cls, frame: pd.DataFrame) -> pd.Series:
        return _exceeds(frame, "villages_safe", "villages_total")


# The column each dataframe-wide rule points the officer at, and the one whose
# value explains it.
ANCHORS = {
    "commune_unknown": "commune_code",
    "commune_wrong_district": "commune_code",
    "commune_duplicate": "commune_code",
    "serious_exceeds_total": "serious_crimes",
    "solved_exceeds_serious": "serious_crimes_solved",
    "safe_exceeds_total": "villages_safe",
}
COMPARED_WITH = {
    "serious_exceeds_total": "social_order_crimes",
    "solved_exceeds_serious": "serious_crimes",
    "safe_exceeds_total": "villages_total",
}

# What the warehouse loads: one file's rows once every cell was readable.
CommuneRowsClean = clean_schema(CommuneRows, optional=("commune_name",))
