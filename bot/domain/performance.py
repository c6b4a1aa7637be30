"""完成与响应 (once called 履责指数, issue 22 §7: it is two rates and a ranking score made
of them, not an index): how well a person or a unit keeps its duties over a period.

Two rates, then one score:
- on time (按期完成率): of the items that fell due in the period (or were finished early),
  the share finished on or before the due date. An approved 延期 moves the due date, so
  finishing by the new date is on time; an item still open after its due date is late.
- response (提醒响应率): of the reminders delivered in the period, the share answered
  (收到, or any tap of the owner's on the item).
The score weighs keeping the deadline over answering the reminder: 70 : 30. With only one
rate known, the score is that rate; with too little to go on, there is no score at all
rather than a misleading 100 or 0.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from bot.domain.model import Duty

ON_TIME_WEIGHT = 0.7
RESPONSE_WEIGHT = 0.3
MIN_SAMPLE = 3  # items or reminders before a rate is ranked at all

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Tally:
    """What one person or unit did in a period."""

    counted: int = 0  # items due in the period so far, or finished early (not cancelled)
    on_time: int = 0  # of those, finished on or before their due date
    reminded: int = 0  # reminders delivered to them in the period
    answered: int = 0  # of those, acknowledged

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.counted + other.counted, self.on_time + other.on_time,
                     self.reminded + other.reminded, self.answered + other.answered)

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.counted if self.counted else None

    @property
    def response_rate(self) -> float | None:
        return self.answered / self.reminded if self.reminded else None

    @property
    def score(self) -> int | None:
        """0–100, or None when neither rate has anything behind it."""
        on_time, response = self.on_time_rate, self.response_rate
        if on_time is None and response is None:
            return None
        if on_time is None:
            return round(100 * response)
        if response is None:
            return round(100 * on_time)
        return round(100 * (ON_TIME_WEIGHT * on_time + RESPONSE_WEIGHT * response))

    @property
    def rankable(self) -> bool:
        """Enough behind the score to compare it with others'."""
        return self.score is not None and max(self.counted, self.reminded) >= MIN_SAMPLE


@dataclass(frozen=True, slots=True)
class OnTime:
    """Items of one owner, unit and duty that count for the on-time rate in a period."""

    owner_id: int
    unit_id: int
    duty: Duty
    counted: int
    on_time: int


@dataclass(frozen=True, slots=True)
class Responses:
    """Reminders delivered to one person in a period, and how many they answered."""

    person_id: int
    reminded: int
    answered: int


@dataclass(frozen=True, slots=True)
class Tallies:
    """Everyone's and every unit's tally: a person's items and reminders; a unit's items,
    and the reminders of the people in it."""

    people: dict[int, Tally]
    units: dict[int, Tally]


def tallies(on_time: Iterable[OnTime], responses: Iterable[Responses],
            unit_of: Mapping[int, int]) -> Tallies:
    """Add the rows up per person and per unit (`unit_of`: person id → unit id)."""
    people: dict[int, Tally] = {}
    units: dict[int, Tally] = {}
    for row in on_time:
        tally = Tally(counted=row.counted, on_time=row.on_time)
        people[row.owner_id] = people.get(row.owner_id, Tally()) + tally
        units[row.unit_id] = units.get(row.unit_id, Tally()) + tally
    for row in responses:
        tally = Tally(reminded=row.reminded, answered=row.answered)
        people[row.person_id] = people.get(row.person_id, Tally()) + tally
        unit_id = unit_of.get(row.person_id)
        if unit_id is not None:
            units[unit_id] = units.get(unit_id, Tally()) + tally
    return Tallies(people=people, units=units)


def total(tallies: Iterable[Tally]) -> Tally:
    result = Tally()
    for tally in tallies:
        result = result + tally
    return result


def best_and_worst(entries: Iterable[T], tally_of: Callable[[T], Tally],
                   name_of: Callable[[T], str], count: int) -> tuple[list[T], list[T]]:
    """The best and the worst of the rankable entries (worst first), by score level: a
    level is never cut, so those tied with one shown are shown with it (the list may
    then be longer than `count`), and no level is in both lists. With too few levels for
    both, the better half of the levels leads and the rest trail. When everyone ranked
    has the same score (or only one is ranked) there is no ranking: ([], []). Within a
    level, by name, so the order is stable."""
    def score(entry: T) -> int:
        return tally_of(entry).score or 0

    levels: dict[int, list[T]] = {}
    for entry in sorted((e for e in entries if tally_of(e).rankable), key=name_of):
        levels.setdefault(score(entry), []).append(entry)
    if len(levels) < 2:
        return [], []
    scores = sorted(levels, reverse=True)
    top: list[T] = []
    lead = 0
    for level in scores[:(len(scores) + 1) // 2]:
        if len(top) >= count:
            break
        top += levels[level]
        lead += 1
    bottom: list[T] = []
    for level in reversed(scores[lead:]):
        if len(bottom) >= count:
            break
        bottom += levels[level]
    return top, bottom


def ties(entries: list[T], tally_of: Callable[[T], Tally]) -> list[list[T]]:
    """Consecutive entries of a ranked list grouped by equal score: each group is a tie
    (of one or more)."""
    groups: list[list[T]] = []
    for entry in entries:
        if groups and tally_of(groups[-1][0]).score == tally_of(entry).score:
            groups[-1].append(entry)
        else:
            groups.append([entry])
    return groups
