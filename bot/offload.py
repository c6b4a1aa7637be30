"""Heavy work in a child process: parsing a workbook, writing the 台账, drawing a chart.

A worker thread is not enough to keep users apart: threads share the interpreter lock, and
a 20 000-row workbook parsed in one raised another user's p95 from 1.1 ms to 183 ms. A
child process does not hold our lock, runs at a lower priority (`os.nice`), and can be
given a memory cap (`RLIMIT_AS`) that stops it, not the bot, when an input asks for too
much: that cap is how SPEC §9's "no input can take more than 256 MB" is kept.

`Offloader.run(fn, *args)` sends a module-level function and its arguments (both pickled)
to an idle child and awaits the result. A job that runs out of memory, out of time, or
kills its child raises an `OffloadFailed` (the caller says so in one Chinese line); a child
that ran out of memory or time, or died, is replaced by a fresh one for the next job.
Any other exception the function raises comes back as itself, and the child stays.

Children are started with 'spawn' (a fresh interpreter: never a fork of a process that
has threads), lazily, and reused. Each job is waited for in a daemon thread of its own (a
job queued behind busy children waits there too), so an `Offloader` is tied to no event
loop and no exit waits for a job: the process shares one (`shared()`), which tests and the
CLI's several `asyncio.run` calls reuse, and stops its children at exit. A spawned child
imports the parent's main module (as `__mp_main__`): every entry point keeps its work under
`if __name__ == "__main__"` (the `dutybot` script, bench/, pytest do).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import importlib
import logging
import multiprocessing
import os
import pickle
import resource
import signal
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.reduction import ForkingPickler
from typing import Any, TypeVar

from bot.domain import bodies
from bot.domain.vocabulary import configure_body

log = logging.getLogger("dutybot.offload")

T = TypeVar("T")

MiB = 1 << 20
#: Memory a job may take, above what its child holds once started (its interpreter and
#: the preloaded libraries: about 220 MB of address space, most of it never touched).
MEMORY = 256 * MiB
SECONDS = 60.0  # a job's time limit, unless the caller gives its own
NICE = 10  # added to the child's niceness: the bot's own work comes first
WORKERS = 2  # children at most; more jobs wait their turn
STARTUP_SECONDS = 120.0  # for a child to start and import what it preloads
STOP_SECONDS = 2.0  # for an idle child to leave when asked, before it is killed
PARENT_CHECK_SECONDS = 1.0  # how soon a child notices its parent is gone
#: Imported by each child before it measures itself: the libraries the jobs use, so that
#: the memory cap is the job's own headroom and the first job does not pay for imports.
PRELOAD = ("openpyxl", "matplotlib.figure", "matplotlib.backends.backend_agg")


class OffloadFailed(Exception):
    """The child could not finish the job; nothing it did reached the bot."""


@dataclass
class OutOfMemory(OffloadFailed):
    limit: int  # bytes the job could take

    def __str__(self) -> str:
        return f"the job needed more than {self.limit // MiB} MiB"


@dataclass
class OutOfTime(OffloadFailed):
    seconds: float

    def __str__(self) -> str:
        return f"the job took more than {self.seconds:g} s and was stopped"


@dataclass
class WorkerDied(OffloadFailed):
    exitcode: int | None  # negative: killed by that signal

    def __str__(self) -> str:
        return f"the child process died (exit code {self.exitcode})"


# -- the child ---------------------------------------------------------------------------


def _address_space() -> int | None:
    """The process's virtual memory size (what RLIMIT_AS limits), from /proc."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _cap(limit: int | None, given: tuple[int, int]) -> None:
    """At most `limit` bytes of address space (None: back to the limits we were `given`)."""
    soft, hard = given
    if limit is not None:
        soft = limit if soft == resource.RLIM_INFINITY else min(limit, soft)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _portable(exc: BaseException) -> BaseException:
    """`exc` if it survives pickling, else a RuntimeError that says what it was; with the
    child's traceback as a note, for the log."""
    try:
        exc.add_note("".join(traceback.format_exception(exc)).rstrip())
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")


