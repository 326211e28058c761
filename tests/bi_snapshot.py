"""A small published snapshot for the BI tests: one district, two years, every status."""

from __future__ import annotations

from pathlib import Path

import duckdb

from tests.warehouse_fixtures import Inputs, commune, communes_of, warehouse
from transforms.publish.snapshot import publish_snapshot

# Sơn La (14), Thuận Châu (119): 29 registry communes
DISTRICT = "119"
YEARS = (2022, 2023)
# the marts warehouse.md names, which BI tools rely on, in name order
MARTS = (
    "commune_assessment",
    "commune_flags",
    "district_summary",
    "model_coverage",
    "national_summary",
    "province_summary",
)


def bi_inputs() -> Inputs:
    """Every commune of the district in 2022 (not assessable: no 2021 data for C5); in 2023
    one commune falls short (C4), one is not assessable (no villages), one is left out of
    the workbook (not reported) and the rest meet 19.2."""
    codes = communes_of(DISTRICT)
    inputs = Inputs()
    inputs.submit(DISTRICT, 2022, [commune(c) for c in codes])
    overrides = {
        codes[0]: {"serious_crimes": 1},
        codes[1]: {"villages_total": 0, "villages_safe": 0},
    }
    inputs.submit(DISTRICT, 2023, [commune(c, **overrides.get(c, {})) for c in codes[:-1]])
    return inputs


def build_bi_warehouse() -> duckdb.DuckDBPyConnection:
    """Return an in-memory warehouse with the models built from bi_inputs()."""
    return warehouse(bi_inputs())


def publish_bi_snapshot(folder: Path) -> Path:
    """Publish the snapshot of bi_inputs() under folder; return its path."""
    con = build_bi_warehouse()
    try:
        return publish_snapshot(con, folder / "published" / "ntm.duckdb")
    finally:
        con.close()
