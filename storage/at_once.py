"""Several statements in one round trip to a connection's worker thread.

An aiosqlite connection runs each statement, each fetch, each cursor close, BEGIN and
ROLLBACK as a hop to its thread and back (storage/roundtrips.py counts them): a read of a
page with its owners, units and parents made some thirty. `run_at_once` makes it one: the
reading function (an ordinary `async def fn(tx)` using the repositories of storage/db.py's
`Tx`) is run inside the connection's thread, on a stand-in for the aiosqlite connection
whose every call completes at once on the sqlite3 connection underneath — so the coroutine
never suspends and finishes in a single step.

Only the repositories may be awaited inside such a function: awaiting anything else
(a service, a sleep, a Telegram call) is refused with an error, never half run.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterable
from typing import Any, TypeVar

import aiosqlite

T = TypeVar("T")


class _Cursor:
    """aiosqlite's Cursor, done at once."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size) if size is not None else self._cursor.fetchmany()

    async def close(self) -> None:
        self._cursor.close()

    async def __aiter__(self) -> AsyncIterator[Any]:
        for row in self._cursor:
            yield row

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def description(self) -> Any:
        return self._cursor.description


class _Done:
    """What aiosqlite's `execute` returns (awaited, or entered with `async with`), done."""

    def __init__(self, cursor: _Cursor) -> None:
        self._cursor = cursor

    def __await__(self) -> Generator[Any, None, _Cursor]:
        return self._cursor
        yield  # a generator that never yields: the await completes at once

    async def __aenter__(self) -> _Cursor:
        return self._cursor

    async def __aexit__(self, *exc: object) -> None:
        await self._cursor.close()


class AtOnce:
    """Stands in for an aiosqlite connection inside its own worker thread."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, parameters: Iterable[Any] = ()) -> _Done:
        return _Done(_Cursor(self._conn.execute(sql, parameters)))

    def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> _Done:
        return _Done(_Cursor(self._conn.executemany(sql, parameters)))

    async def execute_fetchall(self, sql: str, parameters: Iterable[Any] = ()) -> list[Any]:
        return self._conn.execute(sql, parameters).fetchall()

    @property
    def in_transaction(self) -> bool:
        return self._conn.in_transaction


def finish_at_once(coro: Awaitable[T]) -> T:
    """Run a coroutine that never suspends to its end, in one step."""
    step = coro.__await__()
    try:
        step.send(None)
    except StopIteration as done:
        return done.value
    step.close()
    raise RuntimeError("a read done at once awaited something other than the database")


async def run_at_once(conn: aiosqlite.Connection, fn: Callable[[AtOnce], Awaitable[T]],
                      before: tuple[str, ...] = (), after: tuple[str, ...] = (),
                      undo: tuple[str, ...] = ()) -> T:
    """`fn` on the connection's own thread, in one round trip: the statements `before`
    (BEGIN, say) first; then, if it succeeded, those `after` (COMMIT); if it or they
    failed, those of `undo` (ROLLBACK), each as far as it applies, and the error goes on."""

    def in_thread() -> T:
        raw = conn._conn  # inside the worker thread: the sqlite3 connection is ours here
        for sql in before:
            raw.execute(sql)
        try:
            result = finish_at_once(fn(AtOnce(raw)))
            for sql in after:
                raw.execute(sql)
            return result
        except BaseException:
            for sql in undo:
                with contextlib.suppress(sqlite3.OperationalError):  # nothing left to undo
                    raw.execute(sql)
            raise

    # aiosqlite's one way onto its thread (the method every call of it goes through)
    return await conn._execute(in_thread)
