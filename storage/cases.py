"""The 问责 register: cases, their 倒查 and the parties each examines."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

import aiosqlite

from bot.domain.cases import (
    CASE_PREFIX,
    Case,
    CaseStatus,
    Party,
    PartyRole,
    Review,
    ReviewPlan,
    ReviewStatus,
)
from bot.domain.model import ACTIVE_STATUSES, Duty
from storage.codec import to_date, to_text

_ACTIVE = tuple(sorted(s.value for s in ACTIVE_STATUSES))
_CASE_COLUMNS = ("id, code, person_id, unit_id, situation, finding, handling, decided_on, "
                 "misconduct, typical, status, situation_text, created_at")


@dataclass(frozen=True, slots=True)
class NewCase:
    person_id: int
    unit_id: int
    situation: str
    situation_text: str
    finding: str
    handling: str | None
    decided_on: date | None
    misconduct: bool
    typical: bool = False


@dataclass(frozen=True, slots=True)
class ReportItem:
    """A 责任追究季报 or 典型案例通报 on its owner's list."""

    item_id: int
    rule_key: str
    due_date: date
    owner_id: int


class CaseRepo:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def add(self, case: NewCase, created_by: int | None, now: datetime) -> Case:
        """Numbered A0001, A0002… by its id, as items are."""
        cur = await self._conn.execute(
            "INSERT INTO cases (code, person_id, unit_id, situation, situation_text, finding, "
            "handling, decided_on, misconduct, typical, created_by, created_at) "
            "VALUES ('', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (case.person_id, case.unit_id, case.situation, case.situation_text, case.finding,
             case.handling,
             to_text(case.decided_on) if case.decided_on else None, int(case.misconduct),
             int(case.typical), created_by, to_text(now)),
        )
        case_id = cur.lastrowid
        code = f"{CASE_PREFIX}{case_id:04d}"
        await self._conn.execute("UPDATE cases SET code = ? WHERE id = ?", (code, case_id))
        return Case(id=case_id, code=code, person_id=case.person_id, unit_id=case.unit_id,
                    situation=case.situation, finding=case.finding, handling=case.handling,
                    decided_on=case.decided_on, misconduct=case.misconduct,
                    typical=case.typical, situation_text=case.situation_text,
                    recorded_on=now.date())

    async def add_review(self, case_id: int, plan: ReviewPlan, owner_id: int, due: date,
                         now: datetime) -> Review:
        cur = await self._conn.execute(
            "INSERT INTO case_reviews (case_id, duty, unit_id, owner_id, due_date, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (case_id, plan.duty.value, plan.unit_id, owner_id, to_text(due), to_text(now)))
        review_id = cur.lastrowid
        await self._conn.executemany(
            "INSERT INTO case_parties (review_id, person_id, role) VALUES (?, ?, ?)",
            [(review_id, p.person_id, p.role) for p in plan.parties])
        return Review(id=review_id, case_id=case_id, duty=plan.duty, unit_id=plan.unit_id,
                      owner_id=owner_id, due_date=due, parties=plan.parties)

    async def all(self) -> list[Case]:
        async with self._conn.execute(
            f"SELECT {_CASE_COLUMNS} FROM cases ORDER BY id") as cur:
            return [_case(r) for r in await cur.fetchall()]

    async def get(self, case_id: int) -> Case | None:
        return await self._one("id", case_id)

    async def by_code(self, code: str) -> Case | None:
        return await self._one("code", code.upper())

    async def _one(self, column: str, value: str | int) -> Case | None:
        # the column is one of ours, never input
        async with self._conn.execute(
            f"SELECT {_CASE_COLUMNS} FROM cases WHERE {column} = ?", (value,)) as cur:
            row = await cur.fetchone()
        return _case(row) if row else None

    async def reviews(self, case_ids: Iterable[int] | None = None) -> dict[int, list[Review]]:
        """The 倒查 of these cases (all, when None), with their parties, by case id."""
        where, args = "", []
        if case_ids is not None:
            wanted = list(case_ids)
            if not wanted:
                return {}
            where, args = f" WHERE r.case_id IN ({','.join('?' * len(wanted))})", wanted
        async with self._conn.execute(
            "SELECT r.id, r.case_id, r.duty, r.unit_id, r.owner_id, r.due_date, r.status, "
            "p.person_id, p.role FROM case_reviews r "
            f"LEFT JOIN case_parties p ON p.review_id = r.id{where} ORDER BY r.id, p.rowid",
            args,
        ) as cur:
            rows = await cur.fetchall()
        parties: dict[int, list[Party]] = {}
        heads: dict[int, sqlite3.Row] = {}
        for row in rows:
            heads.setdefault(row["id"], row)
            if row["person_id"] is not None:
                parties.setdefault(row["id"], []).append(Party(row["person_id"],
                                                                   PartyRole(row["role"])))
        found: dict[int, list[Review]] = {}
        for review_id, row in heads.items():
            found.setdefault(row["case_id"], []).append(Review(
                id=review_id, case_id=row["case_id"], duty=Duty(row["duty"]),
                unit_id=row["unit_id"], owner_id=row["owner_id"],
                due_date=to_date(row["due_date"]),
                parties=tuple(parties.get(review_id, ())),
                status=ReviewStatus(row["status"])))
        return found

    async def report_items(self, rule_keys: tuple[str, ...], until: date) -> list[ReportItem]:
        """The report obligations still to do that fall due by `until`. Read every tick:
        one rule at a time, so that the obligations' own index (by rule) serves it rather
        than a scan of every overdue item."""
        marks = ",".join("?" * len(_ACTIVE))
        found = []
        for rule_key in rule_keys:
            async with self._conn.execute(
                f"SELECT id, rule_key, due_date, owner_id FROM items WHERE rule_key = ? "
                f"AND status IN ({marks}) AND due_date <= ? ORDER BY id",
                (rule_key, *_ACTIVE, to_text(until)),
            ) as cur:
                found += [ReportItem(r[0], r[1], to_date(r[2]), r[3])
                          for r in await cur.fetchall()]
        return found

    async def open_reviews(self, until: date) -> list[tuple[Review, str]]:
        """The 倒查 still open that fall due by `until`, each with its case's code."""
        async with self._conn.execute(
            "SELECT r.case_id, c.code FROM case_reviews r JOIN cases c ON c.id = r.case_id "
            "WHERE r.status = 'open' AND r.due_date <= ?", (to_text(until),),
        ) as cur:
            codes = {r[0]: r[1] for r in await cur.fetchall()}
        found = await self.reviews(codes)
        return [(r, codes[r.case_id]) for case_id in codes for r in found.get(case_id, [])
                if r.status is ReviewStatus.OPEN and r.due_date <= until]

    async def finish_review(self, review_id: int, conclusion: str, now: datetime) -> bool:
        cur = await self._conn.execute(
            "UPDATE case_reviews SET status = 'done', conclusion = ?, done_at = ? "
            "WHERE id = ? AND status = 'open'", (conclusion, to_text(now), review_id))
        return cur.rowcount == 1

    async def close(self, case_id: int, now: datetime) -> bool:
        cur = await self._conn.execute(
            "UPDATE cases SET status = 'closed', closed_at = ? WHERE id = ? "
            "AND status = 'open'", (to_text(now), case_id))
        return cur.rowcount == 1

    async def mark_typical(self, case_id: int, typical: bool) -> None:
        await self._conn.execute("UPDATE cases SET typical = ? WHERE id = ?",
                                 (int(typical), case_id))


def _case(row: sqlite3.Row) -> Case:
    return Case(
        id=row["id"], code=row["code"], person_id=row["person_id"], unit_id=row["unit_id"],
        situation=row["situation"], finding=row["finding"], handling=row["handling"],
        decided_on=to_date(row["decided_on"]) if row["decided_on"] else None,
        misconduct=bool(row["misconduct"]), typical=bool(row["typical"]),
        status=CaseStatus(row["status"]), situation_text=row["situation_text"],
        recorded_on=datetime.fromisoformat(row["created_at"]).date(),
    )
