"""Commune successions between registry versions (every commune's predecessors follow
from them: sql/reference/commune_predecessors.sql).

A province keeps rulesets/commune_successions.csv beside the rulesets: one line per
commune of a version and what it became in the next version (registry.md, "Comparing
years across versions"). The project ships it with its header only: no public
machine-readable source says which commune absorbed which in the legacy mergers.
The file is checked whole before anything is loaded; a bad line is refused with the
file and line named, and the reference data already loaded stays in force.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from transforms.reference.versions import load_versions

FILE_NAME = "commune_successions.csv"
HEADER = ("from_version", "from_code", "to_version", "to_code", "whole")
_WHOLE = {"true": True, "whole": True, "false": False, "part": False}


class SuccessionsError(ValueError):
    """A successions file that cannot be loaded; the message names the file and line."""


@dataclass(frozen=True)
class Succession:
    from_version: str
    from_code: str
    to_version: str
    to_code: str
    whole: bool


def default_source() -> Any:
    """Return the successions file shipped beside the rulesets."""
    return resources.files("rulesets").joinpath(FILE_NAME)


def load_successions(source: Any = None) -> tuple[Succession, ...]:
    """Return the lines of a successions file (default: the one beside the rulesets),
    checked: known versions, each line from a version to the next one, codes that are
    communes of their versions, whole true or false, no line twice, and no commune whose
    whole line leads to one place while another line leads elsewhere."""
    source = default_source() if source is None else source
    name = _name(source)
    text = source.read_text(encoding="utf-8-sig")
    versions = load_versions()
    order = list(versions)
    rows = csv.reader(io.StringIO(text))
    header = next(rows, None)
    if header is None or tuple(h.strip() for h in header) != HEADER:
        raise SuccessionsError(f"{name}, line 1: the header must be {','.join(HEADER)}")
    out: list[Succession] = []
    seen: dict[tuple[str, str, str, str], int] = {}
    leads: dict[tuple[str, str], list[tuple[str, bool, int]]] = {}
    for line, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(HEADER):
            raise SuccessionsError(f"{name}, line {line}: {len(row)} fields, expected 5")
        fv, fc, tv, tc, whole = (cell.strip() for cell in row)
        for label, version in (("from_version", fv), ("to_version", tv)):
            if version not in versions:
                raise SuccessionsError(
                    f"{name}, line {line}: {label} {version!r} is no registry version "
                    f"({', '.join(order)})"
                )
        if order.index(tv) != order.index(fv) + 1:
            raise SuccessionsError(
                f"{name}, line {line}: a line goes from a version to the next one "
                f"({fv} -> {order[order.index(fv) + 1] if fv != order[-1] else 'none'}), "
                f"not to {tv}"
            )
        fc, tc = fc.zfill(5) if fc.isdigit() else fc, tc.zfill(5) if tc.isdigit() else tc
        for label, version, code in (("from_code", fv, fc), ("to_code", tv, tc)):
            if code not in versions[version].registry.commune_by_code:
                raise SuccessionsError(
                    f"{name}, line {line}: {label} {code!r} is no commune of the {version} registry"
                )
        if whole.lower() not in _WHOLE:
            raise SuccessionsError(
                f"{name}, line {line}: whole is {whole!r}; write true (all of the commune "
                "went there) or false (a part of it)"
            )
        key = (fv, fc, tv, tc)
        if key in seen:
            raise SuccessionsError(f"{name}, line {line}: repeats line {seen[key]}")
        seen[key] = line
        is_whole = _WHOLE[whole.lower()]
        others = leads.setdefault((fv, fc), [])
        for other_code, other_whole, other_line in others:
            if other_code != tc and (is_whole or other_whole):
                raise SuccessionsError(
                    f"{name}, line {line}: commune {fc} of {fv} leads to {tc} here and to "
                    f"{other_code} on line {other_line}, and one of them says all of it "
                    "went there (whole)"
                )
        others.append((tc, is_whole, line))
        out.append(Succession(fv, fc, tv, tc, is_whole))
    return tuple(out)


def _name(source: Any) -> str:
    if isinstance(source, Path):
        return str(source)
    return f"rulesets/{getattr(source, 'name', FILE_NAME)}"


def successions_frame(lines: Iterable[Succession]) -> pd.DataFrame:
    """Return the lines as ref.commune_successions rows."""
    return pd.DataFrame(
        [(s.from_version, s.from_code, s.to_version, s.to_code, s.whole) for s in lines],
        columns=list(HEADER),
    ).astype({"whole": "bool"})
