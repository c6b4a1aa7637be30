"""The 纪委's weekly picture (SPEC §7), computed from a census the database counts.

Storage answers a few set-based questions (how many items per list, duty, unit, status
and timing; who finished on time; who answered reminders; the worst overdue items…);
this module turns those answers into the summary. Pure: no I/O, no Telegram, no clock.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from enum import StrEnum
from functools import cache
from typing import Any

from pydantic import TypeAdapter

from bot.domain.model import ACTIVE_STATUSES, Duty, ItemStatus, ListKind, Person, Unit
from bot.domain.performance import OnTime, Responses, Tally, best_and_worst, tallies, total
from bot.domain.responsiveness import NonResponder

SOON_DAYS = 7  # yellow: due within a week
RANKED = 3  # best and worst by the ranking score (完成与响应)
FINISHED = frozenset({ItemStatus.DONE, ItemStatus.PENDING_VERIFICATION, ItemStatus.VERIFIED})


class Timing(StrEnum):
    """Where an item stands against its due date (red / yellow / green / closed)."""

    OVERDUE = "overdue"
    SOON = "soon"
    ON_TRACK = "on_track"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class WeeklyPolicy:
    """When the summary goes to the 纪委 groups: a weekday (0 = Monday; None: never, the
    summary only on demand) and a time, on a workday; a holiday on that day moves it to
    the week's next workday."""

    weekday: int | None = 0
    at: time = time(9, 0)


# -- what storage counts ----------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Census:
    """How many items share a list, duty, unit, status and timing."""

    kind: ListKind
    duty: Duty
    unit_id: int
    status: ItemStatus
    timing: Timing
    count: int


@dataclass(frozen=True, slots=True)
class ItemLine:
    """One item as a list line: the worst overdue, the nearest due."""

    code: str
    title: str
    kind: ListKind
    owner: str
    unit: str
    due_date: date
    status: ItemStatus


@dataclass(frozen=True, slots=True)
class TalkCount:
    """约谈 this year: required by the rules, set ad hoc, and recorded as held."""

    required: int = 0
    required_held: int = 0
    adhoc: int = 0
    adhoc_held: int = 0
    held_by_kind: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class WeekChanges:
    """What happened in the seven days before the summary."""

    finished: int = 0  # items their owners finished (已完成, or 待验收 for a 整改)
    verified: int = 0  # 整改 the 纪委 signed off (销号)
    newly_overdue: int = 0  # items that passed their due date this week and are still open
    escalated: int = 0  # items escalated to leaders or the 纪委 this week


@dataclass(frozen=True, slots=True)
class SummaryInput:
    today: date
    census: list[Census]
    on_time: list[OnTime]
    responses: list[Responses]
    red: list[ItemLine]  # the worst overdue, worst first (storage keeps only the head)
    yellow: list[ItemLine]  # the nearest due, nearest first
    talks: TalkCount
    changes: WeekChanges
    silent: list[NonResponder]  # reminders unanswered for two workdays, longest first
    people: Mapping[int, Person]
    units: Mapping[int, Unit]
    push_only: int = 0  # people reminded only in push-only robot groups (not counted silent)
    period: Period | None = None
    trend: list[TrendPoint] = field(default_factory=list)


# -- the summary --------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Row:
    """Items of a list, a duty or a unit, by where they stand."""

    label: str
    total: int = 0  # not cancelled
    finished: int = 0
    overdue: int = 0
    soon: int = 0
    on_track: int = 0
    on_time: Tally = field(default_factory=Tally)

    @property
    def open(self) -> int:
        return self.overdue + self.soon + self.on_track


@dataclass(frozen=True, slots=True)
class FixCount:
    """整改: open, of which overdue; waiting for 验收; signed off."""

    open: int = 0
    overdue: int = 0
    pending: int = 0
    verified: int = 0


@dataclass(frozen=True, slots=True)
class Ranked:
    name: str
    unit: str  # empty for a unit's own line
    tally: Tally


@dataclass(frozen=True, slots=True)
class SilentLine:
    name: str
    unit: str
    items: int
    since: date


