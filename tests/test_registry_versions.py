"""Registry versions (registry.md) from the shipped data file: counts, changes, choices."""

from __future__ import annotations

import time
import unicodedata

import pytest

from transforms.reference import versions as rv
from transforms.reference.registry import load_registry
from transforms.workbook.names import normalise

SPEC_COUNTS = {
    "2020-02": ("2020-02-25", 63, 707, 10_767),
    "2021-02": ("2021-02-03", 63, 705, 10_603),
    "2023-05": ("2023-05-07", 63, 705, 10_598),
    "2025-01": ("2025-01-04", 63, 696, 10_051),
}
YEARS = {
    2019: ("2020-02", ("2020-02", "2021-02", "2023-05", "2025-01")),
    2020: ("2020-02", ("2020-02", "2021-02", "2023-05", "2025-01")),
    # 2020-02 was in force until 3 February 2021, 2021-02 until 7 May 2023,
    # 2023-05 until 4 January 2025: each is a candidate of the year it ends in
    2021: ("2021-02", ("2020-02", "2021-02", "2023-05", "2025-01")),
    2022: ("2021-02", ("2021-02", "2023-05", "2025-01")),
    2023: ("2023-05", ("2021-02", "2023-05", "2025-01")),
    2024: ("2025-01", ("2023-05", "2025-01")),
    2025: ("2025-01", ("2023-05", "2025-01")),
}
HAU_LOC = "400"
RELEASES = ("0.2.2", "0.4.3", "0.5.0", "0.6.0")


def communes(version: str, district: str) -> list[tuple[str, str]]:
    return list(rv.load_versions()[version].registry.communes_by_district[district])


def _fresh_versions() -> None:
    for cached in (rv.load_versions, rv._meta, rv._schedule, rv._units, rv._units_of):
        cached.cache_clear()


@pytest.fixture
def fresh_versions():
    """Read the versions afresh in the test, and again afresh after it."""
    _fresh_versions()
    yield
    _fresh_versions()


def test_a_version_is_read_from_the_data_file_once_and_only_when_first_asked_for(
    fresh_versions, monkeypatch
):
    parsed: list[str] = []
    read = rv._read_units

    def counting(name):
        parsed.append(name)
        return read(name)

    monkeypatch.setattr(rv, "_read_units", counting)
    t = time.perf_counter()
    versions = rv.load_versions()
    # the dates and provenance come from versions.json alone
    assert [v.release for v in versions.values()] == [f"vietnam-provinces=={r}" for r in RELEASES]
    assert parsed == []
    latest = versions["2025-01"].registry
    print(f"\nload_versions and one version: {(time.perf_counter() - t) * 1000:.0f} ms")
    assert versions["2025-01"].registry is latest and len(latest.commune_rows) == 10_051
    assert parsed == ["2025-01"]
    assert [len(v.registry.commune_rows) for v in versions.values()] == [
        c for _, _, _, c in SPEC_COUNTS.values()
    ]
    assert sorted(parsed) == sorted(SPEC_COUNTS)


def _data_file(folder, rows: list[list[str]], counts: dict[str, tuple[int, int, int]]) -> None:
    """Write a registry data file and its versions.json into folder, as make registry does."""
    import hashlib
    import json

    from scripts.build_registry import gzip_csv

    raw = gzip_csv([tuple(row) for row in rows])
    (folder / "units.csv.gz").write_bytes(raw)
    meta = {
        "built": "2026-12-01",
        "file": "units.csv.gz",
        "file_sha256": hashlib.sha256(raw).hexdigest(),
        "versions": [
            {
                "version": v,
                "in_force_from": f"{v}-01",
                "release": "test",
                "provinces": p,
                "districts": d,
                "communes": c,
            }
            for v, (p, d, c) in counts.items()
        ],
    }
    (folder / "versions.json").write_text(json.dumps(meta), "utf-8")


