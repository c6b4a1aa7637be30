"""Importing the workbook: check every row, then apply all of it in one transaction, or
nothing; new people get their invites in the same transaction."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePath
from typing import Any

from bot.clock import Clock
from bot.domain import permissions
from bot.domain.cases import FINDING_MAX, CaseProblem, can_record_cases, check_case
from bot.domain.model import Actor, Person
from bot.domain.permissions import DISCIPLINE_ROLES
from bot.domain.text import TextRefused, clean_note
from bot.domain.workbook import (
    CASES,
    ITEMS,
    LIMITS,
    PEOPLE,
    UNITS,
    CaseRow,
    FileKind,
    ImportPlan,
    Problem,
    RawWorkbook,
    RowError,
    Rows,
    UploadProblem,
    WorkbookLimits,
    check_delegations,
    plan_import,
    read_rows,
)
from bot.offload import Offloader, OffloadFailed, OutOfMemory, OutOfTime
from bot.services.base import ServiceBase
from bot.services.cases import CaseDraft, CaseService
from bot.services.errors import AmbiguousPerson, NotAllowed, UnknownPerson, UnknownUnit
from bot.services.people import PeopleService, resolve_person, resolve_unit
from bot.workbook_guard import WorkbookUnreadable, file_kind
from storage.db import Database, Tx
from storage.imports import Applied

__all__ = ["LIMITS", "MAX_UPLOAD_BYTES", "PARSE_SECONDS", "ImportService", "UploadProblem",
           "WorkbookLimits", "WorkbookRefused", "check_content", "check_upload", "parse_file",
           "read_and_check", "read_upload"]

MAX_UPLOAD_BYTES = LIMITS.file_bytes
#: Reading a workbook of 20 000 rows takes about 2 s; one that takes a minute is not a list.
PARSE_SECONDS = 60.0
IMPORT_STEPS = 3  # read, checked, written: what `progress` counts
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_MACRO_SUFFIXES = (".xlsm", ".xltm", ".xlsb")


@dataclass
class WorkbookRefused(Exception):
    """The file is not a workbook we import; nothing was imported from it. (Not a
    ServiceError: messages/imports.py, not the one-line refusals, says why.) `part`, `limit`,
    `found` and `kind` say more where the problem has more to say (see WorkbookUnreadable).
    Picklable, so that a child process may raise it."""

    problem: UploadProblem
    file_name: str = ""
    size: int = 0
    part: str = ""
    limit: int = 0
    found: int = 0
    kind: FileKind | None = None

    def __post_init__(self) -> None:
        super().__init__(self.problem)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.problem, self.file_name, self.size, self.part, self.limit,
                             self.found, self.kind))

    @classmethod
    def of(cls, exc: WorkbookUnreadable, file_name: str = "") -> WorkbookRefused:
        return cls(exc.problem, file_name, 0, exc.part, exc.limit, exc.found, exc.kind)


@dataclass
class ImportRejected(Exception):
    """Some rows are wrong; nothing was imported. The report is messages/imports.py's."""

    errors: list[RowError]
    examples_skipped: int = 0


@dataclass(frozen=True, slots=True)
class NewInvite:
    name: str
    unit: str
    code: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class ImportResult:
    source: str
    plan: ImportPlan
    invites: tuple[NewInvite, ...]
    delegations: int = 0  # 分解 lines added
    cases: int = 0  # 问责 cases recorded (confidential: a count only)
    cases_unchanged: int = 0  # 问责 lines already in the register


def check_upload(file_name: str | None, mime_type: str | None, size: int | None,
                 limits: WorkbookLimits = LIMITS) -> UploadProblem | None:
    """What can be told before downloading: the file's kind by its name, and its size."""
    suffix = PurePath(file_name or "").suffix.lower()
    if suffix in _MACRO_SUFFIXES:
        return UploadProblem.MACROS
    if suffix == ".xls":
        return UploadProblem.OLD_XLS
    if suffix != ".xlsx" and not (not suffix and mime_type == XLSX_MIME):
        return UploadProblem.NOT_XLSX
    if size is not None and size > limits.file_bytes:
        return UploadProblem.TOO_BIG
    return None


