"""What the Excel 台账 shows, read from one snapshot in a few set-based queries (never one
per item).

The export runs in a child process on its own read-only connection: SQLite (in WAL mode)
gives it a consistent snapshot while the bot's connection goes on reading and writing, so
no user waits for an export. On PostgreSQL (`source` a postgresql:// URL) the child opens
a connection of its own, REPEATABLE READ READ ONLY: the same snapshot, one text of SQL
(the placeholders translated as storage/postgres.py does), the long reads through
server-side cursors. The long parts (the three lists, the obligations, the event
log) are generators that fetch in chunks as the workbook is written; only the people, the
units, the talks and the 整改 are held whole.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from bot.domain.inspections import KIND_WORDS, POINT_WORDS, InspectionKind, Point
from bot.domain.ledger import (
    Ledger,
    LedgerAssessment,
    LedgerCase,
    LedgerEvent,
    LedgerFinding,
    LedgerFollowUp,
    LedgerInspection,
    LedgerItem,
    LedgerLine,
    LedgerPerson,
    LedgerReview,
    LedgerTalk,
    LedgerUnit,
    Score,
    Verdict,
)
from bot.domain.model import THREE_LISTS, Duty, ItemStatus, ListKind, Role, UnitKind

BUSY_TIMEOUT_MS = 5000
_FETCH = 5_000

_ITEM = ("i.id, i.code, i.kind, i.title, i.duty, i.owner_id, i.unit_id, i.parent_id, i.source, "
         "i.due_date, i.status, i.counterpart_id, i.rule_key, i.period, i.updated_at")
_LIST_MARKS = ",".join("?" * len(THREE_LISTS))
# The chain is three deep at most (问题 → 责任 → 措施): two joins give it in the same row.
_LISTS = (
    f"SELECT {_ITEM}, p.code, g.code FROM items i "
    "LEFT JOIN items p ON p.id = i.parent_id LEFT JOIN items g ON g.id = p.parent_id "
    f"WHERE i.kind IN ({_LIST_MARKS}) "
    "ORDER BY CASE i.kind WHEN 'problem' THEN 0 WHEN 'responsibility' THEN 1 ELSE 2 END, i.code"
)
_OBLIGATIONS = f"SELECT {_ITEM} FROM items i WHERE i.kind = ? ORDER BY i.due_date, i.code"
_TALK_ITEMS = (f"SELECT {_ITEM} FROM items i WHERE i.counterpart_id IS NOT NULL "
               "ORDER BY i.due_date, i.code")
_FIXES = f"SELECT {_ITEM} FROM items i WHERE i.kind = ? ORDER BY i.due_date, i.code"
# An event's subject as an item's key: subject_id is text, items.id a number. SQLite would
# compare them as they are, PostgreSQL refuses to; the explicit CAST serves both and, on
# SQLite, still looks the item up by its key. Only an item's subject_id is cast (CASE
# decides before the CAST): other subjects' ids need not be numbers.
_SUBJECT_ITEM = ("CASE WHEN e.subject_type = 'item' THEN CAST(e.subject_id AS BIGINT) END")
_VERDICTS = (
    "SELECT e.subject_id, e.at, e.actor_person_id, json_extract(e.data, '$.action') "
    f"FROM events e JOIN items i ON i.id = {_SUBJECT_ITEM} AND i.kind = ? "
    "WHERE e.kind = 'item.status' AND e.subject_type = 'item' "
    "AND json_extract(e.data, '$.action') IN ('verify', 'return') ORDER BY e.id"
)
# The subject's 编号 when it is an item.
_EVENTS = (
    "SELECT e.id, e.at, e.actor_person_id, e.actor_telegram_id, e.kind, e.subject_type, "
    "e.subject_id, e.data, i.code FROM events e "
    f"LEFT JOIN items i ON i.id = {_SUBJECT_ITEM} ORDER BY e.id"
)

_KINDS = {k.value: k for k in ListKind}
_DUTIES = {d.value: d for d in Duty}
_STATUSES = {s.value: s for s in ItemStatus}


class LedgerSnapshot:
    """One read transaction on a read-only connection of its own. Blocking: open, use and
    close it in one thread (the export's child process)."""

    def __init__(self, source: str | Path) -> None:
        """`source`: the SQLite file's path, or a postgresql:// URL."""
        self._pg: Any = None  # the PostgreSQL snapshot (storage/postgres.py), if that
        if str(source).startswith(("postgresql://", "postgres://")):
            from storage.postgres import ReadSnapshot

            self._pg = ReadSnapshot(str(source))
        else:
            uri = Path(source).resolve().as_uri() + "?mode=ro"
            self._conn = sqlite3.connect(uri, uri=True, isolation_level=None)
            self._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._conn.execute("BEGIN")
        self._days: dict[str, date] = {}  # due dates repeat: one date object per day

    def __enter__(self) -> LedgerSnapshot:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        if self._pg is not None:
            self._pg.close()
            return
        try:
            self._conn.execute("ROLLBACK")
        finally:
            self._conn.close()

    def ledger(self, made_at: datetime, person_scores: Sequence[Score] = (),
               unit_scores: Sequence[Score] = (),
               score_period: tuple[date, date] | None = None,
               with_cases: bool = False) -> Ledger:
        """The whole 台账; the lists, obligations and events are read as they are written.
        The 问责 cases only `with_cases` (a 纪委 member's export, or the console's)."""
        return Ledger(
            cases=self.cases() if with_cases else None,
            inspections=self.inspections(), assessments=self.assessments(),
            made_at=made_at, units=self.units(), people=self.people(), lists=self.lists(),
            obligations=self.obligations(), talk_items=list(self.talk_items()),
            talks=self.talks(), fixes=list(self.fixes()), verdicts=self.verdicts(),
            events=self.events(), person_scores=person_scores, unit_scores=unit_scores,
            score_period=score_period, group_titles=self.group_titles(),
            reconciliation=self.reconciliation(),
            **self.delegations())

    def _rows(self, sql: str, params: tuple[object, ...] = ()) -> Iterator[tuple]:
        if self._pg is not None:
            yield from self._pg.rows(sql, params, _FETCH)
            return
        cur = self._conn.execute(sql, params)
        try:
            while chunk := cur.fetchmany(_FETCH):
                yield from chunk
        finally:
            cur.close()

    def cases(self) -> list[LedgerCase]:
        reviews: dict[int, list[LedgerReview]] = defaultdict(list)
        parties: dict[int, list[int]] = defaultdict(list)
        for review_id, person_id in self._rows(
                "SELECT review_id, person_id FROM case_parties ORDER BY review_id, rowid"):
            parties[review_id].append(person_id)
        for r in self._rows("SELECT id, case_id, duty, owner_id, due_date, status "
                            "FROM case_reviews ORDER BY id"):
            reviews[r[1]].append(LedgerReview(Duty(r[2]), r[3], date.fromisoformat(r[4]),
                                              r[5] == "done", tuple(parties[r[0]])))
        owed: dict[int, list[LedgerFollowUp]] = defaultdict(list)
        for r in self._rows("SELECT case_id, kind, owner_id, due_date, done_at "
                            "FROM case_followups ORDER BY case_id, id"):
            owed[r[0]].append(LedgerFollowUp(r[1], r[2], date.fromisoformat(r[3]),
                                             datetime.fromisoformat(r[4]).date()
                                             if r[4] else None))
        return [LedgerCase(r[1], r[2], r[3], r[4], r[5], r[6],
                           date.fromisoformat(r[7]) if r[7] else None, bool(r[8]), bool(r[9]),
                           r[10] == "closed", tuple(reviews[r[0]]),
                           datetime.fromisoformat(r[11]), tuple(owed[r[0]]))
                for r in self._rows(
                    "SELECT id, code, person_id, unit_id, situation_text, finding, handling, "
                    "decided_on, misconduct, typical, status, created_at FROM cases ORDER BY id")]

    def reconciliation(self) -> list[LedgerLine]:
        """The 责任书's 对账 lines, by year, holder and due date."""
        def at(text: str | None) -> datetime | None:
            return datetime.fromisoformat(text) if text else None

        return [LedgerLine(r[0], r[1], r[2], r[3], date.fromisoformat(r[4]), at(r[5]), r[6],
                           r[7], at(r[8]), r[9], at(r[10]), r[11], r[12])
                for r in self._rows(
                    "SELECT t.year, t.person_id, i.code, i.title, i.due_date, t.signed_at, "
                    "l.answer, l.reason, l.answered_at, l.confirmed_by, l.confirmed_at, "
                    "l.carry, c.code FROM letter_lines l JOIN letters t ON t.id = l.letter_id "
                    "JOIN items i ON i.id = l.item_id "
                    "LEFT JOIN items c ON c.id = l.carried_item_id "
                    "ORDER BY t.year, t.person_id, i.due_date, i.id")]

    def inspections(self) -> list[LedgerInspection]:
        """The 监督检查, newest first, each with its four findings and what they became."""
        findings: dict[int, list[LedgerFinding]] = defaultdict(list)
        for r in self._rows(
                "SELECT f.inspection_id, f.point, f.finding, i.code, x.code "
                "FROM inspection_findings f LEFT JOIN items i ON i.id = f.item_id "
                "LEFT JOIN items x ON x.id = f.fix_id ORDER BY f.inspection_id, f.id"):
            findings[r[0]].append(LedgerFinding(POINT_WORDS[Point(r[1])], r[2], r[3], r[4]))
        return [LedgerInspection(r[1], date.fromisoformat(r[2]), r[3],
                                 KIND_WORDS[InspectionKind(r[4])], r[5], tuple(findings[r[0]]))
                for r in self._rows("SELECT id, code, held_on, unit_id, kind, created_by "
                                    "FROM inspections ORDER BY held_on DESC, id DESC")]

    def assessments(self) -> list[LedgerAssessment]:
        return [LedgerAssessment(r[0], r[1], r[2], r[3], r[4], datetime.fromisoformat(r[5]))
                for r in self._rows("SELECT year, unit_id, grade, led_by, remarks, created_at "
                                    "FROM assessments ORDER BY year DESC, unit_id")]

    def units(self) -> dict[int, LedgerUnit]:
        return {r[0]: LedgerUnit(r[0], r[1], UnitKind(r[2]), r[3]) for r in self._rows(
            "SELECT id, name, kind, parent_id FROM units ORDER BY id")}

    def people(self) -> dict[int, LedgerPerson]:
        """Everyone ever registered (events name them), with `active` to tell who is now."""
        roles: dict[int, set[Role]] = defaultdict(set)
        for person_id, role in self._rows("SELECT person_id, role FROM person_roles"):
            roles[person_id].add(Role(role))
        oversees: dict[int, list[int]] = defaultdict(list)
        for person_id, unit_id in self._rows(
                "SELECT person_id, unit_id FROM person_oversight ORDER BY person_id, unit_id"):
            oversees[person_id].append(unit_id)
        return {
            r[0]: LedgerPerson(r[0], r[1], r[2], frozenset(roles[r[0]]), tuple(oversees[r[0]]),
                               r[4], r[5], r[3] is not None, bool(r[6]), r[7], r[8])
            for r in self._rows(
                "SELECT id, name, unit_id, telegram_user_id, phone, note, active, wecom_userid, "
                "feishu_open_id FROM persons ORDER BY id")
        }

    def _item(self, r: tuple, parent_code: str | None = None,
              grandparent_code: str | None = None) -> LedgerItem:
        due = self._days.get(r[9])
        if due is None:
            due = self._days[r[9]] = date.fromisoformat(r[9])
        return LedgerItem(r[0], r[1], _KINDS[r[2]], r[3], _DUTIES[r[4]], r[5], r[6], r[7], r[8],
                          due, _STATUSES[r[10]], r[11], r[12], r[13],
                          datetime.fromisoformat(r[14]), parent_code, grandparent_code)

    def lists(self) -> Iterator[LedgerItem]:
        for r in self._rows(_LISTS, tuple(k.value for k in THREE_LISTS)):
            yield self._item(r, r[15], r[16])

    def obligations(self) -> Iterator[LedgerItem]:
        return (self._item(r) for r in self._rows(_OBLIGATIONS, (ListKind.OBLIGATION.value,)))

    def talk_items(self) -> Iterator[LedgerItem]:
        return (self._item(r) for r in self._rows(_TALK_ITEMS))

    def fixes(self) -> Iterator[LedgerItem]:
        return (self._item(r) for r in self._rows(_FIXES, (ListKind.RECTIFICATION.value,)))

    def verdicts(self) -> list[Verdict]:
        return [Verdict(int(r[0]), datetime.fromisoformat(r[1]), r[2], r[3])
                for r in self._rows(_VERDICTS, (ListKind.RECTIFICATION.value,))]

    def talks(self) -> list[LedgerTalk]:
        return [
            LedgerTalk(r[0], r[1], r[2], r[3], r[4], date.fromisoformat(r[5]), r[6],
                       datetime.fromisoformat(r[7]))
            for r in self._rows(
                "SELECT id, item_id, holder_id, counterpart_id, kind, held_on, note, "
                "recorded_at FROM talks ORDER BY held_on, id")
        ]

    def events(self) -> Iterator[LedgerEvent]:
        kinds: dict[str, str] = {}  # one string object per kind, not one per event
        for r in self._rows(_EVENTS):
            kind = kinds.setdefault(r[4], r[4])
            subject_type = kinds.setdefault(r[5], r[5])
            yield LedgerEvent(r[0], datetime.fromisoformat(r[1]), r[2], r[3], kind,
                              subject_type, r[6], r[7], r[8])

    def delegations(self) -> dict[str, dict]:
        """The 分解 relation by item id: the code each was handed down from, and the codes
        handed down from each (the 传导链 column)."""
        delegated_from: dict[int, str] = {}
        delegated_to: dict[int, list[str]] = defaultdict(list)
        for child_id, parent_id, parent_code, child_code in self._rows(
                "SELECT d.child_id, d.parent_id, p.code, c.code FROM delegations d "
                "JOIN items p ON p.id = d.parent_id JOIN items c ON c.id = d.child_id "
                "ORDER BY c.code"):
            delegated_from[child_id] = parent_code
            delegated_to[parent_id].append(child_code)
        return {"delegated_from": delegated_from, "delegated_to": dict(delegated_to)}

    def group_titles(self) -> dict[int, str]:
        return {r[0]: r[1] for r in self._rows("SELECT chat_id, title FROM groups")}
