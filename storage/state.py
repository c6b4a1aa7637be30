"""What a running bot keeps beyond one process (migration 0014): one value per key."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from storage.codec import to_text


class StateRepo:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def get(self, key: str) -> str | None:
        async with self._conn.execute("SELECT value FROM bot_state WHERE key = ?",
                                      (key,)) as cur:
            row = await cur.fetchone()
        return row[0] if row else None

    async def put(self, key: str, value: str, now: datetime) -> None:
        await self._conn.execute(
            "INSERT INTO bot_state (key, value, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, "
            "updated_at = excluded.updated_at", (key, value, to_text(now)))

    async def put_first(self, key: str, value: str, now: datetime) -> str:
        """The value kept for `key`: this one if none was, else the one already there."""
        await self._conn.execute(
            "INSERT INTO bot_state (key, value, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO NOTHING", (key, value, to_text(now)))
        kept = await self.get(key)
        assert kept is not None
        return kept
