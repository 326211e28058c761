"""Print a fingerprint of every mart, the ledger and the issue rows of a warehouse, leaving out
what differs between runs (run ids, times, archive paths): two warehouses built from the same
files by two versions of the code must print the same lines. Usage: warehouse_fingerprint.py DB"""

import hashlib
import sys

import duckdb

db = sys.argv[1]
con = duckdb.connect(db, read_only=True)
VOLATILE = {
    "run_id",
    "received_at",
    "archive_path",
    "status_changed_at",
    "started_at",
    "finished_at",
    "built_at",
}
out = []
tables = con.execute(
    "select table_schema, table_name from information_schema.tables where table_schema in ('marts','ops','raw') order by 1,2"
).fetchall()
for schema, table in tables:
    if schema == "ops" and table not in ("submissions", "validation_issues"):
        continue
    cols = [
        r[0]
        for r in con.execute(
            f"select column_name from information_schema.columns where table_schema='{schema}' and table_name='{table}' order by ordinal_position"
        ).fetchall()
    ]
    keep = [c for c in cols if c not in VOLATILE]
    rows = con.execute(
        f'select {", ".join(chr(34) + c + chr(34) for c in keep)} from {schema}."{table}"'
    ).fetchall()
    lines = sorted(repr(r) for r in rows)
    h = hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]
    out.append(f"{schema}.{table}: {len(rows)} rows, {len(keep)} cols, {h}")
print("\n".join(out))