@dataclass(frozen=True, slots=True)
class Period:
    """The week a summary speaks of: the last complete Monday-to-Sunday week (a scheduled
    push, whatever weekday it goes out) or this week so far (/周报 asked mid-week)."""

    start: date
    end: date
    last_week: bool  # True: 上周 (complete); False: 本周 so far


def week_period(today: date, last_week: bool) -> Period:
    """The period of a summary made on `today`: the previous Monday-to-Sunday week when
    `last_week`, else this week from Monday up to today."""
    monday = today - timedelta(days=today.weekday())
    if last_week:
        return Period(monday - timedelta(days=7), monday - timedelta(days=1), True)
    return Period(monday, today, False)


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """The on-time rate (this year, items due up to the week's Sunday) at the end of a
    week, for the chart's trend."""

    week_end: date
    counted: int
    on_time: int

    @property
    def rate(self) -> float | None:
        return self.on_time / self.counted if self.counted else None


@dataclass(frozen=True, slots=True)
class Summary:
    today: date
    week_start: date  # the changes cover [week_start, today)
    overall: Row
    by_list: list[Row]  # 问题, 责任, 措施, 履责, 整改: those that have items
    by_status: dict[ItemStatus, int]
    by_duty: list[Row]  # the four duties, always
    by_unit: list[Row]  # units with items, worst first
    red: list[ItemLine]
    red_total: int
    yellow: list[ItemLine]
    yellow_total: int
    green_total: int
    talks: TalkCount
    fixes: FixCount
    silent: list[SilentLine]
    changes: WeekChanges
    best_people: list[Ranked]
    worst_people: list[Ranked]
    best_units: list[Ranked]
    worst_units: list[Ranked]
    push_only: int = 0  # people reached only through push-only robot groups
    period: Period | None = None  # None: a summary stored before periods (the 7 days to today)
    trend: list[TrendPoint] = field(default_factory=list)  # oldest first

    @property
    def span(self) -> Period:
        """The period the summary speaks of."""
        return self.period or Period(self.week_start, self.today, False)


LIST_ORDER = (ListKind.PROBLEM, ListKind.RESPONSIBILITY, ListKind.MEASURE, ListKind.OBLIGATION,
              ListKind.RECTIFICATION)
DUTY_ORDER = (Duty.PRINCIPAL, Duty.SUPERVISION, Duty.FIRST, Duty.DUAL)


