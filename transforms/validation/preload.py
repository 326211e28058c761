"""Imported by the readers' forkserver: what every reader worker needs, loaded once there
(each worker forked from it starts with the libraries, the registry and the rulesets)."""

from __future__ import annotations

from transforms.reference import versions as rv
from transforms.reference.ruleset import last_covered_year
from transforms.validation import validate  # noqa: F401  (the reader and its libraries)

rv.load_versions()
last_covered_year()
