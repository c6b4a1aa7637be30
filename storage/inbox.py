"""The durable inbox: updates as received, in a SQLite file of their own beside the
database (`dutybot.db-inbox`).

Its own file, so that storing what Telegram sent never waits for a long write in the main
database (a 20 000-row import holds it for about a second): the poller stores and confirms
at once, and a command that changes nothing is answered meanwhile. Whether an update was
handled is the main database's to say (`processed_updates`, written in the same
transaction as its change); the `done` flag here only keeps the next look short."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import aiosqlite

from storage.codec import from_json, to_json, to_text
from storage.connect import closed_on_failure

_SCHEMA = """
CREATE TABLE IF NOT EXISTS inbox (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    update_id    INTEGER NOT NULL UNIQUE,
    lane         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    done         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS inbox_waiting ON inbox(seq) WHERE done = 0;
"""


@dataclass(frozen=True, slots=True)
class Inbound:
    """One update as received: its id, the lane that keeps its chat in order, the raw JSON,
    and where it stands in the order of arrival (`seq`: Telegram's ids are not always
    increasing — after a week without updates the next one is random)."""

    update_id: int
    lane: str
    payload: dict[str, Any]
    attempts: int = 0
    seq: int = 0


def inbox_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + "-inbox")


class InboxStore:
    """One connection of its own; every statement under its own lock."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path | str) -> InboxStore:
        conn = await aiosqlite.connect(str(path), isolation_level=None)
        async with closed_on_failure(conn):
            await conn.execute("PRAGMA busy_timeout = 5000")
            await conn.execute("PRAGMA journal_mode = WAL")
            # stored means stored: Telegram forgets what the next poll confirms
            await conn.execute("PRAGMA synchronous = FULL")
            await conn.executescript(_SCHEMA)
        return cls(conn)

    async def close(self) -> None:
        await self._conn.close()

    async def add_many(self, updates: Iterable[Inbound], now: datetime) -> None:
        """Store what arrived, in one transaction; an update stored before (a replayed
        batch) is left as it is."""
        rows = [(u.update_id, u.lane, to_json(u.payload, keep_order=True), to_text(now))
                for u in updates]
        async with self._lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                await self._conn.executemany(
                    "INSERT OR IGNORE INTO inbox (update_id, lane, payload, received_at) "
                    "VALUES (?, ?, ?, ?)", rows)
            except BaseException:
                await self._conn.execute("ROLLBACK")
                raise
            await self._conn.execute("COMMIT")

    async def waiting(self, after_seq: int, limit: int) -> list[Inbound]:
        """Not done yet, in the order they arrived, after `after_seq`."""
        async with self._lock, self._conn.execute(
            "SELECT update_id, lane, payload, attempts, seq FROM inbox "
            "WHERE done = 0 AND seq > ? ORDER BY seq LIMIT ?",
            (after_seq, limit),
        ) as cur:
            rows = await cur.fetchall()
        return [Inbound(r[0], r[1], from_json(r[2]), r[3], r[4]) for r in rows]

    # -- several processes on PostgreSQL (storage/workers.py): rows claimed for a while --

    async def claim(self, worker: str, limit: int, lease_seconds: float) -> list[Inbound]:
        """(PostgreSQL) Claim up to `limit` updates for `worker`, in the order they arrived:
        of each lane (chat) only its earliest update not done, and only when no process
        holds it (never claimed, or its claim ran out: a process killed while handling
        it). So one chat's updates are handled one after another, whoever handles them."""
        async with self._lock, self._conn.execute(
            "UPDATE inbox SET claimed_by = ?, "
            "claimed_until = clock_timestamp() + make_interval(secs => ?) "
            "WHERE seq IN (SELECT i.seq FROM inbox i WHERE i.done = 0 "
            "AND (i.claimed_until IS NULL OR i.claimed_until < clock_timestamp()) "
            "AND NOT EXISTS (SELECT 1 FROM inbox e WHERE e.lane = i.lane AND e.done = 0 "
            "AND e.seq < i.seq) ORDER BY i.seq LIMIT ? FOR UPDATE SKIP LOCKED) "
            "RETURNING update_id, lane, payload, attempts, seq",
            (worker, float(lease_seconds), limit),
        ) as cur:
            rows = await cur.fetchall()
        return sorted((Inbound(r[0], r[1], from_json(r[2]), r[3], r[4]) for r in rows),
                      key=lambda row: row.seq)

    async def renew(self, worker: str, lease_seconds: float) -> None:
        """(PostgreSQL) The claims `worker` still holds run for another lease."""
        async with self._lock:
            await self._conn.execute(
                "UPDATE inbox SET claimed_until = clock_timestamp() + make_interval(secs => ?) "
                "WHERE claimed_by = ? AND done = 0", (float(lease_seconds), worker))

    async def release(self, worker: str) -> None:
        """(PostgreSQL) A clean stop: what `worker` claimed and did not handle is free."""
        async with self._lock:
            await self._conn.execute(
                "UPDATE inbox SET claimed_by = NULL, claimed_until = NULL "
                "WHERE claimed_by = ? AND done = 0", (worker,))

    async def last_received(self) -> int | None:
        """The id of the update stored last: the next poll asks for those after it."""
        async with self._lock, self._conn.execute(
            "SELECT update_id FROM inbox ORDER BY seq DESC LIMIT 1"
        ) as cur:
            row = await cur.fetchone()
        return row[0] if row else None

    async def mark_done(self, update_ids: Iterable[int]) -> None:
        async with self._lock:
            await self._conn.executemany("UPDATE inbox SET done = 1 WHERE update_id = ?",
                                         [(i,) for i in update_ids])

    async def count_attempt(self, update_id: int) -> None:
        async with self._lock:
            await self._conn.execute(
                "UPDATE inbox SET attempts = attempts + 1 WHERE update_id = ?", (update_id,))

    async def prune(self, before: datetime, handled: Iterable[int]) -> int:
        """Forget handled updates older than Telegram would ever hand out again (`handled`:
        those of them the database says were handled; what was not stays, however old). The
        last row stays, so the next poll's offset is never lost."""
        async with self._lock:
            await self._conn.executemany("UPDATE inbox SET done = 1 WHERE update_id = ?",
                                         [(i,) for i in handled])
            cur = await self._conn.execute(
                "DELETE FROM inbox WHERE done = 1 AND received_at < ? "
                "AND seq < (SELECT MAX(seq) FROM inbox)", (to_text(before),))
            return cur.rowcount

    async def old_waiting(self, before: datetime) -> list[int]:
        """Ids of rows received before then and not flagged done (to ask the database)."""
        async with self._lock, self._conn.execute(
            "SELECT update_id FROM inbox WHERE done = 0 AND received_at < ?", (to_text(before),)
        ) as cur:
            return [r[0] for r in await cur.fetchall()]
