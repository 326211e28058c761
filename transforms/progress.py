"""How far a run has got, for whoever is watching: a terminal, a log, nobody.

The pipeline says what it is doing (`report`); a command line shows it as progress bars,
a scheduled flow as plain log lines. With nobody listening a report costs one call.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Event:
    """One step forward: the stage, how much of it is done out of how much (None: unknown)."""

    stage: str
    done: int = 0
    total: int | None = None
    detail: str = ""


Listener = Callable[[Event], None]
_listeners: list[Listener] = []


def report(stage: str, done: int = 0, total: int | None = None, detail: str = "") -> None:
    """Tell every listener how far the stage has got."""
    if not _listeners:
        return
    event = Event(stage, done, total, detail)
    for listener in list(_listeners):
        listener(event)


@contextlib.contextmanager
def listening(listener: Listener) -> Iterator[None]:
    """Send the reports made inside the block to `listener` as well."""
    _listeners.append(listener)
    try:
        yield
    finally:
        _listeners.remove(listener)


def counter(stage: str, total: int, detail: str = "") -> Callable[[], None]:
    """Return a function that reports one more item of `total` done each time it is called."""
    done = [0]
    report(stage, 0, total, detail)

    def step() -> None:
        done[0] += 1
        report(stage, done[0], total, detail)

    return step


@contextlib.contextmanager
def stage(name: str, total: int | None = None, detail: str = "") -> Iterator[None]:
    """Report a stage as started on entry and as done (all of `total`) on a normal exit."""
    report(name, 0, total, detail)
    yield
    report(name, total if total is not None else 1, total if total is not None else 1, detail)
