"""Opening the DuckDB warehouse: migrations and reference data."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pandas as pd

from transforms.reference.registry import load_registry
from transforms.reference.ruleset import load_rulesets
from transforms.warehouse.duck import insert_frame, transaction
from transforms.warehouse.runner import migrate
from transforms.workbook.contract import MODEL_TYPES


def connect(path: Path | str) -> duckdb.DuckDBPyConnection:
    """Return a read-write connection to a migrated warehouse with fresh reference data."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    con.execute("set timezone = 'UTC'")
    migrate(con)
    refresh_reference(con)
    return con


REF_TABLES = ("ref.provinces", "ref.districts", "ref.communes", "ref.rulesets", "ref.model_types")


def refresh_reference(con: duckdb.DuckDBPyConnection) -> bool:
    """Replace ref.* with the registry and ruleset files, in one transaction, when they
    differ from what was loaded last; return whether they did."""
    reg = load_registry()
    frames = dict(
        zip(
            REF_TABLES,
            (
                reg.provinces,
                reg.districts,
                reg.communes,
                pd.DataFrame(list(load_rulesets())),
                model_types(),
            ),
            strict=True,
        )
    )
    fingerprint = _fingerprint(frames)
    if reference_fingerprint(con) == fingerprint:
        return False
    with transaction(con):
        for table in REF_TABLES:
            con.execute(f"delete from {table}").fetchall()  # noqa: S608 (constant names)
            insert_frame(con, table, frames[table])
        con.execute("delete from ops.reference_state").fetchall()
        con.execute("insert into ops.reference_state values (?, now())", [fingerprint]).fetchall()
    return True


def model_types() -> pd.DataFrame:
    """Return the typical-model types of the workbook contract, in the contract's order."""
    return pd.DataFrame(
        [
            {"model_type": key, "model_type_order": order, "model_type_label": labels[0]}
            for order, (key, labels) in enumerate(MODEL_TYPES, start=1)
        ]
    )


def reference_fingerprint(con: duckdb.DuckDBPyConnection) -> str | None:
    """Return the fingerprint of the reference data in ref.* (None before the first load)."""
    rows = con.execute("select fingerprint from ops.reference_state").fetchall()
    return str(rows[0][0]) if rows else None


def _fingerprint(frames: dict[str, pd.DataFrame]) -> str:
    digest = hashlib.sha256()
    for table, frame in frames.items():
        digest.update(table.encode())
        digest.update(",".join(map(str, frame.columns)).encode())
        digest.update(
            pd.util.hash_pandas_object(frame.astype(str), index=False).to_numpy().tobytes()
        )
    return digest.hexdigest()