def test_a_data_file_with_one_version_in_two_places_is_refused_when_read(
    fresh_versions, monkeypatch, tmp_path
):
    a = ["2020-02", "01", "Thành phố Hà Nội", "001", "Quận Ba Đình"]
    b = ["2021-02", "01", "Thành phố Hà Nội", "001", "Quận Ba Đình"]
    rows = [a + ["00001", "Phường Phúc Xá"], b + ["00001", "Phường Phúc Xá"]]
    rows.append(a + ["00004", "Phường Trúc Bạch"])  # 2020-02 again, after 2021-02
    _data_file(tmp_path, rows, {"2020-02": (1, 1, 2), "2021-02": (1, 1, 1)})
    monkeypatch.setattr(rv, "_folder", lambda: tmp_path)
    versions = rv.load_versions()
    with pytest.raises(ValueError, match="2021-02 is not one block"):
        _ = versions["2021-02"].registry
    with pytest.raises(ValueError, match="registry version 2020-02: the data file disagrees"):
        _ = versions["2020-02"].registry


def test_a_version_missing_from_the_data_file_is_refused_when_read(
    fresh_versions, monkeypatch, tmp_path
):
    a = ["2020-02", "01", "Thành phố Hà Nội", "001", "Quận Ba Đình", "00001", "Phường Phúc Xá"]
    _data_file(tmp_path, [a], {"2020-02": (1, 1, 1), "2021-02": (1, 1, 1)})
    monkeypatch.setattr(rv, "_folder", lambda: tmp_path)
    versions = rv.load_versions()
    assert len(versions["2020-02"].registry.commune_rows) == 1
    with pytest.raises(ValueError, match="registry version 2021-02: the data file disagrees"):
        _ = versions["2021-02"].registry


def test_a_data_file_that_does_not_match_its_checksum_is_refused(
    fresh_versions, monkeypatch, tmp_path
):
    a = ["2020-02", "01", "Thành phố Hà Nội", "001", "Quận Ba Đình", "00001", "Phường Phúc Xá"]
    _data_file(tmp_path, [a], {"2020-02": (1, 1, 1)})
    (tmp_path / "units.csv.gz").write_bytes(b"\x1f\x8b damaged")
    monkeypatch.setattr(rv, "_folder", lambda: tmp_path)
    with pytest.raises(ValueError, match="does not match versions.json"):
        _ = rv.load_versions()["2020-02"].registry


def test_counts_per_version_match_the_spec_and_the_provenance():
    versions = rv.load_versions()
    assert list(versions) == list(SPEC_COUNTS)
    for name, (start, provinces, districts, communes_) in SPEC_COUNTS.items():
        v = versions[name]
        r = v.registry
        assert v.in_force_from.isoformat() == start
        assert (len(r.province_rows), len(r.district_rows), len(r.commune_rows)) == (
            provinces,
            districts,
            communes_,
        )
        p = v.provenance
        assert (p["provinces"], p["districts"], p["communes"]) == (provinces, districts, communes_)
        assert p["source"].endswith("vietnam_provinces/data/nested-divisions.json")
        assert len(p["archive_sha256"]) == 64
    assert [v.in_force_until for v in versions.values()] == [
        versions["2021-02"].in_force_from,
        versions["2023-05"].in_force_from,
        versions["2025-01"].in_force_from,
        None,
    ]


def test_codes_are_padded_and_names_kept_with_their_type_word():
    for v in rv.load_versions().values():
        r = v.registry
        assert all(len(c) == 2 and c.isdigit() for c, _ in r.province_rows)
        assert all(len(c) == 3 and c.isdigit() for c, _, _ in r.district_rows)
        assert all(len(c) == 5 and c.isdigit() for c, _, _, _ in r.commune_rows)
        assert all(rv._split_type(n)[0] is not None for _, n, _, _ in r.commune_rows)


def test_latest_version_equals_the_installed_release():
    assert rv.load_versions()["2025-01"].registry == load_registry()


def test_changes_from_2023_05_to_2025_01():
    versions = rv.load_versions()
    a = versions["2023-05"].registry.commune_by_code
    b = versions["2025-01"].registry.commune_by_code
    kept = [c for c in a if c in b]
    assert sum(rv.same_name(a[c][0], b[c][0]) for c in kept) == 9_707
    assert sum(not rv.same_name(a[c][0], b[c][0]) for c in kept) == 332
    assert len(a.keys() - b.keys()) == 559
    assert len(b.keys() - a.keys()) == 12


