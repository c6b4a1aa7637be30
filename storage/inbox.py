"""The durable inbox: updates as received, waiting to be handled or done."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from storage.codec import from_json, to_json, to_text


@dataclass(frozen=True, slots=True)
class Inbound:
    """One update as received: its id, the lane that keeps its chat in order, the raw JSON."""

    update_id: int
    lane: str
    payload: dict[str, Any]
    attempts: int = 0


class InboxRepo:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def add_many(self, updates: Iterable[Inbound], now: datetime) -> None:
        """Store what arrived; an update stored before (a replayed batch) is left as it is."""
        await self._conn.executemany(
            "INSERT OR IGNORE INTO inbox (update_id, lane, payload, received_at) "
            "VALUES (?, ?, ?, ?)",
            [(u.update_id, u.lane, to_json(u.payload, keep_order=True), to_text(now))
             for u in updates],
        )

    async def waiting(self, after_id: int, limit: int) -> list[Inbound]:
        async with self._conn.execute(
            "SELECT update_id, lane, payload, attempts FROM inbox "
            "WHERE done_at IS NULL AND update_id > ? ORDER BY update_id LIMIT ?",
            (after_id, limit),
        ) as cur:
            rows = await cur.fetchall()
        return [Inbound(r[0], r[1], from_json(r[2]), r[3]) for r in rows]

    async def waiting_count(self) -> int:
        async with self._conn.execute(
            "SELECT COUNT(*) FROM inbox WHERE done_at IS NULL"
        ) as cur:
            (n,) = await cur.fetchone()
        return n

    async def highest(self) -> int | None:
        async with self._conn.execute("SELECT MAX(update_id) FROM inbox") as cur:
            (n,) = await cur.fetchone()
        return n

    async def done(self, update_id: int, now: datetime) -> bool:
        """Mark it handled; False if it already was (a second handling must not count)."""
        cur = await self._conn.execute(
            "UPDATE inbox SET done_at = ? WHERE update_id = ? AND done_at IS NULL",
            (to_text(now), update_id),
        )
        return cur.rowcount == 1

    async def is_done(self, update_id: int) -> bool:
        async with self._conn.execute(
            "SELECT 1 FROM inbox WHERE update_id = ? AND done_at IS NOT NULL", (update_id,)
        ) as cur:
            return await cur.fetchone() is not None

    async def count_attempt(self, update_ids: Iterable[int]) -> None:
        """These were begun and not finished (an error, or a kill while in hand)."""
        await self._conn.executemany(
            "UPDATE inbox SET attempts = attempts + 1 WHERE update_id = ? AND done_at IS NULL",
            [(i,) for i in update_ids],
        )

    async def prune(self, before: datetime) -> int:
        """Forget handled updates older than Telegram would ever hand out again; the
        newest row stays, so the next poll's offset is never lost."""
        cur = await self._conn.execute(
            "DELETE FROM inbox WHERE done_at IS NOT NULL AND done_at < ? "
            "AND update_id < (SELECT MAX(update_id) FROM inbox)",
            (to_text(before),),
        )
        return cur.rowcount
