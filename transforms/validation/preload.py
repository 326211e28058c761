"""Imported by the readers' forkserver: what every reader worker needs, loaded once there
(each worker forked from it starts with the libraries, the registry and the rulesets)."""

from __future__ import annotations

from transforms.collector import collect_less_often
from transforms.validation.extras import skip_pandera_extras

skip_pandera_extras()  # this process and its workers only read files
collect_less_often()  # its imports start faster too

from transforms.reference import versions as rv  # noqa: E402
from transforms.reference.ruleset import last_covered_year  # noqa: E402
from transforms.validation import validate  # noqa: E402, F401  (the reader and its libraries)

# and the lookups a reader builds from them on first use: built here, once for all workers
rv.prepare_for_readers()
last_covered_year()
# everything above lives as long as the forkserver and its workers
collect_less_often(freeze=True)