def check_content(file_name: str, data: bytes) -> WorkbookRefused | None:
    """A file whose name and content disagree, told by its content: an .xlsx renamed .xls
    (or .csv), an old .xls or a PDF renamed .xlsx. None when the name and the content agree
    on an .xlsx (or the content is a broken zip: reading it will say so)."""
    suffix = PurePath(file_name).suffix.lower()
    if suffix in _MACRO_SUFFIXES:  # as in chat, where it is refused before downloading
        return WorkbookRefused(UploadProblem.MACROS, file_name)
    kind = file_kind(data)
    if kind is FileKind.XLSX:
        if suffix != ".xlsx":
            return WorkbookRefused(UploadProblem.RENAMED_XLSX, file_name)
        return None
    if suffix == ".xls" and kind is FileKind.OLE2:
        return WorkbookRefused(UploadProblem.OLD_XLS, file_name)
    if suffix == ".xlsx" and kind is FileKind.ZIP:
        return None  # a broken or foreign zip: reading the package tells which
    if suffix in (".xlsx", ".xls"):
        return WorkbookRefused(UploadProblem.NOT_WORKBOOK, file_name, kind=kind)
    return WorkbookRefused(UploadProblem.NOT_XLSX, file_name, kind=kind)


def read_upload(path: Path, limits: WorkbookLimits = LIMITS) -> bytes:
    """A workbook's bytes from the console's path, or WorkbookRefused: a missing file, a
    folder, an unreadable or too big file, a name its content contradicts."""
    from bot.workbook_io import read_file  # openpyxl loads when a workbook is first read

    try:
        data = read_file(path, limits)
    except WorkbookUnreadable as exc:
        raise WorkbookRefused.of(exc, path.name) from None
    refused = check_content(path.name, data)
    if refused is not None:
        raise refused
    return data


def parse_file(source: bytes | Path, limits: WorkbookLimits = LIMITS) -> RawWorkbook:
    """openpyxl's reading within `limits` (blocking: call it off the event loop; a plain
    module-level function of picklable arguments, so a child process may run it), its
    refusals as WorkbookRefused."""
    from bot.workbook_io import read_workbook  # openpyxl: in the child that reads, when first used

    try:
        return read_workbook(source, limits)
    except WorkbookUnreadable as exc:
        raise WorkbookRefused.of(exc) from None


def read_and_check(source: bytes | Path,
                   limits: WorkbookLimits = LIMITS) -> tuple[Rows, list[RowError]]:
    """The file read and every row checked on its own: what the service runs in a child
    process, so that 20 000 rows are checked off the bot's own interpreter."""
    return read_rows(parse_file(source, limits))


