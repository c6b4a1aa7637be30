"""China's workday calendar (法定节假日 and 调休 makeup weekends), pure and never raising.

Sources, best first, chosen per year:
  1. an override (the State Council's annual notice, typed in by the admins);
  2. `chinesecalendar`, which knows the official calendar but only up to its release (2026
     for v1.11; it raises NotImplementedError after, so every January it goes stale);
  3. the `holidays` package's China calendar, computed by rule (an estimate: the real 调休
     arrangement is only known once the notice is out);
  4. plain Monday to Friday.
Callers ask `uncertain_years()` to tell the admins once that a year is only estimated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from types import ModuleType
from typing import Literal

try:
    import chinese_calendar
except ImportError:  # the bot must still run (on the fallbacks) without it
    chinese_calendar = None
# the holidays package (with dateutil, some 12 ms to import) only for a year chinesecalendar
# does not know yet: loaded then, not at every start
holidays: ModuleType | Literal[False] | None = False  # False: not looked for yet

# on_or_before/after never need more than ~10 days in China (the longest break is 9 days);
# the cap only guards against a broken override marking a whole season off.
_MAX_STEP_DAYS = 60
_ONE_DAY = timedelta(days=1)


class DaySource(StrEnum):
    OVERRIDE = "override"  # the year is in the override file (the State Council's notice)
    OFFICIAL = "official"  # chinesecalendar knows the year
    ESTIMATED = "estimated"  # the holidays package's China calendar, by rule
    WEEKDAYS = "weekdays"  # nothing knows the year: Monday to Friday


@dataclass(frozen=True, slots=True)
class YearOverride:
    holidays: frozenset[date] = frozenset()  # days off that would otherwise be workdays
    workdays: frozenset[date] = frozenset()  # 调休 makeup weekend days that are workdays


class WorkCalendar:
    def __init__(self, overrides: Mapping[int, YearOverride] | None = None) -> None:
        self._overrides = dict(overrides or {})
        # year -> (source, every workday of the year): a planner asks is_workday hundreds of
        # thousands of times, so each year is worked out once and then it is a set lookup.
        self._years: dict[int, tuple[DaySource, frozenset[date]]] = {}

    def is_workday(self, day: date) -> bool:
        entry = self._years.get(day.year) or self._load(day.year)
        return day in entry[1]

    def on_or_before(self, day: date) -> date:
        """The latest workday <= day (a reminder on a day off moves earlier, not later)."""
        return self._step(day, -_ONE_DAY)

    def on_or_after(self, day: date) -> date:
        """The earliest workday >= day."""
        return self._step(day, _ONE_DAY)

    def source(self, year: int) -> DaySource:
        return (self._years.get(year) or self._load(year))[0]

    def uncertain_years(self) -> dict[int, DaySource]:
        return {
            year: source
            for year, (source, _) in sorted(self._years.items())
            if source in (DaySource.ESTIMATED, DaySource.WEEKDAYS)
        }

    def _step(self, day: date, step: timedelta) -> date:
        candidate = day
        try:
            for _ in range(_MAX_STEP_DAYS + 1):
                if self.is_workday(candidate):
                    return candidate
                candidate += step
        except OverflowError:  # stepped past date.min/date.max: nothing sensible to find
            pass
        return day

    def _load(self, year: int) -> tuple[DaySource, frozenset[date]]:
        days = _days_of(year)
        override = self._overrides.get(year)
        if override is not None:
            entry = (DaySource.OVERRIDE, _weekdays(days, override.holidays, override.workdays))
        else:
            fallback = (DaySource.WEEKDAYS, _weekdays(days, frozenset(), frozenset()))
            entry = _official(days) or _estimated(year, days) or fallback
        self._years[year] = entry
        return entry


def _days_of(year: int) -> list[date]:
    first = date(year, 1, 1)
    count = (date(year, 12, 31) - first).days + 1
    return [first + timedelta(days=i) for i in range(count)]


def _weekdays(days: list[date], off: frozenset[date], on: frozenset[date]) -> frozenset[date]:
    """Mon–Fri, minus the days off, plus the makeup days."""
    return frozenset(d for d in days if (d.weekday() < 5 and d not in off) or d in on)


def _official(days: list[date]) -> tuple[DaySource, frozenset[date]] | None:
    if chinese_calendar is None:
        return None
    try:  # asking is the only reliable test of which years this release covers
        workdays = frozenset(d for d in days if chinese_calendar.is_workday(d))
    except Exception:  # NotImplementedError outside its data; anything else: treat alike
        return None
    return DaySource.OFFICIAL, workdays


def _holidays() -> ModuleType | None:
    global holidays
    if holidays is False:
        try:
            import holidays as package
        except ImportError:
            package = None
        holidays = package
    return holidays


def _estimated(year: int, days: list[date]) -> tuple[DaySource, frozenset[date]] | None:
    package = _holidays()
    if package is None:
        return None
    try:
        china = package.China(years=year)
        off = frozenset(d for d in china if d.year == year)
        # weekend_workdays mixes in makeup days of other years (those it hard-codes, plus
        # any computed for other years): keep only this year's weekend days.
        on = frozenset(d for d in china.weekend_workdays if d.year == year and d.weekday() >= 5)
    except Exception:
        return None
    if not off:  # outside its rules (before 1950, after 2100) it lists nothing, silently
        return None
    return DaySource.ESTIMATED, _weekdays(days, off, on)
