"""Who does not answer their reminders (issue 4 item 7; shown in the 纪委 summary).

A reminder counts against its recipient once it has waited `after_workdays` China
workdays without a 收到 or any other tap on the item, if it was sent in the last
`WINDOW_DAYS`: the 纪委 wants who is not answering now; older silence has long since been
escalated with the item itself. Storage asks only for the reminders sent in that span.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from bot.domain.calendar import WorkCalendar

NON_RESPONSE_WORKDAYS = 2
WINDOW_DAYS = 30
_LOOK_BACK_DAYS = 60  # no run of days off in China is longer


@dataclass(frozen=True, slots=True)
class NonResponder:
    person_id: int
    items: int  # items with an unanswered reminder
    since: date  # when the oldest unanswered reminder was sent


def workdays_after(start: date, end: date, calendar: WorkCalendar) -> int:
    """Workdays in (start, end]."""
    days, day = 0, start + timedelta(days=1)
    while day <= end:
        days += calendar.is_workday(day)
        day += timedelta(days=1)
    return days


def answer_cutoff(today: date, calendar: WorkCalendar,
                  after_workdays: int = NON_RESPONSE_WORKDAYS) -> date:
    """The last day a reminder may have been sent on and still be unanswered for
    `after_workdays` workdays by today: the workdays after it up to today are enough."""
    day, seen = today, 0
    for _ in range(_LOOK_BACK_DAYS):
        if seen >= after_workdays:
            return day
        seen += calendar.is_workday(day)
        day -= timedelta(days=1)
    return day


def answer_window(today: date, calendar: WorkCalendar,
                  after_workdays: int = NON_RESPONSE_WORKDAYS) -> tuple[date, date]:
    """The days a reminder must have been sent on to count against its recipient today."""
    return today - timedelta(days=WINDOW_DAYS), answer_cutoff(today, calendar, after_workdays)


def longest_waiting(found: Iterable[NonResponder]) -> list[NonResponder]:
    """Longest waiting first, then the most items."""
    return sorted(found, key=lambda n: (n.since, -n.items, n.person_id))
