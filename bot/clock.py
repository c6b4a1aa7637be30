"""Time is injected: the bot asks a clock, so tests and the demo can travel in time."""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo
from typing import Protocol


class Clock(Protocol):
    tz: tzinfo

    def now(self) -> datetime: ...


class SystemClock:
    def __init__(self, tz: tzinfo) -> None:
        self.tz = tz

    def now(self) -> datetime:
        return datetime.now(self.tz)


class ManualClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start")
        self.tz = start.tzinfo
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def set(self, moment: datetime) -> None:
        self._now = moment


def today(clock: Clock) -> date:
    return clock.now().date()
