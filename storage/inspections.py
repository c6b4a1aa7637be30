"""监督检查 with their findings, 考核 results, and the follow-ups of a 问责 case."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from datetime import date, datetime

import aiosqlite

from bot.domain.assessments import Assessment
from bot.domain.inspections import (
    INSPECTION_PREFIX,
    Finding,
    FollowUp,
    FollowUpKind,
    Inspection,
    InspectionKind,
    Point,
)
from bot.domain.model import ItemStatus, ListKind
from storage.codec import to_date, to_text

_ASSESSMENT = "id, year, unit_id, led_by, grade, remarks"
_FOLLOW_UP = "id, case_id, kind, owner_id, due_date, done_at"


class InspectionRepo:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    # 监督检查 --------------------------------------------------------------------------

    async def add(self, held_on: date, unit_id: int, kind: InspectionKind,
                  findings: Mapping[Point, str | None], created_by: int | None,
                  now: datetime) -> Inspection:
        """Numbered J0001, J0002… by its id; one finding per point, in the points' order."""
        cur = await self._conn.execute(
            "INSERT INTO inspections (code, held_on, unit_id, kind, created_by, created_at) "
            "VALUES ('', ?, ?, ?, ?, ?)",
            (to_text(held_on), unit_id, kind.value, created_by, to_text(now)))
        inspection_id = cur.lastrowid
        await self._conn.execute("UPDATE inspections SET code = ? WHERE id = ?",
                                 (f"{INSPECTION_PREFIX}{inspection_id:04d}", inspection_id))
        await self._conn.executemany(
            "INSERT INTO inspection_findings (inspection_id, point, finding) VALUES (?, ?, ?)",
            [(inspection_id, point.value, text) for point, text in findings.items()])
        found = await self.get(inspection_id)
        assert found is not None
        return found

    async def get(self, inspection_id: int) -> Inspection | None:
        found = await self._where("i.id = ?", (inspection_id,))
        return found[0] if found else None

    async def recent(self, limit: int) -> list[Inspection]:
        """The latest recorded, newest first."""
        async with self._conn.execute(
                "SELECT id FROM inspections ORDER BY held_on DESC, id DESC LIMIT ?",
                (limit,)) as cur:
            ids = [r[0] for r in await cur.fetchall()]
        if not ids:
            return []
        found = {i.id: i for i in await self._where(
            f"i.id IN ({','.join('?' * len(ids))})", tuple(ids))}
        return [found[i] for i in ids]

    async def count(self) -> int:
        async with self._conn.execute("SELECT COUNT(*) FROM inspections") as cur:
            return (await cur.fetchone())[0]

    async def _where(self, where: str, args: tuple[object, ...]) -> list[Inspection]:
        # `where` is one of ours, never input
        async with self._conn.execute(
            "SELECT i.id, i.code, i.held_on, i.unit_id, i.kind, i.created_by, f.id AS fid, "
            "f.point, f.finding, f.item_id, f.fix_id FROM inspections i "
            f"LEFT JOIN inspection_findings f ON f.inspection_id = i.id WHERE {where} "
            "ORDER BY i.id, f.id", args,
        ) as cur:
            rows = await cur.fetchall()
        heads: dict[int, sqlite3.Row] = {}
        findings: dict[int, list[Finding]] = {}
        for row in rows:
            heads.setdefault(row["id"], row)
            if row["fid"] is not None:
                findings.setdefault(row["id"], []).append(_finding(row))
        return [Inspection(id=i, code=r["code"], held_on=to_date(r["held_on"]),
                           unit_id=r["unit_id"], kind=InspectionKind(r["kind"]),
                           created_by=r["created_by"],
                           findings=tuple(findings.get(i, ())))
                for i, r in heads.items()]

    async def finding(self, finding_id: int) -> Finding | None:
        async with self._conn.execute(
            "SELECT id AS fid, inspection_id AS id, point, finding, item_id, fix_id "
            "FROM inspection_findings WHERE id = ?", (finding_id,)) as cur:
            row = await cur.fetchone()
        return _finding(row) if row else None

    async def link_finding(self, finding_id: int, item_id: int, fix_id: int) -> bool:
        """The 问题清单 item and the 整改 a finding became; once."""
        cur = await self._conn.execute(
            "UPDATE inspection_findings SET item_id = ?, fix_id = ? "
            "WHERE id = ? AND item_id IS NULL AND finding IS NOT NULL",
            (item_id, fix_id, finding_id))
        return cur.rowcount == 1

    # 考核 ------------------------------------------------------------------------------

    async def put_assessment(self, year: int, unit_id: int, led_by: int | None, grade: str,
                             remarks: str, created_by: int | None,
                             now: datetime) -> tuple[Assessment, bool]:
        """The unit's result for the year, replacing an earlier one; (it, whether it
        replaced one)."""
        before = await self.assessment(year, unit_id)
        await self._conn.execute(
            "INSERT INTO assessments (year, unit_id, led_by, grade, remarks, created_by, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (year, unit_id) DO UPDATE "
            "SET led_by = excluded.led_by, grade = excluded.grade, "
            "remarks = excluded.remarks, created_by = excluded.created_by, "
            "created_at = excluded.created_at",
            (year, unit_id, led_by, grade, remarks, created_by, to_text(now)))
        found = await self.assessment(year, unit_id)
        assert found is not None
        return found, before is not None

    async def assessment(self, year: int, unit_id: int) -> Assessment | None:
        async with self._conn.execute(
                f"SELECT {_ASSESSMENT} FROM assessments WHERE year = ? AND unit_id = ?",
                (year, unit_id)) as cur:
            row = await cur.fetchone()
        return _assessment(row) if row else None

    async def assessments(self, year: int | None = None) -> list[Assessment]:
        where, args = ("WHERE year = ?", (year,)) if year is not None else ("", ())
        async with self._conn.execute(
                f"SELECT {_ASSESSMENT} FROM assessments {where} ORDER BY year DESC, unit_id",
                args) as cur:
            return [_assessment(r) for r in await cur.fetchall()]

    async def assessment_count(self) -> int:
        async with self._conn.execute("SELECT COUNT(*) FROM assessments") as cur:
            return (await cur.fetchone())[0]

    async def fixes_of(self, unit_id: int, year: int) -> tuple[int, int]:
        """整改 (not their 整改方案) of the unit falling due in the year: (how many, how many
        of them 验收销号)."""
        async with self._conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(status = ?), 0) FROM items WHERE kind = ? "
            "AND parent_id IS NULL AND unit_id = ? AND due_date BETWEEN ? AND ? "
            "AND status != ?",
            (ItemStatus.VERIFIED.value, ListKind.RECTIFICATION.value, unit_id,
             f"{year:04d}-01-01", f"{year:04d}-12-31", ItemStatus.CANCELLED.value),
        ) as cur:
            total, closed = await cur.fetchone()
        return total, closed

    # the follow-ups of a 问责 case -----------------------------------------------------

    async def add_follow_up(self, case_id: int, kind: FollowUpKind, owner_id: int,
                            due: date) -> FollowUp | None:
        """None: the case has this follow-up already."""
        cur = await self._conn.execute(
            "INSERT OR IGNORE INTO case_followups (case_id, kind, owner_id, due_date) "
            "VALUES (?, ?, ?, ?)", (case_id, kind.value, owner_id, to_text(due)))
        if cur.rowcount != 1:
            return None
        return FollowUp(cur.lastrowid, case_id, kind, owner_id, due)

    async def follow_ups(self, case_ids: Iterable[int] | None = None
                         ) -> dict[int, list[FollowUp]]:
        where, args = "", []
        if case_ids is not None:
            args = list(case_ids)
            if not args:
                return {}
            where = f" WHERE case_id IN ({','.join('?' * len(args))})"
        async with self._conn.execute(
                f"SELECT {_FOLLOW_UP} FROM case_followups{where} ORDER BY case_id, id",
                args) as cur:
            rows = await cur.fetchall()
        found: dict[int, list[FollowUp]] = {}
        for row in rows:
            found.setdefault(row["case_id"], []).append(_follow_up(row))
        return found

    async def follow_ups_by_ids(self, ids: list[int]) -> list[tuple[FollowUp, str]]:
        """These follow-ups, each with its case's code."""
        if not ids:
            return []
        async with self._conn.execute(
            "SELECT f.id, f.case_id, f.kind, f.owner_id, f.due_date, f.done_at, c.code "
            "FROM case_followups f JOIN cases c ON c.id = f.case_id "
            f"WHERE f.id IN ({','.join('?' * len(ids))}) ORDER BY f.id", ids) as cur:
            return [(_follow_up(r), r["code"]) for r in await cur.fetchall()]

    async def open_follow_ups(self, until: date) -> list[tuple[FollowUp, str]]:
        """Follow-ups not done that fall due by `until`, each with its case's code."""
        async with self._conn.execute(
            "SELECT f.id, f.case_id, f.kind, f.owner_id, f.due_date, f.done_at, c.code "
            "FROM case_followups f JOIN cases c ON c.id = f.case_id "
            "WHERE f.done_at IS NULL AND f.due_date <= ? ORDER BY f.id",
            (to_text(until),)) as cur:
            return [(_follow_up(r), r["code"]) for r in await cur.fetchall()]

    async def finish_follow_up(self, follow_up_id: int, by: int | None, now: datetime) -> bool:
        cur = await self._conn.execute(
            "UPDATE case_followups SET done_at = ?, done_by = ? "
            "WHERE id = ? AND done_at IS NULL", (to_text(now), by, follow_up_id))
        return cur.rowcount == 1


def _finding(row: sqlite3.Row) -> Finding:
    return Finding(id=row["fid"], inspection_id=row["id"], point=Point(row["point"]),
                   finding=row["finding"], item_id=row["item_id"], fix_id=row["fix_id"])


def _assessment(row: sqlite3.Row) -> Assessment:
    return Assessment(id=row["id"], year=row["year"], unit_id=row["unit_id"],
                      led_by=row["led_by"], grade=row["grade"], remarks=row["remarks"])


def _follow_up(row: sqlite3.Row) -> FollowUp:
    return FollowUp(id=row["id"], case_id=row["case_id"], kind=FollowUpKind(row["kind"]),
                    owner_id=row["owner_id"], due_date=to_date(row["due_date"]),
                    done_on=datetime.fromisoformat(row["done_at"]).date()
                    if row["done_at"] else None)
