"""One database, one bot process: `dutybot run` holds a lock for as long as it runs.

Two processes on one SQLite file would both plan and both drain the outbox, and send every
reminder twice. The lock is `flock` on a file beside the database (`dutybot.db.lock`), not
on the database itself, so `dutybot backup`, `import`, `export` and `invite` keep working
while the bot runs. The kernel drops the lock when the process ends, however it ends
(kill -9 included): a stale lock file never blocks a restart. The file holds the pid of
the process that has the lock, for the refusal to name it.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class RunLocked(Exception):
    """Another process runs the bot on this database; `pid` is its pid, if it said."""

    def __init__(self, db_path: Path, pid: int | None) -> None:
        super().__init__(f"{db_path} is in use by another dutybot run (pid {pid})")
        self.db_path = db_path
        self.pid = pid


def lock_path(db_path: Path) -> Path:
    """The lock file beside the database, the same whichever path leads to it."""
    real = db_path.resolve()
    return real.with_name(real.name + ".lock")


@contextmanager
def hold_run_lock(db_path: Path) -> Iterator[Path]:
    """Hold the database's run lock until the block ends, or raise RunLocked at once.

    The descriptor is not inherited by programs this process starts (O_CLOEXEC); a child
    made by a plain fork() shares it, and with it the lock, until the child exits."""
    path = lock_path(db_path)
    handle = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunLocked(db_path, _holder(handle)) from None
        os.ftruncate(handle, 0)
        os.pwrite(handle, f"{os.getpid()}\n".encode(), 0)
        try:
            yield path
        finally:
            os.ftruncate(handle, 0)  # the file stays (removing it would race a new holder)
    finally:
        os.close(handle)  # and with the last descriptor, the lock goes


def _holder(handle: int) -> int | None:
    """The pid the holder wrote (None if it has not written it yet)."""
    text = os.pread(handle, 32, 0).decode("ascii", "replace").strip()
    return int(text) if text.isascii() and text.isdigit() else None
