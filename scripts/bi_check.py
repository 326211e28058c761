"""`make bi-check`: open the published snapshot in a real Apache Superset, as a BI user would.

Not part of CI (the install takes minutes and needs the package index). Steps, the same as
the README's "Connecting a BI tool > Superset":

1. a virtual environment of its own (`.bi-venv`, Python 3.11) with Superset 6.1.0 and the
   packages its release forgets (rich, cachetools, flask-caching 2.3.0), duckdb-engine and
   a DuckDB that reads the snapshot (storage version v1.0.0: DuckDB 1.0 or later);
2. a `superset_config.py` with a SECRET_KEY and a SQLite metadata database, in a temporary
   folder (also SUPERSET_HOME, so nothing lands in ~/.superset);
3. `superset db upgrade`;
4. inside `create_app().app_context()`: the snapshot registered as a Database, read only
   (`extra={"engine_params": {"connect_args": {"read_only": true}}}`); Superset lists the
   schemas, the marts and their columns with comments, registers marts.province_summary
   as a dataset, and runs the query behind one chart (communes meeting 19.2 by province,
   last year) through the dataset, the way Explore does. Everything Superset returned is
   printed.

Usage: python scripts/bi_check.py [SNAPSHOT] [--python python3.11] [--venv .bi-venv] [--keep]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SNAPSHOT = ROOT / "data" / "published" / "ntm.duckdb"
# What Superset's own requirements leave out on this release (measured: without the
# first three `superset db upgrade` or create_app() fails), and the DuckDB driver.
REQUIREMENTS = (
    "apache-superset==6.1.0",
    "rich",
    "cachetools",
    "flask-caching==2.3.0",
    "duckdb-engine==0.17.0",
    # the snapshot is written in storage version v1.0.0: any DuckDB from 1.0 reads it
    "duckdb>=1.0,<3",
)
DATABASE_NAME = "ntm snapshot (read only)"

CONFIG = """\
# written by scripts/bi_check.py for one check; thrown away afterwards
import logging

LOG_LEVEL = logging.WARNING
SECRET_KEY = {secret!r}
SQLALCHEMY_DATABASE_URI = {metadata!r}
# no examples, no telemetry pixel, no background workers: a one-shot check
SCARF_ANALYTICS = False
FEATURE_FLAGS = {{}}
"""

# Runs inside the Superset environment. Superset's own API, not raw SQLAlchemy: what it
# returns is what its UI shows (the database, schema and dataset pickers, Explore).
INSIDE = r"""
import json
import sys

snapshot = sys.argv[1]
database_name = sys.argv[2]

from superset.app import create_app

app = create_app()
with app.app_context():
    from superset import db
    from superset.connectors.sqla.models import SqlaTable
    from superset.models.core import Database
    from superset.sql.parse import Table

    database = Database(
        database_name=database_name,
        sqlalchemy_uri=f"duckdb:///{snapshot}",
        extra=json.dumps({"engine_params": {"connect_args": {"read_only": True}}}),
    )
    db.session.add(database)
    db.session.commit()
    print(f"Database registered: {database.database_name!r} -> {database.sqlalchemy_uri}")
    print(f"  engine: {database.backend}, extra: {database.extra}")

    schemas = sorted(database.get_all_schema_names(catalog=None))
    print(f"Schemas ({len(schemas)}): {', '.join(schemas)}")
    # (table, schema, catalog) triples, as the dataset picker receives them
    marts = sorted(
        t[0] for t in database.get_all_table_names_in_schema(catalog=None, schema="marts")
    )
    print(f"Tables in marts ({len(marts)}): {', '.join(marts)}")
    views = sorted(
        t[0] for t in database.get_all_view_names_in_schema(catalog=None, schema="marts")
    )
    print(f"Views in marts ({len(views)}): {', '.join(views) or '(none)'}")

    for mart in marts:
        comment = database.get_table_comment(Table(mart, "marts"))
        columns = database.get_columns(Table(mart, "marts"))
        described = sum(1 for c in columns if c.get("comment"))
        print(f"\nmarts.{mart}: {comment}")
        print(f"  {len(columns)} columns, {described} with a comment")
        for column in columns:
            print(f"  - {column['column_name']} {column['type']}: {column.get('comment')}")

    # the dataset a chart is built on: Superset reads its columns (and their comments)
    dataset = SqlaTable(table_name="province_summary", schema="marts", database=database)
    db.session.add(dataset)
    dataset.fetch_metadata()
    db.session.commit()
    described = {c.column_name: c.description for c in dataset.columns}
    print(f"\nDataset marts.province_summary: {len(dataset.columns)} columns")
    print(f"  description of communes_meeting: {described.get('communes_meeting')}")

    last_year = int(
        database.get_df("select max(year) as y from marts.province_summary", schema="marts")[
            "y"
        ][0]
    )
    # the chart: a bar chart of communes meeting 19.2 by province, filtered on the last year
    query = {
        "groupby": ["province_code", "province_name"],
        "metrics": [
            {"expressionType": "SQL", "sqlExpression": "SUM(communes_meeting)",
             "label": "communes meeting 19.2"},
            {"expressionType": "SQL", "sqlExpression": "SUM(communes_expected)",
             "label": "communes"},
            {"expressionType": "SQL",
             "sqlExpression": "SUM(communes_meeting) / SUM(communes_expected)",
             "label": "share meeting 19.2"},
        ],
        "filter": [{"col": "year", "op": "==", "val": last_year}],
        "is_timeseries": False,
        "row_limit": 100,
        "orderby": [("province_code", True)],
        "extras": {},
    }
    print(f"\nChart query (dataset marts.province_summary, year = {last_year}):")
    print(dataset.get_query_str(query))
    result = dataset.query(query)
    if result.status != "success":
        raise SystemExit(f"Superset query failed: {result.errors or result.error_message}")
    print(f"\nSuperset returned {len(result.df)} rows:")
    print(result.df.to_string(index=False))
