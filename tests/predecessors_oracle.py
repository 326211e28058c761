"""An independent implementation of ref.commune_predecessors, in Python, for the tests.

The warehouse derives the table in SQL (sql/reference/commune_predecessors.sql); this is
the rule of registry.md written the other way, one commune and one version at a time,
to compare against.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from transforms.reference.successions import Succession
from transforms.reference.versions import commune_name_keys, load_versions

COLUMNS = ("registry_version", "commune_code", "previous_version", "previous_code", "whole")


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
    return pd.DataFrame(rows, columns=list(COLUMNS))
