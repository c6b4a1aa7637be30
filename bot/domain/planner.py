"""The reminder planner (SPEC §4): which reminders and escalations are due today.

Pure: items, what was already planned, today, a calendar and a policy in; pushes out.
The scheduler only ticks it and hands the result to the outbox.

Each item has three lanes, each a ladder of stages. In a lane only the latest stage whose
day has come is due, and only if it was not planned already: after downtime the plan
catches up once instead of replaying every missed day.
  owner      T-7, T-3, T-1, T-0 (a day off moves back to the workday before), then T+1
  leaders    T+3: the owner's 分管领导 and the 书记
  discipline T+7: the 纪委 groups
Overdue steps that fall on a day off move forward to the next workday.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Protocol

from bot.domain.model import Person, Role, Unit
from bot.domain.permissions import DISCIPLINE_ROLES, descendants
from bot.domain.policy import ReminderPolicy


class Calendar(Protocol):
    def is_workday(self, day: date) -> bool: ...
    def on_or_before(self, day: date) -> date: ...
    def on_or_after(self, day: date) -> date: ...


class Lane(StrEnum):
    OWNER = "owner"
    LEADERS = "leaders"
    DISCIPLINE = "discipline"


@dataclass(frozen=True, slots=True)
class Stage:
    lane: Lane
    offset: int  # days from the due date: -7 … 0 … +7

    @property
    def label(self) -> str:
        return f"T{self.offset:+d}" if self.offset else "T-0"

    @property
    def overdue(self) -> bool:
        return self.offset > 0


def ladders(policy: ReminderPolicy) -> dict[Lane, tuple[Stage, ...]]:
    """Each lane's stages in order, from the policy (a step of 0 days is switched off)."""
    owner = [Stage(Lane.OWNER, -d) for d in sorted(policy.lead_days, reverse=True)]
    if policy.owner_after_days:
        owner.append(Stage(Lane.OWNER, policy.owner_after_days))
    result = {Lane.OWNER: tuple(owner)}
    if policy.leaders_after_days:
        result[Lane.LEADERS] = (Stage(Lane.LEADERS, policy.leaders_after_days),)
    if policy.discipline_after_days:
        result[Lane.DISCIPLINE] = (Stage(Lane.DISCIPLINE, policy.discipline_after_days),)
    return result


def finished(policy: ReminderPolicy) -> tuple[str, ...]:
    """The label of each lane's last stage, the latest first. An item that already had all
    of them for its due date has nothing more to come (`plan` returns no push for it), so
    the read can leave it out; empty when no lane has a stage."""
    last = sorted((stages[-1] for stages in ladders(policy).values() if stages),
                  key=lambda s: s.offset, reverse=True)
    return tuple(s.label for s in last)


def stage_day(due: date, stage: Stage, calendar: Calendar) -> date:
    raw = due + timedelta(days=stage.offset)
    return calendar.on_or_after(raw) if stage.overdue else calendar.on_or_before(raw)


def horizon(policy: ReminderPolicy) -> int:
    """How far ahead a due date can be and still have a stage today (with room for the
    longest run of days off, such as 国庆, that moves a reminder back)."""
    return max(policy.lead_days, default=0) + 14


@dataclass(frozen=True, slots=True)
class PlanItem:
    id: int
    owner_id: int
    unit_id: int
    due_date: date


@dataclass(frozen=True, slots=True)
class Push:
    item_id: int
    stage: Stage


def plan(
    items: Iterable[PlanItem],
    planned: Mapping[int, Collection[str]],
    today: date,
    calendar: Calendar,
    policy: ReminderPolicy,
) -> list[Push]:
    """The stages due today, per item and lane; `planned` holds the stage labels each
    item already had for its current due date. Nothing is due on a day off."""
    if not calendar.is_workday(today):
        return []
    lanes = ladders(policy)
    by_due: dict[date, tuple[Stage, ...]] = {}
    pushes: list[Push] = []
    for item in items:
        stages = by_due.get(item.due_date)
        if stages is None:
            stages = by_due[item.due_date] = _current(item.due_date, today, calendar, lanes)
        done = planned.get(item.id, ())
        pushes.extend(Push(item.id, s) for s in stages if s.label not in done)
    return pushes


def _current(due: date, today: date, calendar: Calendar,
             lanes: Mapping[Lane, tuple[Stage, ...]]) -> tuple[Stage, ...]:
    """In each lane, the latest stage whose day has come."""
    current = []
    for stages in lanes.values():
        reached = [s for s in stages if stage_day(due, s, calendar) <= today]
        if reached:
            current.append(reached[-1])
    return tuple(current)


# Who is told ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Recipient:
    """A person (told in private, or in their unit's robot group), a Telegram group chat,
    or the supervising body's office group robot."""

    kind: str  # "p", "g" or "r"
    id: int

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"

    @classmethod
    def person(cls, person_id: int) -> Recipient:
        return cls("p", person_id)

    @classmethod
    def group(cls, chat_id: int) -> Recipient:
        return cls("g", chat_id)

    @classmethod
    def robot(cls, channel_id: int) -> Recipient:
        return cls("r", channel_id)

    @classmethod
    def parse(cls, key: str) -> Recipient:
        kind, _, ident = key.partition(":")
        return cls(kind, int(ident))


@dataclass(frozen=True)
class Org:
    """The organisation as the planner needs it."""

    people: Mapping[int, Person]
    units: Mapping[int, Unit]
    discipline_chats: tuple[int, ...] = ()
    discipline_robots: tuple[int, ...] = ()  # the 纪委's office group robots
    # worked out once: the planner asks for them for every escalated item
    secretaries: list[int] = field(default_factory=list, init=False)
    discipline_secretaries: list[int] = field(default_factory=list, init=False)
    _leaders: dict[int, frozenset[int]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        by_unit: dict[int, set[int]] = defaultdict(set)
        for person in self.people.values():
            if Role.MEMBER in person.roles and person.oversees:
                for unit_id in descendants(person.oversees, self.units):
                    by_unit[unit_id].add(person.id)
        self._leaders.update({u: frozenset(ids) for u, ids in by_unit.items()})
        self.secretaries.extend(sorted(
            p.id for p in self.people.values() if Role.SECRETARY in p.roles))
        self.discipline_secretaries.extend(sorted(
            p.id for p in self.people.values() if Role.DISCIPLINE_SECRETARY in p.roles))

    def leaders_of(self, unit_id: int) -> list[int]:
        """The 分管领导 of a unit (and of the units above it), then the 书记."""
        ids = sorted(self._leaders.get(unit_id, ()))
        return ids + [s for s in self.secretaries if s not in ids]


def recipients(item: PlanItem, stage: Stage, org: Org) -> list[Recipient]:
    """Who a stage goes to: the owner; the 分管领导 and 书记; the 纪委 groups (or, where no
    纪委 group is registered, the 纪委书记 in private). Never the owner twice."""
    if stage.lane is Lane.OWNER:
        return [Recipient.person(item.owner_id)]
    if stage.lane is Lane.LEADERS:
        people = org.leaders_of(item.unit_id)
    elif org.discipline_chats or org.discipline_robots:
        return ([Recipient.group(chat) for chat in org.discipline_chats]
                + [Recipient.robot(robot) for robot in org.discipline_robots])
    else:
        people = org.discipline_secretaries or sorted(
            p.id for p in org.people.values() if p.roles & DISCIPLINE_ROLES)
    return [Recipient.person(p) for p in people if p != item.owner_id]