"""


def _run(command: list[str], env: dict[str, str] | None = None, quiet: bool = False) -> None:
    """Run a command, showing it; `quiet` shows its output only when it fails."""
    print("$ " + " ".join(command), flush=True)
    if not quiet:
        subprocess.run(command, check=True, env=env)
        return
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        print(done.stdout + done.stderr, file=sys.stderr)
        raise SystemExit(f"failed ({done.returncode}): {' '.join(command)}")
    last = (done.stdout + done.stderr).strip().splitlines()[-1:]
    print(f"  ok{': ' + last[0] if last else ''}")


def ensure_venv(venv: Path, python: str) -> Path:
    """Create the Superset environment once (again when REQUIREMENTS change)."""
    stamp = venv / ".installed"
    wanted = hashlib.sha256("\n".join(REQUIREMENTS).encode()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted:
        print(f"Superset environment {venv} is current")
        return venv / "bin"
    if shutil.which(python) is None:
        raise SystemExit(f"needs {python} (Superset 6.1 supports Python 3.10-3.12)")
    shutil.rmtree(venv, ignore_errors=True)
    _run([python, "-m", "venv", str(venv)])
    pip = [str(venv / "bin" / "python"), "-m", "pip"]
    _run([*pip, "install", "--quiet", "--upgrade", "pip"])
    _run([*pip, "install", "--quiet", *REQUIREMENTS])
    stamp.write_text(wanted)
    return venv / "bin"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("snapshot", nargs="?", type=Path, default=DEFAULT_SNAPSHOT)
    parser.add_argument("--python", default="python3.11")
    parser.add_argument("--venv", type=Path, default=ROOT / ".bi-venv")
    parser.add_argument("--keep", action="store_true", help="keep the Superset home folder")
    args = parser.parse_args(argv)
    snapshot = args.snapshot.resolve()
    if not snapshot.exists():
        raise SystemExit(f"no snapshot at {snapshot}: run `make demo` first")
    bin_dir = ensure_venv(args.venv.resolve(), args.python)
    home = Path(tempfile.mkdtemp(prefix="ntm-superset-"))
    try:
        config = home / "superset_config.py"
        config.write_text(
            CONFIG.format(
                secret=secrets.token_urlsafe(42), metadata=f"sqlite:///{home / 'superset.db'}"
            )
        )
        env = {
            **os.environ,
            "SUPERSET_CONFIG_PATH": str(config),
            "SUPERSET_HOME": str(home),
            "FLASK_APP": "superset.app:create_app()",
            "SCARF_ANALYTICS": "false",
            "PYTHONWARNINGS": "ignore",
        }
        _run([str(bin_dir / "superset"), "db", "upgrade"], env, quiet=True)
        inside = home / "inside_superset.py"
        inside.write_text(INSIDE)
        _run([str(bin_dir / "python"), str(inside), str(snapshot), DATABASE_NAME], env)
    finally:
        if args.keep:
            print(f"Superset home kept: {home}")
        else:
            shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
