"""The naive baseline the benchmark compares against (not used by the pipeline).

What a first version would do, the same work as scenario (a): `pandas.read_excel` per
file with the default engine for its format, pandera once per file, row-by-row inserts
through SQLAlchemy, the marts built, the warehouse file copied as the snapshot, and each
province's report written with pandas (a query per table and province, `to_excel`
through openpyxl, `to_html`). It reuses the project's contract logic (header
detection, cell parsing, schemas, the SQL models) so that only the approach differs,
not the rules.
"""

from __future__ import annotations

import datetime as dt
import math
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import create_engine, text

from schemas import communes as communes_schema
from schemas import models as models_schema
from schemas.common import failures
from transforms.reference.versions import choose_version
from transforms.validation.validate import CONTEXT_DTYPES, _opt_code, _parse_info
from transforms.warehouse.connection import connect
from transforms.warehouse.runner import build_models
from transforms.workbook import contract as c
from transforms.workbook.reader import RawWorkbook, _match_sheets, _read_info, _read_table
from transforms.workbook.tables import parse_table, typed_frame


def _cells(frame: pd.DataFrame) -> list[list[Any]]:
    return [
        ["" if isinstance(v, float) and math.isnan(v) else v for v in row]
        for row in frame.itertuples(index=False, name=None)
    ]


def _read(path: Path) -> RawWorkbook:
    sheets = pd.read_excel(path, sheet_name=None, header=None)  # default engine per format
    raw = RawWorkbook(file=path.name)
    found = _match_sheets(list(sheets))
    for spec in c.SHEETS:
        name = found.get(spec.key)
        if name is None:
            continue
        rows = _cells(sheets[name])
        if spec is c.INFO:
            raw.info_sheet, raw.info = name, _read_info(rows)
        else:
            table = _read_table(rows, name, spec, raw.file, raw.issues)
            if table is not None:
                raw.tables[spec.key] = table
    return raw


def _insert_rows(conn: Any, table: str, frame: pd.DataFrame) -> None:
    cols = list(frame.columns)
    sql = text(
        f"insert into {table} ({', '.join(cols)}) values ({', '.join(':' + c for c in cols)})"  # noqa: S608
    )
    for record in frame.astype(object).where(frame.notna(), None).to_dict("records"):
        conn.execute(sql, record)


def run_baseline(inbox: Path, warehouse: Path) -> int:
    """Load every workbook of the inbox the naive way; return how many were accepted."""
    connect(warehouse).close()  # same layout as the pipeline's warehouse
    engine = create_engine(f"duckdb:///{warehouse}")
    accepted = 0
    with engine.begin() as conn:
        for sid, path in enumerate(sorted(inbox.iterdir()), start=1):
            raw = _read(path)
            issues = list(raw.issues)
            info = _parse_info(raw, issues)
            ok = info is not None and not issues
            frames = {}
            version = None
            for spec, schema, anchors in (
                (c.COMMUNES, communes_schema.CommuneRows, communes_schema.ANCHORS),
                (c.MODELS, models_schema.ModelRows, models_schema.ANCHORS),
            ):
                table = raw.tables.get(spec.key)
                if table is None or info is None:
                    ok = False
                    continue
                parsed = parse_table(table, spec, raw.file, info.year)
                if spec is c.COMMUNES:
                    # the registry version the file is checked against, as the pipeline does
                    names = [
                        (_opt_code(r.get("commune_code")), _opt_code(r.get("commune_name")))
                        for r in parsed.records
                    ]
                    version = choose_version(info.district_code, info.year, names).version
                context = {
                    "file_index": 0,
                    "submitted_district": info.district_code,
                    "report_year": info.year,
                    "registry_version": version,
                }
                frame = typed_frame(spec, [(context, parsed.records)], CONTEXT_DTYPES)
                ok = ok and not parsed.issues and not failures(schema, frame, anchors)
                frames[spec.key] = frame.drop(columns=list(CONTEXT_DTYPES))
            conn.execute(
                text(
                    "insert into ops.submissions (submission_id, file_name, sha256, received_at,"
                    " run_id, province_code, district_code, year, status, error_count,"
                    " warning_count, archive_path, registry_version) values (:id, :name, '',"
                    " :at, 'baseline', :p, :d, :y, :s, 0, 0, '', :v)"
                ),
                {
                    "id": sid,
                    "name": path.name,
                    "at": dt.datetime.now(dt.UTC),
                    "p": info.province_code if info else None,
                    "d": info.district_code if info else None,
                    "v": version,
                    "y": info.year if info else None,
                    "s": "accepted" if ok else "rejected",
                },
            )
            if not ok:
                continue
            accepted += 1
            for key, table_name in (("communes", "raw.communes"), ("models", "raw.models")):
                rows = frames[key].rename(columns={"excel_row": "row_number"})
                _insert_rows(conn, table_name, rows.assign(submission_id=sid))
    engine.dispose()
    con = connect(warehouse)
    build_models(con)
    con.execute("checkpoint")
    con.close()
    published = warehouse.with_name("published.duckdb")
    shutil.copyfile(warehouse, published)
    _write_reports(published, warehouse.with_name("reports"))
    return accepted


# what a province report shows, one query per table and province
_REPORT_TABLES = {
    "province": "select * from marts.province_summary where year = :y and province_code = :p",
    "districts": "select * from marts.district_summary where year = :y and province_code = :p",
    "flags": "select * from marts.commune_flags where year = :y and province_code = :p",
    "models": "select * from marts.model_coverage where year = :y and province_code = :p",
}


def _write_reports(snapshot: Path, out: Path) -> None:
    """Write every province-year's report the way a first version would, with pandas."""
    engine = create_engine(f"duckdb:///{snapshot}", connect_args={"read_only": True})
    with engine.connect() as conn:
        pairs = conn.execute(
            text("select distinct province_code, year from marts.province_summary order by all")
        ).fetchall()
        for province, year in pairs:
            frames = {
                name: pd.read_sql(text(sql), conn, params={"y": year, "p": province})
                for name, sql in _REPORT_TABLES.items()
            }
            folder = out / str(year)
            folder.mkdir(parents=True, exist_ok=True)
            with pd.ExcelWriter(folder / f"{province}.xlsx", engine="openpyxl") as book:
                for name, frame in frames.items():
                    for col in frame.select_dtypes(include=["datetimetz"]):
                        frame[col] = frame[col].dt.tz_localize(None)  # Excel has no zones
                    frame.to_excel(book, sheet_name=name, index=False)
            html = "".join(f"<h2>{name}</h2>" + f.to_html() for name, f in frames.items())
            (folder / f"{province}.html").write_text(f"<html><body>{html}</body></html>")
    engine.dispose()
