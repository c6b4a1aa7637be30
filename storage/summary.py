"""The questions the 纪委's summary and the 完成与响应 rates ask, each one set-based query.

No query per item: the database groups and counts, and hands back only the heads of the
red and yellow lists (the summary shows a few, then "…另有 N 项").
"""

from __future__ import annotations

from datetime import date, datetime

import aiosqlite

from bot.domain.model import ACTIVE_STATUSES, Duty, ItemStatus, ListKind
from bot.domain.performance import OnTime, Responses
from bot.domain.responsiveness import NonResponder
from bot.domain.summary import (
    FINISHED,
    Census,
    ItemLine,
    TalkCount,
    Timing,
    WeekChanges,
    soon_until,
)
from storage.codec import to_date, to_text

_ACTIVE = tuple(sorted(s.value for s in ACTIVE_STATUSES))
_ACTIVE_IN = f"status IN ({','.join('?' * len(_ACTIVE))})"
_FINISHED = tuple(sorted(s.value for s in FINISHED))
_FINISHED_IN = f"status IN ({','.join('?' * len(_FINISHED))})"
# finished_at is local time with its offset, so its first ten characters are the local day;
# an item imported as finished has none, and counts as finished on time
_ON_TIME = f"({_FINISHED_IN} AND (finished_at IS NULL OR substr(finished_at, 1, 10) <= due_date))"