class _Rows:
    """Adds census lines up into rows, keyed by anything."""

    def __init__(self) -> None:
        self.counts: dict[object, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def add(self, key: object, line: Census) -> None:
        if line.status is ItemStatus.CANCELLED:
            return
        counts = self.counts[key]
        counts["total"] += line.count
        if line.status in FINISHED:
            counts["finished"] += line.count
        if line.timing is not Timing.CLOSED:
            counts[line.timing.value] += line.count

    def row(self, key: object, label: str, on_time: Tally) -> Row:
        counts = self.counts.get(key, {})
        return Row(label=label, total=counts.get("total", 0),
                   finished=counts.get("finished", 0), overdue=counts.get("overdue", 0),
                   soon=counts.get("soon", 0), on_track=counts.get("on_track", 0),
                   on_time=on_time)


def summarize(data: SummaryInput, list_names: Mapping[ListKind, str],
              duty_names: Mapping[Duty, str]) -> Summary:
    """The whole picture from the census. Names come in, so the domain stays language-free
    in its logic while the labels are the ones the 纪委 reads."""
    overall, by_kind, by_duty, by_unit = _Rows(), _Rows(), _Rows(), _Rows()
    statuses: dict[ItemStatus, int] = defaultdict(int)
    fixes = defaultdict(int)
    for line in data.census:
        statuses[line.status] += line.count
        overall.add("all", line)
        by_kind.add(line.kind, line)
        by_duty.add(line.duty, line)
        by_unit.add(line.unit_id, line)
        if line.kind is ListKind.RECTIFICATION:
            _count_fix(fixes, line)

    on_time_by_duty: dict[Duty, Tally] = defaultdict(Tally)
    for row in data.on_time:
        on_time_by_duty[row.duty] += Tally(counted=row.counted, on_time=row.on_time)
    counted = tallies(data.on_time, data.responses,
                      {pid: p.unit_id for pid, p in data.people.items()})
    person_tally, unit_tally = counted.people, counted.units

    units = [by_unit.row(uid, _unit_name(data.units, uid), unit_tally.get(uid, Tally()))
             for uid in by_unit.counts]
    units.sort(key=_worst_first)
    everything = total(on_time_by_duty.values())

    people = [Ranked(p.name, _unit_name(data.units, p.unit_id), person_tally[pid])
              for pid, p in data.people.items() if pid in person_tally]
    best_people, worst_people = best_and_worst(people, _tally, _name, RANKED)
    unit_ranks = [Ranked(u.name, "", unit_tally[uid]) for uid, u in data.units.items()
                  if uid in unit_tally]
    best_units, worst_units = best_and_worst(unit_ranks, _tally, _name, RANKED)

    everyone = overall.row("all", "合计", everything)
    return Summary(
        today=data.today,
        week_start=data.period.start if data.period else data.today - timedelta(days=7),
        overall=everyone,
        by_list=[by_kind.row(k, list_names[k], Tally()) for k in LIST_ORDER
                 if k in by_kind.counts],
        by_status=dict(statuses),
        by_duty=[by_duty.row(d, duty_names[d], on_time_by_duty.get(d, Tally()))
                 for d in DUTY_ORDER],
        by_unit=units,
        red=data.red, red_total=everyone.overdue,
        yellow=data.yellow, yellow_total=everyone.soon,
        green_total=everyone.on_track,
        talks=data.talks,
        fixes=FixCount(**fixes),
        silent=[SilentLine(data.people[s.person_id].name,
                           _unit_name(data.units, data.people[s.person_id].unit_id),
                           s.items, s.since)
                for s in data.silent if s.person_id in data.people],
        changes=data.changes,
        best_people=best_people, worst_people=worst_people,
        best_units=best_units, worst_units=worst_units,
        push_only=data.push_only,
        period=data.period,
        trend=list(data.trend),
    )


def _count_fix(fixes: dict[str, int], line: Census) -> None:
    if line.status is ItemStatus.PENDING_VERIFICATION:
        fixes["pending"] += line.count
    elif line.status is ItemStatus.VERIFIED:
        fixes["verified"] += line.count
    elif line.timing is not Timing.CLOSED:
        fixes["open"] += line.count
        if line.timing is Timing.OVERDUE:
            fixes["overdue"] += line.count


def _worst_first(row: Row) -> tuple[int, float, str]:
    rate = row.on_time.on_time_rate
    return (-row.overdue, 1.0 if rate is None else rate, row.label)


def _unit_name(units: Mapping[int, Unit], unit_id: int) -> str:
    unit = units.get(unit_id)
    return unit.name if unit else "?"


def _tally(entry: Ranked) -> Tally:
    return entry.tally


def _name(entry: Ranked) -> str:
    return entry.name


def soon_until(today: date) -> date:
    """The last due date that is still 🟡 (due within a week) today."""
    return today + timedelta(days=SOON_DAYS)


def timing_of(status: ItemStatus, due: date, today: date) -> Timing:
    """The same buckets storage counts in SQL, for one item (used by tests and views)."""
    if status not in ACTIVE_STATUSES:
        return Timing.CLOSED
    if due < today:
        return Timing.OVERDUE
    if due <= soon_until(today):
        return Timing.SOON
    return Timing.ON_TRACK


def year_start(today: date) -> date:
    return date(today.year, 1, 1)


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


@cache
def _payload() -> TypeAdapter[Summary]:
    """Built when the outbox first writes or reads weekly summaries (pydantic's schema of
    the whole tree takes milliseconds), not at import, at every start."""
    return TypeAdapter(Summary)


def to_payload(summary: Summary) -> dict[str, Any]:
    """JSON-safe, for the outbox: the push is computed at 09:00 and rendered when sent."""
    return _payload().dump_python(summary, mode="json")


def from_payload(payload: dict[str, Any]) -> Summary:
    return _payload().validate_python(payload)
