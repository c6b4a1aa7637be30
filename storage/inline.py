"""A short read on the event loop's own thread, without a hop to a connection's thread.

Most reads a person waits on — who is asking, a page of their list, their 待办 — take a
fraction of a millisecond in SQLite, less than the two thread switches that a reader
connection's worker thread costs (the hop to it and the wake-up of the event loop after:
bench/handlers.py). `InlineReader` runs such a read (`storage/at_once.py`'s kind: a
function that awaits nothing but the repositories) on a plain sqlite3 connection of the
event loop's thread, read-only.

It must never hold the event loop up for long: a read that runs past `BUDGET` is
interrupted by SQLite's progress handler, and one that finds the file locked (no busy
wait here) gives up at once; both wrote nothing, and the caller does them again on a
reader thread, where waiting costs nobody else. So does a caller on another thread.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from storage import roundtrips
from storage.at_once import AtOnce, finish_at_once

T = TypeVar("T")

BUDGET = 0.005  # seconds a read may keep the event loop before it moves to a thread
_CHECK_EVERY = 1000  # SQLite virtual-machine steps between two looks at the clock
# what sends a read to a thread instead of failing it: SQLite interrupted it (its budget),
# or found the file busy or locked (a writer checkpointing, a restore, a backup)
_ELSEWHERE = {sqlite3.SQLITE_INTERRUPT, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}


class Elsewhere(Exception):
    """The read is better done on a reader thread (too long, the file locked, another
    thread asking)."""


class InlineReader:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._thread = 0  # whose connection it is: sqlite3's are bound to their thread
        self._deadline = 0.0

    def read(self, body: Callable[[AtOnce], Awaitable[T]]) -> T:
        """`body` on the connection, inside BEGIN … ROLLBACK; raises Elsewhere if it should
        be done on a thread instead (it has then changed nothing)."""
        conn = self._connection()
        self._deadline = time.perf_counter() + BUDGET
        conn.execute("BEGIN")
        try:
            result = finish_at_once(body(AtOnce(conn)))
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode & 0xFF in _ELSEWHERE:
                raise Elsewhere() from error
            raise
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        roundtrips.inline_read()
        return result

    def close(self) -> None:
        if self._conn is not None and self._thread == threading.get_ident():
            self._conn.close()
        self._conn = None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=0)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA query_only = ON")
            conn.set_progress_handler(self._over_budget, _CHECK_EVERY)
            self._conn, self._thread = conn, threading.get_ident()
        elif self._thread != threading.get_ident():
            raise Elsewhere()
        return self._conn

    def _over_budget(self) -> bool:
        return time.perf_counter() > self._deadline  # true: SQLite interrupts the statement