class SummaryRepo:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def census(self, today: date) -> list[Census]:
        """Items by list, duty, unit, status and timing (red / yellow / green / closed).
        Grouped in the order of the items_census index, the timing summed per group, so
        SQLite reads the index alone and sorts nothing."""
        return await census_rows(self._conn, today)

    async def on_time(self, start: date, today: date) -> list[OnTime]:
        """Per owner, unit and duty: items that fell due from `start` up to yesterday, or
        were finished early (not cancelled), and how many were finished by their due date.
        An item due today and still open is not late yet."""
        async with self._conn.execute(
            f"SELECT owner_id, unit_id, duty, COUNT(*), SUM({_ON_TIME}) FROM items "
            "WHERE status != 'cancelled' AND due_date >= ? "
            f"AND (due_date < ? OR {_FINISHED_IN}) "
            "GROUP BY owner_id, unit_id, duty",
            (*_FINISHED, to_text(start), to_text(today), *_FINISHED),
        ) as cur:
            rows = await cur.fetchall()
        return [OnTime(r[0], r[1], Duty(r[2]), r[3], r[4] or 0) for r in rows]

    async def on_time_by_due_day(self, start: date) -> list[tuple[date, bool, int, int]]:
        """Items due from `start` on (not cancelled), by due date and whether finished:
        (due date, finished, how many, how many on time). What `on_time` counts at any
        later day can be summed from these, so a trend of many days costs one scan."""
        async with self._conn.execute(
            "SELECT due_date, finished, COUNT(*), SUM(timely) FROM ("
            f"SELECT due_date, CASE WHEN {_FINISHED_IN} THEN 1 ELSE 0 END AS finished, "
            f"CASE WHEN {_ON_TIME} THEN 1 ELSE 0 END AS timely FROM items "
            "WHERE status != 'cancelled' AND due_date >= ?) AS due "
            "GROUP BY due_date, finished",
            (*_FINISHED, *_FINISHED, to_text(start)),
        ) as cur:
            rows = await cur.fetchall()
        return [(to_date(r[0]), bool(r[1]), r[2], r[3] or 0) for r in rows]

    async def responses(self, start: date, end: date) -> list[Responses]:
        """Per person: reminders delivered in the months from `start` to `end`, and how
        many were answered (kept as they happen: see ReminderRepo.mark_sent)."""
        async with self._conn.execute(
            "SELECT person_id, SUM(reminded), SUM(answered) FROM response_tallies "
            "WHERE month BETWEEN ? AND ? GROUP BY person_id",
            (to_text(start)[:7], to_text(end)[:7]),
        ) as cur:
            rows = await cur.fetchall()
        return [Responses(r[0], r[1], r[2]) for r in rows]

    async def silent(self, since: date, cutoff: date) -> list[NonResponder]:
        """People with a delivered reminder sent in [since, cutoff] that nobody answered,
        about an item still active: how many items, since when."""
        # the unanswered index narrows to the span first; each (person, item) pair is then
        # looked up once (left to itself, SQLite starts from the active items instead)
        async with self._conn.execute(
            "SELECT CAST(substr(p.recipient, 3) AS INTEGER), COUNT(*), MIN(p.first) FROM ("
            "SELECT recipient, item_id, MIN(sent_on) AS first FROM reminders "
            "WHERE acknowledged_at IS NULL AND sent_on IS NOT NULL AND sent_on BETWEEN ? AND ? "
            "AND recipient LIKE 'p:%' AND push_only = 0 GROUP BY recipient, item_id) AS p "
            f"JOIN items i ON i.id = p.item_id WHERE i.{_ACTIVE_IN} GROUP BY p.recipient",
            (to_text(since), to_text(cutoff), *_ACTIVE),
        ) as cur:
            rows = await cur.fetchall()
        return [NonResponder(r[0], r[1], to_date(r[2])) for r in rows]

    async def push_only(self, since: date, cutoff: date) -> int:
        """How many people were reminded only in push-only robot groups in [since, cutoff]."""
        async with self._conn.execute(
            "SELECT COUNT(DISTINCT recipient) FROM reminders WHERE push_only = 1 "
            "AND sent_on BETWEEN ? AND ? AND recipient LIKE 'p:%' AND recipient NOT IN ("
            "SELECT recipient FROM reminders WHERE push_only = 0 AND sent_on BETWEEN ? AND ?)",
            (to_text(since), to_text(cutoff), to_text(since), to_text(cutoff)),
        ) as cur:
            (count,) = await cur.fetchone()
        return count

    async def overdue_lines(self, today: date, limit: int,
                            unit_ids: frozenset[int] | None = None,
                            owner_id: int | None = None) -> tuple[list[ItemLine], int]:
        """The most overdue active items (all, or those of some units and one owner),
        worst first, and how many there are in all."""
        where, params = f"{_ACTIVE_IN} AND due_date < ?", [*_ACTIVE, to_text(today)]
        if unit_ids is not None:
            marks = ",".join("?" * len(unit_ids))
            where += f" AND (owner_id = ? OR unit_id IN ({marks}))"
            params += [owner_id, *sorted(unit_ids)]
        return await self._lines(where, params, limit)

    async def soon_lines(self, today: date, limit: int) -> tuple[list[ItemLine], int]:
        """Active items due within a week, nearest first, and how many there are."""
        soon = soon_until(today)
        return await self._lines(f"{_ACTIVE_IN} AND due_date BETWEEN ? AND ?",
                                 [*_ACTIVE, to_text(today), to_text(soon)], limit)

    async def _lines(self, where: str, params: list[object],
                     limit: int) -> tuple[list[ItemLine], int]:
        return await first_lines(self._conn, where, params, limit)

    async def talks(self, start: date, end: date) -> TalkCount:
        """Talk items due in [start, end] (required by a rule, or set ad hoc) and how many
        were held; and the talks recorded as held in that span, by kind."""
        async with self._conn.execute(
            "SELECT rule_key IS NOT NULL, COUNT(*), SUM(status IN ('done', 'verified')) "
            "FROM items WHERE counterpart_id IS NOT NULL AND status != 'cancelled' "
            "AND due_date BETWEEN ? AND ? GROUP BY rule_key IS NOT NULL",
            (to_text(start), to_text(end)),
        ) as cur:
            items = {bool(r[0]): (r[1], r[2] or 0) for r in await cur.fetchall()}
        async with self._conn.execute(
            "SELECT kind, COUNT(*) FROM talks WHERE held_on BETWEEN ? AND ? GROUP BY kind",
            (to_text(start), to_text(end)),
        ) as cur:
            held = {r[0]: r[1] for r in await cur.fetchall()}
        required, required_held = items.get(True, (0, 0))
        adhoc, adhoc_held = items.get(False, (0, 0))
        return TalkCount(required=required, required_held=required_held, adhoc=adhoc,
                         adhoc_held=adhoc_held, held_by_kind=held)

    async def changes(self, since: datetime, today: date,
                      until: datetime | None = None) -> WeekChanges:
        """What happened from `since` up to `until` (default: now). Newly overdue: items
        still open that fell due in that span, before today."""
        week_ago = since.date()
        if until is None:
            upto, before = today, ""
            params: tuple[str, ...] = (to_text(since),)
        else:
            upto, before = min(today, until.date()), " AND at < ?"
            params = (to_text(since), to_text(until))
        async with self._conn.execute(  # only finished items have a finished_at (its trigger)
            "SELECT COUNT(*) FROM items WHERE finished_at IS NOT NULL AND finished_at >= ?"
            + before.replace("at <", "finished_at <"),
            params,
        ) as cur:
            (finished,) = await cur.fetchone()
        async with self._conn.execute(
            "SELECT COUNT(DISTINCT subject_id) FROM events WHERE kind = 'item.status' "
            f"AND at >= ?{before} AND json_extract(data, '$.to') = 'verified'",
            params,
        ) as cur:
            (verified,) = await cur.fetchone()
        async with self._conn.execute(
            f"SELECT COUNT(*) FROM items WHERE {_ACTIVE_IN} AND due_date >= ? AND due_date < ?",
            (*_ACTIVE, to_text(week_ago), to_text(upto)),
        ) as cur:
            (newly_overdue,) = await cur.fetchone()
        async with self._conn.execute(
            "SELECT COUNT(DISTINCT subject_id) FROM events WHERE kind = 'escalated' "
            f"AND at >= ?{before}",
            params,
        ) as cur:
            (escalated,) = await cur.fetchone()
        return WeekChanges(finished=finished, verified=verified, newly_overdue=newly_overdue,
                           escalated=escalated)

    async def week_claimed(self, week: str) -> bool:
        async with self._conn.execute(
            "SELECT 1 FROM summary_runs WHERE week = ?", (week,)
        ) as cur:
            return await cur.fetchone() is not None

    async def claim_week(self, week: str, now: datetime) -> bool:
        """Mark this week's push as done; False if it ran already."""
        cur = await self._conn.execute(
            "INSERT OR IGNORE INTO summary_runs (week, ran_at, groups) VALUES (?, ?, 0)",
            (week, to_text(now)),
        )
        return cur.rowcount == 1

    async def record_week(self, week: str, groups: int) -> None:
        await self._conn.execute(
            "UPDATE summary_runs SET groups = ? WHERE week = ?", (groups, week)
        )


