"""Reading files in worker processes that may die: one file can only ever fail itself.

A district file is opened by native code (python-calamine), which aborts the
whole process when it cannot allocate what a crafted file asks for, and may
loop or crawl on a damaged one. So files are read in worker processes, each
with a memory limit (address space) and a time limit per file; a worker that
raises, aborts, is killed or runs out of time is replaced, the file it held is
reported with what happened, and the other files go on.

Workers are forked directly from the caller when it runs no other Python thread
and has a few files to read (`ntm validate`: the cheapest start), else from a
forkserver started clean (a flow run has Prefect's threads, and a fork could
inherit a held lock; for many files its small process also forks faster).
A worker ends when the process that asked for it ends, however it ends, so a
killed run leaves none (and the forkserver, which lives as long as its workers,
then ends too).
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing as mp
import os
import re
import resource
import signal
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing import reduction
from multiprocessing.connection import Connection, wait
from multiprocessing.context import BaseContext
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_PR_SET_PDEATHSIG = 1
# batches of up to _BATCH files, _DEPTH batches given to a worker at a time: it never
# waits for the parent between files, and the parent wakes up once per batch
_BATCH = 8
_DEPTH = 2
_MEMORY_FAILED = re.compile(rb"memory allocation of (\d+) bytes failed")
_READY = ("ready",)  # a worker's first message: it started and set its limits
# workers that die before saying they are ready, in a row, before the pool gives up
# (a broken installation, not a file: no file is blamed for it)
MAX_START_FAILURES = 3


@dataclass(frozen=True)
class Limits:
    """What reading one file may take."""

    # address space a worker may use beyond what it holds when it starts (the
    # interpreter and its libraries); a district file needs a few MB
    memory_bytes: int = 1 << 30
    seconds: float = 60.0  # per file; a district file takes milliseconds

    @classmethod
    def from_env(cls) -> Limits:
        """Return the limits, NTM_READ_MEMORY_MB and NTM_READ_SECONDS overriding defaults."""
        memory = os.environ.get("NTM_READ_MEMORY_MB")
        seconds = os.environ.get("NTM_READ_SECONDS")
        default = cls()
        return cls(
            memory_bytes=int(float(memory) * 2**20) if memory else default.memory_bytes,
            seconds=float(seconds) if seconds else default.seconds,
        )


@dataclass(frozen=True)
class Failure:
    """Why reading one file ended without a result."""

    kind: str  # "memory", "time", "crash" (the process died) or "error" (an exception)
    detail: str = ""  # "memory": bytes asked for, when known; "time": the limit in seconds;
    # "error": the exception's type
    signal: int | None = None  # the signal that ended the worker, when one did


@dataclass
class Stats:
    """What a pool saw: files read, workers replaced, the largest worker's peak memory."""

    files: int = 0
    failures: dict[str, int] = field(default_factory=dict)
    workers_started: int = 0
    peak_rss_bytes: int = 0


