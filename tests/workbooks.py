"""Building district workbooks inside tests: a valid one, then one change at a time."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from transforms.reference.registry import load_registry
from transforms.reference.versions import load_versions
from transforms.workbook import contract as c
from transforms.workbook.names import normalise
from transforms.workbook.writer import Cell, write_workbook

DISTRICT = "119"  # Thuận Châu, Sơn La
PROVINCE = "14"


def passing_values(code: str, name: str) -> dict[str, Cell]:
    """Return one commune row that meets every basic condition, keyed by column key."""
    values: dict[str, Cell] = {col.key: 0 for col in c.COMMUNES.columns if col.type == "count"}
    values.update(
        commune_code=code,
        commune_name=name,
        party_resolution="Có",
        commune_plan="Có",
        villages_total=10,
        villages_safe=9,
        police_rating="Hoàn thành tốt nhiệm vụ",
        movement_rating="Khá",
        security_teams=12,
    )
    return values


@dataclass
class Book:
    """A district workbook under construction; `write` puts it on disk."""

    district: str = DISTRICT
    year: Cell = 2023
    # the registry version whose names and communes the book lists (None: the latest)
    registry_version: str | None = None
    info: dict[str, Cell] = field(default_factory=dict)
    headers: list[str] = field(default_factory=list)  # as written, in sheet order
    rows: list[dict[str, Cell]] = field(default_factory=list)  # commune rows by key
    extra_rows: list[list[Cell]] = field(default_factory=list)  # raw rows under the table
    models: list[list[Cell]] = field(default_factory=list)
    title_rows: int = 2
    start_col: int = 0
    sheet_names: dict[str, str] = field(
        default_factory=lambda: {"info": "Thông tin", "communes": "Xã", "models": "Mô hình"}
    )

    def __post_init__(self) -> None:
        reg = (
            load_versions()[self.registry_version].registry
            if self.registry_version
            else load_registry()
        )
        province = reg.district_by_code[self.district][1]
        self.info = {
            "Mã tỉnh": province,
            "Mã huyện": self.district,
            "Năm báo cáo": self.year,
            "Tên huyện": reg.district_by_code[self.district][0],
            **self.info,
        }
        if not self.headers:
            self.headers = [col.label for col in c.COMMUNES.columns]
        if not self.rows:
            communes = reg.communes_of(self.district)
            self.rows = [
                passing_values(code, name)
                for code, name in zip(communes.commune_code, communes.commune_name, strict=True)
            ]
        if not self.models:
            self.models = [
                [r["commune_code"], "5 tự quản", "Tự quản", 2020, "Có"] for r in self.rows
            ]

    def key_of(self, header: str) -> str | None:
        """Return the column key a header stands for (None for a column not in the form)."""
        n = normalise(header)
        return next((col.key for col in c.COMMUNES.columns if n in col.match_names), None)

    def excel_row(self, index: int) -> int:
        """Return the Excel row number of the index-th commune row."""
        return self.title_rows + 2 + index

    def write(self, path: Path) -> Path:
        sheets = []
        if "info" in self.sheet_names:
            sheets.append((self.sheet_names["info"], [[k, v] for k, v in self.info.items()]))
        if "communes" in self.sheet_names:
            table: list[list[Cell]] = [["BÁO CÁO TIÊU CHÍ 19.2"]] + [[]] * (self.title_rows - 1)
            table.append(list(self.headers))
            keys = [self.key_of(h) if h else None for h in self.headers]
            for row in self.rows:
                table.append([row.get(k) if k else None for k in keys])
            table.extend(self.extra_rows)
            sheets.append((self.sheet_names["communes"], table, 0, self.start_col))
        if "models" in self.sheet_names:
            header = [col.label for col in c.MODELS.columns]
            sheets.append((self.sheet_names["models"], [header, *self.models]))
        return write_workbook(path, sheets)


def rules(result: object) -> list[str]:
    """Return the rule codes of a validation result's issues, in order."""
    return [i.rule for i in result.issues]  # type: ignore[attr-defined]
