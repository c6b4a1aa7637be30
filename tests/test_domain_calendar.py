import time
from datetime import date, timedelta

import holidays
import pytest

from bot.domain import calendar as calendar_module
from bot.domain.calendar import DaySource, WorkCalendar, YearOverride


def test_national_day_2026() -> None:
    cal = WorkCalendar()
    for day in range(1, 8):
        assert not cal.is_workday(date(2026, 10, day))
    assert cal.is_workday(date(2026, 9, 20))  # Sunday, 调休
    assert cal.is_workday(date(2026, 10, 10))  # Saturday, 调休
    assert cal.is_workday(date(2026, 10, 8))
    assert cal.on_or_before(date(2026, 10, 5)) == date(2026, 9, 30)
    assert cal.on_or_after(date(2026, 10, 3)) == date(2026, 10, 8)
    assert cal.on_or_before(date(2026, 10, 11)) == date(2026, 10, 10)
    assert cal.source(2026) is DaySource.OFFICIAL


def test_spring_festival_2026() -> None:
    cal = WorkCalendar()
    for day in (16, 17, 18, 19, 20, 23):  # weekdays off, 2026-02-16 to 02-23
        assert not cal.is_workday(date(2026, 2, day))
    assert cal.is_workday(date(2026, 2, 14))  # Saturday, 调休
    assert cal.is_workday(date(2026, 2, 28))  # Saturday, 调休
    assert cal.on_or_before(date(2026, 2, 22)) == date(2026, 2, 14)
    assert cal.on_or_after(date(2026, 2, 16)) == date(2026, 2, 24)


def test_ordinary_weekend() -> None:
    cal = WorkCalendar()
    assert cal.is_workday(date(2026, 3, 13))  # Friday
    assert not cal.is_workday(date(2026, 3, 14))
    assert not cal.is_workday(date(2026, 3, 15))
    assert cal.on_or_before(date(2026, 3, 15)) == date(2026, 3, 13)
    assert cal.on_or_after(date(2026, 3, 14)) == date(2026, 3, 16)
    assert cal.on_or_before(date(2026, 3, 16)) == date(2026, 3, 16)


def test_year_boundary_2026_2027() -> None:
    cal = WorkCalendar()
    assert cal.is_workday(date(2026, 12, 31))  # Thursday
    assert not cal.is_workday(date(2027, 1, 1))  # 元旦, known only by rule
    assert cal.on_or_after(date(2027, 1, 1)) == date(2027, 1, 4)
    assert cal.on_or_before(date(2027, 1, 3)) == date(2026, 12, 31)
    assert cal.source(2027) is DaySource.ESTIMATED
    assert cal.uncertain_years() == {2027: DaySource.ESTIMATED}


def test_uncertain_years_lists_only_years_consulted() -> None:
    cal = WorkCalendar()
    assert cal.uncertain_years() == {}
    cal.is_workday(date(2026, 5, 1))
    assert cal.uncertain_years() == {}
    cal.is_workday(date(2027, 5, 1))
    cal.is_workday(date(2150, 5, 1))
    assert cal.uncertain_years() == {2027: DaySource.ESTIMATED, 2150: DaySource.WEEKDAYS}


def test_estimated_2027_spring_festival() -> None:
    cal = WorkCalendar()
    assert not cal.is_workday(date(2027, 2, 8))  # 春节, Monday
    assert not cal.is_workday(date(2027, 10, 1))  # 国庆, Friday
    assert cal.is_workday(date(2027, 3, 1))


def test_override_wins() -> None:
    override = YearOverride(
        holidays=frozenset({date(2027, 2, 11)}),  # a Thursday
        workdays=frozenset({date(2027, 2, 20)}),  # a Saturday
    )
    cal = WorkCalendar({2027: override})
    assert cal.source(2027) is DaySource.OVERRIDE
    assert not cal.is_workday(date(2027, 2, 11))
    assert cal.is_workday(date(2027, 2, 20))
    assert not cal.is_workday(date(2027, 2, 21))
    # the notice is authoritative: what the rules guessed no longer counts
    assert cal.is_workday(date(2027, 1, 1))
    assert cal.on_or_after(date(2027, 2, 11)) == date(2027, 2, 12)
    assert cal.uncertain_years() == {}
    # other years are untouched
    assert cal.source(2026) is DaySource.OFFICIAL


def test_override_for_an_official_year_wins_too() -> None:
    cal = WorkCalendar({2026: YearOverride()})
    assert cal.source(2026) is DaySource.OVERRIDE
    assert cal.is_workday(date(2026, 10, 1))
    assert not cal.is_workday(date(2026, 10, 10))


@pytest.mark.parametrize("year", [1900, 1949, 2101, 2150, 2200])
def test_far_years_fall_back_to_weekdays(year: int) -> None:
    cal = WorkCalendar()
    assert cal.source(year) is DaySource.WEEKDAYS
    monday = date(year, 6, 1) - timedelta(days=date(year, 6, 1).weekday())
    week = [cal.is_workday(monday + timedelta(days=i)) for i in range(7)]
    assert week == [True, True, True, True, True, False, False]
    assert cal.on_or_after(monday + timedelta(days=5)) == monday + timedelta(days=7)


def test_holidays_package_failure_falls_back_to_weekdays(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(holidays, "China", broken)
    cal = WorkCalendar()
    assert cal.source(2027) is DaySource.WEEKDAYS
    assert cal.is_workday(date(2027, 1, 1))  # Friday, no longer known to be 元旦
    assert cal.source(2026) is DaySource.OFFICIAL  # chinesecalendar still answers


def test_missing_packages_fall_back_to_weekdays(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(calendar_module, "chinese_calendar", None)
    monkeypatch.setattr(calendar_module, "holidays", None)
    cal = WorkCalendar()
    assert cal.source(2026) is DaySource.WEEKDAYS
    assert cal.is_workday(date(2026, 10, 1))


def test_never_raises_across_1900_to_2200() -> None:
    cal = WorkCalendar()
    for year in range(1900, 2201):
        for day in (date(year, 1, 1), date(year, 12, 31)):
            assert cal.on_or_before(day) <= day
            assert cal.on_or_after(day) >= day


def test_all_days_off_returns_the_day_itself() -> None:
    off = frozenset(date(2030, 1, 1) + timedelta(days=i) for i in range(365))
    cal = WorkCalendar({2030: YearOverride(holidays=off)})
    assert cal.on_or_after(date(2030, 6, 1)) == date(2030, 6, 1)
    assert cal.on_or_before(date(2030, 6, 1)) == date(2030, 6, 1)


def test_is_workday_is_fast() -> None:
    cal = WorkCalendar()
    days = [date(2026, 1, 1) + timedelta(days=i) for i in range(730)]
    start = time.perf_counter()
    for i in range(200_000):
        cal.is_workday(days[i % 730])
    assert time.perf_counter() - start < 2
