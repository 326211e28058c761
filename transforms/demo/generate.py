"""Deterministic demo submissions: district workbooks that look like real ones, and bad files.

Every random draw comes from a ``random.Random`` seeded with a string built
from the seed and the codes involved (string seeds are hashed with SHA-512,
not with Python's salted ``hash``), so a file's content depends only on the
seed, its district and its year: never on run order, dict order or
PYTHONHASHSEED.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import os
import random
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from transforms.reference import versions as rv
from transforms.reference.registry import Registry, load_registry
from transforms.workbook.contract import COMMUNES, INFO, MODELS, Column
from transforms.workbook.names import normalise
from transforms.workbook.writer import Cell, SheetData, write_workbook

DEFAULT_SEED = 20251
YEARS = range(2019, 2026)
# Most districts fill old years in today's form (the 2025-01 communes); Thanh Hóa's files of
# these years are era-true: they list the communes of the year's registry version, so the demo
# shows Huyện Đông Sơn (405, merged into Thanh Hóa city in 2025) in 2019-2023, Hậu Lộc with 23
# communes then and 22 after, and C5/A1 unknown where a commune changed (registry.md).
ERA_TRUE = {"38": range(2019, 2024)}
DEMO_PROVINCES = ("26", "14", "38", "58")
SELF_MANAGEMENT_TYPES = (
    "five_self_management",
    "clan_self_governing",
    "religious_self_governing",
    "interfamily_group",
)
_OTHER_MODEL_TYPES = (
    "four_safety",
    "drug_prevention",
    "traffic_order",
    "clan_self_governing",
    "religious_self_governing",
    "reintegration",
    "other",
)
# Figures the seed article gives for 2023, which the demo reproduces exactly.
THUAN_CHAU = "119"
HAU_LOC = "400"
CALIBRATION_YEAR = 2023
THUAN_CHAU_TEAMS = 391
THUAN_CHAU_INTERFAMILY_GROUPS = 2769
HAU_LOC_SELF_MANAGEMENT_MODELS = 28
HAU_LOC_CAMERA_MODELS = 16
CALIBRATED = frozenset({(THUAN_CHAU, CALIBRATION_YEAR), (HAU_LOC, CALIBRATION_YEAR)})

# Vietnam keeps UTC+7 all year; the deadline is the end of 15 January of Y+1.
VN_TZ = dt.timezone(dt.timedelta(hours=7))
NOW_CAP = dt.datetime(2026, 11, 29, tzinfo=VN_TZ)

_COUNT_KEYS = tuple(COMMUNES.keys_of_type("count"))
_YESNO_KEYS = tuple(COMMUNES.keys_of_type("yesno"))
_FAIL_SHARE = {2019: 0.38, 2020: 0.33, 2021: 0.28, 2022: 0.22, 2023: 0.16, 2024: 0.11, 2025: 0.07}
_FAIL_REASONS = (
    ("serious_crime", 3),
    ("safe_villages", 3),
    ("police_completed", 2),
    ("police_disciplined", 1),
    ("no_effective_model", 2),
    ("missing_resolution", 2),
    ("security_incident", 1),
    ("mass_complaints", 1),
)
_PEOPLE = (
    "Nguyễn Văn An",
    "Trần Thị Bình",
    "Lê Văn Cường",
    "Phạm Thị Dung",
    "Hoàng Văn Đức",
    "Lò Văn Hùng",
    "Cầm Thị Lan",
    "Lường Văn Minh",
    "Đỗ Thị Hương",
    "Bùi Văn Nam",
    "Vũ Thị Ngọc",
    "Đặng Văn Quang",
)
_YES_NO_SPELLINGS = {"Có": ("Có", "Không"), "có": ("có", "không"), "Yes": ("Yes", "No")}
_GROUPS = (
    ("security_incidents", "fires", "Tình hình an ninh, trật tự"),
    ("villages_total", "villages_safe", "Thôn, tổ dân phố"),
    ("police_rating", "movement_rating", "Đánh giá, xếp loại"),
    ("security_teams", "reintegrated_persons", "Lực lượng, phong trào ở cơ sở"),
)


def _rng(seed: int, *parts: object) -> random.Random:
    return random.Random("/".join([str(seed), *map(str, parts)]))


def _weighted(rng: random.Random, options: Sequence[tuple[str, int]]) -> str:
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


# --- the district's history -------------------------------------------------


@dataclass
class _Model:
    model_type: str
    name: str
    year_started: int
    year_written: bool = True


@dataclass
class _Commune:
    code: str
    name: str
    urban: bool
    villages: int
    groups_per_village: int
    camera_base: int
    crimes: dict[int, int]
    evils: dict[int, int]
    advanced_from: int | None
    models: list[_Model]
    failure: dict[int, str | None]


def _short_name(name: str) -> str:
    for prefix in ("Thị trấn ", "Phường ", "Xã ", "Huyện ", "Thị xã ", "Thành phố ", "Quận "):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def _model(rng: random.Random, kind: str, place: str, start: int) -> _Model:
    label = MODELS.column("model_type").enum_label(kind)
    return _Model(kind, f"{label} {place}", start, year_written=rng.random() >= 0.08)


def _series(rng: random.Random, base: float, stubborn: bool, riser: bool) -> dict[int, int]:
    """Return yearly counts: falling for most communes, rising some years for risers."""
    level = base
    out = {YEARS[0]: round(level)}
    for year in YEARS[1:]:
        if year == 2020 and not stubborn:
            level *= rng.uniform(0.70, 0.92)  # the 2019 baseline sits a bit higher
        elif riser and rng.random() < 0.5:
            level *= rng.uniform(1.10, 1.50)
        else:
            level *= rng.uniform(0.80, 1.00)
        out[year] = round(level)
    return out


def _commune(seed: int, code: str, name: str, stubborn: bool) -> _Commune:
    rng = _rng(seed, "commune", code)
    urban = name.startswith(("Phường", "Thị trấn"))
    villages = rng.randint(4, 16) if urban else rng.randint(5, 20)
    riser = rng.random() < (0.55 if stubborn else 0.15)
    crimes = _series(rng, rng.randint(4, 16) if urban else rng.randint(1, 10), stubborn, riser)
    evils = _series(rng, rng.randint(0, 6), stubborn, riser)
    advanced_from: int | None = None
    if rng.random() < 0.55:
        advanced_from = rng.choice((2020, 2021, 2022, 2022, 2023, 2023, 2024, 2024, 2025, 2025))
    if advanced_from:
        # Communes aiming at the advanced level keep cutting crime (A1_crime_reduced).
        for year in range(max(advanced_from, YEARS[1]), YEARS[-1] + 1):
            if crimes[year - 1] > 0:
                crimes[year] = min(crimes[year], crimes[year - 1] - 1)
    place = _short_name(name)
    models: list[_Model] = []
    if rng.random() < 0.8 or advanced_from:
        latest = min(2021, advanced_from or 2021)
        models.append(_model(rng, "five_self_management", place, rng.randint(2012, latest)))
    if rng.random() < 0.45:
        models.append(_model(rng, "interfamily_group", place, rng.randint(2010, 2022)))
    if advanced_from:
        camera_start = rng.randint(max(2016, advanced_from - 4), advanced_from)
        models.append(_model(rng, "security_camera", place, camera_start))
    elif rng.random() < 0.3:
        models.append(_model(rng, "security_camera", place, rng.randint(2017, 2027)))
    taken = {m.model_type for m in models}
    for kind in rng.sample(_OTHER_MODEL_TYPES, rng.choice((0, 0, 1, 1, 2))):
        if kind not in taken:
            models.append(_model(rng, kind, place, rng.randint(2012, 2025)))
    if not any(m.year_started <= YEARS[0] for m in models) and rng.random() < 0.85:
        models.append(_model(rng, "five_self_management", place, rng.randint(2012, 2019)))
    failure: dict[int, str | None] = {}
    for year in YEARS:
        fails = rng.random() < _FAIL_SHARE[year]
        failure[year] = _weighted(rng, _FAIL_REASONS) if fails else None
    return _Commune(
        code=code,
        name=name,
        urban=urban,
        villages=villages,
        groups_per_village=rng.randint(4, 10),
        camera_base=rng.randint(4, 30),
        crimes=crimes,
        evils=evils,
        advanced_from=advanced_from,
        models=models,
        failure=failure,
    )


def demo_version(province_code: str, year: int) -> str:
    """Return the registry version a demo file of the province and year lists."""
    if year in ERA_TRUE.get(province_code, ()):
        return rv.year_version(year)
    return rv.latest_version()


def _registry(version: str) -> Registry:
    return rv.load_versions()[version].registry


def province_of(district_code: str) -> str | None:
    """Return the province of a district of any registry version (the latest that has it)."""
    for version in reversed(tuple(rv.load_versions())):
        found = _registry(version).district_by_code.get(district_code)
        if found:
            return found[1]
    return None


def has_file(district_code: str, year: int) -> bool:
    """Return whether the demo has a file of the district for the year: the district exists
    in the version the province's files of that year list."""
    province = province_of(district_code)
    if province is None:
        return False
    return district_code in _registry(demo_version(province, year)).district_by_code


