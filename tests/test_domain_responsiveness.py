"""Non-responders: a reminder unanswered for two China workdays."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.domain.calendar import WorkCalendar
from bot.domain.responsiveness import (
    NonResponder,
    answer_cutoff,
    answer_window,
    longest_waiting,
    workdays_after,
)

CAL = WorkCalendar()


def test_workdays_after_skips_weekends_and_the_national_day():
    assert workdays_after(date(2026, 11, 20), date(2026, 11, 23), CAL) == 1  # Fri → Mon
    assert workdays_after(date(2026, 9, 30), date(2026, 10, 7), CAL) == 0  # 国庆
    assert workdays_after(date(2026, 11, 23), date(2026, 11, 23), CAL) == 0


@pytest.mark.parametrize(("today", "cutoff"), [
    (date(2026, 11, 24), date(2026, 11, 22)),  # Tue: the Friday before has waited Mon, Tue
    (date(2026, 11, 25), date(2026, 11, 23)),  # Wed: Monday's
    (date(2026, 11, 30), date(2026, 11, 26)),  # Mon: Friday's has waited one workday only
    (date(2026, 12, 1), date(2026, 11, 29)),
    (date(2026, 10, 9), date(2026, 10, 7)),  # after 国庆: 8 and 9 October are workdays
])
def test_the_cutoff_is_two_workdays_back(today, cutoff):
    assert answer_cutoff(today, CAL) == cutoff
    assert workdays_after(cutoff, today, CAL) >= 2
    assert workdays_after(cutoff + timedelta(days=1), today, CAL) < 2


def test_the_window_is_the_last_thirty_days_up_to_the_cutoff():
    assert answer_window(date(2026, 11, 25), CAL) == (date(2026, 10, 26), date(2026, 11, 23))


def test_longest_waiting_first():
    found = [NonResponder(1, 1, date(2026, 11, 23)), NonResponder(2, 3, date(2026, 11, 20)),
             NonResponder(3, 5, date(2026, 11, 23))]
    assert [n.person_id for n in longest_waiting(found)] == [2, 3, 1]