def die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when the process (thread) that started it ends."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _limit_memory(extra: int) -> None:
    """Cap this process's address space at what it uses now plus `extra` bytes."""
    with open("/proc/self/statm") as fh:
        used = int(fh.read().split()[0]) * resource.getpagesize()
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = used + extra
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _started(pid: int) -> str | None:
    """Return a process's start time (to tell it from a later one with its pid), or None
    when it is gone or a zombie."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
    except OSError:
        return None
    return None if fields[0] == b"Z" else fields[19].decode()


def _exit_with(pid: int, started: str | None) -> None:
    """Watch the process that asked for this worker; end this one when it is gone.

    The OS parent of a forkserver's worker is the forkserver, which stays alive as
    long as its workers do: PR_SET_PDEATHSIG alone would keep a busy worker (and the
    forkserver) running after the run that wanted them was killed.
    """
    while _started(pid) == started:
        time.sleep(0.5)
    os._exit(1)


def _serve(
    conn: Connection,
    fn: Callable[[Any], Any],
    memory_bytes: int,
    requester: tuple[int, str | None],
    progress: Any,
) -> None:
    """A worker: take its stderr from the pipe, then read batches of (index, item) from it,
    send back for each batch ([(index, kind, value), ...], peak RSS). `progress` (shared
    memory) holds the index being read and when it started, so the parent knows which file
    a dying worker held."""
    die_with_parent()
    threading.Thread(target=_exit_with, args=requester, daemon=True).start()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides about Ctrl-C
    # what native code prints as it dies ("memory allocation of N bytes failed") is
    # kept for the parent to read, not shown to a person
    try:
        fd = reduction.recv_handle(conn)
    except (EOFError, OSError):
        return  # the parent is gone before the worker started
    os.dup2(fd, 2)
    os.close(fd)
    _limit_memory(memory_bytes)
    conn.send(_READY)
    while True:
        try:
            batch = conn.recv()
        except (EOFError, OSError):
            return
        if batch is None:
            return
        replies: list[tuple[int, str, Any]] = []
        for index, item in batch:
            progress[1] = time.monotonic()
            progress[0] = index
            try:
                replies.append((index, "ok", fn(item)))
            except MemoryError:
                replies.append((index, "memory", ""))
                break
            except BaseException as exc:  # any exception of any file is that file's alone
                replies.append((index, "error", type(exc).__name__))
        progress[0] = -1
        try:
            conn.send((replies, _peak_rss()))
        except Exception:  # a result that cannot be sent back: each alone, the failing ones said
            for reply in replies:
                try:
                    conn.send(([reply], _peak_rss()))
                except Exception as exc:
                    conn.send(([(reply[0], "error", type(exc).__name__)], _peak_rss()))
        if replies and replies[-1][1] == "memory":
            return  # a fresh worker replaces one whose memory ran out


# Up to this many files, workers are forked from the caller when it runs no other
# thread (the fastest start, for `ntm validate`); more files amortise the forkserver,
# whose small clean process forks faster than a caller holding a batch of results.
FORK_MAX_FILES = 32


def context(files: int = 1, threads: bool | None = None) -> BaseContext:
    """Return how to start workers for this many files: fork when few and no other Python
    thread runs, else forkserver (NTM_READ_START_METHOD=fork|forkserver chooses).

    `threads` says whether other threads will run when the workers start (default:
    whether they run now).
    """
    chosen = os.environ.get("NTM_READ_START_METHOD")
    threaded = threading.active_count() > 1 if threads is None else threads
    if chosen == "fork" or (
        chosen is None
        and files <= FORK_MAX_FILES
        and not threaded
        and "fork" in mp.get_all_start_methods()
    ):
        return mp.get_context("fork")
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["transforms.validation.preload"])
    return ctx


def prepare(files: int, threads: bool | None = None) -> None:
    """Start the forkserver now when a batch of this many files will take its workers from
    one (`threads` as for `context`): it imports the reader's libraries (a third of a
    second) while the caller does other work. Nothing starts for an empty batch."""
    if files and context(files, threads).get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


class _Worker:
    def __init__(self, ctx: BaseContext, fn: Callable[[Any], Any], limits: Limits) -> None:
        # The worker's stderr is a file without a name, so that a run killed at any moment
        # leaves none behind in the temporary folder: this process keeps it open, and
        # hands the worker its descriptor over the pipe (under fork and forkserver alike).
        self.stderr, path = tempfile.mkstemp(prefix="ntm-reader-", suffix=".log")
        os.unlink(path)
        ends: tuple[Connection, ...] = ()
        try:
            self.conn, child = ends = ctx.Pipe()
            # the index being read (-1: none) and since when (time.monotonic, system-wide)
            self.progress = ctx.RawArray("d", [-1.0, 0.0])  # type: ignore[attr-defined]
            requester = (os.getpid(), _started(os.getpid()))
            self.proc = ctx.Process(  # type: ignore[attr-defined]
                target=_serve,
                args=(child, fn, limits.memory_bytes, requester, self.progress),
                daemon=True,
            )
            self.proc.start()
            child.close()
        except BaseException:  # no worker: nothing of it stays open
            os.close(self.stderr)
            for end in ends:
                end.close()
            raise
        # a worker dead already is seen by the pool, as one that died starting
        with contextlib.suppress(OSError):
            reduction.send_handle(self.conn, self.stderr, self.proc.pid)
        self.queue: deque[int] = deque()  # indexes sent and not answered, in order
        self.batches = 0  # batches sent and not answered
        self.since = time.monotonic()  # when it last answered or was given work while idle
        self.ready = False  # said it started

    def current(self) -> int | None:
        """Return the index it is reading now, if any."""
        index = int(self.progress[0])
        return index if index >= 0 and index in self.queue else None

    def started(self) -> float:
        """Return when the file it reads now (or its wait for work) started."""
        return float(self.progress[1]) if self.current() is not None else self.since

    def failure(self) -> Failure:
        """Return why this (dead) worker ended, from its exit and its last words."""
        self.proc.join(1)
        code = self.proc.exitcode
        sig = -code if code is not None and code < 0 else None
        try:
            size = os.fstat(self.stderr).st_size
            said = os.pread(self.stderr, 65536, max(0, size - 65536))
        except OSError:
            said = b""
        asked = _MEMORY_FAILED.search(said)
        if asked:
            return Failure("memory", asked.group(1).decode(), sig)
        if sig == signal.SIGKILL:
            return Failure("memory", "", sig)  # the kernel's out-of-memory killer
        return Failure("crash", "", sig)

    def stop(self, kill: bool = False) -> None:
        if kill:
            with contextlib.suppress(OSError):
                self.proc.kill()
        else:
            with contextlib.suppress(OSError):
                self.conn.send(None)
        self.conn.close()
        self.proc.join(2 if not kill else 5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(5)
        with contextlib.suppress(OSError):
            os.close(self.stderr)
        self.stderr = -1


@dataclass
class Pool(Generic[T, R]):
    """Runs fn over items in isolated workers; a file that fails becomes on_failure's result."""

    fn: Callable[[T], R]
    on_failure: Callable[[T, Failure], R]
    workers: int = 2
    limits: Limits = field(default_factory=Limits)
    stats: Stats = field(default_factory=Stats)

    def map(self, items: Sequence[T], meanwhile: Callable[[], object] | None = None) -> list[R]:
        """Return fn(item) for every item, in order; never raises for an item's sake.

        `meanwhile` is called once the workers have their first files, so that the caller's
        own preparation (imports) overlaps the reading instead of preceding it.
        """
        items = list(items)
        if not items:
            return []
        ctx = context(len(items))
        results: dict[int, R] = {}
        pending = deque(range(len(items)))
        pool: list[_Worker] = []
        count = max(1, min(self.workers, len(items)))
        # a few files per message: fewer round trips; the shared progress still names
        # the one file a dying worker held (the others of its batch are read again)
        size = max(1, min(_BATCH, len(items) // (count * 4)))

        def start() -> _Worker:
            self.stats.workers_started += 1
            return _Worker(ctx, self.fn, self.limits)  # type: ignore[arg-type]

        def fail(index: int, failure: Failure) -> None:
            self.stats.failures[failure.kind] = self.stats.failures.get(failure.kind, 0) + 1
            results[index] = self.on_failure(items[index], failure)

        start_failures = [0]

        def replace(worker: _Worker, failure: Failure | None, kill: bool = False) -> None:
            culprit = worker.current()
            if kill:
                worker.stop(kill=True)
            if not worker.ready and failure is not None and failure.kind != "time":
                # it died starting: no file is to blame
                start_failures[0] += 1
                if start_failures[0] >= MAX_START_FAILURES:
                    raise RuntimeError(f"file readers cannot start (exit {worker.proc.exitcode})")
            elif worker.queue and failure is not None:
                culprit = culprit if culprit is not None else worker.queue[0]
                worker.queue.remove(culprit)
                fail(culprit, failure)
            pending.extendleft(reversed(worker.queue))  # the others are read again
            worker.queue.clear()
            if not kill:
                worker.stop()
            pool[pool.index(worker)] = start()

        try:
            pool.extend(start() for _ in range(count))
            while pending or any(w.queue for w in pool):
                for worker in list(pool):
                    while pending and worker.batches < _DEPTH:
                        batch = [pending.popleft() for _ in range(min(size, len(pending)))]
                        try:
                            worker.conn.send([(i, items[i]) for i in batch])
                        except OSError:  # it died meanwhile
                            pending.extendleft(reversed(batch))
                            replace(worker, worker.failure())
                            break
                        if not worker.queue:
                            worker.since = time.monotonic()
                        worker.queue.extend(batch)
                        worker.batches += 1
                if meanwhile is not None:
                    meanwhile()
                    meanwhile = None
                busy = [w for w in pool if w.queue]
                if not busy:
                    continue
                now = time.monotonic()
                timeout = max(0.0, min(w.started() + self.limits.seconds - now for w in busy))
                ready = set(wait([w.conn for w in busy] + [w.proc.sentinel for w in busy], timeout))
                for worker in busy:
                    if worker.conn in ready:
                        try:
                            message = worker.conn.recv()
                        except (EOFError, OSError):
                            replace(worker, worker.failure())
                            continue
                        worker.since = time.monotonic()
                        if message == _READY:
                            worker.ready = True
                            start_failures[0] = 0
                            continue
                        replies, rss = message
                        self.stats.peak_rss_bytes = max(self.stats.peak_rss_bytes, rss)
                        worker.batches -= 1
                        for index, kind, value in replies:
                            worker.queue.remove(index)
                            if kind == "ok":
                                self.stats.files += 1
                                results[index] = value
                            else:
                                fail(index, Failure(kind, str(value)))
                        if replies and replies[-1][1] == "memory":
                            replace(worker, None)
                    elif worker.proc.sentinel in ready:
                        replace(worker, worker.failure())
                    elif time.monotonic() - worker.started() >= self.limits.seconds:
                        replace(worker, Failure("time", f"{self.limits.seconds:g}"), kill=True)
        finally:
            for worker in pool:
                worker.stop()
        return [results[i] for i in range(len(items))]
