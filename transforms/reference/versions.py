"""Registry versions: the units in force from a date; which one a district file is checked against.

The versions are built by scripts/build_registry.py from vietnam-provinces
releases into rulesets/registry/ (units.csv.gz plus versions.json with the
provenance). A version is in force from its date until the next one's; a
unit is identified by (version, code), codes being reused across versions.
Reading is plain csv (no pandas): `ntm validate` must answer in under a second.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import threading
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache, cached_property, lru_cache
from importlib import resources
from types import MappingProxyType
from typing import Any, NamedTuple

from transforms.reference.registry import Registry
from transforms.workbook.names import normalise

COMMUNE_TYPES = ("Xã", "Phường", "Thị trấn")
DISTRICT_TYPES = ("Huyện", "Quận", "Thị xã", "Thành phố")
PROVINCE_TYPES = ("Tỉnh", "Thành phố")
_GROUPS = (COMMUNE_TYPES, DISTRICT_TYPES, PROVINCE_TYPES)
# longest first, so that "Thị trấn" is never read as another word plus "trấn"
_TYPE_WORDS = tuple(sorted({t for g in _GROUPS for t in g}, key=len, reverse=True))
_FOLDED = tuple((t, t.casefold()) for t in _TYPE_WORDS)

COLUMNS = (
    "registry_version",
    "province_code",
    "province_name",
    "district_code",
    "district_name",
    "commune_code",
    "commune_name",
)


# --- names -----------------------------------------------------------------


def _split_type(name: str) -> tuple[str | None, str]:
    """Return (type word as the registry spells it, bare name) of a registry name."""
    s = unicodedata.normalize("NFC", name).strip()
    folded = s.casefold()
    for word, fold in _FOLDED:
        # the releases write "Thị trấn" and also "Thị Trấn", "Thành Phố": compare case-folded,
        # diacritics kept, so "Xà Phìn" never loses a "Xã"
        n = len(fold)
        if folded.startswith(fold) and len(s) > n and s[n].isspace():
            return word, s[n:].strip()
    return None, s


def bare_name(name: str) -> str:
    """Return a registry name without its type word: "Xã Xà Phìn" -> "Xà Phìn"."""
    return _split_type(name)[1]


@lru_cache(maxsize=1 << 16)
def _matching_forms(registry_name: str) -> frozenset[str]:
    word, bare = _split_type(registry_name)
    groups = [g for g in _GROUPS if word in g] or list(_GROUPS)
    b = normalise(bare)
    forms = {normalise(registry_name), b}
    forms.update(f"{normalise(t)} {b}" for g in groups for t in g)
    forms.discard("")
    return frozenset(forms)


def names_match(written: object, registry_name: str) -> bool:
    """Return whether a name written in a file matches the registry's (workbook.md).

    Normalised, the written name must equal the full registry name, its bare
    name, or another type word of the same tier followed by the bare name. The
    type word is taken off the registry name only, by its known spelling:
    the written text is never stripped ("Phương Mai" stays "phuong mai").
    """
    w = normalise(written)
    return bool(w) and w in _matching_forms(registry_name)


def prepare_name_matching() -> None:
    """Build now the matching forms of every commune and district name of every version.

    Each form costs microseconds, but a file names a few dozen units through two or three
    candidate versions, and every reader process met them for the first time: for a
    national year that was a tenth of the readers' time. Built once in the readers'
    forkserver, whose workers share them.
    """
    for version in load_versions().values():
        registry = version.registry
        for names in (registry.commune_by_code.values(), registry.district_by_code.values()):
            for name, _ in names:
                _matching_forms(name)


def prepare_for_readers() -> None:
    """Build now what a reader looks up in every version (units by code, by district, name
    forms): once in the readers' forkserver, whose workers share it (preload.py)."""
    for version in load_versions().values():
        for lookup in (
            "province_names",
            "district_by_code",
            "commune_by_code",
            "communes_by_district",
        ):
            getattr(version.registry, lookup)
    prepare_name_matching()


def same_name(a: str, b: str) -> bool:
    """Return whether two registry names (of two versions) are the same: bare names equal."""
    return _bare_key(a) == _bare_key(b)


@lru_cache(maxsize=1 << 17)
def _bare_key(name: str) -> str:
    return normalise(bare_name(name))


@lru_cache(maxsize=8)
def commune_name_keys(version: str) -> dict[str, str]:
    """Return, for each commune code of a version, the form its name compares by across
    versions (two names are the same when these are equal, see same_name)."""
    return {
        code: _bare_key(name)
        for code, (name, _) in load_versions()[version].registry.commune_by_code.items()
    }