class ImportService(ServiceBase):
    def __init__(self, db: Database, clock: Clock, people: PeopleService,
                 offload: Offloader, limits: WorkbookLimits = LIMITS,
                 cases: CaseService | None = None) -> None:
        super().__init__(db, clock)
        self.people = people
        self.cases = cases  # the 问责 register, for the 问责 sheet
        self.offload = offload
        self.limits = limits

    async def import_file(self, actor: Actor, data: bytes, source: str,
                          limits: WorkbookLimits | None = None,
                          progress: Callable[[int, int], None] | None = None) -> ImportResult:
        """The workbook in `data`, within `limits` (the service's own by default);
        `progress(step, IMPORT_STEPS)` after reading the file, checking the rows and
        writing them (for the console's progress bar)."""
        if not permissions.is_admin(actor):
            raise NotAllowed("register")
        rows, read_errors = await self.parse(data, limits or self.limits)
        if progress is not None:
            progress(1, IMPORT_STEPS)
        return await self.import_rows(actor, rows, read_errors, source, progress)

    async def parse(self, data: bytes,
                    limits: WorkbookLimits) -> tuple[Rows, list[RowError]]:
        """The file read and its rows checked in a child process (memory-capped, low
        priority), so that no file can stall or exhaust the bot, nor hold up the others
        while 20 000 rows are checked; what it could not read, as WorkbookRefused."""
        try:
            return await self.offload.run(read_and_check, data, limits,
                                          seconds=PARSE_SECONDS)
        except OutOfMemory:
            raise WorkbookRefused(UploadProblem.TOO_COMPLEX) from None
        except OutOfTime:
            raise WorkbookRefused(UploadProblem.TOO_SLOW) from None
        except OffloadFailed:  # the reader itself fell over on this file
            raise WorkbookRefused(UploadProblem.CORRUPT) from None

    async def import_rows(self, actor: Actor, rows: Rows, read_errors: list[RowError],
                          source: str,
                          progress: Callable[[int, int], None] | None = None) -> ImportResult:
        """Check the rows against each other and the database; then apply everything in one
        transaction with its events, or raise ImportRejected having changed nothing."""
        if not permissions.is_admin(actor):
            raise NotAllowed("register")
        if not rows.complete:
            raise ImportRejected(read_errors, rows.examples_skipped)
        if rows.cases and not may_import_cases(actor):  # confidential: the 纪委's alone
            raise ImportRejected([RowError(CASES, None, None, Problem.CASES_NOT_ALLOWED)],
                                 rows.examples_skipped)
        async with self.change(actor) as tx:
            stored = await tx.imports.stored(rows.codes(), rows.uncoded_titles())
            # pure and CPU-bound (0.2 s for 20 000 rows): in a thread, so the event loop
            # keeps serving the others meanwhile
            plan, errors = await asyncio.to_thread(plan_import, rows, stored, read_errors)
            if plan is None:
                raise ImportRejected(errors, rows.examples_skipped)
            if progress is not None:
                progress(2, IMPORT_STEPS)
            if plan.is_empty() and not rows.delegations and not rows.cases:
                return ImportResult(source, plan, ())
            now = self.now()
            applied = await tx.imports.apply(plan, now)
            made = await self.people.invites_in(tx, [p for _, p in applied.people], now)
            invites = [NewInvite(person.name, change.unit, invite.code, invite.expires_at)
                       for (change, person), invite in zip(applied.people, made, strict=True)]
            await tx.events.record_many(actor, now, _events(plan, applied, source))
            delegated = await self._delegations_in(tx, actor, rows, source, now)
            recorded, known = await self._cases_in(tx, actor, rows)
        if progress is not None:
            progress(IMPORT_STEPS, IMPORT_STEPS)
        return ImportResult(source, plan, tuple(invites), delegated, recorded, known)

    async def _cases_in(self, tx: Tx, actor: Actor, rows: Rows) -> tuple[int, int]:
        """The 问责 sheet, after the rest of the file (its people may be new): every line
        checked first — 被问责人, 单位, 登记人 (a 纪委 member), the register's rules, not
        already recorded — then each recorded as /问责 登记 does, 一案双查 included, in this
        same transaction. (recorded, already there); one bad line undoes everything."""
        if not rows.cases:
            return 0, 0
        if self.cases is None:
            raise RuntimeError("the import has no 问责 register")
        rules = self.cases.rules
        stored_cases = await tx.cases.all()
        stored = {(c.person_id, c.unit_id, c.situation, c.finding) for c in stored_cases}
        # a 情形 by its code, or by its words (the 台账's 问责 sheet writes the words as
        # recorded, which the rules file may have changed since)
        words = {c.situation_text: c.situation for c in stored_cases} | {
            s.text: s.code for s in rules.situations.values()}
        errors: list[RowError] = []
        wanted: list[tuple[Actor, CaseDraft]] = []
        first: dict[tuple[int, int, str, str], int] = {}
        known = 0
        for r in rows.cases:
            line = _CaseLine(r, errors)
            person = await line.person(tx, "被问责人", r.person)
            unit = await line.unit(tx, r.unit) if r.unit else None
            situation = r.situation if r.situation in rules.situations \
                else words.get(r.situation, r.situation)
            if line.ok and person is not None:
                key = (person.id, person.unit_id if unit is None else unit, situation,
                       _as_stored(r.finding))
                if key in first:
                    line.fail("查明问题", Problem.CASE, "", ("duplicate", str(first[key])))
                    continue
                first[key] = r.row
                if key in stored:  # recorded already (a 台账 imported back): left as it is
                    known += 1
                    continue
            recorder = await line.person(tx, "登记人", r.recorder) if r.recorder \
                else actor.person
            if recorder is None:
                line.fail("登记人", Problem.REQUIRED)
            elif not recorder.roles & DISCIPLINE_ROLES:
                line.fail("登记人", Problem.CASE, recorder.name, ("recorder",))
            try:
                check_case(situation, rules.situations, r.handling, rules.handlings,
                           r.finding)
            except CaseProblem as problem:
                column = _CASE_COLUMNS.get(problem.field, "查明问题")
                line.fail(column, Problem.CASE, problem.detail, (problem.field,))
            if r.decided_on is not None and r.decided_on > self.today():
                line.fail("处理日期", Problem.CASE, r.decided_on.isoformat(), ("decided_on",))
            if not line.ok or person is None or recorder is None:
                continue
            wanted.append((Actor(telegram_user_id=recorder.telegram_user_id, person=recorder),
                           CaseDraft(person=f"{person.name}@{line.units[person.unit_id]}",
                                     situation=situation, finding=r.finding,
                                     handling=r.handling,
                                     decided_on=r.decided_on.isoformat()
                                     if r.decided_on else None,
                                     misconduct=r.misconduct, typical=r.typical,
                                     unit=r.unit)))
        if errors:
            raise ImportRejected(sorted(errors, key=RowError.sort_key), rows.examples_skipped)
        for recorder_actor, draft in wanted:
            await self.cases.record_in(tx, recorder_actor, draft)
        return len(wanted), known

    async def _delegations_in(self, tx: Tx, actor: Actor, rows: Rows, source: str,
                              now: datetime) -> int:
        """The 分解 sheet, checked with the rules of bot/domain/delegation.py against the
        items as the rest of the file leaves them (in this same transaction); one bad line
        and ImportRejected undoes everything. How many links were added."""
        if not rows.delegations:
            return 0
        codes = {c for r in rows.delegations for c in (r.parent, r.child)}
        items = {code: item for code in sorted(codes)
                 if (item := await tx.items.by_code(code)) is not None}
        new, errors = check_delegations(rows.delegations, items, await tx.persons.all(),
                                        await tx.units.all(), await tx.delegations.parent_map())
        if errors:
            raise ImportRejected(sorted(errors, key=RowError.sort_key), rows.examples_skipped)
        via = {"via": "import", "file": source}
        for parent, child in new:
            await tx.delegations.add(parent.id, child.id, actor.person_id, now)
            await tx.events.record(actor, now, "item.delegated", "item", parent.id,
                                   code=parent.code, children=[child.code], **via)
        return len(new)


