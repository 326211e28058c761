"""Settings, read from the environment in this one place and passed down explicitly."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    home: Path
    # files modified more recently than this are still being copied: left alone
    settle_seconds: float = 5.0
    # how long a second writer waits for the warehouse lock before giving up
    lock_timeout_seconds: float = 600.0

    @classmethod
    def from_env(cls, home: Path | str | None = None) -> Settings:
        """Return settings from NTM_HOME (default ./data) unless a home is given."""
        chosen = Path(home or os.environ.get("NTM_HOME", "data")).expanduser().resolve()
        settle = float(os.environ.get("NTM_SETTLE_SECONDS", "5"))
        lock = float(os.environ.get("NTM_LOCK_TIMEOUT_SECONDS", "600"))
        return cls(home=chosen, settle_seconds=settle, lock_timeout_seconds=lock)

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