# --- versions --------------------------------------------------------------


@dataclass(frozen=True)
class RegistryVersion:
    """One registry version: the units in force from in_force_from until in_force_until."""

    version: str
    in_force_from: date
    in_force_until: date | None  # the next version's date; None for the latest
    release: str
    provenance: Mapping[str, Any]

    @cached_property
    def registry(self) -> Registry:
        """Return the version's units, read from the data file when first asked for: a file
        of one year is checked against one or two versions, and `ntm validate` answers
        sooner for not reading the others."""
        return _read_units(self.version)


def _folder() -> Any:
    return resources.files("rulesets").joinpath("registry")


@cache
def _meta() -> dict[str, Any]:
    meta: dict[str, Any] = json.loads(_folder().joinpath("versions.json").read_text("utf-8"))
    meta["versions"] = sorted(meta["versions"], key=lambda v: v["in_force_from"])
    return meta


def load_versions_file_sha256() -> str:
    """Return the SHA-256 of the registry data file, as versions.json records it."""
    return str(_meta()["file_sha256"])


@cache
def _schedule() -> tuple[tuple[str, date], ...]:
    """Return (version, in force from), oldest first: versions.json alone, no unit data."""
    return tuple(
        (v["version"], date.fromisoformat(v["in_force_from"])) for v in _meta()["versions"]
    )


@cache
def load_versions() -> Mapping[str, RegistryVersion]:
    """Return version -> RegistryVersion, oldest first (each one's units read when first used)."""
    meta = _meta()
    schedule = _schedule()
    out: dict[str, RegistryVersion] = {}
    for i, v in enumerate(meta["versions"]):
        out[v["version"]] = RegistryVersion(
            version=v["version"],
            in_force_from=schedule[i][1],
            in_force_until=schedule[i + 1][1] if i + 1 < len(schedule) else None,
            release=v["release"],
            provenance=MappingProxyType({**v, "built": meta["built"]}),
        )
    return MappingProxyType(out)


_READING = threading.Lock()  # the flows ask from more than one thread: each version read once


def _read_units(name: str) -> Registry:
    """Return one version's units from the data file, checked against versions.json."""
    with _READING:
        return _units_of(name)


@cache
def _units_of(name: str) -> Registry:
    spec = next(v for v in _meta()["versions"] if v["version"] == name)
    text, blocks = _units()
    start, end = blocks.get(name, (0, 0))
    provinces: dict[str, str] = {}
    districts: dict[str, tuple[str, str]] = {}
    communes: list[tuple[str, str, str, str]] = []
    for version, pc, pn, dc, dn, cc, cn in csv.reader(io.StringIO(text[start:end])):
        if version != name:
            raise ValueError(f"rulesets/registry/{_meta()['file']}: {name} is not one block")
        provinces[pc] = pn
        if dc:
            districts[dc] = (dn, pc)
            if cc:
                communes.append((cc, cn, dc, pc))
    if (len(provinces), len(districts), len(communes)) != (
        spec["provinces"],
        spec["districts"],
        spec["communes"],
    ):
        raise ValueError(f"registry version {name}: the data file disagrees with versions.json")
    return Registry(
        tuple(provinces.items()),
        tuple((code, dn, pc) for code, (dn, pc) in districts.items()),
        tuple(communes),
    )


@cache
def _units() -> tuple[str, dict[str, tuple[int, int]]]:
    """Return the data file's text (checked against versions.json) and, for each version,
    where its rows are (the file holds each version's rows together)."""
    meta = _meta()
    raw = _folder().joinpath(meta["file"]).read_bytes()
    if hashlib.sha256(raw).hexdigest() != meta["file_sha256"]:
        raise ValueError(f"rulesets/registry/{meta['file']} does not match versions.json")
    text = gzip.decompress(raw).decode("utf-8")
    header, _, _ = text.partition("\n")
    if tuple(next(csv.reader([header]))) != COLUMNS:
        raise ValueError(f"rulesets/registry/{meta['file']}: unexpected columns")
    starts = sorted(
        (found + 1, v["version"])
        for v in meta["versions"]
        if (found := text.find(f"\n{v['version']},")) >= 0
    )
    ends = [s for s, _ in starts[1:]] + [len(text)]
    return text, {name: (s, e) for (s, name), e in zip(starts, ends, strict=True)}


