"""履责指数: how well a person or a unit keeps its duties over a period.

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

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

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


def total(tallies: Iterable[Tally]) -> Tally:
    result = Tally()
    for tally in tallies:
        result = result + tally
    return result


def best_and_worst(entries: Iterable[T], tally_of: Callable[[T], Tally],
                   name_of: Callable[[T], str], count: int) -> tuple[list[T], list[T]]:
    """The `count` best and the `count` worst of the rankable entries (worst first). With
    too few for both, the better half leads and the rest trail: never one in both lists,
    never a single 0 shown as "best". Ties go by name, so the order is stable."""
    ranked = [e for e in entries if tally_of(e).rankable]
    ranked.sort(key=lambda e: (-(tally_of(e).score or 0), name_of(e)))
    lead = min(count, (len(ranked) + 1) // 2)
    top, rest = ranked[:lead], ranked[lead:]
    bottom = sorted(rest, key=lambda e: (tally_of(e).score or 0, name_of(e)))[:count]
    return top, bottom
