"""Reports people open: the province workbook and page, and the district feedback workbook."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from transforms import progress
from transforms.reports.province_data import ProvinceReport, load_reports, province_years
from transforms.reports.province_excel import write_report_workbook
from transforms.reports.province_html import write_report_html


@dataclass(frozen=True)
class WrittenReport:
    """The two files of one province report for a year."""

    province_code: str
    year: int
    xlsx: Path
    html: Path


def report_paths(out_dir: Path, province_code: str, year: int) -> tuple[Path, Path]:
    """Return where the Excel and HTML reports of a province and year go under out_dir."""
    folder = Path(out_dir) / str(year) / province_code
    stem = f"bao-cao-19-2_{province_code}_{year}"
    return folder / f"{stem}.xlsx", folder / f"{stem}.html"


def _write_one(report: ProvinceReport, out_dir: Path) -> WrittenReport:
    xlsx, page = report_paths(out_dir, report.province_code, report.year)
    write_report_workbook(report, xlsx)
    write_report_html(report, page)
    return WrittenReport(report.province_code, report.year, xlsx, page)


def write_province_reports(
    con: duckdb.DuckDBPyConnection,
    out_dir: Path,
    province_year_pairs: Iterable[tuple[str, int]],
) -> list[WrittenReport]:
    """Write both reports of every (province_code, year) that has a submission in force into
    out_dir/<year>/<province>/; return those written, in the order given.

    A pair with nothing in force (a year nobody has submitted) gets no report. The data of
    all the reports is read in one query per mart and year, then split by province.
    """
    # Written in this process: a national year takes well under a second here, and a pool
    # of processes would spend more than it saves in starting and in shipping the rows (the
    # flags' messages weigh about 20 MB a year) on a machine of two cores.
    reports = load_reports(con, province_year_pairs)
    written = progress.counter("reports", len(reports))
    out = []
    for report in reports:
        out.append(_write_one(report, Path(out_dir)))
        written()
    return out


def write_reports(
    con: duckdb.DuckDBPyConnection,
    out_dir: Path,
    province_year_pairs: Iterable[tuple[str, int]],
) -> list[Path]:
    """Write the province reports as write_province_reports does; return the paths written,
    Excel then HTML for each report."""
    written = write_province_reports(con, out_dir, province_year_pairs)
    return [path for w in written for path in (w.xlsx, w.html)]


__all__ = [
    "WrittenReport",
    "province_years",
    "report_paths",
    "write_province_reports",
    "write_reports",
]
