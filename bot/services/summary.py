"""The 纪委's picture: the weekly summary (on demand and pushed), /逾期, the 完成与响应 rates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bot.clock import Clock
from bot.domain import permissions
from bot.domain.calendar import WorkCalendar
from bot.domain.channels import Routes
from bot.domain.model import Actor, Group, Person, Unit
from bot.domain.performance import OnTime, Responses, Tally, tallies
from bot.domain.responsiveness import NonResponder, answer_window, longest_waiting
from bot.domain.summary import (
    ItemLine,
    Period,
    Summary,
    SummaryInput,
    TrendPoint,
    WeeklyPolicy,
    iso_week,
    summarize,
    to_payload,
    week_period,
    year_start,
)
from bot.domain.target import TELEGRAM, Target
from bot.domain.vocabulary import DUTY_NAMES, KIND_NAMES
from bot.services.access import check_reader
from bot.services.base import ServiceBase
from storage.db import Database, Tx

RED_SHOWN = 15  # the worst overdue items the summary lists by name
YELLOW_SHOWN = 10
OVERDUE_SHOWN = 40  # /逾期
TREND_WEEKS = 8  # the chart's trend of the on-time rate


@dataclass(frozen=True, slots=True)
class PersonScore:
    person: Person
    unit: Unit
    tally: Tally


@dataclass(frozen=True, slots=True)
class UnitScore:
    unit: Unit
    tally: Tally


@dataclass(frozen=True, slots=True)
class Performance:
    start: date
    end: date
    people: list[PersonScore]
    units: list[UnitScore]


@dataclass(frozen=True, slots=True)
class OverdueView:
    lines: list[ItemLine]
    total: int
    today: date
    everything: bool  # False: one's own and one's 分管 units


class SummaryService(ServiceBase):
    def __init__(self, db: Database, clock: Clock, calendar: WorkCalendar,
                 weekly: WeeklyPolicy | None = None) -> None:
        super().__init__(db, clock)
        self.calendar = calendar
        self.weekly = weekly or WeeklyPolicy()

    # On demand -------------------------------------------------------------------------

    async def weekly_for(self, actor: Actor, group: Group | None) -> Summary:
        """/周报: the 纪委 and the 书记, in private chat (`group` None) or a 纪委 group."""
        check_reader(actor, group, "weekly", permissions.can_see_weekly)
        return await self.summary()

    async def summary(self, last_week: bool = False) -> Summary:
        """The picture now; its period is this week so far, or (`last_week`, the scheduled
        push) the last complete Monday-to-Sunday week."""
        now = self.now()
        period = week_period(now.date(), last_week)
        # in one go (storage/at_once.py): a big organisation's moves to a reader's thread
        data = await self.db.read_at_once(lambda tx: self._gather(tx, now, period))
        return summarize(data, KIND_NAMES, DUTY_NAMES)

    async def _gather(self, tx: Tx, now: datetime, period: Period) -> SummaryInput:
        today = now.date()
        start = year_start(today)
        since = datetime.combine(period.start, time(0), now.tzinfo)
        until = datetime.combine(period.end + timedelta(days=1), time(0), now.tzinfo) \
            if period.last_week else None
        red, _ = await tx.summary.overdue_lines(today, RED_SHOWN)
        yellow, _ = await tx.summary.soon_lines(today, YELLOW_SHOWN)
        window = answer_window(today, self.calendar)
        found = longest_waiting(await _present(tx, await tx.summary.silent(*window)))
        return SummaryInput(
            today=today,
            census=await tx.summary.census(today),
            on_time=await tx.summary.on_time(start, today),
            responses=await tx.summary.responses(start, today),
            red=red, yellow=yellow,
            talks=await tx.summary.talks(start, date(today.year, 12, 31)),
            changes=await tx.summary.changes(since, today, until),
            silent=found,
            people=await tx.persons.directory(),
            units=await tx.units.all(),
            push_only=await tx.summary.push_only(*window),
            period=period,
            trend=await _trend(tx, period, today),
        )

    async def overdue_for(self, actor: Actor, group: Group | None) -> OverdueView:
        """/逾期: everything for the 纪委, the 书记 and the office; a 班子成员's own and
        their 分管 units (and below). In private chat or a 纪委 group only."""
        check_reader(actor, group, "overdue", permissions.can_see_overdue)
        today = self.today()

        async def read(tx: Tx) -> tuple[permissions.Scope, list[ItemLine], int]:
            units = await tx.units.all()
            if actor.person is None:  # a bootstrap admin: the office sees all
                scope = permissions.Scope(everything=True, person_id=None)
            else:
                scope = permissions.scope_of(actor.person, units)
            return scope, *await tx.summary.overdue_lines(
                today, OVERDUE_SHOWN, None if scope.everything else scope.unit_ids,
                scope.person_id)

        scope, lines, count = await self.db.read_at_once(read)  # one round trip
        return OverdueView(lines=lines, total=count, today=today, everything=scope.everything)

    async def non_responders(self) -> list[tuple[Person, NonResponder]]:
        """People with a reminder unanswered for two workdays, longest waiting first."""
        async with self.db.read() as tx:
            found = await _present(tx, await tx.summary.silent(
                *answer_window(self.today(), self.calendar)))
            people = await tx.persons.directory()
        return [(people[n.person_id], n) for n in longest_waiting(found)
                if n.person_id in people]

    # 完成与响应 -------------------------------------------------------------------------

    async def performance(self, start: date, end: date) -> Performance:
        """Per person and per unit: on-time completion and reminder response in
        [start, end] (the on-time rate counts what fell due before `end`)."""
        async def read(tx: Tx) -> tuple[list[OnTime], list[Responses], dict[int, Person],
                                        dict[int, Unit]]:
            return (await tx.summary.on_time(start, end), await tx.summary.responses(start, end),
                    await tx.persons.directory(), await tx.units.all())

        # in one go (storage/at_once.py): a big organisation's moves to a reader's thread
        on_time, responses, people, units = await self.db.read_at_once(read)
        counted = tallies(on_time, responses, {pid: p.unit_id for pid, p in people.items()})
        return Performance(
            start=start, end=end,
            people=[PersonScore(p, units[p.unit_id], counted.people.get(p.id, Tally()))
                    for p in sorted(people.values(), key=lambda p: (p.unit_id, p.id))],
            units=[UnitScore(u, counted.units.get(u.id, Tally()))
                   for u in sorted(units.values(), key=lambda u: u.id)],
        )

    # The weekly push -------------------------------------------------------------------

    def is_push_time(self, now: datetime) -> bool:
        """A workday of this week on or after the configured weekday, at or after the time:
        a holiday Monday moves the push to the next workday; downtime catches up once."""
        today = now.date()
        if self.weekly.weekday is None:
            return False
        return (today.weekday() >= self.weekly.weekday and now.time() >= self.weekly.at
                and self.calendar.is_workday(today))

    async def plan_week(self) -> int | None:
        """Queue this week's summary for every 纪委 group and 纪委 robot group, once per
        week (restart-safe: the claim and the messages commit together). None: not the
        time, or done."""
        now = self.now()
        if not self.is_push_time(now):
            return None
        week = iso_week(now.date())
        async with self.db.read() as tx:
            # no 纪委 group yet: nothing is claimed, so one bound later this week gets it
            if await tx.summary.week_claimed(week) or not await _supervision(tx):
                return None
        summary = await self.summary(last_week=True)
        async with self.db.transaction() as tx:
            if not await tx.summary.claim_week(week, now):
                return None
            targets = await _supervision(tx)
            for target in targets:
                await self._queue(tx, target, week, summary, now)
            await tx.summary.record_week(week, len(targets))
        return len(targets)

    async def _queue(self, tx: Tx, target: Target, week: str, summary: Summary,
                     now: datetime) -> None:
        """The text, then the chart (rendered when sent, so a restart loses neither)."""
        payload = to_payload(summary)
        # a Telegram group keeps the key it always had
        where = target.address if target.channel == TELEGRAM else str(target)
        for kind in ("weekly_summary", "weekly_chart"):
            await tx.outbox.add(dedup_key=f"{kind}:{where}:{week}", target=target,
                                person_id=None, kind=kind, day=now.date(), payload=payload,
                                now=now)


async def _trend(tx: Tx, period: Period, today: date) -> list[TrendPoint]:
    """This year's on-time rate at the end of each of the last TREND_WEEKS weeks up to the
    period's (the current week: up to today), as `on_time` counts it then: the items due
    before that day, and those finished early. One scan for all the weeks."""
    start = year_start(today)
    sunday = period.start + timedelta(days=6)
    days = await tx.summary.on_time_by_due_day(start)
    points = []
    for back in range(TREND_WEEKS - 1, -1, -1):
        week_end = sunday - timedelta(days=7 * back)
        if week_end < start:
            continue
        until = min(week_end + timedelta(days=1), today)
        counted = on_time = 0
        for due, finished, count, timely in days:
            if due < until or finished:
                counted += count
                on_time += timely
        points.append(TrendPoint(week_end, counted, on_time))
    return points


async def _supervision(tx: Tx) -> list[Target]:
    """The 纪委's Telegram groups and its working office group robots."""
    chats = [Target.telegram(c) for c in await tx.groups.discipline_chats()]
    return chats + [Target.robot(r) for r in Routes.of(await tx.channels.all()).supervision]


async def _present(tx: Tx, found: list[NonResponder]) -> list[NonResponder]:
    """Those who left (人员交接) answer nothing any more: not counted as silent."""
    former = await tx.handover.former()
    return [n for n in found if n.person_id not in former] if former else found
