"""Keeping a run's processes together: an `ntm run` killed at any moment leaves none behind.

A flow run starts processes of its own: the temporary Prefect server (when no
PREFECT_API_URL is set), the forkserver and the workers that read files, a
local Dask cluster. Killed with SIGKILL, a process cannot stop its children,
and they live on. So `ntm run`, `ntm backfill` and `ntm demo` do their work in
a child process under a small watchdog:

    ntm run (the command a person or a scheduler started)
      └─ watchdog (a child subreaper: every orphan below it becomes its child)
           └─ ntm run, doing the work (flow, server, readers, ...)

The watchdog holds a pipe from the command; when the command ends, however it
ends (SIGKILL included), the pipe closes and the watchdog stops every process
below it. When the worker ends, the watchdog stops whatever it left (a server
that outlived its flow) and exits with the worker's status. Should the
watchdog itself be killed, the command (a subreaper too) stops the orphans.
Processes are found through /proc (Linux), by parenthood, whatever their
process group or session.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Sequence

SUPERVISED = "NTM_SUPERVISED"  # set in the worker's environment: run the command itself
_PR_SET_CHILD_SUBREAPER = 36
_PR_SET_PDEATHSIG = 1
GRACE_SECONDS = 5.0  # between SIGTERM and SIGKILL when stopping what is left


def _prctl(option: int, value: int) -> None:
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)


def descendants(root: int) -> list[int]:
    """Return the pids of every living process below root (children first)."""
    parent: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        # the command name may hold spaces and parentheses: fields follow the last ')'
        fields = stat[stat.rfind(b")") + 2 :].split()
        if fields and fields[0] != b"Z":
            parent[int(entry)] = int(fields[1])
    found, frontier = [], [root]
    while frontier:
        pid = frontier.pop()
        children = [p for p, pp in parent.items() if pp == pid]
        found.extend(children)
        frontier.extend(children)
    return found


def _reap() -> None:
    """Collect every child that has ended (orphans included, as a subreaper)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def stop_all_below(root: int, grace: float = GRACE_SECONDS, settle: float = 1.0) -> None:
    """Stop every process below root: SIGTERM, then SIGKILL what is left after grace.

    Orphans arrive late (a process whose parent is being killed comes here once that
    parent is gone): the scan goes on until nothing new has come for `settle` seconds.
    """
    quiet_since = time.monotonic()
    while True:
        _reap()
        if descendants(root):
            _stop(root, grace)
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= settle:
            return
        else:
            time.sleep(0.05)


def _stop(root: int, grace: float) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        pids = descendants(root)
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            _reap()
            if not descendants(root):
                return
            time.sleep(0.05)


def _status(code: int) -> int:
    """Return a shell's exit status for a Popen return code (128 + signal when killed)."""
    return 128 - code if code < 0 else code


def watch(command: Sequence[str], alive_fd: int) -> int:
    """The watchdog: run command, stop everything below when it ends or when alive_fd closes."""
    _prctl(_PR_SET_CHILD_SUBREAPER, 1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the worker itself
    stopping: list[int] = []
    signal.signal(signal.SIGTERM, lambda sig, _: stopping.append(sig))  # stop everything
    me = os.getpid()
    env = {**os.environ, SUPERVISED: "1"}
    child = subprocess.Popen(
        list(command), env=env, preexec_fn=lambda: _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    )
    code: int | None = None
    while code is None:
        ready, _, _ = select.select([alive_fd], [], [], 0.5)
        if ready or stopping:  # the command ended (killed?) or we were asked to stop
            stop_all_below(me)
            code = child.poll()
            code = -signal.SIGTERM if code is None else code
            break
        code = child.poll()
    # whatever the worker left (a server that outlived its flow): a worker that ended by
    # itself has its orphans here already, one that was killed may still be handing them on
    stop_all_below(me, settle=0.2 if code >= 0 else 1.0)
    _reap()
    return _status(code)


def supervise(args: Sequence[str]) -> int:
    """Run `ntm <args>` in a worker under a watchdog; return its exit status."""
    _prctl(_PR_SET_CHILD_SUBREAPER, 1)
    read_end, write_end = os.pipe()
    command = [sys.executable, "-m", "ntm.cli", *args]
    watchdog = subprocess.Popen(
        [sys.executable, "-m", "ntm.supervise", str(read_end), *command], pass_fds=(read_end,)
    )
    os.close(read_end)
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # the worker handles Ctrl-C
    try:
        code = watchdog.wait()
    finally:
        signal.signal(signal.SIGINT, previous)
        os.close(write_end)
    # the watchdog killed before its worker: the orphans come here
    stop_all_below(os.getpid(), settle=1.0 if code < 0 else 0.0)
    return _status(code)


def _main() -> None:
    alive_fd, *command = sys.argv[1:]
    sys.exit(watch(command, int(alive_fd)))


if __name__ == "__main__":
    _main()
