"""The administrative registry (provinces, districts, communes) from vietnam-provinces 0.6.0."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

import pandas as pd

from ntm.transforms.names import normalise

_PREFIXES = ("xa ", "phuong ", "thi tran ", "huyen ", "quan ", "thi xa ", "thanh pho ", "tinh ")


def strip_unit_prefix(name: str) -> str:
    """Return the normalised name without its unit prefix ("Xã", "Phường", "Thị trấn", ...)."""
    n = normalise(name)
    for prefix in _PREFIXES:
        if n.startswith(prefix):
            return n[len(prefix) :]
    return n


@dataclass(frozen=True)
class Registry:
    provinces: pd.DataFrame  # province_code, province_name
    districts: pd.DataFrame  # district_code, district_name, province_code
    communes: pd.DataFrame  # commune_code, commune_name, district_code, province_code
    province_names: dict[str, str]
    district_by_code: dict[str, tuple[str, str]]  # code -> (name, province_code)
    commune_by_code: dict[str, tuple[str, str]]  # code -> (name, district_code)
    # district_code -> ((commune_code, commune_name), ...) in code order
    communes_by_district: dict[str, tuple[tuple[str, str], ...]]

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
    return Registry(
        pd.DataFrame(provinces, columns=["province_code", "province_name"]),
        pd.DataFrame(districts, columns=["district_code", "district_name", "province_code"]),
        pd.DataFrame(
            communes, columns=["commune_code", "commune_name", "district_code", "province_code"]
        ),
        dict(provinces),
        {code: (name, pc) for code, name, pc in districts},
        {code: (name, dc) for code, name, dc, _ in communes},
        _group_communes(districts, communes),
    )


def _group_communes(
    districts: list[tuple[str, str, str]], communes: list[tuple[str, str, str, str]]
) -> dict[str, tuple[tuple[str, str], ...]]:
    grouped: dict[str, list[tuple[str, str]]] = {code: [] for code, _, _ in districts}
    for code, name, district, _ in communes:
        grouped[district].append((code, name))
    return {d: tuple(sorted(v)) for d, v in grouped.items()}
