"""The inbox and the archive: which files to take, and keeping their bytes by SHA-256."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from transforms.atomic import flush, temporary_path

_TEMP_SUFFIXES = (".tmp", ".part", ".crdownload", ".partial", ".swp")


@dataclass(frozen=True)
class Incoming:
    """A file waiting in the inbox."""

    path: Path
    name: str
    size: int
    received_at: dt.datetime  # the file's modification time, UTC


@dataclass(frozen=True)
class Received:
    """A file whose bytes are safe in the archive."""

    incoming: Incoming
    sha256: str
    archive_path: Path

    @property
    def name(self) -> str:
        return self.incoming.name

    @property
    def received_at(self) -> dt.datetime:
        return self.incoming.received_at


@dataclass(frozen=True)
class Left:
    """A file a run saw in the inbox and did not take, and why."""

    name: str
    reason: str  # one of LEFT_REASONS


LEFT_REASONS = {
    "office_lock": "an office lock file (~$...): Excel or LibreOffice has the workbook open",
    "hidden": "a hidden file (its name starts with a dot)",
    "temporary": "a temporary file (a download or copy not finished)",
    "still_copying": "still being copied: its size or time changed while the run looked",
    "not_a_file": "not a regular file (a folder or a link)",
}


@dataclass(frozen=True)
class InboxScan:
    """What one run found in the inbox: the files to take, and those it left."""

    ready: list[Incoming]
    left: list[Left]


def ignored_because(name: str) -> str | None:
    """Return why a file name is never taken (a key of LEFT_REASONS), or None."""
    lower = name.lower()
    if name.startswith("~$"):
        return "office_lock"
    if name.startswith("."):
        return "hidden"
    if name.startswith("~") or lower.endswith(_TEMP_SUFFIXES):
        return "temporary"
    return None


def is_ignored(name: str) -> bool:
    """Return True for office lock files, hidden files and temporary files."""
    return ignored_because(name) is not None


def _shown(name: str) -> str:
    # a name that is not valid UTF-8 is recorded readably; the path stays the real one
    return os.fsencode(name).decode("utf-8", "replace")


def _look(inbox: Path) -> tuple[dict[str, tuple[Path, int, int]], list[Left]]:
    """Return one look at the inbox: (path, size, mtime in ns) by entry name, and what is
    never taken."""
    seen: dict[str, tuple[Path, int, int]] = {}
    left: list[Left] = []
    for entry in os.scandir(inbox):
        why = ignored_because(entry.name)
        if why is None and not entry.is_file(follow_symlinks=False):
            why = "not_a_file"
        if why is not None:
            left.append(Left(_shown(entry.name), why))
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except FileNotFoundError:
            continue  # gone between the listing and the look
        seen[entry.name] = (Path(entry.path), st.st_size, st.st_mtime_ns)
    return seen, left


def scan_inbox(
    inbox: Path, settle_seconds: float, sleep: Callable[[float], None] = time.sleep
) -> InboxScan:
    """Return the files ready to take, in received order (modification time, then name),
    and the files left in the inbox with the reason.

    A file is ready when its size and modification time did not change between two
    looks `settle_seconds` apart, both taken by this run: whatever the clocks of
    the district PC or the file share say, a file that is still is taken now, and
    one still being written is left for the next run. Nothing waits when the inbox
    holds nothing to take.
    """
    if not inbox.is_dir():
        return InboxScan([], [])
    first, left = _look(inbox)
    second = first
    if first and settle_seconds > 0:
        sleep(settle_seconds)
        second, left = _look(inbox)
    ready = []
    for name, (path, size, mtime_ns) in second.items():
        if first.get(name) != (path, size, mtime_ns):
            left.append(Left(_shown(name), "still_copying"))
            continue
        mtime = dt.datetime.fromtimestamp(mtime_ns / 1e9, dt.UTC)
        ready.append(Incoming(path, _shown(name), size, mtime))
    ready.sort(key=lambda f: (f.received_at, f.name))
    left.sort(key=lambda f: f.name)
    return InboxScan(ready, left)


def inbox_entries(inbox: Path) -> int:
    """Return how many entries the inbox holds now (a cheap first guess at a run's batch)."""
    try:
        with os.scandir(inbox) as entries:
            return sum(1 for _ in entries)
    except OSError:
        return 0


def scan(inbox: Path, settle_seconds: float) -> list[Incoming]:
    """Return the files ready to take, in received order (see scan_inbox)."""
    return scan_inbox(inbox, settle_seconds).ready


def sha256_of(path: Path) -> str:
    """Return the hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def archive(files: Sequence[Incoming], archive_dir: Path) -> list[Received]:
    """Copy the files' bytes into the archive under their SHA-256 (atomic, idempotent);
    return them as received, once every copy and its name are on disk.

    The batch is flushed together (copies, then the renamed names): it must be durable
    before anything records it, and so before the inbox lets it go; flushing file by
    file costs 0.15-0.3 s for a national year.
    """
    received = []
    copies: dict[Path, Path] = {}  # archive path -> its temporary copy
    try:
        for incoming in files:
            digest = sha256_of(incoming.path)
            suffix = incoming.path.suffix.lower()[:8]
            target = archive_dir / digest[:2] / f"{digest}{suffix}"
            if target not in copies and not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                copies[target] = temporary_path(target)
                shutil.copyfile(incoming.path, copies[target])
            received.append(Received(incoming, digest, target))
        flush(copies.values())  # the bytes, before any name points at them
        for target, tmp in copies.items():
            os.replace(tmp, target)
        # the names: every target's folder (one found already there may come from a try
        # killed before this flush), and the archive's own entries for new folders
        flush({r.archive_path.parent for r in received} | {archive_dir})
    finally:
        for tmp in copies.values():
            tmp.unlink(missing_ok=True)
    return received
