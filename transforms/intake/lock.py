"""One writer at a time: an advisory lock on a file beside the warehouse."""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path


class WarehouseBusy(RuntimeError):
    """Another run holds the writer lock for longer than we were willing to wait."""


@contextlib.contextmanager
def writer_lock(path: Path, timeout: float, poll: float = 0.2) -> Iterator[None]:
    """Hold the exclusive writer lock, waiting up to `timeout` seconds for it.

    The operating system releases the lock when the holder dies, so a killed
    run never leaves the warehouse locked.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 200, 0).decode(errors="replace").strip()
                    raise WarehouseBusy(
                        f"another run is writing the warehouse ({holder or 'unknown process'}); "
                        f"waited {timeout:.0f} s. Try again when it has finished."
                    ) from None
                time.sleep(poll)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} since {time.strftime('%Y-%m-%d %H:%M:%S')}".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
