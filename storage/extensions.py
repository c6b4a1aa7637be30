"""延期 requests: one waits per item at most, until its approver decides."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime

import aiosqlite

from bot.domain.model import ItemStatus
from storage.codec import to_date, to_datetime, to_text

_COLUMNS = ("id, item_id, requester_id, old_due, new_due, reason, prev_status, state, "
            "decided_by, decided_at, created_at")


@dataclass(frozen=True, slots=True)
class ExtensionRequest:
    id: int
    item_id: int
    requester_id: int
    old_due: date
    new_due: date
    reason: str
    prev_status: ItemStatus
    state: str  # pending / approved / rejected / withdrawn
    decided_by: int | None
    decided_at: datetime | None
    created_at: datetime

    @property
    def pending(self) -> bool:
        return self.state == "pending"


class ExtensionRepo:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def add(self, *, item_id: int, requester_id: int, old_due: date, new_due: date,
                  reason: str, prev_status: ItemStatus, now: datetime) -> ExtensionRequest:
        cur = await self._conn.execute(
            "INSERT INTO extension_requests (item_id, requester_id, old_due, new_due, reason, "
            "prev_status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (item_id, requester_id, to_text(old_due), to_text(new_due), reason,
             prev_status.value, to_text(now)),
        )
        return await self.get(cur.lastrowid)

    async def get(self, request_id: int) -> ExtensionRequest | None:
        async with self._conn.execute(
            f"SELECT {_COLUMNS} FROM extension_requests WHERE id = ?", (request_id,)
        ) as cur:
            row = await cur.fetchone()
        return _request(row) if row else None

    async def pending_for(self, item_id: int) -> ExtensionRequest | None:
        async with self._conn.execute(
            f"SELECT {_COLUMNS} FROM extension_requests WHERE item_id = ? AND state = 'pending'",
            (item_id,),
        ) as cur:
            row = await cur.fetchone()
        return _request(row) if row else None

    async def pending(self) -> list[ExtensionRequest]:
        """Every request waiting for a decision, oldest first."""
        async with self._conn.execute(
            f"SELECT {_COLUMNS} FROM extension_requests WHERE state = 'pending' "
            "ORDER BY created_at, id"
        ) as cur:
            rows = await cur.fetchall()
        return [_request(row) for row in rows]

    async def decide(self, request_id: int, state: str, person_id: int | None,
                     now: datetime) -> bool:
        """Close a pending request; False if someone else decided it first."""
        cur = await self._conn.execute(
            "UPDATE extension_requests SET state = ?, decided_by = ?, decided_at = ? "
            "WHERE id = ? AND state = 'pending'",
            (state, person_id, to_text(now), request_id),
        )
        return cur.rowcount == 1


def _request(row: sqlite3.Row) -> ExtensionRequest:
    return ExtensionRequest(
        id=row["id"], item_id=row["item_id"], requester_id=row["requester_id"],
        old_due=to_date(row["old_due"]), new_due=to_date(row["new_due"]), reason=row["reason"],
        prev_status=ItemStatus(row["prev_status"]), state=row["state"],
        decided_by=row["decided_by"], decided_at=to_datetime(row["decided_at"]),
        created_at=to_datetime(row["created_at"]),
    )