@pytest.mark.parametrize("year", sorted(YEARS))
def test_year_version_and_candidates(year):
    assert (rv.year_version(year), rv.candidates(year)) == YEARS[year]


def test_hau_loc_2021_listing_the_2021_list_is_checked_against_2021_02():
    rows = communes("2021-02", HAU_LOC)
    assert len(rows) == 23 and "16039" in dict(rows)
    choice = rv.choose_version(HAU_LOC, 2021, rows)
    assert choice.version == "2021-02"
    # 2023-05 explains it as well; the year's version breaks the tie
    fits = {f.version: f for f in choice.fits}
    assert fits["2023-05"][1:] == fits["2021-02"][1:] == (23, 0, 23)


def test_hau_loc_2021_listing_the_2025_list_is_checked_against_2025_01():
    rows = communes("2025-01", HAU_LOC)
    assert len(rows) == 22 and "16039" not in dict(rows)
    assert rv.choose_version(HAU_LOC, 2021, rows).version == "2025-01"


def test_a_2023_file_with_a_code_only_in_2020_02_is_not_explained_by_it():
    versions = rv.load_versions()
    assert "2020-02" not in rv.candidates(2023)
    later = [versions[v].registry.commune_by_code for v in ("2021-02", "2023-05", "2025-01")]
    old = versions["2020-02"].registry.commune_by_code
    # a district of 2023-05 whose 2020-02 list had a commune no later list has
    code, district = next(
        (c, d)
        for c, (_, d) in sorted(old.items())
        if all(c not in codes for codes in later)
        and d in versions["2023-05"].registry.district_by_code
    )
    rows = [*communes("2023-05", district), (code, old[code][0])]
    choice = rv.choose_version(district, 2023, rows)
    assert choice.version in rv.candidates(2023)
    assert code not in versions[choice.version].registry.commune_by_code  # commune_unknown


def test_fewest_missing_beats_the_years_version():
    # Nông Sơn: 7 communes in 2020-02, 6 (all among those 7) from 2021-02 on
    rows = communes("2021-02", "519")
    assert len(rows) == 6 and len(communes("2020-02", "519")) == 7
    assert rv.choose_version("519", 2020, rows).version == "2021-02"


def test_names_matching_beats_the_years_version():
    # Yên Sơn: the same 28 codes from 2021-02 on; 02473 Xã Thắng Quân is Thị trấn Yên Sơn
    # in 2023-05 and 2025-01, which then tie, and 2023-05 is nearer to 2021-02
    rows = communes("2025-01", "075")
    assert {c for c, _ in rows} == {c for c, _ in communes("2021-02", "075")}
    choice = rv.choose_version("075", 2021, rows)
    assert {f.version: f.names_matching for f in choice.fits} == {
        "2020-02": 27,
        "2021-02": 27,
        "2023-05": 28,
        "2025-01": 28,
    }
    assert choice.version == "2023-05"
    no_names = [(c, None) for c, _ in rows]
    assert rv.choose_version("075", 2021, no_names).version == "2021-02"


def test_nearest_to_the_years_version_when_it_lacks_the_district():
    # Bạch Long Vĩ (no communes) is missing from the 2020-02 list
    choice = rv.choose_version("318", 2020, [])
    assert [f.version for f in choice.fits] == ["2021-02", "2023-05", "2025-01"]
    assert choice.version == "2021-02"


def test_a_district_in_no_candidate_names_the_versions_tried():
    choice = rv.choose_version("999", 2023, [("12345", "Xã A")])
    assert choice.version is None
    assert choice.tried == ("2021-02", "2023-05", "2025-01")
    assert choice.fits == ()
    # Quận 9 was merged into Thủ Đức before 2021-02
    assert rv.choose_version("763", 2022, communes("2020-02", "763")).version is None
    assert rv.choose_version("763", 2021, communes("2020-02", "763")).version == "2020-02"


