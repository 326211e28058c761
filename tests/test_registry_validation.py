"""District files checked against the registry version of their time (registry.md), built
from the shipped registry data: Hậu Lộc (400) before and after its 2025 merger."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.workbooks import Book, rules
from transforms.reference import versions as rv
from transforms.validation.validate import validate_batch

HAU_LOC = "400"


def check(book: Book, tmp_path: Path, name: str = "book.xlsx") -> Any:
    return validate_batch([book.write(tmp_path / name)]).results[0]


def errors(result: Any) -> list[tuple[str, str]]:
    return [(i.rule, i.message) for i in result.issues if i.severity == "error"]


def test_hau_loc_2021_with_its_23_communes_of_2021_is_accepted_against_2021_02(tmp_path):
    book = Book(district=HAU_LOC, year=2021, registry_version="2021-02")
    assert len(book.rows) == 23 and "16039" in [r["commune_code"] for r in book.rows]
    result = check(book, tmp_path)
    assert result.accepted and result.issues == [], errors(result)
    assert result.registry_version == "2021-02"


def test_hau_loc_2024_with_the_22_communes_of_2025_01_is_accepted_against_it(tmp_path):
    book = Book(district=HAU_LOC, year=2024, registry_version="2025-01")
    assert len(book.rows) == 22
    result = check(book, tmp_path)
    assert result.accepted and result.issues == [], errors(result)
    assert result.registry_version == "2025-01"


def test_hau_loc_2021_in_todays_form_is_accepted_against_2025_01(tmp_path):
    result = check(Book(district=HAU_LOC, year=2021, registry_version="2025-01"), tmp_path)
    assert result.accepted and result.issues == [], errors(result)
    assert result.registry_version == "2025-01"


def test_a_2023_file_listing_the_2025_communes_is_accepted(tmp_path):
    # 2025-01 is a candidate for 2023: the existing fixtures fill 2023 in today's form
    result = check(Book(district=HAU_LOC, year=2023), tmp_path)
    assert result.accepted, errors(result)
    assert result.registry_version == "2025-01"


def test_a_code_of_a_version_no_longer_in_force_is_unknown_and_the_message_names_the_version(
    tmp_path,
):
    # 16051 (Xã Thuần Lộc) is a commune of Hậu Lộc in 2020-02 only, not a candidate for 2023
    book = Book(district=HAU_LOC, year=2023, registry_version="2023-05")
    book.rows[0]["commune_code"] = "16051"
    book.rows[0]["commune_name"] = "Xã Thuần Lộc"
    result = check(book, tmp_path)
    assert result.registry_version == "2023-05"
    [(rule, message)] = errors(result)
    assert rule == "commune_unknown"
    assert "16051 is not a commune of Huyện Hậu Lộc in the 2023-05 registry or any later one" in (
        message
    )


def test_a_code_in_no_candidate_of_2022_names_the_version_and_the_later_ones(tmp_path):
    book = Book(district=HAU_LOC, year=2022, registry_version="2021-02")
    book.rows[0]["commune_code"] = "99999"
    result = check(book, tmp_path)
    message = next(m for r, m in errors(result) if r == "commune_unknown")
    assert "99999 is not a commune of Huyện Hậu Lộc in the 2021-02 registry or any later one" in (
        message
    )


def test_warnings_against_the_chosen_version_name_it(tmp_path):
    book = Book(district=HAU_LOC, year=2021, registry_version="2021-02")
    book.rows.pop(0)
    book.rows[0]["commune_name"] = "Xã Không Có"
    result = check(book, tmp_path)
    assert result.accepted and result.registry_version == "2021-02"
    assert sorted(rules(result)) == ["commune_name_mismatch", "commune_not_listed"]
    assert all("2021-02 registry" in i.message for i in result.issues)


def test_on_one_row_the_row_checks_come_before_the_comparison_with_the_registry(tmp_path):
    # the order a district reads in its feedback: what is wrong with the row's values,
    # then how the row compares with the registry (as before that comparison moved into
    # the readers)
    book = Book()
    book.rows[0]["commune_name"] = "Xã Sai Tên Hoàn Toàn"
    book.rows[0]["villages_safe"] = 99  # more than the villages in total
    book.rows[1]["commune_code"] = book.rows[2]["commune_code"]  # a duplicate, and wrong name
    del book.rows[3]
    result = check(book, tmp_path)
    by_row: dict[int | None, list[str]] = {}
    for issue in result.issues:
        by_row.setdefault(issue.row, []).append(issue.rule)
    assert by_row[4] == ["safe_exceeds_total", "commune_name_mismatch"]
    assert by_row[5] == ["commune_duplicate", "commune_name_mismatch"]


def test_a_district_gone_in_2025_is_accepted_for_2021(tmp_path):
    # Huyện Đông Sơn (405) merged into Thanh Hóa city in 2025
    assert "405" not in rv.load_versions()["2025-01"].registry.district_by_code
    accepted = check(Book(district="405", year=2021, registry_version="2023-05"), tmp_path)
    assert accepted.accepted, errors(accepted)
    assert accepted.registry_version in ("2021-02", "2023-05")


def test_district_unknown_names_the_versions_tried(tmp_path):
    book = Book(district=HAU_LOC, year=2024)
    book.info["Mã huyện"] = "999"
    result = check(book, tmp_path)
    [(rule, message)] = errors(result)
    assert rule == "district_unknown" and "(2023-05, 2025-01)" in message


def test_names_written_without_their_type_word_give_no_warning(tmp_path):
    # Phường Phương Mai (00232, Quận Đống Đa 006) and Xã Xà Phìn (00736, Huyện Đồng Văn 026)
    for district, code, written in (("006", "00232", "Phương Mai"), ("026", "00736", "Xà Phìn")):
        book = Book(district=district, year=2024)
        row = next(r for r in book.rows if r["commune_code"] == code)
        row["commune_name"] = written
        result = check(book, tmp_path, f"{district}.xlsx")
        assert result.accepted and result.issues == [], [i.message for i in result.issues]


def test_district_name_is_matched_like_commune_names(tmp_path):
    book = Book(district=HAU_LOC, year=2021, registry_version="2021-02")
    book.info["Tên huyện"] = "Hậu Lộc"
    assert check(book, tmp_path).issues == []
    book.info["Tên huyện"] = "Huyện Nga Sơn"
    result = check(book, tmp_path, "other.xlsx")
    assert rules(result) == ["district_name_mismatch"]
    assert "2021-02 registry" in result.issues[0].message


def test_files_of_several_versions_in_one_batch_are_each_judged_by_their_own(tmp_path):
    old = Book(district=HAU_LOC, year=2021, registry_version="2021-02").write(tmp_path / "a.xlsx")
    new = Book(district=HAU_LOC, year=2024, registry_version="2025-01").write(tmp_path / "b.xlsx")
    wrong = Book(district=HAU_LOC, year=2024, registry_version="2020-02")
    bad = wrong.write(tmp_path / "c.xlsx")
    a, b, c = validate_batch([old, new, bad]).results
    assert a.accepted and b.accepted
    assert (a.registry_version, b.registry_version) == ("2021-02", "2025-01")
    # 2020-02 is no candidate for 2024: 16051 is no commune there
    assert not c.accepted and c.registry_version in ("2023-05", "2025-01")
    assert {(i.rule, i.value) for i in c.errors} == {
        ("commune_unknown", "16051"),
        ("model_commune_unknown", "16051"),
    }


def test_reparse_accepts_a_historical_file_rejected_before_and_keeps_both_verdicts(
    tmp_path, monkeypatch, readers_see_patches
):
    import os
    import time

    import duckdb

    from ntm.settings import Settings
    from transforms import pipeline

    settings = Settings(home=tmp_path / "home", settle_seconds=0).ensure()
    path = Book(district=HAU_LOC, year=2021, registry_version="2021-02").write(
        settings.inbox / "hau-loc-2021.xlsx"
    )
    t = time.time() - 60
    os.utime(path, (t, t))
    # before registry versions, every file was checked against 2025-01 alone
    with monkeypatch.context() as m:
        m.setattr(rv, "candidates", lambda year: ("2025-01",))
        pipeline.run_once(settings, "run-1")
    run = pipeline.RunStart.now("run-2", "backfill")
    pipeline.backfill(settings, run, range(2021, 2022), reparse=True)
    with duckdb.connect(str(settings.published), read_only=True) as con:
        assert con.execute(
            "select status, registry_version, error_count from ops.submissions"
        ).fetchall() == [("accepted", "2021-02", 0)]
        verdicts = con.execute(
            "select run_id, verdict, registry_version, list_contains(error_rules,"
            " 'commune_unknown') from ops.submission_verdicts order by verdict_id"
        ).fetchall()
        assert verdicts == [
            ("run-1", "rejected", "2025-01", True),
            ("run-2", "accepted", "2021-02", False),
        ]
        expected = con.execute(
            "select communes_expected from marts.district_summary"
            " where district_code = ? and year = 2021",
            [HAU_LOC],
        ).fetchall()
        assert expected == [(23,)]


def _template_codes(path: Path) -> list[str]:
    import openpyxl

    rows = list(openpyxl.load_workbook(path)["Xã"].iter_rows(values_only=True))
    return [str(r[0]) for r in rows[2:]]


def test_the_template_lists_the_communes_of_the_years_version(tmp_path):
    from transforms.workbook.template import write_template

    def listed(version: str) -> list[str]:
        return [c for c, _ in rv.load_versions()[version].registry.communes_by_district[HAU_LOC]]

    assert _template_codes(write_template(HAU_LOC, 2021, tmp_path / "a.xlsx")) == listed("2021-02")
    assert _template_codes(write_template(HAU_LOC, 2024, tmp_path / "b.xlsx")) == listed("2025-01")
    chosen = write_template(HAU_LOC, 2024, tmp_path / "c.xlsx", "2023-05")
    assert _template_codes(chosen) == listed("2023-05") and len(listed("2023-05")) == 23
    # a district gone in 2025: the latest candidate in which it exists
    gone = write_template("405", 2025, tmp_path / "d.xlsx")
    assert _template_codes(gone) == [
        c for c, _ in rv.load_versions()["2023-05"].registry.communes_by_district["405"]
    ]


def test_ntm_template_takes_registry_and_refuses_a_version_not_of_the_year(tmp_path):
    from typer.testing import CliRunner

    from ntm.cli import app

    runner = CliRunner()
    out = tmp_path / "t.xlsx"
    ok = runner.invoke(
        app,
        [
            "template",
            "--district",
            HAU_LOC,
            "--year",
            "2022",
            "--registry",
            "2025-01",
            "-o",
            str(out),
        ],
    )
    assert ok.exit_code == 0, ok.output
    assert "registry 2025-01" in ok.output and len(_template_codes(out)) == 22
    bad = runner.invoke(
        app,
        [
            "template",
            "--district",
            HAU_LOC,
            "--year",
            "2024",
            "--registry",
            "2020-02",
            "-o",
            str(out),
        ],
    )
    assert bad.exit_code == 2 and "2023-05, 2025-01" in bad.output
