"""The append-only event log: the 履责纪实 record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from bot.domain.model import Actor
from storage.codec import from_json, to_datetime, to_json, to_text


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    at: datetime
    actor_person_id: int | None
    actor_telegram_id: int | None
    kind: str
    subject_type: str
    subject_id: str
    data: dict[str, Any]


class EventRepo:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def record(
        self,
        actor: Actor,
        now: datetime,
        kind: str,
        subject_type: str,
        subject_id: object,
        /,
        **data: Any,
    ) -> None:
        await self._conn.execute(
            "INSERT INTO events (at, actor_person_id, actor_telegram_id, kind, subject_type, "
            "subject_id, data, update_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (to_text(now), actor.person_id, actor.telegram_user_id, kind, subject_type,
             str(subject_id), to_json(data), actor.update_id),
        )

    async def record_many(self, actor: Actor, now: datetime,
                          events: list[tuple[str, str, object, dict[str, Any]]]) -> None:
        """Many events by one actor at one moment: (kind, subject type, subject id, data)."""
        at = to_text(now)
        await self._conn.executemany(
            "INSERT INTO events (at, actor_person_id, actor_telegram_id, kind, subject_type, "
            "subject_id, data, update_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(at, actor.person_id, actor.telegram_user_id, kind, subject_type,
              str(subject_id), to_json(data), actor.update_id)
             for kind, subject_type, subject_id, data in events],
        )

    async def for_subject(self, subject_type: str, subject_id: object) -> list[Event]:
        async with self._conn.execute(
            "SELECT * FROM events WHERE subject_type = ? AND subject_id = ? ORDER BY id",
            (subject_type, str(subject_id)),
        ) as cur:
            rows = await cur.fetchall()
        return [_event(r) for r in rows]

    async def latest(self, subject_type: str, subject_id: object, kind: str,
                     limit: int) -> list[Event]:
        """The last `limit` events of one kind about one subject, newest first."""
        async with self._conn.execute(
            "SELECT * FROM events WHERE subject_type = ? AND subject_id = ? AND kind = ? "
            "ORDER BY id DESC LIMIT ?",
            (subject_type, str(subject_id), kind, limit),
        ) as cur:
            rows = await cur.fetchall()
        return [_event(r) for r in rows]

    async def count_of(self, subject_type: str, subject_id: object, kind: str) -> int:
        async with self._conn.execute(
            "SELECT COUNT(*) FROM events WHERE subject_type = ? AND subject_id = ? AND kind = ?",
            (subject_type, str(subject_id), kind),
        ) as cur:
            (n,) = await cur.fetchone()
        return n

    async def count(self) -> int:
        async with self._conn.execute("SELECT COUNT(*) FROM events") as cur:
            (n,) = await cur.fetchone()
        return n


def _event(r: aiosqlite.Row) -> Event:
    return Event(id=r["id"], at=to_datetime(r["at"]), actor_person_id=r["actor_person_id"],
                 actor_telegram_id=r["actor_telegram_id"], kind=r["kind"],
                 subject_type=r["subject_type"], subject_id=r["subject_id"],
                 data=from_json(r["data"]))
