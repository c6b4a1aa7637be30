"""Recorded trigger events and the obligation occurrences already on the lists."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from bot.domain.obligations import Trigger
from storage.codec import to_date, to_text


class ObligationRepo:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def add_trigger(self, trigger: Trigger, now: datetime) -> bool:
        """Record an event; False if that event on that day was recorded before."""
        cur = await self._conn.execute(
            "INSERT OR IGNORE INTO triggers (event, on_date, recorded_at) VALUES (?, ?, ?)",
            (trigger.event, to_text(trigger.on), to_text(now)),
        )
        return cur.rowcount == 1

    async def triggers(self) -> list[Trigger]:
        async with self._conn.execute(
            "SELECT event, on_date FROM triggers ORDER BY on_date, id"
        ) as cur:
            return [Trigger(r[0], to_date(r[1])) for r in await cur.fetchall()]

    async def existing(self, rule_keys: list[str]) -> set[tuple[str, str, int, int]]:
        """(rule, period, owner, counterpart or 0) of every occurrence already made."""
        if not rule_keys:
            return set()
        marks = ",".join("?" * len(rule_keys))
        async with self._conn.execute(
            "SELECT rule_key, period, owner_id, COALESCE(counterpart_id, 0) FROM items "
            f"WHERE rule_key IN ({marks})",
            rule_keys,
        ) as cur:
            return {tuple(r) for r in await cur.fetchall()}

    async def fingerprint(self) -> tuple[int, ...]:
        """Changes whenever people, roles, 分管 or triggers change: a cheap test of whether
        the occurrences need another look."""
        async with self._conn.execute(
            "SELECT (SELECT COUNT(*) FROM persons), (SELECT COALESCE(MAX(id), 0) FROM persons), "
            "(SELECT COUNT(*) FROM person_roles), (SELECT COUNT(*) FROM person_oversight), "
            "(SELECT COUNT(*) FROM triggers)"
        ) as cur:
            return tuple(await cur.fetchone())


class PolicyRepo:
    """What an admin set with /提醒设置; each key holds JSON text."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def all(self) -> dict[str, str]:
        async with self._conn.execute("SELECT key, value FROM policy_overrides") as cur:
            return {r[0]: r[1] for r in await cur.fetchall()}

    async def put(self, key: str, value: str, now: datetime) -> None:
        await self._conn.execute(
            "INSERT INTO policy_overrides (key, value, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, "
            "updated_at = excluded.updated_at",
            (key, value, to_text(now)),
        )

    async def clear(self) -> int:
        cur = await self._conn.execute("DELETE FROM policy_overrides")
        return cur.rowcount


