"""The reminder plan: daily runs, planned stages, acknowledgements."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

import aiosqlite

from bot.domain.model import ACTIVE_STATUSES
from bot.domain.planner import PlanItem
from storage.codec import to_date, to_text

_ACTIVE = tuple(sorted(s.value for s in ACTIVE_STATUSES))
_ACTIVE_MARKS = ",".join("?" * len(_ACTIVE))


@dataclass(frozen=True, slots=True)
class PlannedReminder:
    id: int
    recipient: str
    item_id: int
    stage: str
    due_date: date


@dataclass(frozen=True, slots=True)
class UnsentReminder:
    id: int | None  # None: planned now, not yet written
    recipient: str
    item_id: int
    stage: str
    owner_id: int  # the item's
    item_due: date  # the item's due date now


class ReminderRepo:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def claim_day(self, day: date, now: datetime) -> bool:
        """Mark today's plan as run; False if it ran already (after a restart, say)."""
        cur = await self._conn.execute(
            "INSERT OR IGNORE INTO plan_runs (day, ran_at, pushes) VALUES (?, ?, 0)",
            (to_text(day), to_text(now)),
        )
        return cur.rowcount == 1

    async def record_run(self, day: date, pushes: int) -> None:
        await self._conn.execute(
            "UPDATE plan_runs SET pushes = ? WHERE day = ?", (pushes, to_text(day))
        )

    async def candidates(self, until: date, finished: tuple[str, ...] = ()
                         ) -> tuple[list[PlanItem], dict[int, set[str]]]:
        """Active items due by `until`, and the stages each already had for that due date
        (one row per item: the stages come joined by commas, looked up in the index).

        An item marked (`mark_ended`) as having had every stage in `finished` (each lane's
        last) for its current due date is left out: its plan is over, and on an old
        database most overdue items are such. The mark is tested in the index."""
        ended = ""
        args: tuple[str, ...] = (*_ACTIVE, to_text(until))
        if finished:
            ended = " AND i.plan_ended IS NOT (i.due_date || ?)"
            args += (_ended_suffix(finished),)
        async with self._conn.execute(
            "SELECT i.id, i.owner_id, i.unit_id, i.due_date, "
            "(SELECT GROUP_CONCAT(DISTINCT r.stage) FROM reminders r "
            " WHERE r.item_id = i.id AND r.due_date = i.due_date) "
            f"FROM items i WHERE i.status IN ({_ACTIVE_MARKS}) AND i.due_date <= ?{ended}",
            args,
        ) as cur:
            rows = await cur.fetchall()
        days: dict[str, date] = {}  # a few hundred distinct due dates among many items
        items = [PlanItem(r[0], r[1], r[2], days.get(r[3]) or days.setdefault(r[3], to_date(r[3])))
                 for r in rows]
        planned = {r[0]: set(r[4].split(",")) for r in rows if r[4]}
        return items, planned

    async def mark_ended(self, items: Iterable[tuple[int, date]],
                         finished: tuple[str, ...]) -> None:
        """(item id, due date) of items that now had every stage in `finished` for that
        due date: `candidates` leaves them out until the due date or the last stages
        change."""
        suffix = _ended_suffix(finished)
        await self._conn.executemany(
            "UPDATE items SET plan_ended = ? WHERE id = ?",
            [(to_text(due) + suffix, item_id) for item_id, due in items],
        )

    async def add_many(self, rows: Iterable[tuple[str, int, str, date, int | None]],
                       day: date) -> int:
        """(recipient, item id, stage, due date, outbox id or None) rows; one already
        planned is skipped. Written in the order of the unique key, which touches fewer
        pages of its index than the order of the plan."""
        planned_for = to_text(day)
        dues: dict[date, str] = {}  # a few hundred distinct due dates among many rows
        cur = await self._conn.executemany(
            "INSERT OR IGNORE INTO reminders (recipient, item_id, stage, due_date, planned_for, "
            "outbox_id) VALUES (?, ?, ?, ?, ?, ?)",
            sorted((r, i, s, dues.get(d) or dues.setdefault(d, to_text(d)), planned_for, o)
                   for r, i, s, d, o in rows),
        )
        return cur.rowcount

    async def unsent(self) -> list[UnsentReminder]:
        """Planned reminders of active items not yet in any message, with the item's owner
        and current due date, by recipient, due date and item."""
        async with self._conn.execute(
            "SELECT r.id, r.recipient, r.item_id, r.stage, i.owner_id, i.due_date "
            "FROM reminders r JOIN items i ON i.id = r.item_id "
            f"WHERE r.outbox_id IS NULL AND i.status IN ({_ACTIVE_MARKS}) "
            "ORDER BY r.recipient, i.due_date, r.item_id, r.id",
            _ACTIVE,
        ) as cur:
            rows = await cur.fetchall()
        days: dict[str, date] = {}
        return [UnsentReminder(r[0], r[1], r[2], r[3], r[4],
                               days.get(r[5]) or days.setdefault(r[5], to_date(r[5])))
                for r in rows]

    async def attach(self, pairs: Iterable[tuple[int, int]]) -> None:
        """(reminder id, outbox id) pairs: each reminder is in that message."""
        await self._conn.executemany(
            "UPDATE reminders SET outbox_id = ? WHERE id = ?",
            [(outbox_id, rid) for rid, outbox_id in pairs],
        )

    async def detach_from(self, outbox_ids: Iterable[int]) -> None:
        await self._conn.executemany(
            "UPDATE reminders SET outbox_id = NULL WHERE outbox_id = ?",
            [(oid,) for oid in outbox_ids],
        )

    async def in_message(self, outbox_id: int) -> list[PlannedReminder]:
        async with self._conn.execute(
            "SELECT id, recipient, item_id, stage, due_date FROM reminders "
            "WHERE outbox_id = ? ORDER BY id",
            (outbox_id,),
        ) as cur:
            rows = await cur.fetchall()
        return [PlannedReminder(r[0], r[1], r[2], r[3], to_date(r[4])) for r in rows]

    async def acknowledge(self, recipient: str, item_id: int, now: datetime) -> int | None:
        """Mark the recipient's reminders for an item acknowledged: how many were open,
        or None when the recipient never had a reminder for it."""
        async with self._conn.execute(
            "SELECT COUNT(*), SUM(acknowledged_at IS NULL) FROM reminders "
            "WHERE recipient = ? AND item_id = ? AND outbox_id IS NOT NULL",
            (recipient, item_id),
        ) as cur:
            total, open_ = await cur.fetchone()
        if not total:
            return None
        # answers to reminders already delivered count in their month's response rate
        await self._conn.execute(
            "INSERT INTO response_tallies (person_id, month, answered) "
            "SELECT CAST(substr(recipient, 3) AS INTEGER), substr(sent_on, 1, 7) AS month, "
            "COUNT(*) FROM reminders WHERE recipient = ? AND recipient LIKE 'p:%' "
            "AND item_id = ? AND sent_on IS NOT NULL AND acknowledged_at IS NULL "
            "AND push_only = 0 "
            "GROUP BY recipient, month "
            "ON CONFLICT (person_id, month) DO UPDATE SET "
            "answered = response_tallies.answered + excluded.answered",
            (recipient, item_id),
        )
        await self._conn.execute(
            "UPDATE reminders SET acknowledged_at = ? WHERE recipient = ? AND item_id = ? "
            "AND acknowledged_at IS NULL AND outbox_id IS NOT NULL",
            (to_text(now), recipient, item_id),
        )
        return open_ or 0

    async def mark_sent(self, outbox_id: int, day: date, push_only: bool = False) -> None:
        """The message holding these reminders was delivered: they were sent today, and
        count in their recipients' response rate (once, even if delivered twice) unless
        they went to a push-only robot group, where nobody can answer them."""
        if push_only:
            await self._conn.execute(
                "UPDATE reminders SET sent_on = ?, push_only = 1 WHERE outbox_id = ? "
                "AND sent_on IS NULL", (to_text(day), outbox_id))
            return
        await self._conn.execute(
            "INSERT INTO response_tallies (person_id, month, reminded, answered) "
            "SELECT CAST(substr(recipient, 3) AS INTEGER), ?, COUNT(*), "
            "SUM(acknowledged_at IS NOT NULL) FROM reminders "
            "WHERE outbox_id = ? AND sent_on IS NULL AND recipient LIKE 'p:%' "
            "GROUP BY recipient ON CONFLICT (person_id, month) DO UPDATE SET "
            "reminded = response_tallies.reminded + excluded.reminded, "
            "answered = response_tallies.answered + excluded.answered",
            (to_text(day)[:7], outbox_id),
        )
        await self._conn.execute(
            "UPDATE reminders SET sent_on = ? WHERE outbox_id = ? AND sent_on IS NULL",
            (to_text(day), outbox_id),
        )


def _ended_suffix(finished: tuple[str, ...]) -> str:
    """What follows the due date in `items.plan_ended`: " T+7,T+3,T+1"."""
    return " " + ",".join(finished)
