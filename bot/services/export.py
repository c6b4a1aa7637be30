"""The Excel 台账 (/导出, `dutybot export`): read from one snapshot and written in a worker
thread, the export itself recorded in the 履责纪实."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date

from bot.clock import Clock
from bot.domain import permissions
from bot.domain.ledger import Score
from bot.domain.model import Actor, Group, Unit
from bot.domain.performance import Tally
from bot.ledger_io import LedgerFile, write_ledger_file
from bot.services.access import check_reader
from bot.services.base import ServiceBase
from bot.services.errors import TooBigToSend
from bot.services.summary import Performance
from messages.export import file_name
from storage.db import Database
from storage.ledger import LedgerSnapshot

#: The 履责指数 over a period: SummaryService.performance.
Scores = Callable[[date, date], Awaitable[Performance]]

#: What a bot may send as a document (Telegram's limit for bots); a bigger 台账 is for
#: `dutybot export` on the server.
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024

#: The operator at the console (`dutybot export`): the office, by definition.
CONSOLE = Actor(telegram_user_id=None, bootstrap_admin=True)


@dataclass(frozen=True, slots=True)
class Export:
    data: bytes
    file_name: str
    day: date
    counts: dict[str, int]  # data rows per sheet


def check_export(actor: Actor, group: Group | None) -> None:
    """Private chat or a 纪委 group; the 纪委 and the office. Raises the refusal."""
    check_reader(actor, group, "export", permissions.can_export)


def scores_of(performance: Performance) -> tuple[list[Score], list[Score]]:
    """The 履责指数 as the 台账 lists it: everyone, then every unit."""
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
    def __init__(self, db: Database, clock: Clock, scores: Scores | None = None) -> None:
        super().__init__(db, clock)
        self.scores = scores
        # one workbook at a time: a second /导出 waits rather than doubling the work
        self._building = asyncio.Lock()

    async def export(self, actor: Actor, group: Group | None = None) -> Export:
        """The whole 台账 for a 纪委 member or an admin, in private chat or a 纪委 group
        (`group`: where it was asked for; None for a private chat)."""
        check_export(actor, group)
        return await self._export(actor, "chat", MAX_DOCUMENT_BYTES)

    async def export_for_console(self) -> Export:
        """`dutybot export`: the operator at the console may export everything."""
        return await self._export(CONSOLE, "cli")

    async def _export(self, actor: Actor, via: str, limit: int | None = None) -> Export:
        async with self._building:
            written, day = await self.write()
        if limit is not None and len(written.data) > limit:
            raise TooBigToSend(len(written.data), limit)
        name = file_name(day)
        async with self.change(actor) as tx:
            await tx.events.record(actor, self.now(), "ledger.exported", "ledger", name,
                                   counts=written.counts, via=via)
        return Export(written.data, name, day, written.counts)

    async def write(self) -> tuple[LedgerFile, date]:
        """The workbook, read and written in a worker thread from one snapshot on a
        read-only connection of its own: the bot's connection is not held meanwhile."""
        now = self.now()
        period = (date(now.year, 1, 1), now.date())
        people_scores: Sequence[Score] = ()
        unit_scores: Sequence[Score] = ()
        if self.scores is not None:
            people_scores, unit_scores = scores_of(await self.scores(*period))
        path = self.db.path
        if path is None:
            raise RuntimeError("the export reads the database file; this one has no path")

        def build() -> LedgerFile:
            with LedgerSnapshot(path) as snapshot:
                ledger = snapshot.ledger(now, people_scores, unit_scores,
                                         period if self.scores is not None else None)
                return write_ledger_file(ledger)

        return await asyncio.to_thread(build), now.date()
