"""Recurring and event-triggered obligations (SPEC §4) and the dated occurrences they make.

A rule says who owes what and when; `occurrences` turns the rules and the organisation into
concrete occurrences, each of which becomes an item on its owner's list. Pure: no I/O.
"""

from __future__ import annotations

import calendar as _monthdays
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from bot.domain import bodies
from bot.domain.model import Duty, Person, Role, Unit
from bot.domain.permissions import descendants


class Schedule(StrEnum):
    YEARLY = "yearly"  # on a month-day every year
    QUARTERLY = "quarterly"  # last day of each quarter
    BIMONTHLY = "bimonthly"  # last day of every second month (Feb, Apr, …, Dec)
    MONTHLY = "monthly"  # last day of each month
    AFTER_EVENT = "after_event"  # N days after an event is recorded (e.g. 民主生活会)


class Category(StrEnum):
    REPORT = "report"  # a report or a document to hand in
    TALK = "talk"  # a talk one person must hold with another (廉政谈话, 逐级约谈)


class Pairing(StrEnum):
    """For talks: with whom each owner must hold one."""

    MEMBERS = "members"  # every 班子成员
    # the 下级党组织书记 of the units one 分管, and below
    OVERSEEN_UNIT_HEADS = "overseen_unit_heads"
    BRANCH_SECRETARIES = "branch_secretaries"  # every 下级党组织书记


#: Events that trigger obligations, and their Chinese names.
TRIGGER_NAMES: dict[str, str] = {
    "democratic_life_meeting": "民主生活会",
}

#: Placeholders a rule's title may use.
TITLE_FIELDS = frozenset({"year", "prev_year", "report_year", "quarter", "month", "date",
                          "with", "纪委"})  # {纪委}: the configured body (bot/domain/bodies.py)


@dataclass(frozen=True, slots=True)
class ObligationRule:
    key: str
    title: str  # a str.format template over TITLE_FIELDS
    category: Category
    duty: Duty
    who: frozenset[Role]
    schedule: Schedule
    due_month: int | None = None  # YEARLY
    due_day: int | None = None  # YEARLY
    event: str | None = None  # AFTER_EVENT: a key of TRIGGER_NAMES
    days_after: int | None = None  # AFTER_EVENT
    pairing: Pairing | None = None  # TALK


@dataclass(frozen=True, slots=True)
class Trigger:
    """An event that was recorded as having happened, e.g. a 民主生活会 held on a date."""

    event: str
    on: date


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One dated instance of a rule for one owner (and, for talks, one counterpart)."""

    rule_key: str
    period: str  # the due date (periodic) or the event date (triggered), ISO
    owner_id: int
    counterpart_id: int | None
    unit_id: int
    duty: Duty
    title: str
    due_date: date

    @property
    def identity(self) -> tuple[str, str, int, int]:
        return (self.rule_key, self.period, self.owner_id, self.counterpart_id or 0)


def next_due(rule: ObligationRule, today: date) -> date:
    """The rule's next due date on or after today (periodic schedules only)."""
    if rule.schedule is Schedule.YEARLY:
        assert rule.due_month is not None and rule.due_day is not None
        this_year = date(today.year, rule.due_month, rule.due_day)
        return this_year if this_year >= today else date(today.year + 1, rule.due_month,
                                                         rule.due_day)
    if rule.schedule is Schedule.QUARTERLY:
        return _month_end(today.year, (today.month - 1) // 3 * 3 + 3)
    if rule.schedule is Schedule.BIMONTHLY:
        return _month_end(today.year, today.month + today.month % 2)
    if rule.schedule is Schedule.MONTHLY:
        return _month_end(today.year, today.month)
    raise ValueError(f"{rule.key}: {rule.schedule} has no calendar due date")


def _month_end(year: int, month: int) -> date:
    return date(year, month, _monthdays.monthrange(year, month)[1])


def owners(rule: ObligationRule, people: Iterable[Person]) -> list[Person]:
    return sorted((p for p in people if p.roles & rule.who), key=lambda p: p.id)


def counterparts(
    rule: ObligationRule, owner: Person, people: Mapping[int, Person], units: Mapping[int, Unit]
) -> list[Person]:
    """Whom the owner must hold this talk with (never themselves)."""
    if rule.pairing is Pairing.MEMBERS:
        found = [p for p in people.values() if Role.MEMBER in p.roles]
    elif rule.pairing is Pairing.BRANCH_SECRETARIES:
        found = [p for p in people.values() if Role.BRANCH_SECRETARY in p.roles]
    elif rule.pairing is Pairing.OVERSEEN_UNIT_HEADS:
        covered = descendants(owner.oversees, units)
        found = [p for p in people.values()
                 if Role.BRANCH_SECRETARY in p.roles and p.unit_id in covered]
    else:
        return []
    return sorted((p for p in found if p.id != owner.id), key=lambda p: p.id)


def title_of(rule: ObligationRule, due: date, event_day: date | None = None,
             counterpart: Person | None = None) -> str:
    return rule.title.format(
        year=due.year,
        prev_year=due.year - 1,
        # the year a yearly report covers: the one before, when it is due in the first half
        report_year=due.year - 1 if due.month <= 6 else due.year,
        quarter=(due.month - 1) // 3 + 1,
        month=due.month,
        date=f"{event_day.month}月{event_day.day}日" if event_day else "",
        **{"with": counterpart.name if counterpart else "",  # `with` is a keyword
           "纪委": bodies.current().body},
    )


def occurrences(
    rules: Iterable[ObligationRule],
    people: Mapping[int, Person],
    units: Mapping[int, Unit],
    triggers: Iterable[Trigger],
    today: date,
) -> list[Occurrence]:
    """Every occurrence that should exist today: for each periodic rule its next due date
    (so each owner always sees the one coming), and for each recorded event its report."""
    result: list[Occurrence] = []
    triggers = list(triggers)
    for rule in rules:
        if rule.schedule is Schedule.AFTER_EVENT:
            dated = [(t.on + timedelta(days=rule.days_after or 0), t.on)
                     for t in triggers if t.event == rule.event]
        else:
            dated = [(next_due(rule, today), None)]
        for owner in owners(rule, people.values()):
            partners: list[Person | None] = (
                list(counterparts(rule, owner, people, units))
                if rule.category is Category.TALK and rule.pairing else [None]
            )
            for due, event_day in dated:
                for partner in partners:
                    result.append(Occurrence(
                        rule_key=rule.key,
                        period=(event_day or due).isoformat(),
                        owner_id=owner.id,
                        counterpart_id=partner.id if partner else None,
                        unit_id=owner.unit_id,
                        duty=rule.duty,
                        title=title_of(rule, due, event_day, partner),
                        due_date=due,
                    ))
    return result
