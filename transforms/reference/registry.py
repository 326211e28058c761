"""The administrative registry (provinces, districts, communes) from vietnam-provinces 0.6.0."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources

import pandas as pd


@dataclass(frozen=True)
class Registry:
    """The three tiers as rows; lookups and frames are derived once, when first used."""

    province_rows: tuple[tuple[str, str], ...]  # (code, name)
    district_rows: tuple[tuple[str, str, str], ...]  # (code, name, province_code)
    commune_rows: tuple[tuple[str, str, str, str], ...]  # (code, name, district, province)

    # Frames serve the warehouse and reports; validation needs only the dicts, and
    # `ntm validate` must answer fast, so nothing pandas is built until asked for.
    @cached_property
    def provinces(self) -> pd.DataFrame:
        """Return province_code, province_name."""
        return pd.DataFrame(self.province_rows, columns=["province_code", "province_name"])

    @cached_property
    def districts(self) -> pd.DataFrame:
        """Return district_code, district_name, province_code."""
        return pd.DataFrame(
            self.district_rows, columns=["district_code", "district_name", "province_code"]
        )

    @cached_property
    def communes(self) -> pd.DataFrame:
        """Return commune_code, commune_name, district_code, province_code."""
        return pd.DataFrame(
            self.commune_rows,
            columns=["commune_code", "commune_name", "district_code", "province_code"],
        )

    @cached_property
    def province_names(self) -> dict[str, str]:
        return dict(self.province_rows)

    @cached_property
    def district_by_code(self) -> dict[str, tuple[str, str]]:
        """Return code -> (name, province_code)."""
        return {code: (name, pc) for code, name, pc in self.district_rows}

    @cached_property
    def commune_by_code(self) -> dict[str, tuple[str, str]]:
        """Return code -> (name, district_code)."""
        return {code: (name, dc) for code, name, dc, _ in self.commune_rows}

    @cached_property
    def communes_by_district(self) -> dict[str, tuple[tuple[str, str], ...]]:
        """Return district_code -> ((commune_code, commune_name), ...) in code order."""
        return _group_communes(list(self.district_rows), list(self.commune_rows))

    def communes_of(self, district_code: str) -> pd.DataFrame:
        """Return the registry communes of one district, in code order."""
        c = self.communes
        return c[c["district_code"] == district_code].reset_index(drop=True)

    def districts_of(self, province_code: str) -> pd.DataFrame:
        """Return the districts of one province, in code order."""
        d = self.districts
        return d[d["province_code"] == province_code].reset_index(drop=True)


@cache
def load_registry() -> Registry:
    """Return the registry, read once per process from the package's nested JSON."""
    text = (
        resources.files("vietnam_provinces")
        .joinpath("data/nested-divisions.json")
        .read_text(encoding="utf-8")
    )
    provinces: list[tuple[str, str]] = []
    districts: list[tuple[str, str, str]] = []
    communes: list[tuple[str, str, str, str]] = []
    for p in json.loads(text):
        pc = f"{p['code']:02d}"
        provinces.append((pc, p["name"]))
        for d in p["districts"]:
            dc = f"{d['code']:03d}"
            districts.append((dc, d["name"], pc))
            communes.extend((f"{w['code']:05d}", w["name"], dc, pc) for w in d["wards"])
    return Registry(tuple(provinces), tuple(districts), tuple(communes))


def _group_communes(
    districts: list[tuple[str, str, str]], communes: list[tuple[str, str, str, str]]
) -> dict[str, tuple[tuple[str, str], ...]]:
    grouped: dict[str, list[tuple[str, str]]] = {code: [] for code, _, _ in districts}
    for code, name, district, _ in communes:
        grouped[district].append((code, name))
    return {d: tuple(sorted(v)) for d, v in grouped.items()}
