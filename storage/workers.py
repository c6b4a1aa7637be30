"""Several `dutybot run` processes on one PostgreSQL (issue 23 §3): what they share beside
the data, each on a connection of its own.

- `Leadership`: exactly one process leads (plans reminders, polls getUpdates or sets the
  webhook, takes the daily backup): the one holding a session-level advisory lock. The
  server drops it with the connection, so a killed leader's lock is free at once and the
  next `check()` of another process (about every second) takes it over. The same
  connection holds the run lock *shared*: every `run` holds it, so `copy-db` into that
  database (which wants it exclusive) is refused while any bot runs there.
- `SendWindows`: Telegram's flood limits as send times in a table, so the per-bot, per-chat
  and per-group windows hold across processes: admission reads the windows and notes the
  send in one transaction, under an advisory lock of its own (processes admit one at a
  time; each admission is a few milliseconds).
- `exclusive_run_lock`: what `copy-db` holds while it writes into a PostgreSQL database.

Times here are the server's (`clock_timestamp()`): one clock for every process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # psycopg loads only where PostgreSQL is used: a SQLite run never pays it
    import psycopg

log = logging.getLogger("dutybot.workers")

LEADER_LOCK = 0x6C656164  # pg_try_advisory_lock: the leader ("lead")
RUN_LOCK = 0x72756E73  # shared by every `run`, exclusive for copy-db ("runs")
SEND_LOCK = 0x73656E64  # pg_advisory_xact_lock around one admission ("send")
PRUNE_EVERY = 500  # admissions between clearing send times older than every window
OLDEST_WINDOW = 61.0  # seconds: the longest window (a group's minute) and a little

_SEND_SCHEMA = """
CREATE TABLE IF NOT EXISTS send_times (
    scope  TEXT NOT NULL,
    at     DOUBLE PRECISION NOT NULL
);
CREATE INDEX IF NOT EXISTS send_times_scope ON send_times(scope, at);
"""


def worker_name() -> str:
    """This process, as its claims name it."""
    return f"{socket.gethostname()}:{os.getpid()}"


class BotRunning(Exception):
    """A `dutybot run` holds the database (copy-db into it is refused)."""


class Leadership:
    """The leader lock and the shared run lock, on one connection of their own."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.leading = False
        self._conn: psycopg.AsyncConnection | None = None

    async def open(self) -> None:
        """Connect and hold the run lock shared (raises DatabaseUnreachable)."""
        from storage.postgres import connect

        conn = await connect(self.url)
        await conn.execute(f"SELECT pg_advisory_lock_shared({RUN_LOCK})")
        self._conn = conn

    async def check(self) -> bool:
        """Whether this process leads now: still holding the lock (its connection alive),
        or just took it. A lost connection is leadership lost at once; the next check
        connects again."""
        try:
            if self._conn is None or self._conn.closed or self._conn.broken:
                self.leading = False
                await self._drop()
                await self.open()
            assert self._conn is not None
            if self.leading:
                await self._conn.execute("SELECT 1")
            else:
                cur = await self._conn.execute(f"SELECT pg_try_advisory_lock({LEADER_LOCK})")
                row = await cur.fetchone()
                self.leading = bool(row and row[0])
        except Exception as exc:
            if self.leading:
                log.warning("lost the leader's connection (%s): no longer leading", exc)
            self.leading = False
            await self._drop()
        return self.leading

    async def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.close()
            self._conn = None

    async def close(self) -> None:
        """Leave: the locks go with the connection."""
        self.leading = False
        await self._drop()


@asynccontextmanager
async def exclusive_run_lock(url: str) -> AsyncIterator[None]:
    """No `run` on this database while the block runs (else BotRunning at once)."""
    from storage.postgres import connect

    conn = await connect(url)
    try:
        cur = await conn.execute(f"SELECT pg_try_advisory_lock({RUN_LOCK})")
        row = await cur.fetchone()
        if not (row and row[0]):
            raise BotRunning(url)
        yield
    finally:
        with contextlib.suppress(Exception):
            await conn.close()


class SendWindows:
    """Sliding windows of send times in the database, shared by every process."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._conn: psycopg.AsyncConnection | None = None
        self._admitted = 0
        self._lock = asyncio.Lock()  # one admission at a time on the one connection

    async def _connection(self) -> psycopg.AsyncConnection:
        if self._conn is not None and (self._conn.closed or self._conn.broken):
            with contextlib.suppress(Exception):
                await self._conn.close()
            self._conn = None
        if self._conn is None:
            from storage.postgres import connect_with

            self._conn = await connect_with(self.url, _SEND_SCHEMA, "send_times_scope")
        return self._conn

    async def admit(self, windows: Sequence[tuple[str, int, float]]) -> float:
        """`windows`: (scope, limit, period in seconds). 0: the send fits every window now
        and is noted in each; else the seconds to wait before asking again."""
        async with self._lock:
            return await self._admit(windows)

    async def _admit(self, windows: Sequence[tuple[str, int, float]]) -> float:
        conn = await self._connection()
        scopes = [scope for scope, _limit, _period in windows]
        async with conn.transaction():
            await conn.execute(f"SELECT pg_advisory_xact_lock({SEND_LOCK})")
            cur = await conn.execute("SELECT extract(epoch FROM clock_timestamp())::float8")
            (now,) = await cur.fetchone()
            # each window's own span only (the bot's second, not the group's minute)
            where = " OR ".join(["(scope = %s AND at > %s)"] * len(windows))
            cur = await conn.execute(
                f"SELECT scope, at FROM send_times WHERE {where} ORDER BY at",
                [value for scope, _limit, period in windows for value in (scope, now - period)])
            times: dict[str, list[float]] = {}
            for scope, at in await cur.fetchall():
                times.setdefault(scope, []).append(at)
            wait = 0.0
            for scope, limit, period in windows:
                recent = [t for t in times.get(scope, ()) if now - t < period]
                if len(recent) >= limit:
                    wait = max(wait, recent[len(recent) - limit] + period - now)
            if wait > 0:
                return wait
            async with conn.cursor() as insert:
                await insert.executemany("INSERT INTO send_times (scope, at) VALUES (%s, %s)",
                                         [(scope, now) for scope in scopes])
            self._admitted += 1
            if self._admitted % PRUNE_EVERY == 0:
                await conn.execute("DELETE FROM send_times WHERE at < %s",
                                   (now - OLDEST_WINDOW,))
        return 0.0

    async def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.close()
            self._conn = None
