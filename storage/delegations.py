"""The 分解 relation: which item was handed down from which (bot/domain/delegation.py)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

import aiosqlite

from bot.domain.delegation import Link
from storage.codec import to_text

_CHUNK = 900


class DelegationRepo:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def add(self, parent_id: int, child_id: int, created_by: int | None,
                  now: datetime) -> None:
        await self._conn.execute(
            "INSERT INTO delegations (child_id, parent_id, created_by, created_at) "
            "VALUES (?, ?, ?, ?)", (child_id, parent_id, created_by, to_text(now)))

    async def all(self) -> list[Link]:
        async with self._conn.execute(
                "SELECT parent_id, child_id FROM delegations ORDER BY parent_id, child_id"
        ) as cur:
            return [Link(r[0], r[1]) for r in await cur.fetchall()]

    async def parent_map(self) -> dict[int, int]:
        """child id → parent id, the whole relation (for the cycle check)."""
        return {lk.child_id: lk.parent_id for lk in await self.all()}

    async def children_of(self, parent_id: int) -> list[int]:
        async with self._conn.execute(
                "SELECT child_id FROM delegations WHERE parent_id = ? ORDER BY child_id",
                (parent_id,)) as cur:
            return [r[0] for r in await cur.fetchall()]

    async def parent_of(self, child_id: int) -> int | None:
        async with self._conn.execute(
                "SELECT parent_id FROM delegations WHERE child_id = ?", (child_id,)) as cur:
            row = await cur.fetchone()
        return row[0] if row else None

    async def finished_on(self, item_ids: Iterable[int]) -> dict[int, date | None]:
        """The local day each item was finished (items.finished_at), None when not on
        record (imported as done, or not finished)."""
        ids = sorted(set(item_ids))
        found: dict[int, date | None] = {}
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start:start + _CHUNK]
            async with self._conn.execute(
                    f"SELECT id, finished_at FROM items WHERE id IN ({','.join('?' * len(chunk))})",
                    chunk) as cur:
                for row in await cur.fetchall():
                    found[row[0]] = date.fromisoformat(row[1][:10]) if row[1] else None
        return found
