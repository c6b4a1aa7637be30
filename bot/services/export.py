"""The Excel 台账 (/导出, `dutybot export`): read from one snapshot and written in a child
process; recorded in the 履责纪实 once it reached someone (sent, or written to its file),
and never when it did not."""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from bot.clock import Clock
from bot.domain import permissions
from bot.domain.ledger import LedgerWords, Score
from bot.domain.model import Actor, Group, Unit
from bot.domain.performance import Tally
from bot.domain.permissions import DISCIPLINE_ROLES
from bot.ledger_io import write_ledger_to
from bot.offload import Offloader, OffloadFailed, OutOfMemory, OutOfTime
from bot.services.access import check_reader
from bot.services.base import ServiceBase
from bot.services.errors import ExportFailed, TooBigToSend
from bot.services.summary import Performance
from storage.db import Database
from storage.ledger import LedgerSnapshot

#: The on-time and response rates (完成与响应) over a period: SummaryService.performance.
Scores = Callable[[date, date], Awaitable[Performance]]

#: What a bot may send as a document (Telegram's limit for bots); a bigger 台账 is for
#: `dutybot export` on the server.
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024

#: The operator at the console (`dutybot export`): the office, by definition.

#: Writing the 台账 of 500 000 items took four to five minutes on a shared 2-core machine
#: with openpyxl; streamed by bot/xlsx.py, well under a minute (bench/README.md (e)).
EXPORT_SECONDS = 30 * 60.0


@dataclass(frozen=True, slots=True)
class Export:
    data: bytes
    day: date
    counts: dict[str, int]  # data rows per sheet


def check_export(actor: Actor, group: Group | None) -> None:
    """Private chat or a 纪委 group; the 纪委 and the office. Raises the refusal."""
    check_reader(actor, group, "export", permissions.can_export)


def scores_of(performance: Performance) -> tuple[list[Score], list[Score]]:
    """The 完成与响应 rates as the 台账 lists them: everyone, then every unit."""
    units = {u.unit.id: u.unit for u in performance.units}

    def parent_of(unit: Unit) -> str | None:
        parent = units.get(unit.parent_id) if unit.parent_id is not None else None
        return parent.name if parent else None

    people = [_score(p.person.name, p.unit.name, p.tally) for p in performance.people]
    return people, [_score(u.unit.name, parent_of(u.unit), u.tally) for u in performance.units]


def _score(name: str, unit: str | None, t: Tally) -> Score:
    return Score(name, unit, t.counted, t.on_time, t.on_time_rate, t.reminded, t.answered,
                 t.response_rate, t.score)


class ExportService(ServiceBase):
    def __init__(self, db: Database, clock: Clock, offload: Offloader,
                 scores: Scores | None = None) -> None:
        super().__init__(db, clock)
        self.offload = offload
        self.scores = scores
        # one workbook at a time: a second /导出 waits rather than doubling the work
        self._building = asyncio.Lock()

    async def export(self, actor: Actor, group: Group | None, words: LedgerWords) -> Export:
        """The whole 台账 for a 纪委 member or an admin, in private chat or a 纪委 group
        (`group`: where it was asked for; None for a private chat), not yet recorded: the
        caller sends it, then calls `recorded`."""
        check_export(actor, group)
        # the 问责 sheet is the 纪委's: confidential, never in a group
        written = await self.write(words, with_cases=group is None and bool(
            actor.roles & DISCIPLINE_ROLES))
        if len(written.data) > MAX_DOCUMENT_BYTES:
            raise TooBigToSend(len(written.data), MAX_DOCUMENT_BYTES)
        return written

    async def export_for_console(self, words: LedgerWords) -> Export:
        """`dutybot export`: the operator at the console may export everything; the caller
        writes the file, then calls `recorded`."""
        return await self.write(words, with_cases=True)

    async def recorded(self, actor: Actor, export: Export, file: str, via: str) -> None:
        """The 履责纪实's row for an export that reached someone: `file` is what they got
        (the document's name in chat, the path written at the console)."""
        now = self.now()
        await self.change_at_once(actor, lambda tx: tx.events.record(
            actor, now, "ledger.exported", "ledger", file, counts=export.counts, via=via))

    async def write(self, words: LedgerWords, with_cases: bool = False) -> Export:
        """The workbook, read from one snapshot on a read-only connection of its own and
        written in a child process (low priority, memory-capped): neither the bot's
        connection nor its interpreter is held meanwhile."""
        now = self.now()
        period = (date(now.year, 1, 1), now.date())
        people_scores: Sequence[Score] = ()
        unit_scores: Sequence[Score] = ()
        if self.scores is not None:
            people_scores, unit_scores = scores_of(await self.scores(*period))
        # the child opens its own snapshot: the SQLite file, or the PostgreSQL server's URL
        # (sent to the child through its pipe, never logged)
        source = getattr(self.db, "url", None) if self.db.engine == "postgresql" \
            else self.db.path
        if source is None:
            raise RuntimeError("the export reads the database on its own; this one has no "
                               "path or URL")
        async with self._building:
            # the child writes the workbook into a file of ours (it never holds the
            # workbook whole, nor sends it through its pipe); we read it and remove it
            handle, target = tempfile.mkstemp(prefix="dutybot-export-", suffix=".xlsx")
            os.close(handle)
            try:
                counts = await self.offload.run(
                    build_ledger, str(source), now, people_scores, unit_scores,
                    period if self.scores is not None else None, words, with_cases,
                    target, seconds=EXPORT_SECONDS)
                data = await asyncio.to_thread(_read, target)
            except OutOfMemory:
                raise ExportFailed("memory") from None
            except OutOfTime:
                raise ExportFailed("time") from None
            except OffloadFailed:
                raise ExportFailed("died") from None
            finally:
                os.unlink(target)
        return Export(data, now.date(), counts)


def build_ledger(source: str, now: datetime, people_scores: Sequence[Score],
                 unit_scores: Sequence[Score], period: tuple[date, date] | None,
                 words: LedgerWords, with_cases: bool, target: str) -> dict[str, int]:
    """In the child process: the snapshot read (`source`: the SQLite file's path or the
    postgresql:// URL) and the workbook streamed from it into the file `target`; the data
    rows per sheet."""
    with LedgerSnapshot(source) as snapshot:
        ledger = snapshot.ledger(now, people_scores, unit_scores, period, with_cases)
        return write_ledger_to(ledger, words, target)


def _read(path: str) -> bytes:
    with open(path, "rb") as file:
        return file.read()