@lru_cache(maxsize=64)
def _district(seed: int, district_code: str, version: str | None = None) -> tuple[_Commune, ...]:
    """Return the district's communes of a registry version (the latest by default) with their
    whole 2019-2025 history (calibrated); a commune's history follows its code."""
    registry = _registry(version) if version else load_registry()
    stubborn = _rng(seed, "district", district_code).random() < 0.10
    table = registry.communes_of(district_code)
    communes = [
        _commune(seed, code, name, stubborn)
        for code, name in zip(table["commune_code"], table["commune_name"], strict=True)
    ]
    if district_code == THUAN_CHAU:
        _calibrate_villages(communes, THUAN_CHAU_TEAMS)
    if district_code == HAU_LOC:
        rng = _rng(seed, "calibration", district_code)
        _calibrate_models(rng, communes, SELF_MANAGEMENT_TYPES, HAU_LOC_SELF_MANAGEMENT_MODELS)
        _calibrate_models(rng, communes, ("security_camera",), HAU_LOC_CAMERA_MODELS)
    return tuple(communes)


def _calibrate_villages(communes: list[_Commune], total: int) -> None:
    """Make villages sum to total (one security, mediation and fire team per village)."""
    if total < 4 * len(communes):
        raise ValueError(f"cannot spread {total} villages over {len(communes)} communes")
    i = 0
    while (diff := total - sum(c.villages for c in communes)) != 0:
        c = communes[i % len(communes)]
        if diff > 0:
            c.villages += 1
        elif c.villages > 4:
            c.villages -= 1
        i += 1


