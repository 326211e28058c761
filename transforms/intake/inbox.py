"""The inbox and the archive: which files to take, and keeping their bytes by SHA-256."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from transforms.atomic import replace_atomically

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


def is_ignored(name: str) -> bool:
    """Return True for office lock files, hidden files and temporary files."""
    lower = name.lower()
    return name.startswith(("~$", ".", "~")) or lower.endswith(_TEMP_SUFFIXES)


def scan(inbox: Path, settle_seconds: float, now: dt.datetime | None = None) -> list[Incoming]:
    """Return the files ready to take, in received order (modification time, then name)."""
    if not inbox.is_dir():
        return []
    now = now or dt.datetime.now(dt.UTC)
    found = []
    for entry in os.scandir(inbox):
        if not entry.is_file(follow_symlinks=False) or is_ignored(entry.name):
            continue
        st = entry.stat(follow_symlinks=False)
        mtime = dt.datetime.fromtimestamp(st.st_mtime, dt.UTC)
        if (now - mtime).total_seconds() < settle_seconds:
            continue  # still being copied
        # a name that is not valid UTF-8 is recorded readably; the path stays the real one
        name = os.fsencode(entry.name).decode("utf-8", "replace")
        found.append(Incoming(Path(entry.path), name, st.st_size, mtime))
    found.sort(key=lambda f: (f.received_at, f.name))
    return found


def sha256_of(path: Path) -> str:
    """Return the hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def archive(incoming: Incoming, archive_dir: Path) -> Received:
    """Copy a file's bytes into the archive under its SHA-256 (atomic, idempotent)."""
    digest = sha256_of(incoming.path)
    suffix = incoming.path.suffix.lower()[:8]
    target = archive_dir / digest[:2] / f"{digest}{suffix}"
    if not target.exists():
        with replace_atomically(target, durable=True) as tmp:
            shutil.copyfile(incoming.path, tmp)
    return Received(incoming, digest, target)
