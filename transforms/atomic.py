"""Writing a file so that a reader never opens a half-written one."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def replace_atomically(path: Path, durable: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside path (same suffix); on success rename it onto path.

    `durable` flushes the bytes to disk before the rename, for what must survive a power
    cut once the caller goes on (archived originals, the published snapshot). The
    temporary name starts with a dot and holds ".tmp": pipeline.remove_leftovers finds
    what a killed run left.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")
    tmp.unlink(missing_ok=True)
    try:
        yield tmp
        if durable:
            with tmp.open("rb") as fh:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
