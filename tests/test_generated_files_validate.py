"""Generated workbooks against the validator: templates, demo files and bad files."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from transforms.demo import generate as demo
from transforms.workbook.contract import COMMUNES, MODELS
from transforms.workbook.template import write_template

validate = pytest.importorskip("transforms.validation.validate")


def _describe(result: object) -> list[tuple[str, str, str | None, int | None, object]]:
    return [
        (i.severity, i.rule, i.sheet, i.row, i.value)
        for i in result.issues  # type: ignore[attr-defined]
    ]


# --- the template round trip ------------------------------------------------------------


def test_a_blank_template_only_asks_for_the_values_left_to_fill(tmp_path: Path) -> None:
    path = write_template("247", 2023, tmp_path / "tam-duong.xlsx")
    result = validate.validate_file(path)
    expected = {"yesno_blank", "enum_blank", "villages_total_invalid"}
    assert {i.rule for i in result.errors} == expected
    assert not result.warnings, _describe(result)


def test_a_template_filled_in_validates_clean(tmp_path: Path) -> None:
    sub = demo.build_submission("247", 2023)
    # the demo fills Vĩnh Phúc's 2023 in today's form: the template of that version
    path = write_template("247", 2023, tmp_path / "tam-duong.xlsx", "2025-01")
    wb = openpyxl.load_workbook(path)
    ws = wb["Xã"]
    by_code = {r["commune_code"]: r for r in sub.communes}
    for row in ws.iter_rows(min_row=3):
        record = by_code[row[0].value]
        for cell, column in zip(row, COMMUNES.columns, strict=True):
            value = record[column.key]
            if column.type == "yesno":
                value = "Có" if value else "Không"
            elif column.type == "enum":
                value = column.enum_label(value)
            cell.value = value
    models = wb["Mô hình"]
    for m in sub.models:
        models.append(
            [
                m["commune_code"],
                MODELS.column("model_type").enum_label(m["model_type"]),
                m["model_name"],
                m["year_started"],
                "Có" if m["is_effective"] else "Không",
            ]
        )
    wb.save(path)
    result = validate.validate_file(path)
    assert result.issues == [], _describe(result)
    assert result.info.district_code == "247" and result.info.year == 2023


# --- demo files ---------------------------------------------------------------------


def _plans_covering_every_variant() -> list[demo.FilePlan]:
    plans = demo.plan_files(demo.demo_district_codes())
    chosen: dict[str, demo.FilePlan] = {}
    for variant in sorted({v for p in plans for v in p.variants}):
        for plan in [p for p in plans if variant in p.variants][:2]:
            chosen[plan.file_name] = plan
    for plan in plans:
        if (plan.district_code, plan.year) in demo.CALIBRATED:
            chosen[plan.file_name] = plan
    return sorted(chosen.values(), key=lambda p: p.file_name)


def _assert_clean(paths: list[Path], plans: list[demo.FilePlan]) -> None:
    problems = {}
    for path, plan, result in zip(paths, plans, validate.validate_files(paths), strict=True):
        allowed = {"commune_not_listed"} if plan.omitted_commune else set()
        unexpected = [i for i in result.issues if i.rule not in allowed]
        if unexpected:
            problems[path.name] = [
                (i.severity, i.rule, i.sheet, i.row, i.column, i.value) for i in unexpected[:3]
            ]
        if plan.omitted_commune:
            assert [i.value for i in result.warnings] == [plan.omitted_commune]
    assert not problems, problems


def test_demo_files_of_every_layout_variant_validate_clean(tmp_path: Path) -> None:
    plans = _plans_covering_every_variant()
    paths = [demo.write_plan(p, tmp_path) for p in plans]
    _assert_clean(paths, plans)


@pytest.mark.slow
def test_every_file_of_the_four_province_demo_validates_clean(tmp_path: Path) -> None:
    paths = demo.generate_demo(tmp_path)
    plans = demo.plan_files(demo.demo_district_codes())
    assert [p.name for p in paths] == [p.file_name for p in plans]
    _assert_clean(paths, plans)


# --- bad files ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    folder = tmp_path_factory.mktemp("bad")
    return folder, demo.generate_bad_files(folder)


@pytest.fixture(scope="module")
def bad_results(bad_files: tuple[Path, dict[str, str]]) -> dict[str, object]:
    folder, expected = bad_files
    names = list(expected)
    results = validate.validate_files([folder / n for n in names])
    return dict(zip(names, results, strict=True))


def test_every_bad_file_yields_its_expected_rule(
    bad_files: tuple[Path, dict[str, str]], bad_results: dict[str, object]
) -> None:
    _, expected = bad_files
    missing = {
        name: (rule, _describe(bad_results[name]))
        for name, rule in expected.items()
        if rule not in {i.rule for i in bad_results[name].errors}  # type: ignore[attr-defined]
    }
    assert not missing, missing


def test_every_bad_file_has_that_one_error_only(
    bad_files: tuple[Path, dict[str, str]], bad_results: dict[str, object]
) -> None:
    _, expected = bad_files
    extra = {
        name: _describe(bad_results[name])
        for name, rule in expected.items()
        if {i.rule for i in bad_results[name].errors} != {rule}  # type: ignore[attr-defined]
    }
    assert not extra, extra


def test_no_bad_file_is_accepted(bad_results: dict[str, object]) -> None:
    assert not [n for n, r in bad_results.items() if r.accepted]  # type: ignore[attr-defined]