def _active(c: _Commune, kinds: Sequence[str], year: int) -> list[_Model]:
    return [m for m in c.models if m.model_type in kinds and m.year_started <= year]


def _calibrate_models(
    rng: random.Random, communes: list[_Commune], kinds: Sequence[str], target: int
) -> None:
    """Add or drop whole models so the district lists exactly target rows of kinds."""
    year = CALIBRATION_YEAR
    count = sum(len(_active(c, kinds, year)) for c in communes)
    # Drop from communes not aiming at the advanced level first, rarest kinds first.
    drop_order = sorted(
        (
            (c.advanced_from is not None, -kinds.index(m.model_type), c.code, m)
            for c in communes
            for m in _active(c, kinds, year)
        ),
        key=lambda t: t[:3],
    )
    for advanced, _, _, m in drop_order:
        if count <= target:
            break
        owner = next(c for c in communes if any(x is m for x in c.models))
        owner.models = [x for x in owner.models if x is not m]
        if advanced and m.model_type == "security_camera":
            owner.advanced_from = None
        count -= 1
    add_order = sorted(communes, key=lambda c: (c.advanced_from is None, c.code))
    for kind in kinds:
        for c in add_order:
            if count >= target:
                return
            if any(m.model_type == kind for m in c.models):
                # a model of this kind starting later moves its start forward
                later = next(m for m in c.models if m.model_type == kind)
                if later.year_started > year:
                    later.year_started = rng.randint(2019, year)
                    count += 1
                continue
            c.models.append(_model(rng, kind, _short_name(c.name), rng.randint(2016, year)))
            count += 1


# --- one submission ----------------------------------------------------------


@dataclass
class Submission:
    """A district's report for a year as plain values.

    Yes/no cells are bools and enums their contract keys; anything else
    (a bad value injected on purpose) is written as it is.
    """

    district_code: str
    province_code: str
    year: int
    info: dict[str, Cell]
    communes: list[dict[str, Any]]
    models: list[dict[str, Any]]
    registry_version: str = ""  # the registry version it lists ("": the latest)


def _apportion(total: int, weights: Sequence[int]) -> list[int]:
    """Return integers proportional to weights summing to total (largest remainder)."""
    wsum = sum(weights)
    shares = [total * w / wsum for w in weights]
    out = [int(s) for s in shares]
    order = sorted(range(len(weights)), key=lambda i: (out[i] - shares[i], i))
    for i in order[: total - sum(out)]:
        out[i] += 1
    return out