def _die_with(parent: int) -> None:
    """A parent killed with -9 never tells its child to stop, and a job runs until it
    ends: a watcher in the child ends it within a second of the parent's end (it is then
    someone else's child). Not PR_SET_PDEATHSIG: that fires when the parent's *thread*
    ends, and each job is sent from a thread of its own."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="dutybot-offload-parent", daemon=True).start()


def _serve(conn: Connection, nice: int, preload: Sequence[str], parent: int) -> None:
    """The child's life: preload, measure, then one job after another until told to stop
    (None) or the parent goes away. Ends itself after running out of memory, since a
    process that did may be left in a state nobody checked."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when a child stops
    _die_with(parent)
    os.nice(nice)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    for name in preload:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    base = _address_space()
    given = resource.getrlimit(resource.RLIMIT_AS)
    conn.send(("ready", base))
    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        except Exception as exc:  # a function or argument this process cannot unpickle
            conn.send(("error", _portable(exc)))
            continue
        if job is None:
            return
        fn, args, memory, body = job
        configure_body(body)  # the parent's configured body's words (bot/domain/bodies.py)
        _cap(base + memory if base is not None and memory else None, given)
        out_of_memory = False
        try:
            try:
                reply: tuple[str, Any] | None = ("ok", fn(*args))
            except MemoryError:
                raise
            except BaseException as exc:
                reply = ("error", _portable(exc))
            try:
                packed = pickle.dumps(reply)
            except MemoryError:
                raise
            except Exception as exc:  # a result that cannot cross: say so, and go on
                packed = pickle.dumps(("error", _portable(exc)))
            conn.send_bytes(packed)
        except MemoryError:
            out_of_memory = True
        finally:
            job = fn = args = reply = None  # the job's memory goes before the next one
            _cap(None, given)
        if out_of_memory:  # said once the job's memory is free again
            conn.send(("memory", None))
            return


# -- the parent --------------------------------------------------------------------------


class _Worker:
    """One child and our end of its pipe."""

    def __init__(self, context: Any, nice: int, preload: Sequence[str]) -> None:
        ours, theirs = context.Pipe()
        self.process = context.Process(target=_serve,
                                       args=(theirs, nice, tuple(preload), os.getpid()),
                                       name="dutybot-offload", daemon=True)
        self.process.start()
        theirs.close()
        self.conn: Connection = ours
        self.ready = False
        self.base: int | None = None  # its address space once started (None: unknown)

    def wait_ready(self, seconds: float) -> None:
        if not self.conn.poll(seconds):
            raise OutOfTime(seconds)
        kind, self.base = self.conn.recv()
        self.ready = kind == "ready"

    def exitcode(self) -> int | None:
        self.process.join(STOP_SECONDS)
        return self.process.exitcode

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.conn.close()

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.send(None)
        self.process.join(STOP_SECONDS)
        self.kill()


@dataclass(eq=False)
class _Job:
    payload: bytes  # (fn, args, memory), pickled
    seconds: float
    memory: int
    worker: _Worker | None = None
    cancelled: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def cancel(self) -> None:
        """Nobody waits for the result any more: stop the child that works on it."""
        with self.lock:
            self.cancelled = True
            worker = self.worker
        if worker is not None and worker.process.is_alive():
            worker.process.kill()


