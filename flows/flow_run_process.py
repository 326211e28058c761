"""A flow run that a Prefect worker started gets the process `ntm` gives its own runs.

Imported by flows/nightly.py before anything that imports pandera. `ntm run`,
`backfill` and `demo` set their process up in ntm.cli.main; a deployed run (prefect.yaml)
starts in a process of the worker's making (`python -m prefect.engine`, with
PREFECT__FLOW_RUN_ID set), which would otherwise keep Python's default collector
(0.07 s of a national year) and load pandera's optional integrations (hypothesis, where
it is installed: 0.07 s). Any other process importing the flows (tests, notebooks) is
left as it is: one that uses hypothesis must still find it.
"""

from __future__ import annotations

import os

from transforms.collector import collect_less_often
from transforms.validation.extras import set_up_pipeline_process

# Set by Prefect's workers and runners in the process of each flow run they start.
FLOW_RUN_ID_VARIABLE = "PREFECT__FLOW_RUN_ID"


def set_up_flow_run_process() -> bool:
    """Set this process up as ntm sets up a pipeline process, when a Prefect worker
    started it for a flow run; return whether it did."""
    if not os.environ.get(FLOW_RUN_ID_VARIABLE):
        return False
    collect_less_often()
    set_up_pipeline_process()
    return True


set_up_flow_run_process()
