"""Commune successions between registry versions, and every commune's predecessors.

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

from transforms.reference.versions import commune_name_keys, load_versions

FILE_NAME = "commune_successions.csv"
HEADER = ("from_version", "from_code", "to_version", "to_code", "whole")
_WHOLE = {"true": True, "whole": True, "false": False, "part": False}
PREDECESSOR_COLUMNS = (
    "registry_version",
    "commune_code",
    "previous_version",
    "previous_code",
    "whole",
)


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


# --- predecessors -------------------------------------------------------------------------


def _step(older: str, newer: str, lines: Iterable[Succession]) -> dict[str, Any]:
    """Return, for each commune of `newer`, its predecessors in the version just before:
    the sources of the lines leading into it, else the commune with the same code and the
    same name, else None (changed, no succession known)."""
    old = commune_name_keys(older)
    into: dict[str, list[tuple[str, bool]]] = {}
    for s in lines:
        if s.from_version == older and s.to_version == newer:
            into.setdefault(s.to_code, []).append((s.from_code, s.whole))
    out: dict[str, Any] = {}
    for code, name in commune_name_keys(newer).items():
        if code in into:
            out[code] = tuple(sorted(into[code]))
        elif old.get(code) == name:  # the same code under the same name (same_name)
            out[code] = ((code, True),)
        else:
            out[code] = None
    return out


def predecessors(lines: Iterable[Succession]) -> pd.DataFrame:
    """Return every commune's predecessors in each version (ref.commune_predecessors).

    One row per (version b, commune X, version a, predecessor P of X in a, whole): the
    lines between consecutive versions composed along the chain, back from b to a; whole
    is false when a line on the way is a part. A commune with no known predecessor in a
    (it changed between a and b and no succession is known) has one row with
    previous_code null. Going back in time only: for a version a after b, X's
    predecessor is the commune of a with the same code and the same name, if any.
    Same version: every commune is its own predecessor.
    """
    lines = tuple(lines)
    versions = load_versions()
    order = list(versions)
    steps = {order[i]: _step(order[i - 1], order[i], lines) for i in range(1, len(order))}
    rows: list[tuple[str, str, str, str | None, bool]] = []
    for j, b in enumerate(order):
        communes = versions[b].registry.commune_by_code
        for code in communes:
            rows.append((b, code, b, code, True))
            current: dict[str, bool] | None = {code: True}
            for i in range(j, 0, -1):  # back from b, one version at a time
                a = order[i - 1]
                if current is not None:
                    step = steps[order[i]]
                    nxt: dict[str, bool] = {}
                    for c, whole in current.items():
                        found = step[c]
                        if found is None:
                            nxt = {}
                            break
                        for p, w in found:
                            nxt[p] = nxt.get(p, True) and whole and w
                    current = nxt or None
                if current is None:
                    rows.append((b, code, a, None, False))
                else:
                    rows.extend((b, code, a, p, w) for p, w in sorted(current.items()))
        names = commune_name_keys(b)
        for a in order[j + 1 :]:  # a later version: the same code under the same name
            later = commune_name_keys(a)
            for code in communes:
                known = later.get(code) == names[code]
                rows.append((b, code, a, code if known else None, known))
    return pd.DataFrame(rows, columns=list(PREDECESSOR_COLUMNS))