def _commune_record(seed: int, c: _Commune, year: int) -> tuple[dict[str, Any], list[dict]]:
    rng = _rng(seed, "year", c.code, year)
    reason = c.failure[year]
    advanced = c.advanced_from is not None and year >= c.advanced_from and reason is None
    t = c.villages
    crimes = c.crimes[year]
    serious = solved = 0
    if reason == "serious_crime":
        serious = rng.randint(1, 2)
        crimes = max(crimes, serious)
        solved = serious - (1 if rng.random() < 0.3 else 0)
    if reason == "safe_villages":
        safe = rng.randint((4 * t) // 10, (7 * t - 1) // 10)
    elif advanced:
        safe = rng.randint((9 * t + 9) // 10, t)
    else:
        safe = rng.randint((7 * t + 9) // 10, t)
    if reason == "police_completed":
        police = "failed" if rng.random() < 0.15 else "completed"
    elif advanced:
        police = rng.choice(("excellent", "good"))
    else:
        police = _weighted(rng, (("good", 3), ("excellent", 1)))
    if advanced:
        movement = rng.choice(("excellent", "fair"))
    else:
        movement = _weighted(rng, (("fair", 4), ("average", 3), ("excellent", 1), ("weak", 1)))
    no_plan = reason == "missing_resolution" and rng.random() < 0.5
    accidents = rng.randint(0, 5)
    active = [m for m in c.models if m.year_started <= year]
    has_camera = any(m.model_type == "security_camera" for m in active)
    record: dict[str, Any] = {
        "commune_code": c.code,
        "commune_name": c.name,
        "party_resolution": not (reason == "missing_resolution" and not no_plan),
        "commune_plan": not no_plan,
        "security_incidents": rng.randint(1, 2) if reason == "security_incident" else 0,
        "mass_complaints": 1 if reason == "mass_complaints" else 0,
        "social_order_crimes": crimes,
        "serious_crimes": serious,
        "serious_crimes_solved": solved,
        "drug_crimes": rng.randint(0, 3 if c.urban else 2),
        "social_evil_cases": c.evils[year],
        "traffic_accidents": accidents,
        "traffic_deaths": rng.randint(0, min(2, accidents)),
        "traffic_injuries": rng.randint(0, 2 * accidents),
        "fires": rng.randint(0, 2),
        "villages_total": t,
        "villages_safe": safe,
        "police_rating": police,
        "police_disciplined": 1 if reason == "police_disciplined" else 0,
        "movement_rating": movement,
        "security_teams": t,
        "mediation_teams": t,
        "fire_teams": t if year >= 2022 else max(0, t - rng.randint(0, 2)),
        "interfamily_groups": max(0, t * c.groups_per_village + rng.randint(-3, 3)),
        "cameras": c.camera_base + 3 * (year - 2019) if has_camera else rng.randint(0, 2),
        "reintegrated_persons": rng.randint(0, 4),
    }
    models = []
    for m in active:
        if reason == "no_effective_model":
            effective = False
        elif advanced and m.model_type in ("security_camera", "five_self_management"):
            effective = True
        else:
            effective = rng.random() >= 0.05
        models.append(
            {
                "commune_code": c.code,
                "model_type": m.model_type,
                "model_name": m.name,
                "year_started": m.year_started if m.year_written else None,
                "is_effective": effective,
            }
        )
    return record, models


def build_submission(district_code: str, year: int, seed: int = DEFAULT_SEED) -> Submission:
    """Return the demo submission of a district for a year (every commune of the version the
    province's files of that year list)."""
    province = province_of(district_code)
    if province is None:
        raise ValueError(f"unknown district code {district_code!r}")
    if year not in YEARS:
        raise ValueError(f"demo years run from {YEARS[0]} to {YEARS[-1]}, not {year}")
    version = demo_version(province, year)
    registry = _registry(version)
    if district_code not in registry.district_by_code:
        raise ValueError(
            f"district {district_code} does not exist in registry version {version}, which "
            f"the demo files of {year} list"
        )
    district_name, province_code = registry.district_by_code[district_code]
    communes: list[dict[str, Any]] = []
    models: list[dict[str, Any]] = []
    for c in _district(seed, district_code, version):
        record, rows = _commune_record(seed, c, year)
        communes.append(record)
        models.extend(rows)
    if district_code == THUAN_CHAU and year == CALIBRATION_YEAR:
        groups = _apportion(
            THUAN_CHAU_INTERFAMILY_GROUPS, [max(1, r["interfamily_groups"]) for r in communes]
        )
        for r, n in zip(communes, groups, strict=True):
            r["interfamily_groups"] = n
    rng = _rng(seed, "info", district_code, year)
    info: dict[str, Cell] = {
        "province_code": province_code,
        "district_code": district_code,
        "year": year,
        "district_name": district_name,
        "prepared_by": rng.choice(_PEOPLE),
        "prepared_on": dt.date(year + 1, 1, rng.randint(2, 12)),
    }
    return Submission(district_code, province_code, year, info, communes, models, version)


# --- layout ----------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """How a submission is laid out in its workbook; the default is the template's way."""

    fmt: str = "xlsx"
    title_rows: int = 1
    blank_rows_above: int = 0
    start_col: int = 0
    group_row: bool = False
    headers: str = "vi"  # vi: labels[0]; en: column keys; nfd: labels[0] in Unicode NFD
    column_order: tuple[str, ...] = ()  # () is contract order
    codes_as_numbers: bool = False
    tick_marks: bool = False
    yes_no: tuple[str, str] = ("Có", "Không")
    rating_abbrev: bool = False
    total_row: bool = False
    signature: bool = False
    zeros_blank: bool = False
    sheet_names: tuple[str, str, str] = ("Thông tin", "Xã", "Mô hình")
    info_last: bool = False
    year_label: str = "Năm báo cáo"


@dataclass(frozen=True)
class FilePlan:
    """One demo file: which district and year, its name, layout and arrival time."""

    district_code: str
    province_code: str
    year: int
    file_name: str
    layout: Layout
    received_at: dt.datetime
    late: bool
    omitted_commune: str | None = None
    variants: frozenset[str] = field(default_factory=frozenset)
    registry_version: str = ""  # the version whose communes the file lists


def _header(column: Column, layout: Layout) -> str:
    if layout.headers == "en":
        return column.key
    if layout.headers == "nfd":
        return unicodedata.normalize("NFD", column.label)
    return column.label


def _code(code: Any, width: int, layout: Layout) -> Cell:
    if layout.codes_as_numbers and isinstance(code, str) and code.isdigit() and len(code) == width:
        return int(code)
    return code  # type: ignore[no-any-return]


def _cell(column: Column, value: Any, layout: Layout, tick: bool) -> Cell:
    if column.type == "yesno" and isinstance(value, bool):
        if tick:
            return "x" if value else None
        return layout.yes_no[0] if value else layout.yes_no[1]
    if column.type == "enum" and isinstance(value, str) and value in dict(column.values):
        labels = dict(column.values)[value]
        if layout.rating_abbrev and column.key == "police_rating":
            return labels[-1]
        return labels[0]
    if column.type == "code5":
        return _code(value, 5, layout)
    if column.type == "count" and layout.zeros_blank and value == 0 and not column.blank_is_error:
        return None
    return value  # type: ignore[no-any-return]


def _table(
    title: list[str],
    columns: list[Column],
    records: list[dict[str, Any]],
    layout: Layout,
    *,
    name: str,
    footer: list[list[Cell]],
    group_row: bool,
) -> SheetData:
    """Return a table sheet: title lines, optional group row, header, rows, footer lines."""
    start_row, start_col = layout.blank_rows_above, layout.start_col
    width = len(columns)
    rows: list[list[Cell]] = [[line] for line in title]
    merges = [
        (start_row + i, start_col, start_row + i, start_col + width - 1) for i in range(len(title))
    ]
    if title:
        rows.append([])
    if group_row:
        keys = [c.key for c in columns]
        group: list[Cell] = [None] * width
        r = start_row + len(rows)
        for first, last, label in _GROUPS:
            i, j = keys.index(first), keys.index(last)
            group[i] = label
            merges.append((r, start_col + i, r, start_col + j))
        rows.append(group)
    header_row = start_row + len(rows)
    rows.append([_header(c, layout) for c in columns])
    ticks = {
        c.key
        for c in columns
        if layout.tick_marks and c.type == "yesno" and any(r.get(c.key) is True for r in records)
    }
    for record in records:
        rows.append([_cell(c, record.get(c.key), layout, c.key in ticks) for c in columns])
    rows.extend(footer)
    return SheetData(
        name,
        rows,
        start_row,
        start_col,
        merges=merges,
        bold_rows=frozenset({*(start_row + i for i in range(len(title))), header_row}),
    )


def _ordered(
    sheet_columns: tuple[Column, ...], order: tuple[str, ...], exclude: Iterable[str]
) -> list[Column]:
    drop = set(exclude)
    by_key = {c.key: c for c in sheet_columns}
    keys = [k for k in order if k in by_key] if order else list(by_key)
    return [by_key[k] for k in keys if k not in drop]


def render_sheets(
    sub: Submission, layout: Layout = Layout(), *, exclude_columns: Iterable[str] = ()
) -> list[SheetData]:
    """Return the info, communes and models sheets of a submission in a layout."""
    registry = _registry(sub.registry_version) if sub.registry_version else load_registry()
    exclude = tuple(exclude_columns)
    district_name = registry.district_by_code.get(sub.district_code, ("", ""))[0]
    province_name = registry.province_names.get(sub.province_code, "")
    en = layout.headers == "en"

    info_rows: list[list[Cell]] = []
    for column in INFO.columns:
        if column.key not in sub.info:
            continue
        value = sub.info[column.key]
        if column.key == "province_code":
            value = _code(value, 2, layout)
        elif column.key == "district_code":
            value = _code(value, 3, layout)
        label = layout.year_label if column.key == "year" else column.label
        key_cell = column.key if en else label
        if layout.headers == "nfd":
            key_cell = unicodedata.normalize("NFD", key_cell)
        info_rows.append([key_cell, value])
    info = SheetData(layout.sheet_names[0], info_rows, layout.blank_rows_above, layout.start_col)

    columns = _ordered(COMMUNES.columns, layout.column_order, exclude)
    title = [
        "BÁO CÁO KẾT QUẢ THỰC HIỆN TIÊU CHÍ 19.2 VỀ AN NINH, TRẬT TỰ",
        f"{district_name}, {province_name} - năm {sub.year}",
        "(Kèm theo văn bản báo cáo của Ban Chỉ đạo huyện)",
    ][: layout.title_rows]
    name_col = next((i for i, c in enumerate(columns) if c.key == "commune_name"), 0)
    footer: list[list[Cell]] = []
    if layout.total_row and sub.communes:
        total: list[Cell] = [None] * len(columns)
        total[name_col] = "Total" if en else "Tổng cộng"
        for i, c in enumerate(columns):
            if c.type == "count":
                s = sum(v for r in sub.communes if isinstance(v := r.get(c.key), int))
                total[i] = None if (layout.zeros_blank and s == 0) else s
        footer.append(total)
    if layout.signature:
        place = _short_name(district_name) or "Huyện"
        signed = sub.info.get("prepared_on")
        day = signed if isinstance(signed, dt.date) else dt.date(sub.year + 1, 1, 10)
        for text in (
            None,
            f"{place}, ngày {day.day:02d} tháng {day.month:02d} năm {day.year}",
            "Người lập biểu",
            None,
            None,
            sub.info.get("prepared_by"),
        ):
            line: list[Cell] = [None] * len(columns)
            line[name_col] = text
            footer.append(line)
    group_row = layout.group_row and not layout.column_order and not exclude
    communes = _table(
        title,
        columns,
        sub.communes,
        layout,
        name=layout.sheet_names[1],
        footer=footer,
        group_row=group_row,
    )
    model_columns = _ordered(MODELS.columns, (), exclude)
    models = _table(
        ["DANH SÁCH MÔ HÌNH ĐIỂN HÌNH VỀ AN NINH, TRẬT TỰ"][: min(1, layout.title_rows)],
        model_columns,
        sub.models,
        layout,
        name=layout.sheet_names[2],
        footer=[],
        group_row=False,
    )
    return [communes, models, info] if layout.info_last else [info, communes, models]


# --- planning and writing ----------------------------------------------------


def _received_at(rng: random.Random, year: int, late: bool) -> dt.datetime:
    if late:
        start = dt.datetime(year + 1, 2, 1, 8, tzinfo=VN_TZ)
        end = dt.datetime(year + 1, 3, 31, 17, tzinfo=VN_TZ)
    else:
        start = dt.datetime(year, 12, 5, 8, tzinfo=VN_TZ)
        end = dt.datetime(year + 1, 1, 14, 17, tzinfo=VN_TZ)
    seconds = rng.randint(0, int((end - start).total_seconds()))
    return min(start + dt.timedelta(seconds=seconds), NOW_CAP)


def _ascii_title(name: str) -> str:
    return "".join(w.capitalize() for w in normalise(_short_name(name)).split())


def _file_name(rng: random.Random, province: str, district: str, name: str, year: int) -> str:
    short = _short_name(name)
    patterns = (
        f"{province}-{district}-{year}",
        f"{province}-{district}-{year}",
        f"{province}-{district}-{year}",
        f"BC ANTT {short} {year}",
        f"Bao cao tieu chi 19.2 - {_ascii_title(name)} - nam {year}",
        f"{name} - Báo cáo an ninh trật tự năm {year} (bản cuối)",
        f"TC19.2_{_ascii_title(name)}_{year}_v2",
    )
    return rng.choice(patterns)


def _layout(rng: random.Random) -> tuple[Layout, set[str]]:
    variants: set[str] = set()

    def pick(name: str, share: float) -> bool:
        hit = rng.random() < share
        if hit:
            variants.add(name)
        return hit

    u = rng.random()
    fmt = "xls" if u < 0.04 else "ods" if u < 0.08 else "xlsx"
    variants.add(fmt)
    headers = (
        "en" if pick("english_headers", 0.12) else "nfd" if pick("nfd_headers", 0.12) else "vi"
    )
    order: tuple[str, ...] = ()
    if pick("shuffled_columns", 0.12):
        keys = [c.key for c in COMMUNES.columns]
        rng.shuffle(keys)
        order = tuple(keys)
    start_col = rng.choice((0, 0, 0, 0, 0, 1, 2))
    if start_col:
        variants.add("offset_columns")
    title_rows = rng.choice((0, 1, 1, 2, 2, 3))
    if title_rows:
        variants.add("title_rows")
    blank_rows_above = rng.choice((0, 0, 0, 1))
    layout = Layout(
        fmt=fmt,
        title_rows=title_rows,
        blank_rows_above=blank_rows_above,
        start_col=start_col,
        group_row=not order and pick("group_row", 0.15),
        headers=headers,
        column_order=order,
        codes_as_numbers=pick("codes_as_numbers", 0.15),
        tick_marks=pick("tick_marks", 0.10),
        yes_no=_YES_NO_SPELLINGS[_weighted(rng, (("Có", 17), ("có", 2), ("Yes", 1)))],
        rating_abbrev=pick("rating_abbreviations", 0.15),
        total_row=pick("total_row", 0.25),
        signature=pick("signature", 0.40),
        zeros_blank=pick("zeros_blank", 0.15),
        sheet_names=(
            _weighted(rng, (("Thông tin", 8), ("Thong tin", 2), ("info", 1))),
            _weighted(rng, (("Xã", 6), ("Xa", 1), ("Danh sách xã", 3))),
            _weighted(rng, (("Mô hình", 7), ("Mo hinh", 2), ("models", 1))),
        ),
        info_last=pick("info_last", 0.15),
        year_label=_weighted(rng, (("Năm báo cáo", 6), ("Năm", 1))),
    )
    if layout.sheet_names != Layout().sheet_names:
        variants.add("alternative_sheet_names")
    return layout, variants


def plan_files(
    district_codes: Iterable[str], years: Iterable[int] = YEARS, seed: int = DEFAULT_SEED
) -> list[FilePlan]:
    """Return the file plans for districts x years, in district then year order (a district
    has no file for a year whose demo version lacks it: see has_file)."""
    years = list(years)
    for year in years:
        if year not in YEARS:
            raise ValueError(f"demo years run from {YEARS[0]} to {YEARS[-1]}, not {year}")
    plans: list[FilePlan] = []
    used: set[str] = set()
    for district in sorted(set(district_codes)):
        if province_of(district) is None:
            raise ValueError(f"unknown district code {district!r}")
        for year in years:
            if not has_file(district, year):
                continue
            version = demo_version(str(province_of(district)), year)
            name, province = _registry(version).district_by_code[district]
            communes = [c for c, _ in _registry(version).communes_by_district[district]]
            rng = _rng(seed, "plan", district, year)
            if (district, year) in CALIBRATED:
                layout, variants = Layout(), {"xlsx"}
            else:
                layout, variants = _layout(rng)
            late = rng.random() < 0.05
            if late:
                variants.add("late")
            received = _received_at(rng, year, late)
            omitted = None
            if (district, year) not in CALIBRATED and len(communes) >= 3 and rng.random() < 0.02:
                omitted = rng.choice(communes)
                variants.add("omitted_commune")
            stem = _file_name(rng, province, district, name, year)
            if stem.casefold() in used:
                stem = f"{province}-{district}-{year}"
            used.add(stem.casefold())
            plans.append(
                FilePlan(
                    district_code=district,
                    province_code=province,
                    year=year,
                    file_name=f"{stem}.{layout.fmt}",
                    layout=layout,
                    received_at=received,
                    late=late,
                    omitted_commune=omitted,
                    variants=frozenset(variants),
                    registry_version=version,
                )
            )
    return plans


def plan_submission(plan: FilePlan, seed: int = DEFAULT_SEED) -> Submission:
    """Return the submission a plan writes (without its omitted commune, if any)."""
    sub = build_submission(plan.district_code, plan.year, seed)
    if plan.omitted_commune:
        sub.communes = [r for r in sub.communes if r["commune_code"] != plan.omitted_commune]
        sub.models = [r for r in sub.models if r["commune_code"] != plan.omitted_commune]
    return sub


def _write(
    path: Path, sheets: list[SheetData], received_at: dt.datetime, author: Any = None
) -> Path:
    created = (received_at - dt.timedelta(hours=3)).replace(tzinfo=None)
    write_workbook(
        path, sheets, created=created, author=author if isinstance(author, str) else None
    )
    stamp = received_at.timestamp()
    os.utime(path, (stamp, stamp))
    return path


def write_plan(plan: FilePlan, out_dir: Path, seed: int = DEFAULT_SEED) -> Path:
    """Write one planned file into out_dir, set its modification time, and return its path."""
    sub = plan_submission(plan, seed)
    path = Path(out_dir) / plan.file_name
    return _write(path, render_sheets(sub, plan.layout), plan.received_at, sub.info["prepared_by"])


def generate_district_files(
    out_dir: Path,
    district_codes: Iterable[str],
    years: Iterable[int] = YEARS,
    seed: int = DEFAULT_SEED,
) -> list[Path]:
    """Write one workbook per district and year into out_dir and return their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return [write_plan(plan, out, seed) for plan in plan_files(district_codes, years, seed)]


def demo_district_codes(province_codes: Iterable[str] = DEMO_PROVINCES) -> list[str]:
    """Return the district codes of the given provinces in every version their demo files
    list, in code order."""
    registry = load_registry()
    out: set[str] = set()
    for province in province_codes:
        if province not in registry.province_names:
            raise ValueError(f"unknown province code {province!r}")
        for version in {demo_version(province, year) for year in YEARS}:
            out.update(_registry(version).districts_of(province)["district_code"])
    return sorted(out)


def generate_demo(
    out_dir: Path,
    province_codes: Iterable[str] = DEMO_PROVINCES,
    years: Iterable[int] = YEARS,
    seed: int = DEFAULT_SEED,
) -> list[Path]:
    """Write the demo submissions of every district of the provinces and return their paths."""
    return generate_district_files(out_dir, demo_district_codes(province_codes), years, seed)


# --- bad files -----------------------------------------------------------------

BAD_FILES_DISTRICT = "247"  # Huyện Tam Dương, Vĩnh Phúc
BAD_FILES_YEAR = 2023


def _unknown_commune_code(near: str) -> str:
    known = load_registry().commune_by_code
    n = int(near) + 1
    while f"{n:05d}" in known:
        n += 1
    return f"{n:05d}"


def _other_district_commune(district_code: str) -> str:
    """Return the first registry commune after this district's communes, from another district."""
    registry = load_registry()
    last = registry.communes_of(district_code)["commune_code"].iloc[-1]
    return next(
        code
        for code, (_, dc) in sorted(registry.commune_by_code.items())
        if dc != district_code and code > last
    )


def generate_bad_files(out_dir: Path, seed: int = DEFAULT_SEED) -> dict[str, str]:
    """Write one realistic bad file per common mistake; return {file name: expected rule code}.

    Each file is the valid demo report of one district and year with a
    single mistake injected.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    base = build_submission(BAD_FILES_DISTRICT, BAD_FILES_YEAR, seed)
    received = dt.datetime(BAD_FILES_YEAR + 1, 1, 8, 9, 30, tzinfo=VN_TZ)
    layout = Layout()
    expected: dict[str, str] = {}
    counter = iter(range(1, 100))

    def name(rule: str, detail: str, suffix: str = "xlsx") -> str:
        file_name = f"{next(counter):02d}-{rule}-{detail}.{suffix}"
        expected[file_name] = rule
        return file_name

    def emit(
        rule: str,
        detail: str,
        sub: Submission,
        *,
        exclude: Sequence[str] = (),
        drop_models_sheet: bool = False,
        layout: Layout = layout,
        numbered_header: bool = False,
    ) -> None:
        sheets = render_sheets(sub, layout, exclude_columns=exclude)
        if drop_models_sheet:
            sheets = [s for s in sheets if s.name != layout.sheet_names[2]]
        if numbered_header:
            # The header row overwritten with the column numbers "(1)", "(2)", ...
            table = sheets[1]
            code_label = COMMUNES.column("commune_code").label
            rows = [list(r) for r in table.rows]
            i = next(i for i, r in enumerate(rows) if r and r[0] == code_label)
            rows[i] = [f"({j + 1})" for j in range(len(rows[i]))]
            sheets[1] = replace(table, rows=rows)
        _write(out / name(rule, detail), sheets, received)

    def variant() -> Submission:
        return copy.deepcopy(base)

    good = out / "_base.xlsx"
    _write(good, render_sheets(base, layout), received)
    good_bytes = good.read_bytes()
    good.unlink()

    # Not spreadsheets at all.
    path = out / name("file_unreadable", "text-renamed")
    path.write_text(
        "Báo cáo kết quả thực hiện tiêu chí 19.2 (bản Word dán vào)\n", encoding="utf-8"
    )
    path = out / name("file_unreadable", "corrupt-zip")
    path.write_bytes(good_bytes[: len(good_bytes) // 2])
    path = out / name("file_unreadable", "html-saved-as-xls", "xls")
    path.write_text(
        "<html><body><table><tr><td>Mã xã</td><td>Tên xã</td></tr></table></body></html>",
        encoding="utf-8",
    )
    (out / name("file_empty", "zero-bytes")).write_bytes(b"")
    path = out / name("file_type", "csv-export", "csv")
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([c.label for c in COMMUNES.columns])
        for r in base.communes:
            writer.writerow([r[c.key] for c in COMMUNES.columns])

    emit("sheet_missing", "no-models-sheet", variant(), drop_models_sheet=True)

    sub = variant()
    del sub.info["year"]
    emit("info_missing", "no-year", sub)
    for detail, value in (("year-2031", 2031), ("year-in-words", "năm nay")):
        sub = variant()
        sub.info["year"] = value
        emit("info_invalid", detail, sub)
    sub = variant()
    sub.info["district_code"] = "999"
    emit("district_unknown", "district-999", sub)
    sub = variant()
    sub.info["province_code"] = "14"  # Sơn La, while the district is in Vĩnh Phúc
    emit("district_not_in_province", "province-14", sub)

    sub = variant()
    sub.info["province_code"] = "99"
    emit("province_unknown", "province-99", sub)

    emit("column_missing", "no-villages-total", variant(), exclude=("villages_total",))
    doubled = (*(col.key for col in COMMUNES.columns), "fires")
    emit("column_duplicate", "fires-twice", variant(), layout=replace(layout, column_order=doubled))
    emit("header_missing", "column-numbers-as-header", variant(), numbered_header=True)

    # The issue catalogue splits an unreadable count into three rule codes.
    bad_counts: tuple[tuple[str, str, str, Any], ...] = (
        ("count_not_number", "text-ba", "social_order_crimes", "ba"),
        ("count_not_whole", "fraction", "traffic_accidents", 2.5),
        ("count_negative", "negative", "fires", -1),
    )
    for rule, detail, key, value in bad_counts:
        sub = variant()
        sub.communes[1][key] = value
        emit(rule, detail, sub)

    sub = variant()
    sub.communes[2]["party_resolution"] = None
    emit("yesno_blank", "blank-resolution", sub)
    sub = variant()
    sub.communes[2]["commune_plan"] = "có lẽ"
    emit("yesno_invalid", "co-le", sub)
    sub = variant()
    sub.communes[0]["police_rating"] = "Tốt lắm"
    emit("enum_invalid", "tot-lam", sub)
    sub = variant()
    sub.communes[0]["movement_rating"] = None
    emit("enum_blank", "blank-movement", sub)

    sub = variant()
    sub.communes[3]["commune_code"] = None
    sub.models = [m for m in sub.models if m["commune_code"] != base.communes[3]["commune_code"]]
    emit("commune_code_missing", "row-without-code", sub)

    last_code = base.communes[-1]["commune_code"]
    sub = variant()
    extra = copy.deepcopy(sub.communes[-1])
    extra.update(commune_code=_unknown_commune_code(last_code), commune_name="Xã Hợp Nhất")
    sub.communes.append(extra)
    emit("commune_unknown", "code-not-in-registry", sub)

    stranger = _other_district_commune(BAD_FILES_DISTRICT)
    sub = variant()
    extra = copy.deepcopy(sub.communes[-1])
    extra.update(commune_code=stranger, commune_name=load_registry().commune_by_code[stranger][0])
    sub.communes.append(extra)
    emit("commune_wrong_district", "neighbour-commune", sub)

    sub = variant()
    sub.communes.insert(3, copy.deepcopy(sub.communes[2]))
    emit("commune_duplicate", "row-pasted-twice", sub)

    code = base.communes[1]["commune_code"]
    sub = variant()
    sub.communes[1]["commune_code"] = code.replace("0", "O", 1) if "0" in code else code + "A"
    emit("code_invalid", "letter-o", sub)
    sub = variant()
    sub.communes[1]["commune_code"] = code[:3] + "\u200b" + code[3:]
    emit("code_invalid", "zero-width-space", sub)

    sub = variant()
    sub.communes[1].update(social_order_crimes=1, serious_crimes=2, serious_crimes_solved=2)
    emit("serious_exceeds_total", "serious-2-of-1", sub)
    sub = variant()
    sub.communes[1].update(social_order_crimes=3, serious_crimes=1, serious_crimes_solved=2)
    emit("solved_exceeds_serious", "solved-2-of-1", sub)
    sub = variant()
    sub.communes[1]["villages_safe"] = sub.communes[1]["villages_total"] + 2
    emit("safe_exceeds_total", "safe-over-total", sub)
    blank_or_zero: tuple[tuple[str, int | None], ...] = (("blank", None), ("zero", 0))
    for detail, total in blank_or_zero:
        sub = variant()
        sub.communes[1].update(villages_total=total, villages_safe=0)
        emit("villages_total_invalid", detail, sub)

    sub = variant()
    sub.communes, sub.models = [], []
    emit("communes_empty", "header-only", sub)

    sub = variant()
    sub.models.append(
        {
            "commune_code": stranger,
            "model_type": "security_camera",
            "model_name": "Camera an ninh",
            "year_started": 2022,
            "is_effective": True,
        }
    )
    emit("model_commune_unknown", "other-district-commune", sub)
    sub = variant()
    sub.models[0]["year_started"] = BAD_FILES_YEAR + 1
    emit("year_started_invalid", "started-next-year", sub)

    stamp = received.timestamp()
    for file_name in expected:
        os.utime(out / file_name, (stamp, stamp))
    return expected


__all__ = [
    "DEFAULT_SEED",
    "DEMO_PROVINCES",
    "YEARS",
    "FilePlan",
    "Layout",
    "Submission",
    "build_submission",
    "demo_district_codes",
    "demo_version",
    "has_file",
    "generate_bad_files",
    "generate_demo",
    "generate_district_files",
    "plan_files",
    "plan_submission",
    "render_sheets",
    "write_plan",
]
