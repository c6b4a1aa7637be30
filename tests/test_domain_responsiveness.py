"""Non-responders: a reminder unanswered for two China workdays."""

from __future__ import annotations

from datetime import date

from bot.domain.calendar import WorkCalendar
from bot.domain.responsiveness import (
    NonResponder,
    SentReminder,
    non_responders,
    workdays_after,
)

CAL = WorkCalendar()


def test_workdays_after_skips_weekends_and_the_national_day():
    assert workdays_after(date(2026, 11, 20), date(2026, 11, 23), CAL) == 1  # Fri → Mon
    assert workdays_after(date(2026, 9, 30), date(2026, 10, 7), CAL) == 0  # 国庆
    assert workdays_after(date(2026, 11, 23), date(2026, 11, 23), CAL) == 0


def test_two_workdays_unanswered_makes_a_non_responder():
    sent = [SentReminder(1, 10, date(2026, 11, 23)),  # Mon
            SentReminder(2, 11, date(2026, 11, 24)),  # Tue
            SentReminder(1, 12, date(2026, 11, 20))]  # the Friday before
    assert non_responders(sent, date(2026, 11, 24), CAL) == [
        NonResponder(1, (12,), date(2026, 11, 20))]
    assert non_responders(sent, date(2026, 11, 25), CAL) == [
        NonResponder(1, (10, 12), date(2026, 11, 20))]
    assert [n.person_id for n in non_responders(sent, date(2026, 11, 26), CAL)] == [1, 2]


def test_a_weekend_does_not_count():
    sent = [SentReminder(1, 10, date(2026, 11, 27))]  # Fri
    assert non_responders(sent, date(2026, 11, 30), CAL) == []  # Mon: one workday
    assert len(non_responders(sent, date(2026, 12, 1), CAL)) == 1