def year_version(year: int) -> str:
    """Return the version in force on 15 January of year+1 (the earliest before it)."""
    deadline = date(year + 1, 1, 15)
    schedule = _schedule()
    chosen = schedule[0][0]
    for version, start in schedule:
        if start <= deadline:
            chosen = version
    return chosen


def candidates(year: int) -> tuple[str, ...]:
    """Return every version in force at some moment from 1 January of year on, oldest first.

    The earliest version stands for the time before its date, so for a year
    before every version (2019) every version is a candidate.
    """
    start = date(year, 1, 1)
    schedule = _schedule()
    return tuple(
        version
        for i, (version, _) in enumerate(schedule)
        if i + 1 == len(schedule) or schedule[i + 1][1] > start
    )


# --- choosing the version a district file is checked against ------------------


class Fit(NamedTuple):
    """How well one version explains a district file (registry.md, in rule order)."""

    version: str
    codes_found: int  # distinct file codes that are communes of the district in the version
    communes_missing: int  # communes of the district in the version the file does not list
    names_matching: int  # rows with such a code whose written name matches the version's


@dataclass(frozen=True)
class VersionChoice:
    """The version a district file is checked against, or None when no candidate has the district.

    tried: the candidates of the year, oldest first (what `district_unknown` names).
    fits: one Fit per candidate in which the district exists.
    """

    version: str | None
    tried: tuple[str, ...]
    fits: tuple[Fit, ...]


def fit(version: str, district_code: str, rows: Iterable[tuple[str | None, str | None]]) -> Fit:
    """Return how well one version explains the file's (commune_code, commune_name) rows."""
    listed = dict(load_versions()[version].registry.communes_by_district.get(district_code, ()))
    codes: set[str] = set()
    names = 0
    for code, name in rows:
        if code is None or code not in listed:
            continue
        codes.add(code)
        if name is not None and names_match(name, listed[code]):
            names += 1
    return Fit(version, len(codes), len(listed) - len(codes), names)


def choose_version(
    district_code: str, year: int, rows: Iterable[tuple[str | None, str | None]]
) -> VersionChoice:
    """Return the candidate of the year, among those in which the district exists, that
    explains the file best (registry.md): most of the file's codes found in the district,
    then fewest of its communes missing, then most names matching, then the year's
    version, then the one nearest in time to it (and, equally near, the later one).

    district_code is the 3-digit code; rows are the file's (commune_code, commune_name)
    pairs, codes padded to 5 digits, either of them None when the file has none.
    """
    rows = list(rows)
    versions = load_versions()
    tried = candidates(year)
    mine = year_version(year)
    target = versions[mine].in_force_from
    fits = tuple(
        fit(v, district_code, rows)
        for v in tried
        if district_code in versions[v].registry.district_by_code
    )
    if not fits:
        return VersionChoice(None, tried, ())

    def rank(f: Fit) -> tuple[int, int, int, bool, int, date]:
        start = versions[f.version].in_force_from
        return (
            f.codes_found,
            -f.communes_missing,
            f.names_matching,
            f.version == mine,
            -abs((start - target).days),
            start,
        )

    return VersionChoice(max(fits, key=rank).version, tried, fits)


# --- look-ups across versions (validation of a batch of files) -------------------

ANY_VERSION = "*"  # the key of a row whose file has no version (its info could not be read)


def latest_version() -> str:
    """Return the latest version (the one ref.provinces, ref.districts, ref.communes hold)."""
    return _schedule()[-1][0]


@cache
def commune_districts(version: str) -> Mapping[str, str]:
    """Return commune_code -> district_code in a version; for ANY_VERSION, a code of any
    version (with the district of the latest one that has it)."""
    if version != ANY_VERSION:
        by_code = load_versions()[version].registry.commune_by_code
        return MappingProxyType({code: d for code, (_, d) in by_code.items()})
    out: dict[str, str] = {}
    for name in load_versions():  # oldest first: the latest one's district wins
        out.update(commune_districts(name))
    return MappingProxyType(out)


def later_candidates(version: str, year: int) -> tuple[str, ...]:
    """Return the candidates of the year after `version`, oldest first."""
    tried = candidates(year)
    return tried[tried.index(version) + 1 :] if version in tried else ()


def versions_with_district(district_code: str, names: Iterable[str]) -> tuple[str, ...]:
    """Return those of the named versions in which the district exists, in the given order."""
    versions = load_versions()
    return tuple(v for v in names if district_code in versions[v].registry.district_by_code)
