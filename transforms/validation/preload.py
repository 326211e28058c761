"""Imported by the readers' forkserver: what every reader worker needs, loaded once there
(each worker forked from it starts with the libraries, the registry and the rulesets)."""

from __future__ import annotations

from transforms.validation.extras import skip_pandera_extras

skip_pandera_extras()  # this process and its workers only read files

from transforms.reference import versions as rv  # noqa: E402
from transforms.reference.ruleset import last_covered_year  # noqa: E402
from transforms.validation import validate  # noqa: E402, F401  (the reader and its libraries)

rv.load_versions()
last_covered_year()
