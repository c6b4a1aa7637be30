"""Importing the workbook: check every row, then apply all of it in one transaction, or
nothing; new people get their invites in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import PurePath
from typing import Any

from bot.clock import Clock
from bot.domain import permissions
from bot.domain.model import Actor
from bot.domain.workbook import (
    ITEMS,
    PEOPLE,
    UNITS,
    ImportPlan,
    RowError,
    Rows,
    plan_import,
    read_rows,
)
from bot.offload import Offloader, OffloadFailed, OutOfMemory, OutOfTime
from bot.services.base import ServiceBase
from bot.services.errors import NotAllowed
from bot.services.people import PeopleService
from bot.workbook_io import WorkbookUnreadable, read_workbook
from storage.db import Database
from storage.imports import Applied

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
#: Reading a workbook of 20 000 rows takes about 2 s; one that takes a minute is not a list.
PARSE_SECONDS = 60.0
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class UploadProblem(StrEnum):
    NOT_XLSX = "not_xlsx"
    OLD_XLS = "old_xls"
    MACROS = "macros"
    TOO_BIG = "too_big"
    CORRUPT = "corrupt"
    TOO_COMPLEX = "too_complex"  # reading it took more memory than any list needs
    TOO_SLOW = "too_slow"  # reading it took longer than PARSE_SECONDS


@dataclass
class WorkbookRefused(Exception):
    """The file is not a workbook we import; nothing was read from it. (Not a ServiceError:
    messages/imports.py, not the one-line refusals, says why.)"""

    problem: UploadProblem
    file_name: str = ""
    size: int = 0


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


def check_upload(file_name: str | None, mime_type: str | None,
                 size: int | None) -> UploadProblem | None:
    """What can be told before downloading: the file's kind by its name, and its size."""
    suffix = PurePath(file_name or "").suffix.lower()
    if suffix in (".xlsm", ".xltm", ".xlsb"):
        return UploadProblem.MACROS
    if suffix == ".xls":
        return UploadProblem.OLD_XLS
    if suffix != ".xlsx" and not (not suffix and mime_type == XLSX_MIME):
        return UploadProblem.NOT_XLSX
    if size is not None and size > MAX_UPLOAD_BYTES:
        return UploadProblem.TOO_BIG
    return None


def parse_file(data: bytes) -> tuple[Rows, list[RowError]]:
    """openpyxl's reading and the check of every row on its own (blocking, and as heavy as
    the file makes it: the service runs it in a child process); the file's refusals as
    WorkbookRefused."""
    try:
        book = read_workbook(data)
    except WorkbookUnreadable as exc:
        if isinstance(exc.__cause__, MemoryError):  # the child's memory cap, not the form
            raise MemoryError from None
        raise WorkbookRefused(UploadProblem(exc.reason)) from None
    return read_rows(book)


class ImportService(ServiceBase):
    def __init__(self, db: Database, clock: Clock, people: PeopleService,
                 offload: Offloader) -> None:
        super().__init__(db, clock)
        self.people = people
        self.offload = offload

    async def import_file(self, actor: Actor, data: bytes, source: str) -> ImportResult:
        if not permissions.is_admin(actor):
            raise NotAllowed("register")
        rows, read_errors = await self.parse(data)
        return await self.import_rows(actor, rows, read_errors, source)

    async def parse(self, data: bytes) -> tuple[Rows, list[RowError]]:
        """The file read and its rows checked in a child process (memory-capped, low
        priority), so that no file can stall or exhaust the bot, nor hold up the others
        while 20 000 rows are checked; what it could not read, as WorkbookRefused."""
        try:
            return await self.offload.run(parse_file, data, seconds=PARSE_SECONDS)
        except OutOfMemory:
            raise WorkbookRefused(UploadProblem.TOO_COMPLEX) from None
        except OutOfTime:
            raise WorkbookRefused(UploadProblem.TOO_SLOW) from None
        except OffloadFailed:  # the reader itself fell over on this file
            raise WorkbookRefused(UploadProblem.CORRUPT) from None

    async def import_rows(self, actor: Actor, rows: Rows, read_errors: list[RowError],
                          source: str) -> ImportResult:
        """Check the rows against each other and the database; then apply everything in one
        transaction with its events, or raise ImportRejected having changed nothing."""
        if not permissions.is_admin(actor):
            raise NotAllowed("register")
        if not rows.complete:
            raise ImportRejected(read_errors, rows.examples_skipped)
        async with self.change(actor) as tx:
            stored = await tx.imports.stored(rows.codes(), rows.uncoded_titles())
            plan, errors = plan_import(rows, stored, read_errors)
            if plan is None:
                raise ImportRejected(errors, rows.examples_skipped)
            if plan.is_empty():
                return ImportResult(source, plan, ())
            now = self.now()
            applied = await tx.imports.apply(plan, now)
            made = await self.people.invites_in(tx, [p for _, p in applied.people], now)
            invites = [NewInvite(person.name, change.unit, invite.code, invite.expires_at)
                       for (change, person), invite in zip(applied.people, made, strict=True)]
            await tx.events.record_many(actor, now, _events(plan, applied, source))
        return ImportResult(source, plan, tuple(invites))


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

