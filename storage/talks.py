"""Talks recorded as held: 廉政谈话, 提醒谈话, 约谈, 诫勉谈话."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime

import aiosqlite

from storage.codec import to_date, to_text

_COLUMNS = "id, item_id, holder_id, counterpart_id, kind, held_on, note"


@dataclass(frozen=True, slots=True)
class TalkRecord:
    id: int
    item_id: int | None
    holder_id: int
    counterpart_id: int
    kind: str
    held_on: date
    note: str


class TalkRepo:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def add(self, *, item_id: int | None, holder_id: int, counterpart_id: int, kind: str,
                  held_on: date, note: str, now: datetime) -> TalkRecord:
        cur = await self._conn.execute(
            "INSERT INTO talks (item_id, holder_id, counterpart_id, kind, held_on, note, "
            "recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (item_id, holder_id, counterpart_id, kind, to_text(held_on), note, to_text(now)),
        )
        return TalkRecord(cur.lastrowid, item_id, holder_id, counterpart_id, kind, held_on, note)

    async def held(self, since: date, until: date, holder_id: int | None = None
                   ) -> list[TalkRecord]:
        """Talks held in [since, until], maybe by one person, oldest first."""
        sql = f"SELECT {_COLUMNS} FROM talks WHERE held_on BETWEEN ? AND ?"
        params: list[object] = [to_text(since), to_text(until)]
        if holder_id is not None:
            sql += " AND holder_id = ?"
            params.append(holder_id)
        async with self._conn.execute(sql + " ORDER BY held_on, id", params) as cur:
            rows = await cur.fetchall()
        return [_talk(r) for r in rows]


def _talk(row: sqlite3.Row) -> TalkRecord:
    return TalkRecord(row["id"], row["item_id"], row["holder_id"], row["counterpart_id"],
                      row["kind"], to_date(row["held_on"]), row["note"])
