"""Opening the DuckDB warehouse: migrations and reference data."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pandas as pd

from transforms.reference import successions as succ
from transforms.reference import versions as rv
from transforms.reference.ruleset import load_rulesets
from transforms.warehouse.duck import WAREHOUSE_CATALOG, insert_frame, transaction
from transforms.warehouse.quoting import quote_literal
from transforms.warehouse.runner import migrate, models_fingerprint, sql_file
from transforms.workbook.contract import MODEL_TYPES

# What DuckDB may hold in memory. Its default, 80% of the machine's, lets it keep every block
# a run touches: loading seven national years and building every mart in the run's one
# transaction took 420 MB on top of the ~530 MB the checked batch leaves in Python, close
# to the run's budget of 1 GB (bench/run.py MAX_RSS_MB). With a limit it evicts instead, and
# spills what it cannot evict to a temporary file beside the warehouse: at 384 MB the seven
# years build in 250 MB and as fast as without one (256 MB spills, half a second slower).
MEMORY_LIMIT = "384MB"


# The catalog name the warehouse file is attached under, whatever the file is called.
CATALOG = WAREHOUSE_CATALOG
# Rows per row group of the warehouse's tables (DuckDB's default: 122,880). DuckDB writes
# the full row groups of a transaction's new tables to the file while the statements run
# ("optimistic writes") and keeps the rest for the commit. No table of a run fills a
# default row group (a national year's marts are 10,000-120,000 rows), so at the default a
# national year's commit wrote all of them, compressing and checkpointing: 0.40 s, against
# 0.03 s at this size (then 2.2 MB of log instead of 73 MB). The file is about 10% larger.
# Not stored in the file: it is given at every open (an ATTACH option only).
ROW_GROUP_SIZE = 8192
# The log size at which a commit checkpoints (DuckDB's default: 16 MB). Opening the
# warehouse replays its log, about 0.05 s a megabyte: a national year leaves 2.6 MB, a
# resubmission 3 MB, seven years more, which this folds into the file at their commit.
CHECKPOINT_THRESHOLD = "4MB"


def connect(path: Path | str) -> duckdb.DuckDBPyConnection:
    """Return a read-write connection to a migrated warehouse with fresh reference data."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(":memory:")
    con.execute(f"attach {quote_literal(str(path))} as {CATALOG} (row_group_size {ROW_GROUP_SIZE})")
    con.execute(f"use {CATALOG}")  # a connection's own; its cursors: duck.cursor_of
    con.execute("set global timezone = 'UTC'")  # global: its cursors (other threads) too
    # No checkpoint on close: DuckDB checkpoints when its write-ahead log passes its
    # threshold (CHECKPOINT_THRESHOLD) instead. Checkpointing at the end of every run
    # rewrote every table a small resubmission touched (0.4 s of its 2); the log beside
    # the file (warehouse.duckdb.wal) is part of the warehouse until the next checkpoint.
    con.execute("pragma disable_checkpoint_on_shutdown")
    con.execute(f"set checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
    con.execute(f"set memory_limit = '{MEMORY_LIMIT}'")
    if migrate(con):
        # a schema change goes into the file at once, not into a log an upgraded or
        # downgraded DuckDB would have to replay
        con.execute("checkpoint")
    refresh_reference(con)
    return con


REF_TABLES = (
    "ref.provinces",
    "ref.districts",
    "ref.communes",
    "ref.rulesets",
    "ref.model_types",
    "ref.registry_versions",
    "ref.commune_successions",
)
# derived from the registry versions and the successions: fingerprinted by what they come from
# the units of every version (units_by_version), and what SQL derives from them
BY_VERSION_TABLES = (
    "ref.provinces_by_version",
    "ref.districts_by_version",
    "ref.communes_by_version",
)
DERIVED_TABLES = (*BY_VERSION_TABLES, "ref.commune_predecessors")
ALL_REF_TABLES = REF_TABLES + DERIVED_TABLES
# those loaded from frames; ref.commune_predecessors is derived from them in SQL
FRAME_TABLES = REF_TABLES + BY_VERSION_TABLES
# how ref.commune_predecessors is derived: part of the reference fingerprint, so a change
# to it reloads the reference data of every warehouse
PREDECESSORS_SQL = "reference/commune_predecessors.sql"


def load_successions() -> tuple[succ.Succession, ...]:
    """Return the successions beside the rulesets (a seam for tests)."""
    return succ.load_successions()


def refresh_reference(con: duckdb.DuckDBPyConnection) -> bool:
    """Replace ref.* with the registry versions, successions and ruleset files, in one
    transaction, when they differ from what was loaded last; return whether they did.

    A successions file that cannot be loaded raises SuccessionsError (naming the file
    and line) before anything is written: the reference data loaded before stays.
    """
    versions = rv.load_versions()
    latest = versions[rv.latest_version()].registry
    lines = load_successions()
    frames = dict(
        zip(
            REF_TABLES,
            (
                latest.provinces,
                latest.districts,
                latest.communes,
                pd.DataFrame(list(load_rulesets())),
                model_types(),
                registry_versions(),
                succ.successions_frame(lines),
            ),
            strict=True,
        )
    )
    fingerprint = _fingerprint(frames)
    if reference_fingerprint(con) == fingerprint:
        return False
    frames.update(zip(BY_VERSION_TABLES, units_by_version(), strict=True))
    with transaction(con):
        for table in ALL_REF_TABLES:
            con.execute(f"delete from {table}").fetchall()  # noqa: S608 (constant names)
        for table in FRAME_TABLES:
            insert_frame(con, table, frames[table])
        derive_predecessors(con)
        con.execute("delete from ops.reference_state").fetchall()
        con.execute("insert into ops.reference_state values (?, now())", [fingerprint]).fetchall()
    return True


def registry_versions() -> pd.DataFrame:
    """Return one row per registry version: its dates and where it was built from."""
    rows = []
    for name, v in rv.load_versions().items():
        p = v.provenance
        rows.append(
            {
                "registry_version": name,
                "in_force_from": v.in_force_from,
                "in_force_until": v.in_force_until,
                "source": f"{p['release']} {p['source']} (sha256 {p['source_sha256']})",
                "release": p["release"],
                "provinces": p["provinces"],
                "districts": p["districts"],
                "communes": p["communes"],
            }
        )
    frame = pd.DataFrame(rows)
    frame["in_force_from"] = pd.to_datetime(frame["in_force_from"]).dt.date
    frame["in_force_until"] = pd.to_datetime(frame["in_force_until"]).dt.date
    return frame


def units_by_version() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Return the provinces, districts and communes of every version, with registry_version."""
    out = []
    for tier in ("provinces", "districts", "communes"):
        out.append(
            pd.concat(
                [
                    getattr(v.registry, tier).assign(registry_version=name)
                    for name, v in rv.load_versions().items()
                ],
                ignore_index=True,
            )
        )
    return out[0], out[1], out[2]


def derive_predecessors(con: duckdb.DuckDBPyConnection) -> None:
    """Fill ref.commune_predecessors from the versions and successions loaded in ref.

    In SQL (sql/reference/commune_predecessors.sql): its 168,000 rows took 0.2 s of Python
    holding the GIL while the run archived its inbox beside it, which slowed both; DuckDB
    derives them in a tenth of a second without it. Only the names' keys come from Python
    (commune_name_keys, the form same_name compares), as a relation of the query.
    """
    keys = pd.DataFrame(
        [
            (version, code, key)
            for version in rv.load_versions()
            for code, key in rv.commune_name_keys(version).items()
        ],
        columns=["registry_version", "commune_code", "name_key"],
    )
    con.register("commune_name_keys", keys)
    try:
        query = sql_file(PREDECESSORS_SQL)
        con.execute(f"insert into ref.commune_predecessors by name {query}").fetchall()
    finally:
        con.unregister("commune_name_keys")


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
    # the derived tables follow from the frames, the registry data file and these rules
    digest.update(str(rv.load_versions_file_sha256()).encode())
    digest.update(sql_file(PREDECESSORS_SQL).encode())
    # the models' SQL too: after an upgrade that changes a model the marts are rebuilt whole
    digest.update(models_fingerprint().encode())
    for table, frame in frames.items():
        digest.update(table.encode())
        digest.update(",".join(map(str, frame.columns)).encode())
        digest.update(
            pd.util.hash_pandas_object(frame.astype(str), index=False).to_numpy().tobytes()
        )
    return digest.hexdigest()
