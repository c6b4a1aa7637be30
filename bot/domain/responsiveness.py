"""Who does not answer their reminders (issue 4 item 7; shown in the 纪委 summary).

A reminder counts against its recipient once it has waited `after_workdays` China
workdays without a 收到 or any other tap on the item.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from bot.domain.calendar import WorkCalendar

NON_RESPONSE_WORKDAYS = 2


@dataclass(frozen=True, slots=True)
class SentReminder:
    person_id: int
    item_id: int
    sent_on: date


@dataclass(frozen=True, slots=True)
class NonResponder:
    person_id: int
    item_ids: tuple[int, ...]
    since: date  # when the oldest unanswered reminder was sent


def workdays_after(start: date, end: date, calendar: WorkCalendar) -> int:
    """Workdays in (start, end]."""
    days, day = 0, start + timedelta(days=1)
    while day <= end:
        days += calendar.is_workday(day)
        day += timedelta(days=1)
    return days


def non_responders(unanswered: Iterable[SentReminder], today: date, calendar: WorkCalendar,
                   after_workdays: int = NON_RESPONSE_WORKDAYS) -> list[NonResponder]:
    """People with at least one reminder unanswered for `after_workdays` workdays,
    longest waiting first."""
    waited: dict[date, bool] = {}
    late: dict[int, list[SentReminder]] = {}
    for r in unanswered:
        if r.sent_on not in waited:
            waited[r.sent_on] = workdays_after(r.sent_on, today, calendar) >= after_workdays
        if waited[r.sent_on]:
            late.setdefault(r.person_id, []).append(r)
    found = [NonResponder(person_id=pid, item_ids=tuple(sorted({r.item_id for r in rs})),
                          since=min(r.sent_on for r in rs))
             for pid, rs in late.items()]
    return sorted(found, key=lambda n: (n.since, -len(n.item_ids), n.person_id))
