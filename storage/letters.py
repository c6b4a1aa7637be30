"""责任书 (签字背书) and their year-end 对账 lines; the decisions they leave waiting."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from datetime import date, datetime

import aiosqlite

from bot.domain.decisions import DecisionKind, PendingDecision
from bot.domain.letters import (
    CONFIRMER_ROLES,
    LETTER_KINDS,
    Answer,
    Carry,
    Letter,
    Line,
    can_confirm,
)
from bot.domain.model import Actor, Item, ItemStatus, Person
from storage.codec import to_date, to_datetime, to_text
from storage.items import _COLUMNS as _ITEM_COLUMNS
from storage.items import _item
from storage.people import PersonRepo

_LETTER = "id, person_id, year, issued_on, signed_at"
_LINE = ("SELECT l.id, l.letter_id, t.person_id, t.year, l.item_id, i.code, i.title, "
         "i.due_date, i.unit_id, l.answer, l.reason, l.answered_at, l.confirmed_by, "
         "l.confirmed_at, l.carry, l.carried_item_id FROM letter_lines l "
         "JOIN letters t ON t.id = l.letter_id JOIN items i ON i.id = l.item_id")
_KINDS = tuple(k.value for k in LETTER_KINDS)


class LetterRepo:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def add(self, person_id: int, year: int, issued_on: date, now: datetime
                  ) -> Letter | None:
        """A holder's 责任书 for the year; None if they have it already."""
        cur = await self._conn.execute(
            "INSERT OR IGNORE INTO letters (person_id, year, issued_on, issued_at) "
            "VALUES (?, ?, ?, ?)", (person_id, year, to_text(issued_on), to_text(now)))
        if cur.rowcount != 1:
            return None
        return Letter(cur.lastrowid, person_id, year, issued_on)

    async def get(self, letter_id: int) -> Letter | None:
        return await self._one("id = ?", (letter_id,))

    async def of(self, person_id: int, year: int) -> Letter | None:
        return await self._one("person_id = ? AND year = ?", (person_id, year))

    async def of_year(self, year: int) -> list[Letter]:
        async with self._conn.execute(
            f"SELECT {_LETTER} FROM letters WHERE year = ? ORDER BY id", (year,)) as cur:
            return [_letter(r) for r in await cur.fetchall()]

    async def _one(self, where: str, args: tuple) -> Letter | None:
        # `where` is one of ours, never input
        async with self._conn.execute(f"SELECT {_LETTER} FROM letters WHERE {where}",
                                      args) as cur:
            row = await cur.fetchone()
        return _letter(row) if row else None

    async def ran(self, year: int, step: str) -> bool:
        async with self._conn.execute(
            "SELECT 1 FROM letter_runs WHERE year = ? AND step = ?", (year, step)) as cur:
            return await cur.fetchone() is not None

    async def mark_run(self, year: int, step: str, now: datetime) -> None:
        await self._conn.execute(
            "INSERT OR IGNORE INTO letter_runs (year, step, done_at) VALUES (?, ?, ?)",
            (year, step, to_text(now)))

    async def sign(self, letter_id: int, now: datetime) -> bool:
        cur = await self._conn.execute(
            "UPDATE letters SET signed_at = ? WHERE id = ? AND signed_at IS NULL",
            (to_text(now), letter_id))
        return cur.rowcount == 1

    async def items_of(self, person_id: int, year: int) -> list[Item]:
        """What goes on a holder's 责任书 for the year (bot/domain/letters.py `on_letter`)."""
        marks = ",".join("?" * len(_KINDS))
        async with self._conn.execute(
            f"SELECT {_ITEM_COLUMNS} FROM items WHERE owner_id = ? AND kind IN ({marks}) "
            "AND due_date >= ? AND due_date <= ? AND status != ? ORDER BY due_date, id",
            (person_id, *_KINDS, f"{year:04d}-01-01", f"{year:04d}-12-31",
             ItemStatus.CANCELLED.value),
        ) as cur:
            return [_item(r) for r in await cur.fetchall()]

    async def open_reconcile(self, letter_id: int,
                             lines: Sequence[tuple[int, Answer | None, bool]],
                             now: datetime) -> bool:
        """Lay out a letter's 对账 lines, once: (item id, opening answer, confirmed
        already). False if they were laid out before."""
        cur = await self._conn.execute(
            "UPDATE letters SET reconcile_opened_at = ? WHERE id = ? "
            "AND reconcile_opened_at IS NULL", (to_text(now), letter_id))
        if cur.rowcount != 1:
            return False
        at = to_text(now)
        await self._conn.executemany(
            "INSERT OR IGNORE INTO letter_lines (letter_id, item_id, answer, answered_at, "
            "confirmed_at) VALUES (?, ?, ?, ?, ?)",
            [(letter_id, item_id, answer.value if answer else None, at if answer else None,
              at if confirmed else None) for item_id, answer, confirmed in lines])
        return True

    async def reconcile_opened(self, letter_ids: Iterable[int]) -> set[int]:
        wanted = list(letter_ids)
        if not wanted:
            return set()
        async with self._conn.execute(
            f"SELECT id FROM letters WHERE id IN ({','.join('?' * len(wanted))}) "
            "AND reconcile_opened_at IS NOT NULL", wanted) as cur:
            return {r[0] for r in await cur.fetchall()}

    async def line(self, line_id: int) -> Line | None:
        async with self._conn.execute(f"{_LINE} WHERE l.id = ?", (line_id,)) as cur:
            row = await cur.fetchone()
        return _line(row) if row else None

    async def lines(self, letter_id: int) -> list[Line]:
        async with self._conn.execute(
            f"{_LINE} WHERE l.letter_id = ? ORDER BY i.due_date, i.id", (letter_id,)) as cur:
            return [_line(r) for r in await cur.fetchall()]

    async def all_lines(self) -> list[Line]:
        """Every 对账 line, by year, holder and due date (the 台账's 对账 sheet)."""
        async with self._conn.execute(
            f"{_LINE} ORDER BY t.year, t.person_id, i.due_date, i.id") as cur:
            return [_line(r) for r in await cur.fetchall()]

    async def waiting(self) -> list[Line]:
        """Lines answered and not yet confirmed: what waits for 对账确认."""
        async with self._conn.execute(
            f"{_LINE} WHERE l.answer IS NOT NULL AND l.confirmed_at IS NULL "
            "ORDER BY l.answered_at, l.id") as cur:
            return [_line(r) for r in await cur.fetchall()]

    async def answer(self, line_id: int, answer: Answer, reason: str | None,
                     now: datetime) -> bool:
        cur = await self._conn.execute(
            "UPDATE letter_lines SET answer = ?, reason = ?, answered_at = ? "
            "WHERE id = ? AND confirmed_at IS NULL",
            (answer.value, reason, to_text(now), line_id))
        return cur.rowcount == 1

    async def confirm(self, line_id: int, by: int, carry: Carry | None, now: datetime) -> bool:
        cur = await self._conn.execute(
            "UPDATE letter_lines SET confirmed_by = ?, confirmed_at = ?, carry = ? "
            "WHERE id = ? AND answer IS NOT NULL AND confirmed_at IS NULL",
            (by, to_text(now), carry.value if carry else None, line_id))
        return cur.rowcount == 1

    async def set_carried(self, line_id: int, item_id: int) -> None:
        await self._conn.execute("UPDATE letter_lines SET carried_item_id = ? WHERE id = ?",
                                 (item_id, line_id))

    async def pending_decisions(self, today: date | None = None,
                                person: Person | None = None) -> list[PendingDecision]:
        """The decisions 责任书 and 对账 leave waiting (issue 22 §6): each 责任书 of this
        year (without `today`: of the latest year issued) not signed yet — its holder
        decides, since it went out; and each 对账 line answered but not confirmed — the 纪委
        and the 党委 decide, any one of them, never the holder, since the holder answered.
        `person`: only those this person may decide (their own 责任书; the lines if they
        hold a confirming role)."""
        found: list[PendingDecision] = []
        if today is None:
            where, args = "year = (SELECT MAX(year) FROM letters)", ()
        else:
            where, args = "year = ? AND issued_on <= ?", (today.year, to_text(today))
        if person is not None:
            where, args = f"person_id = ? AND {where}", (person.id, *args)
        async with self._conn.execute(
            f"SELECT {_LETTER} FROM letters WHERE signed_at IS NULL AND {where} ORDER BY id",
            args) as cur:
            unsigned = [_letter(r) for r in await cur.fetchall()]
        confirming = person is None or bool(person.roles & CONFIRMER_ROLES)
        waiting = await self.waiting() if confirming else []
        # the holders of the unsigned, and the confirmers when a line waits for them: not
        # everyone (every /待办 reads this)
        persons = PersonRepo(self._conn)
        holders = await persons.by_ids({letter.person_id for letter in unsigned}, active=True)
        confirmers = await persons.with_roles(CONFIRMER_ROLES) if waiting else {}
        for letter in unsigned:
            holder = holders.get(letter.person_id)
            if holder is None:
                continue
            found.append(PendingDecision(
                kind=DecisionKind.SIGNATURE, key=f"letter:{letter.id}",
                code=f"{letter.year}年度责任书", title=f"{letter.year}年度党风廉政建设责任书",
                decider_ids=(holder.id,), since=letter.issued_on, unit_id=holder.unit_id,
                subject_id=holder.id, ref=letter.id))
        for line in waiting:
            deciders = tuple(p.id for p in confirmers.values()
                             if can_confirm(Actor(p.telegram_user_id, p), line.holder_id))
            found.append(PendingDecision(
                kind=DecisionKind.RECONCILIATION, key=f"reconcile:{line.id}", code=line.code,
                title=line.title, decider_ids=deciders,
                since=line.answered_at.date() if line.answered_at else line.due_date,
                unit_id=line.unit_id, discipline=False, subject_id=line.holder_id,
                ref=line.id))
        return found


def _letter(row: sqlite3.Row) -> Letter:
    return Letter(id=row["id"], person_id=row["person_id"], year=row["year"],
                  issued_on=to_date(row["issued_on"]), signed_at=to_datetime(row["signed_at"]))


def _line(row: sqlite3.Row) -> Line:
    return Line(
        id=row["id"], letter_id=row["letter_id"], holder_id=row["person_id"], year=row["year"],
        item_id=row["item_id"], code=row["code"], title=row["title"],
        due_date=to_date(row["due_date"]), unit_id=row["unit_id"],
        answer=Answer(row["answer"]) if row["answer"] else None, reason=row["reason"],
        answered_at=to_datetime(row["answered_at"]), confirmed_by=row["confirmed_by"],
        confirmed_at=to_datetime(row["confirmed_at"]),
        carry=Carry(row["carry"]) if row["carry"] else None,
        carried_item_id=row["carried_item_id"])