def may_import_cases(actor: Actor) -> bool:
    """问责 lines come from the 纪委 (bot/domain/cases.py), or from the office machine's
    console, where each line names its 纪委 登记人."""
    return can_record_cases(actor) or (actor.telegram_user_id is None and actor.person is None
                                       and actor.bootstrap_admin)


#: The column a 问责 line's problem is about, by the register's field (CaseProblem).
_CASE_COLUMNS = {"situation": "追责情形", "handling": "处理", "finding": "查明问题"}


def _as_stored(finding: str) -> str:
    """查明问题 as the register stores it (cleaned), to tell a case already recorded."""
    try:
        return clean_note(finding, FINDING_MAX)
    except TextRefused:
        return finding


class _CaseLine:
    """One line of the 问责 sheet while it is checked: its problems collect in `errors`."""

    def __init__(self, row: CaseRow, errors: list[RowError]) -> None:
        self.row, self.errors, self.ok = row, errors, True
        self.units: dict[int, str] = {}

    def fail(self, column: str, problem: Problem, value: str = "",
             choices: tuple[str, ...] = ()) -> None:
        self.ok = False
        self.errors.append(RowError(CASES, self.row.row, column, problem, value, choices))

    async def person(self, tx: Tx, column: str, text: str) -> Person | None:
        try:
            person = await resolve_person(tx, text)
        except UnknownPerson as e:
            self.fail(column, Problem.UNKNOWN_PERSON, e.name)
        except AmbiguousPerson as e:
            self.fail(column, Problem.AMBIGUOUS_PERSON, e.name, tuple(e.units))
        except UnknownUnit as e:
            self.fail(column, Problem.UNKNOWN_UNIT, e.name)
        else:
            self.units.setdefault(person.unit_id, (await tx.units.all())[person.unit_id].name)
            return person
        return None

    async def unit(self, tx: Tx, name: str) -> int | None:
        try:
            return (await resolve_unit(tx, name)).id
        except UnknownUnit as e:
            self.fail("所在单位", Problem.UNKNOWN_UNIT, e.name)
            return None


def _events(plan: ImportPlan, applied: Applied,
            source: str) -> list[tuple[str, str, object, dict[str, Any]]]:
    """One event per record created or changed, as if done in chat, and one for the import."""
    via = {"via": "import", "file": source}
    events: list[tuple[str, str, object, dict[str, Any]]] = []
    for c in plan.units:
        unit = applied.units[c.name]
        if c.unit_id is None:
            events.append(("unit.created", "unit", unit.id,
                           {"name": c.name, "kind": c.kind.value, "parent": c.parent, **via}))
        else:
            events.append(("unit.updated", "unit", unit.id, {"changes": c.changes, **via}))
    new_people = {(c.name, c.unit): p for c, p in applied.people}
    for c in plan.people:
        if c.person_id is None:
            person = new_people[(c.name, c.unit)]
            events.append(("person.registered", "person", person.id, {
                "name": c.name, "unit": c.unit, "roles": sorted(r.value for r in c.roles),
                "oversees": list(c.oversees), **via}))
        else:
            events.append(("person.updated", "person", c.person_id,
                           {"changes": c.changes, **via}))
    for c, item in applied.items:
        if c.item_id is None:
            events.append(("item.created", "item", item.id, {
                "code": item.code, "kind": c.kind.value, "title": c.title,
                "duty": c.duty.value, "owner": c.owner[0], "unit": c.unit,
                "parent": c.parent.code if c.parent else None, "source": c.source,
                "due_date": c.due.isoformat(), "status": c.status.value, **via}))
        else:
            events.append(("item.updated", "item", item.id,
                           {"code": item.code, "changes": c.changes, **via}))
    counts = {key: {"created": plan.created(sheet), "updated": plan.updated(sheet),
                    "unchanged": plan.unchanged[sheet]}
              for key, sheet in (("units", UNITS), ("people", PEOPLE), ("items", ITEMS))}
    events.append(("import.applied", "import", source, {"counts": counts, **via}))
    return events