def test_bare_name():
    assert rv.bare_name("Xã Xà Phìn") == "Xà Phìn"
    assert rv.bare_name("Thị Trấn Mường Chà") == "Mường Chà"  # capitalised in 0.2.2
    assert rv.bare_name("Thành Phố Bắc Kạn") == "Bắc Kạn"
    assert rv.bare_name("Phường Phường Đúc") == "Phường Đúc"  # one type word only
    assert rv.bare_name("Thị xã Tịnh Biên") == "Tịnh Biên"
    assert rv.bare_name(unicodedata.normalize("NFD", "Xã Phương Hải")) == "Phương Hải"


@pytest.mark.parametrize(
    ("written", "registry_name"),
    [
        ("Phương Mai", "Phường Phương Mai"),
        ("Phường Phương Mai", "Phường Phương Mai"),
        ("Xã Phương Mai", "Phường Phương Mai"),
        ("phuong phuong mai", "Phường Phương Mai"),
        ("Xà Phìn", "Xã Xà Phìn"),
        ("Xã Xà Phìn", "Xã Xà Phìn"),
        ("Phương Hải", "Xã Phương Hải"),
        ("Thị trấn Phương Hải", "Xã Phương Hải"),
        ("Phường Đúc", "Phường Phường Đúc"),
        (unicodedata.normalize("NFD", "Xã  Mường É"), "Xã Mường é"),
        ("Mường Chà", "Thị Trấn Mường Chà"),
        ("Quận Bắc Kạn", "Thành Phố Bắc Kạn"),
        ("Tịnh Biên", "Thị xã Tịnh Biên"),
    ],
)
def test_names_match(written, registry_name):
    assert rv.names_match(written, registry_name)


@pytest.mark.parametrize(
    ("written", "registry_name"),
    [
        ("Mai", "Phường Phương Mai"),  # "phuong" is never stripped from the written text
        ("Phìn", "Xã Xà Phìn"),
        ("Hải", "Xã Phương Hải"),
        ("Đúc", "Phường Phường Đúc"),
        ("Phường Kim Liên", "Phường Phương Mai"),
        ("Phương Liên", "Phường Phương Mai"),
        ("Huyện Phương Mai", "Phường Phương Mai"),  # a district's type word, not a commune's
        ("", "Phường Phương Mai"),
        (None, "Phường Phương Mai"),
    ],
)
def test_names_do_not_match(written, registry_name):
    assert not rv.names_match(written, registry_name)


def test_same_name():
    assert rv.same_name("Xã Phương Mai", "Phường Phương Mai")
    assert rv.same_name("Thị Trấn Mường Chà", "Thị trấn Mường Chà")
    assert rv.same_name("Xã Mường é", "Xã Mường É")
    assert not rv.same_name("Xã Phong Lộc", "Xã Tuy Lộc")
    assert not rv.same_name("Phường Phường Đúc", "Phường Đúc")
    # the spec's normalising keeps digits: 0.6.0 wrote "Phường 5" where 0.5.0 had "Phường 05"
    assert not rv.same_name("Phường 05", "Phường 5")


def test_every_registry_name_matches_itself_and_its_bare_name():
    for v in rv.load_versions().values():
        for _, name, _, _ in v.registry.commune_rows:
            bare = rv.bare_name(name)
            assert rv.names_match(name, name)
            assert rv.names_match(bare, name)
            for word in rv.COMMUNE_TYPES:
                assert rv.names_match(f"{word} {bare}", name)


def test_communes_whose_bare_name_starts_with_a_type_word():
    # "Phường Phương Mai", "Xã Xà Phìn", "Phường Phường Đúc": stripping "phuong"/"xa" from
    # normalised text would break every one; stripping it again must not match
    names = [n for _, n, _, _ in rv.load_versions()["2025-01"].registry.commune_rows]
    hits = [n for n in names if normalise(rv.bare_name(n)).split()[0] in ("xa", "phuong")]
    assert len(hits) == 46
    assert not any((normalise(rv.bare_name(n)) + " ").startswith("thi tran ") for n in names)
    for name in hits:
        rest = normalise(rv.bare_name(name)).split(" ", 1)[1]
        assert not rv.names_match(rest, name)
