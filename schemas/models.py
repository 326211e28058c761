"""Schema of the `models` sheet after cell parsing."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from schemas.common import clean_schema, in_submitted_district, known_commune
from transforms.workbook.contract import MODEL_TYPES


class ModelRows(pa.DataFrameModel):
    """One row per typical-model row of every file in a batch; null cells were unreadable."""

    file_index: Series[int]
    excel_row: Series[int]
    submitted_district: Series[pd.StringDtype] = pa.Field(nullable=True)
    report_year: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    registry_version: Series[pd.StringDtype] = pa.Field(nullable=True)

    commune_code: Series[pd.StringDtype] = pa.Field(nullable=True)
    model_type: Series[pd.StringDtype] = pa.Field(
        nullable=True, isin=[key for key, _ in MODEL_TYPES]
    )
    model_name: Series[pd.StringDtype] = pa.Field(nullable=True)
    year_started: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    is_effective: Series[pd.BooleanDtype] = pa.Field(nullable=True)

    class Config:
        strict = True
        coerce = False

    @pa.dataframe_check(name="model_commune_unknown")
    def _commune_of_district(cls, frame: pd.DataFrame) -> pd.Series:
        return known_commune(frame) & in_submitted_district(frame)

    @pa.dataframe_check(name="year_started_invalid")
    def _started_by_report_year(cls, frame: pd.DataFrame) -> pd.Series:
        late = frame["year_started"] > frame["report_year"]
        return ~late.fillna(False)


ANCHORS = {"model_commune_unknown": "commune_code", "year_started_invalid": "year_started"}

# What the warehouse loads: one file's rows once every cell was readable.
ModelRowsClean = clean_schema(ModelRows, optional=("model_name", "year_started"))
