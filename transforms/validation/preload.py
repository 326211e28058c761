"""Imported by the readers' forkserver: what every reader worker needs, loaded once there
(each worker forked from it starts with the libraries, the registry and the rulesets)."""

from __future__ import annotations

from transforms.reference.registry import load_registry
from transforms.reference.ruleset import last_covered_year
from transforms.validation import validate  # noqa: F401  (the reader and its libraries)

load_registry()
last_covered_year()