class Offloader:
    """Up to `workers` child processes, each running one job at a time.

    `memory`: bytes a job may take above what its child holds when started (None: no
    cap); `seconds`: a job's time limit; both may be given per job too."""

    def __init__(self, workers: int = WORKERS, *, memory: int | None = MEMORY,
                 seconds: float = SECONDS, nice: int = NICE,
                 preload: Sequence[str] = PRELOAD) -> None:
        self.memory = memory
        self.seconds = seconds
        self.nice = nice
        self.preload = tuple(preload)
        self._context = multiprocessing.get_context("spawn")
        self._slots = threading.BoundedSemaphore(workers)
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []
        self._busy: set[_Worker] = set()
        self.closed = False

    async def run(self, fn: Callable[..., T], *args: Any, seconds: float | None = None,
                  memory: int | None = None) -> T:
        """`fn(*args)` in a child process. `fn` must be a module-level function, and it and
        its arguments and result picklable. Raises OutOfMemory, OutOfTime or WorkerDied
        when the child could not finish it, or what `fn` raised."""
        if self.closed:
            raise RuntimeError("the offloader is closed")
        limit = memory if memory is not None else self.memory
        # pickled here, so that a function that cannot go to a child fails at once
        job = _Job(bytes(ForkingPickler.dumps((fn, args, limit or 0, bodies.current()))),
                   seconds if seconds is not None else self.seconds, limit or 0)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()

        def settle(ok: bool, value: Any) -> None:  # in the loop
            if not future.done():
                future.set_result(value) if ok else future.set_exception(value)

        def work() -> None:  # in a thread of its own: a daemon, so no exit waits for it
            try:
                outcome = (True, self._work(job))
            except BaseException as exc:
                outcome = (False, exc)
            with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits
                loop.call_soon_threadsafe(settle, *outcome)

        threading.Thread(target=work, name="dutybot-offload", daemon=True).start()
        try:
            return await future
        except asyncio.CancelledError:
            job.cancel()
            raise

    def _work(self, job: _Job) -> Any:
        """In a thread: the job through one child, start to end, once a child is free."""
        with self._slots:
            if job.cancelled:
                raise asyncio.CancelledError
            return self._through(job, self._checkout())

    def _through(self, job: _Job, worker: _Worker) -> Any:
        with job.lock:
            job.worker = worker
            cancelled = job.cancelled
        if cancelled:  # while the child started: it stays for the next job
            self._checkin(worker)
            raise asyncio.CancelledError
        try:
            worker.conn.send_bytes(job.payload)
            if not worker.conn.poll(job.seconds):
                self._discard(worker)
                raise OutOfTime(job.seconds)
            kind, value = worker.conn.recv()
        except (EOFError, OSError):
            code = worker.exitcode()
            self._discard(worker)
            if job.cancelled:
                raise asyncio.CancelledError from None
            raise WorkerDied(code) from None
        except OffloadFailed:
            raise
        except BaseException:  # a result that cannot be unpickled here: the child is fine
            self._checkin(worker)
            raise
        if kind == "memory":
            self._discard(worker)
            raise OutOfMemory(job.memory)
        self._checkin(worker)
        if kind == "error":
            raise value
        return value

    def _checkout(self) -> _Worker:
        with self._lock:
            if self.closed:
                raise RuntimeError("the offloader is closed")
            worker = None
            while self._idle and worker is None:
                worker = self._idle.pop()
                if not worker.process.is_alive():  # died while idle (the OOM killer, kill)
                    worker.kill()  # reaps it and closes our end
                    worker = None
        if worker is None:
            worker = _Worker(self._context, self.nice, self.preload)
        with self._lock:
            self._busy.add(worker)
        if not worker.ready:
            try:
                worker.wait_ready(STARTUP_SECONDS)
            except (EOFError, OSError):
                code = worker.exitcode()
                self._discard(worker)
                raise WorkerDied(code) from None
            except BaseException:
                self._discard(worker)
                raise
            if worker.base is None and self.memory:
                log.warning("no memory cap for offloaded jobs: /proc/self/status unreadable")
        return worker

    def _checkin(self, worker: _Worker) -> None:
        with self._lock:
            self._busy.discard(worker)
            if self.closed:
                stop = True
            else:
                self._idle.append(worker)
                stop = False
        if stop:
            worker.stop()

    def _discard(self, worker: _Worker) -> None:
        with self._lock:
            self._busy.discard(worker)
        worker.kill()

    def close(self) -> None:
        """Stop every child: idle ones are asked to leave, busy ones are killed (their
        callers get WorkerDied)."""
        with self._lock:
            if self.closed:
                return
            self.closed = True
            idle, self._idle = self._idle, []
            busy = list(self._busy)
        for worker in busy:
            if worker.process.is_alive():
                worker.process.kill()
        for worker in idle:
            worker.stop()


_shared: Offloader | None = None
_shared_lock = threading.Lock()


def shared() -> Offloader:
    """The process's offloader: made on first use, its children stopped at exit."""
    global _shared
    with _shared_lock:
        if _shared is None or _shared.closed:
            _shared = Offloader()
            atexit.register(_shared.close)
        return _shared
