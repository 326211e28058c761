"""Which part of the marts a change reaches: years, and the provinces within them.

Every row of a model that carries `province_code` depends only on the data of its
own province (scope, assessments and sums all stay inside a province); rows
without a province (the nation) depend on every province. A change to district D
for year Y therefore reaches, in D's province, the years Y and Y+1 (C5 and A1
compare with the previous year), and every year when Y is the baseline (the
reduction against 2019); the national rows of those years follow. A test compares
the result with a full rebuild.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

IN_YEARS = "list_contains(?, year)"
IN_PROVINCES_OR_NATION = " and (province_code is null or list_contains(?, province_code))"


@dataclass(frozen=True)
class Scope:
    """Years to recompute, and within them the provinces (None: every province)."""

    years: tuple[int, ...]
    provinces: tuple[str, ...] | None = None

    @classmethod
    def of(cls, years: Iterable[int], provinces: Iterable[str] | None = None) -> Scope:
        """Return a scope with sorted, de-duplicated years and provinces."""
        return cls(
            tuple(sorted(set(years))),
            None if provinces is None else tuple(sorted(set(provinces))),
        )

    def __bool__(self) -> bool:
        return bool(self.years)

    def union(self, other: Scope) -> Scope:
        """Return a scope covering both (years x provinces: a superset is always safe)."""
        if not self or not other:  # an empty scope adds nothing, whatever its provinces
            return self if self else other
        provinces = (
            None
            if self.provinces is None or other.provinces is None
            else self.provinces + other.provinces
        )
        return Scope.of(self.years + other.years, provinces)

    def sql_condition(self, has_province: bool) -> str:
        """Return a SQL condition on `year` (and `province_code`) selecting the scope's rows;
        rows with no province (national ones) are always in. Its values: `sql_parameters`."""
        if has_province and self.provinces is not None:
            return IN_YEARS + IN_PROVINCES_OR_NATION
        return IN_YEARS

    def sql_parameters(self, has_province: bool) -> list[object]:
        """Return the values of `sql_condition`'s placeholders, in order."""
        if has_province and self.provinces is not None:
            return [list(self.years), list(self.provinces)]
        return [list(self.years)]


def affected_years(
    changed: Iterable[tuple[str, int]], baseline_year: int, last_year: int
) -> list[int]:
    """Return the years whose marts a change touches: Y and Y+1; the baseline touches all."""
    years: set[int] = set()
    for _, year in changed:
        if year == baseline_year:
            years.update(range(baseline_year, last_year + 1))
        years.update(y for y in (year, year + 1) if y <= last_year)
    return sorted(years)


def affected_scope(
    changed: Iterable[tuple[str, int]],
    province_of: Mapping[str, str],
    baseline_year: int,
    last_year: int,
) -> Scope:
    """Return the scope that (district, year) changes reach.

    A district missing from the registry (it cannot be accepted, but a rejected
    file may name one) widens the scope to every province, to stay safe.
    """
    changed = list(changed)
    districts = {district for district, _ in changed}
    provinces = (
        None
        if any(d not in province_of for d in districts)
        else {province_of[d] for d in districts}
    )
    return Scope.of(affected_years(changed, baseline_year, last_year), provinces)
