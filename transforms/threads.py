"""Running small waits side by side in threads: disk flushes, DuckDB statements."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def map_in_threads(fn: Callable[[T], R], items: Iterable[T], at_once: int) -> list[R]:
    """Return fn(item) for every item, in order, up to `at_once` running together.

    For calls that wait without the GIL (a flush on the disk, a query in DuckDB). When no
    thread can start (a tight address-space limit leaves no room for their stacks), the
    calls run one after another here, some of them again: they must bear being repeated.
    """
    items = list(items)
    if len(items) > 1 and at_once > 1:
        try:
            with ThreadPoolExecutor(max_workers=min(at_once, len(items))) as pool:
                return list(pool.map(fn, items))
        except RuntimeError as exc:
            if "thread" not in str(exc):
                raise
    return [fn(item) for item in items]