async def first_lines(conn: aiosqlite.Connection, where: str, params: list[object],
                      limit: int) -> tuple[list[ItemLine], int]:
    """The first `limit` items by due date, named, and how many match `where`: the ids are
    found first, so only those few rows are joined with their owners and units."""
    async with conn.execute(f"SELECT COUNT(*) FROM items WHERE {where}", params) as cur:
        (count,) = await cur.fetchone()
    async with conn.execute(
        "SELECT i.code, i.title, i.kind, p.name, u.name, i.due_date, i.status "
        f"FROM (SELECT id FROM items WHERE {where} ORDER BY due_date, id LIMIT ?) AS top "
        "JOIN items i ON i.id = top.id JOIN persons p ON p.id = i.owner_id "
        "JOIN units u ON u.id = i.unit_id ORDER BY i.due_date, i.id",
        (*params, limit),
    ) as cur:
        rows = await cur.fetchall()
    lines = [ItemLine(r[0], r[1], ListKind(r[2]), r[3], r[4], to_date(r[5]),
                      ItemStatus(r[6])) for r in rows]
    return lines, count


async def census_rows(conn: aiosqlite.Connection, today: date, where: str = "",
                      params: tuple[object, ...] | list[object] = ()) -> list[Census]:
    """The census of the items `where` selects (an `AND …` clause; all when empty)."""
    soon = soon_until(today)
    async with conn.execute(
        "SELECT kind, duty, unit_id, status, COUNT(*), SUM(due_date < ?), "
        f"SUM(due_date >= ? AND due_date <= ?) FROM items WHERE 1 = 1{where} "
        "GROUP BY kind, duty, unit_id, status",
        (to_text(today), to_text(today), to_text(soon), *params),
    ) as cur:
        rows = await cur.fetchall()
    lines = []
    for kind, duty, unit_id, status, count, overdue, coming in rows:
        key = (ListKind(kind), Duty(duty), unit_id, ItemStatus(status))
        if key[3] not in ACTIVE_STATUSES:
            lines.append(Census(*key, Timing.CLOSED, count))
            continue
        for timing, n in ((Timing.OVERDUE, overdue or 0), (Timing.SOON, coming or 0),
                          (Timing.ON_TRACK, count - (overdue or 0) - (coming or 0))):
            if n:
                lines.append(Census(*key, timing, n))
    return lines
