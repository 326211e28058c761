"""Opening the DuckDB warehouse: migrations and reference data."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from ntm.transforms.duck import insert_frame, transaction
from ntm.transforms.registry import load_registry
from ntm.transforms.ruleset import load_rulesets
from ntm.transforms.sqlrunner import migrate


def connect(path: Path | str) -> duckdb.DuckDBPyConnection:
    """Return a read-write connection to a migrated warehouse with fresh reference data."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    con.execute("set timezone = 'UTC'")
    migrate(con)
    refresh_reference(con)
    return con


def refresh_reference(con: duckdb.DuckDBPyConnection) -> None:
    """Replace ref.* with the registry and ruleset files, in one transaction."""
    reg = load_registry()
    rulesets = pd.DataFrame(list(load_rulesets()))
    with transaction(con):
        for table, frame in (
            ("ref.provinces", reg.provinces),
            ("ref.districts", reg.districts),
            ("ref.communes", reg.communes),
            ("ref.rulesets", rulesets),
        ):
            con.execute(f"delete from {table}").fetchall()  # noqa: S608 (constant names)
            insert_frame(con, table, frame)
