"""The 纪委 看板 (issue 24 §3): its login links and sessions (migration 0015), and the
figures of the board in one person's scope, each one set-based query.

Tokens are never stored: only their SHA-256 (bot/domain/board.py token_hash). A link is
used up by one UPDATE that succeeds only while it is unused, so two POSTs of the same link
cannot both open a session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import aiosqlite

from bot.domain.model import ACTIVE_STATUSES, Duty
from bot.domain.performance import OnTime
from bot.domain.summary import FINISHED, Census, ItemLine, TalkCount, soon_until
from storage.codec import to_date, to_datetime, to_text
from storage.summary import census_rows, first_lines

_ACTIVE = tuple(sorted(s.value for s in ACTIVE_STATUSES))
_ACTIVE_IN = f"status IN ({','.join('?' * len(_ACTIVE))})"
_FINISHED = tuple(sorted(s.value for s in FINISHED))
_FINISHED_IN = f"status IN ({','.join('?' * len(_FINISHED))})"
_ON_TIME = f"({_FINISHED_IN} AND (finished_at IS NULL OR substr(finished_at, 1, 10) <= due_date))"


@dataclass(frozen=True, slots=True)
class BoardLink:
    id: int
    person_id: int
    via: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None


@dataclass(frozen=True, slots=True)
class BoardSession:
    id: int
    person_id: int
    link_id: int
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class DueDay:
    """Items that fell due on one day (not cancelled), and how many were done on time."""

    day: date
    counted: int
    on_time: int


def _scope(unit_ids: frozenset[int] | None, owner_id: int | None,
           column: str = "") -> tuple[str, list[object]]:
    """`AND (owner = ? OR unit IN (…))`, or nothing for everything (unit_ids None)."""
    if unit_ids is None:
        return "", []
    marks = ",".join("?" * len(unit_ids)) or "NULL"
    return (f" AND ({column}owner_id = ? OR {column}unit_id IN ({marks}))",
            [owner_id, *sorted(unit_ids)])


class BoardRepo:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    # Links and sessions ------------------------------------------------------------------

    async def add_link(self, token_hash: str, person_id: int, via: str, now: datetime,
                       expires_at: datetime) -> int:
        cur = await self._conn.execute(
            "INSERT INTO board_links (token_hash, person_id, via, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (token_hash, person_id, via, to_text(now), to_text(expires_at)))
        return cur.lastrowid

    async def link(self, token_hash: str) -> BoardLink | None:
        async with self._conn.execute(
            "SELECT id, person_id, via, created_at, expires_at, used_at FROM board_links "
            "WHERE token_hash = ?", (token_hash,)) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        return BoardLink(row[0], row[1], row[2], to_datetime(row[3]), to_datetime(row[4]),
                         to_datetime(row[5]))

    async def use_link(self, link_id: int, now: datetime) -> bool:
        """Mark the link used; False if it was used already (by a POST a moment before)."""
        cur = await self._conn.execute(
            "UPDATE board_links SET used_at = ? WHERE id = ? AND used_at IS NULL",
            (to_text(now), link_id))
        return cur.rowcount == 1

    async def add_session(self, token_hash: str, person_id: int, link_id: int, now: datetime,
                          expires_at: datetime) -> int:
        cur = await self._conn.execute(
            "INSERT INTO board_sessions (token_hash, person_id, link_id, created_at, "
            "expires_at) VALUES (?, ?, ?, ?, ?)",
            (token_hash, person_id, link_id, to_text(now), to_text(expires_at)))
        return cur.lastrowid

    async def session(self, token_hash: str) -> BoardSession | None:
        async with self._conn.execute(
            "SELECT id, person_id, link_id, created_at, expires_at FROM board_sessions "
            "WHERE token_hash = ?", (token_hash,)) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        return BoardSession(row[0], row[1], row[2], to_datetime(row[3]), to_datetime(row[4]))

    async def end_session(self, token_hash: str, now: datetime) -> bool:
        """退出: the session ends now (kept, as every row is; it opens nothing more)."""
        cur = await self._conn.execute(
            "UPDATE board_sessions SET expires_at = ? WHERE token_hash = ? AND expires_at > ?",
            (to_text(now), token_hash, to_text(now)))
        return cur.rowcount == 1

    # The figures, in a scope (unit_ids None: everything) ----------------------------------

    async def census(self, today: date, unit_ids: frozenset[int] | None,
                     owner_id: int | None) -> list[Census]:
        """As SummaryRepo.census, in the scope."""
        where, params = _scope(unit_ids, owner_id)
        return await census_rows(self._conn, today, where, params)

    async def on_time(self, start: date, today: date, unit_ids: frozenset[int] | None,
                      owner_id: int | None) -> list[OnTime]:
        """As SummaryRepo.on_time, in the scope."""
        where, params = _scope(unit_ids, owner_id)
        async with self._conn.execute(
            f"SELECT owner_id, unit_id, duty, COUNT(*), SUM({_ON_TIME}) FROM items "
            "WHERE status != 'cancelled' AND due_date >= ? "
            f"AND (due_date < ? OR {_FINISHED_IN}){where} "
            "GROUP BY owner_id, unit_id, duty",
            (*_FINISHED, to_text(start), to_text(today), *_FINISHED, *params),
        ) as cur:
            rows = await cur.fetchall()
        return [OnTime(r[0], r[1], Duty(r[2]), r[3], r[4] or 0) for r in rows]

    async def due_days(self, start: date, today: date, unit_ids: frozenset[int] | None,
                       owner_id: int | None) -> list[DueDay]:
        """Per due day in [start, today): items (not cancelled) and those done on time —
        the trend of the on-time rate is summed from these by week."""
        where, params = _scope(unit_ids, owner_id)
        async with self._conn.execute(
            f"SELECT due_date, COUNT(*), SUM({_ON_TIME}) FROM items "
            f"WHERE status != 'cancelled' AND due_date >= ? AND due_date < ?{where} "
            "GROUP BY due_date ORDER BY due_date",
            (*_FINISHED, to_text(start), to_text(today), *params),
        ) as cur:
            rows = await cur.fetchall()
        return [DueDay(to_date(r[0]), r[1], r[2] or 0) for r in rows]

    async def soon_lines(self, today: date, limit: int, unit_ids: frozenset[int] | None,
                         owner_id: int | None) -> tuple[list[ItemLine], int]:
        """Active items due within a week in the scope, nearest first, and how many."""
        where, params = _scope(unit_ids, owner_id)
        return await self._lines(
            f"{_ACTIVE_IN} AND due_date BETWEEN ? AND ?{where}",
            [*_ACTIVE, to_text(today), to_text(soon_until(today)), *params], limit)

    async def _lines(self, where: str, params: list[object],
                     limit: int) -> tuple[list[ItemLine], int]:
        return await first_lines(self._conn, where, params, limit)

    async def talks(self, start: date, end: date, unit_ids: frozenset[int] | None,
                    owner_id: int | None) -> TalkCount:
        """As SummaryRepo.talks (talk items due in [start, end], required or ad hoc, and
        how many held), in the scope; held talks by kind are those of the scope's items."""
        where, params = _scope(unit_ids, owner_id)
        async with self._conn.execute(
            "SELECT rule_key IS NOT NULL, COUNT(*), SUM(status IN ('done', 'verified')) "
            "FROM items WHERE counterpart_id IS NOT NULL AND status != 'cancelled' "
            f"AND due_date BETWEEN ? AND ?{where} GROUP BY rule_key IS NOT NULL",
            (to_text(start), to_text(end), *params),
        ) as cur:
            items = {bool(r[0]): (r[1], r[2] or 0) for r in await cur.fetchall()}
        required, required_held = items.get(True, (0, 0))
        adhoc, adhoc_held = items.get(False, (0, 0))
        return TalkCount(required=required, required_held=required_held, adhoc=adhoc,
                         adhoc_held=adhoc_held)
