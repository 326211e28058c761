"""Settings, read from the environment in this one place and passed down explicitly."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

TASK_RUNNERS = ("local", "dask")


@dataclass(frozen=True)
class Settings:
    home: Path
    # files modified more recently than this are still being copied: left alone
    settle_seconds: float = 5.0
    # how long a second writer waits for the warehouse lock before giving up
    lock_timeout_seconds: float = 600.0
    # "local": files are read by a process pool on this machine; "dask": reading and
    # validating fan out over Dask workers (the warehouse keeps its single writer)
    task_runner: str = "local"
    # a running Dask scheduler (tcp://host:8786); None starts a local cluster per run
    dask_address: str | None = None
    dask_workers: int = 2  # of the local cluster
    dask_threads_per_worker: int = 1  # parsing holds the GIL: one thread per process
    # the archive folder as the Dask workers see it (a network share); None sends
    # every file's bytes to the workers instead
    shared_path: Path | None = None

    def __post_init__(self) -> None:
        if self.task_runner not in TASK_RUNNERS:
            raise ValueError(
                f"task runner '{self.task_runner}' is not one of {', '.join(TASK_RUNNERS)}"
            )
        if self.dask_workers < 1 or self.dask_threads_per_worker < 1:
            raise ValueError("a Dask cluster needs at least one worker with one thread")

    @classmethod
    def from_env(cls, home: Path | str | None = None) -> Settings:
        """Return settings from NTM_HOME (default ./data) unless a home is given."""
        env = os.environ
        chosen = Path(home or env.get("NTM_HOME", "data")).expanduser().resolve()
        shared = env.get("NTM_SHARED_PATH")
        return cls(
            home=chosen,
            settle_seconds=float(env.get("NTM_SETTLE_SECONDS", "5")),
            lock_timeout_seconds=float(env.get("NTM_LOCK_TIMEOUT_SECONDS", "600")),
            task_runner=env.get("NTM_TASK_RUNNER", "local").strip().lower() or "local",
            dask_address=env.get("NTM_DASK_ADDRESS") or None,
            dask_workers=int(env.get("NTM_DASK_WORKERS", "2")),
            dask_threads_per_worker=int(env.get("NTM_DASK_THREADS_PER_WORKER", "1")),
            shared_path=Path(shared).expanduser() if shared else None,
        )

    @property
    def reads_here(self) -> bool:
        """Return whether runs read files in readers on this machine (not on Dask workers,
        where this machine reads only the batches that failed there)."""
        return self.task_runner == "local"

    @property
    def inbox(self) -> Path:
        return self.home / "inbox"

    @property
    def archive(self) -> Path:
        return self.home / "archive"

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def published(self) -> Path:
        return self.home / "published" / "ntm.duckdb"

    @property
    def parquet(self) -> Path:
        return self.home / "published" / "parquet"

    @property
    def reports(self) -> Path:
        return self.home / "reports"

    @property
    def feedback(self) -> Path:
        return self.home / "feedback"

    @property
    def lock_file(self) -> Path:
        return self.home / ".writer.lock"

    def ensure(self) -> Settings:
        """Create the data directory layout; return self."""
        for d in (self.inbox, self.archive, self.published.parent, self.reports, self.feedback):
            d.mkdir(parents=True, exist_ok=True)
        return self
