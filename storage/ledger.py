"""What the Excel 台账 shows, read in a few set-based queries (never one per item).

Rows are fetched in chunks and kept as light NamedTuples; an event's JSON data stays text
until the workbook writer reads it, in its own thread.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import date, datetime

import aiosqlite

from bot.domain.ledger import LedgerEvent, LedgerItem, LedgerPerson, LedgerTalk, LedgerUnit
from bot.domain.model import Duty, ItemStatus, ListKind, Role, UnitKind

_FETCH = 10_000

_ITEMS = (
    "SELECT id, code, kind, title, duty, owner_id, unit_id, parent_id, source, due_date, "
    "status, counterpart_id, rule_key, period, updated_at FROM items ORDER BY id"
)
# The subject's 编号 when it is an item (subject_id is text; the comparison with the
# integer key converts it, and uses the key's index).
_EVENTS = (
    "SELECT e.id, e.at, e.actor_person_id, e.actor_telegram_id, e.kind, e.subject_type, "
    "e.subject_id, e.data, i.code FROM events e "
    "LEFT JOIN items i ON e.subject_type = 'item' AND i.id = e.subject_id ORDER BY e.id"
)


class LedgerRepo:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def _rows(self, sql: str, params: tuple[object, ...] = ()) -> AsyncIterator[tuple]:
        async with self._conn.execute(sql, params) as cur:
            while chunk := await cur.fetchmany(_FETCH):
                for row in chunk:
                    yield tuple(row)

    async def units(self) -> dict[int, LedgerUnit]:
        return {r[0]: LedgerUnit(r[0], r[1], UnitKind(r[2]), r[3]) async for r in self._rows(
            "SELECT id, name, kind, parent_id FROM units ORDER BY id")}

    async def people(self) -> dict[int, LedgerPerson]:
        """Everyone ever registered (events name them), with `active` to tell who is now."""
        roles: dict[int, set[Role]] = defaultdict(set)
        async for person_id, role in self._rows("SELECT person_id, role FROM person_roles"):
            roles[person_id].add(Role(role))
        oversees: dict[int, list[int]] = defaultdict(list)
        async for person_id, unit_id in self._rows(
                "SELECT person_id, unit_id FROM person_oversight ORDER BY person_id, unit_id"):
            oversees[person_id].append(unit_id)
        return {
            r[0]: LedgerPerson(r[0], r[1], r[2], frozenset(roles[r[0]]), tuple(oversees[r[0]]),
                               r[4], r[5], r[3] is not None, bool(r[6]))
            async for r in self._rows(
                "SELECT id, name, unit_id, telegram_user_id, phone, note, active FROM persons "
                "ORDER BY id")
        }

    async def items(self) -> list[LedgerItem]:
        kinds = {k.value: k for k in ListKind}
        duties = {d.value: d for d in Duty}
        statuses = {s.value: s for s in ItemStatus}
        days: dict[str, date] = {}  # due dates repeat: one date object per day
        found = []
        async for r in self._rows(_ITEMS):
            due = days.get(r[9])
            if due is None:
                due = days[r[9]] = date.fromisoformat(r[9])
            found.append(LedgerItem(r[0], r[1], kinds[r[2]], r[3], duties[r[4]], r[5], r[6],
                                    r[7], r[8], due, statuses[r[10]], r[11], r[12], r[13],
                                    datetime.fromisoformat(r[14])))
        return found

    async def talks(self) -> list[LedgerTalk]:
        return [
            LedgerTalk(r[0], r[1], r[2], r[3], r[4], date.fromisoformat(r[5]), r[6],
                       datetime.fromisoformat(r[7]))
            async for r in self._rows(
                "SELECT id, item_id, holder_id, counterpart_id, kind, held_on, note, "
                "recorded_at FROM talks ORDER BY held_on, id")
        ]

    async def events(self) -> list[LedgerEvent]:
        return [
            LedgerEvent(r[0], datetime.fromisoformat(r[1]), r[2], r[3], r[4], r[5], r[6], r[7],
                        r[8])
            async for r in self._rows(_EVENTS)
        ]

    async def group_titles(self) -> dict[int, str]:
        return {r[0]: r[1] async for r in self._rows("SELECT chat_id, title FROM groups")}

    async def counts(self) -> dict[str, int]:
        """Bare counts of the big tables (for the bench, beside the full read)."""
        found = {}
        for table in ("items", "events", "talks", "persons"):
            async with self._conn.execute(f"SELECT COUNT(*) FROM {table}") as cur:
                (found[table],) = await cur.fetchone()
        return found
