"""Tiny warehouse inputs for the SQL model tests: submissions with their commune and model rows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import duckdb
import pandas as pd

from transforms.reference.registry import Registry, load_registry
from transforms.reference.versions import load_versions
from transforms.warehouse.connection import connect
from transforms.warehouse.runner import build_models

HO_CHI_MINH = timezone(timedelta(hours=7))

# A commune that passes every basic and advanced condition (given a previous year with
# social_order_crimes >= 2 and social_evil_cases >= 1, and the default models).
PASSING_COMMUNE: dict[str, Any] = {
    "commune_name": None,
    "party_resolution": True,
    "commune_plan": True,
    "security_incidents": 0,
    "mass_complaints": 0,
    "social_order_crimes": 2,
    "serious_crimes": 0,
    "serious_crimes_solved": 0,
    "drug_crimes": 0,
    "social_evil_cases": 1,
    "traffic_accidents": 1,
    "traffic_deaths": 0,
    "traffic_injuries": 1,
    "fires": 0,
    "villages_total": 10,
    "villages_safe": 10,
    "police_rating": "excellent",
    "police_disciplined": 0,
    "movement_rating": "excellent",
    "security_teams": 2,
    "mediation_teams": 1,
    "fire_teams": 1,
    "interfamily_groups": 3,
    "cameras": 4,
    "reintegrated_persons": 0,
}
DEFAULT_MODELS: tuple[tuple[str, bool], ...] = (
    ("security_camera", True),
    ("five_self_management", True),
)


def registry(version: str | None = None) -> Registry:
    """Return a registry version (None: the latest, what ref.communes holds)."""
    return load_versions()[version].registry if version else load_registry()


def commune(
    commune_code: str,
    *,
    models: Iterable[tuple[str, bool]] = DEFAULT_MODELS,
    registry_version: str | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """Return one commune row passing every condition, with the given values overridden
    (named as in the registry version given, the latest by default)."""
    unknown = set(overrides) - set(PASSING_COMMUNE)
    if unknown:
        raise TypeError(f"not a raw.communes column: {sorted(unknown)}")
    return {
        "commune_code": commune_code,
        **PASSING_COMMUNE,
        "commune_name": registry(registry_version).commune_by_code[commune_code][0],
        **overrides,
        "models": tuple(models),
    }


def communes_of(district_code: str, registry_version: str | None = None) -> list[str]:
    """Return the registry commune codes of a district, in code order."""
    return [c for c, _ in registry(registry_version).communes_by_district[district_code]]


def commune_name(commune_code: str) -> str:
    """Return the registry name of a commune."""
    return load_registry().commune_by_code[commune_code][0]


def hcm(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    """Return a wall-clock time in Ho Chi Minh City as an aware datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=HO_CHI_MINH)


@dataclass
class Inputs:
    """Rows for ops.submissions, raw.communes and raw.models, collected submission by submission."""

    submissions: list[dict[str, Any]] = field(default_factory=list)
    communes: list[dict[str, Any]] = field(default_factory=list)
    models: list[dict[str, Any]] = field(default_factory=list)

    def submit(
        self,
        district_code: str,
        year: int,
        communes: Iterable[Mapping[str, Any]] = (),
        *,
        status: str = "accepted",
        received_at: datetime | None = None,
        registry_version: str | None = None,
    ) -> int:
        """Record one received file with its commune rows; return its submission_id.

        registry_version: the version the file was checked against (None: left null, read
        as the latest)."""
        submission_id = len(self.submissions) + 1
        province_code = registry(registry_version).district_by_code[district_code][1]
        self.submissions.append(
            {
                "submission_id": submission_id,
                "file_name": f"{district_code}_{year}_{submission_id}.xlsx",
                "sha256": f"{submission_id:064x}",
                "received_at": received_at or hcm(year + 1, 1, 5),
                "run_id": "test-run",
                "province_code": province_code,
                "district_code": district_code,
                "year": year,
                "status": status,
                "error_count": 0,
                "warning_count": 0,
                "archive_path": f"archive/{submission_id:064x}",
                "registry_version": registry_version,
            }
        )
        model_row = 0
        for row_number, row in enumerate(communes, start=2):
            values = dict(row)
            models = values.pop("models", DEFAULT_MODELS)
            self.communes.append(
                {"submission_id": submission_id, "row_number": row_number, **values}
            )
            for model_type, is_effective in models:
                model_row += 1
                self.models.append(
                    {
                        "submission_id": submission_id,
                        "row_number": model_row + 1,
                        "commune_code": values["commune_code"],
                        "model_type": model_type,
                        "model_name": f"{model_type} {values['commune_code']}",
                        "year_started": year - 1,
                        "is_effective": is_effective,
                    }
                )
        return submission_id


def load(con: duckdb.DuckDBPyConnection, inputs: Inputs) -> None:
    """Insert the collected rows into ops.submissions, raw.communes and raw.models."""
    for table, rows in (
        ("ops.submissions", inputs.submissions),
        ("raw.communes", inputs.communes),
        ("raw.models", inputs.models),
    ):
        if not rows:
            continue
        con.register("_rows", pd.DataFrame(rows))
        # table names come from the tuple above, never from input
        con.execute(f"insert into {table} by name select * from _rows")  # noqa: S608
        con.unregister("_rows")


def warehouse(inputs: Inputs, *, build: bool = True) -> duckdb.DuckDBPyConnection:
    """Return an in-memory warehouse holding the inputs, with every model built."""
    con = connect(":memory:")
    load(con, inputs)
    if build:
        build_models(con)
    return con


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[dict]:
    """Return the result of a query as a list of dicts."""
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
