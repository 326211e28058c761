"""Running work that waits without the GIL in threads: disk flushes, DuckDB statements."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")
R = TypeVar("R")


def start_in_thread(fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> Future[R]:
    """Return the future result of fn(*args, **kwargs), run in a thread of its own (or
    here and now, when no thread can start: see map_in_threads)."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=fn.__name__)
    try:
        return pool.submit(fn, *args, **kwargs)
    except RuntimeError:
        done: Future[R] = Future()
        done.set_result(fn(*args, **kwargs))
        return done
    finally:
        pool.shutdown(wait=False)  # the thread ends with its one call


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
