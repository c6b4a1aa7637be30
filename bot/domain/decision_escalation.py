"""When a decision has waited too long, and who is told (issue 22 §6).

A pending decision (bot/domain/decisions.py) is a duty of its deciders. It escalates like an
overdue item (SPEC §4, 督办): once it has waited the policy's T+3 (`leaders_after_days`)
workdays, counted on the same China workday calendar, the decider's superior is told once.
Pure: the decision, the people, the units, today and a calendar in; person ids out.

Whose superior:
  a 班子成员, the office, a 纪委 member (in a decision that is not the 纪委's own): the 书记;
  a 下级党组织书记 (or anyone else): the 班子成员 who 分管 their unit, else the 书记;
  the 书记: nobody (the bot knows no one above the 党委).
The 纪委's own decisions (`discipline=True`, such as the 验收 of a 整改) stay inside the 纪委
(they may concern the 分管领导 or the 书记): they go to the 纪委书记; when the 纪委书记 alone
decides, to the other 纪委 members — never to a 分管领导 or the 书记.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Protocol

from bot.domain.decisions import PendingDecision
from bot.domain.model import Person, Role, Unit
from bot.domain.permissions import DISCIPLINE_ROLES, descendants
from bot.domain.policy import ReminderPolicy

#: The outbox kind (and the prefix of its dedup keys) of an escalated decision.
ESCALATION_KIND = "decision_escalation"
_SEARCH_DAYS = 120  # the longest wait the policy allows (60 workdays) fits in this many days


class Workdays(Protocol):
    def is_workday(self, day: date) -> bool: ...


def age_days(decision: PendingDecision, today: date) -> int:
    """How many days it has waited (calendar days: what a reader counts)."""
    return max((today - decision.since).days, 0)


def workdays_after(since: date, count: int, calendar: Workdays) -> date:
    """The `count`-th workday after `since` (a decision asked for on Friday has waited three
    workdays on Wednesday; a holiday in between does not count)."""
    day, seen = since, 0
    for _ in range(_SEARCH_DAYS + count * 3):
        day += timedelta(days=1)
        if calendar.is_workday(day):
            seen += 1
            if seen >= count:
                return day
    return since + timedelta(days=count)  # a calendar with no workdays at all


def escalation_stage(decision: PendingDecision, today: date, calendar: Workdays,
                     policy: ReminderPolicy) -> str | None:
    """The stage due today or before (e.g. "T+3"), or None: not yet, or switched off (0)."""
    days = policy.leaders_after_days
    if not days or workdays_after(decision.since, days, calendar) > today:
        return None
    return f"T+{days}"


def _leaders_of(unit_id: int, people: Mapping[int, Person],
                units: Mapping[int, Unit]) -> list[int]:
    """The 班子成员 who 分管 this unit (or a unit above it)."""
    return sorted(p.id for p in people.values()
                  if Role.MEMBER in p.roles and p.oversees
                  and unit_id in descendants(p.oversees, units))


def _secretaries(people: Mapping[int, Person]) -> list[int]:
    return sorted(p.id for p in people.values() if Role.SECRETARY in p.roles)


def superiors(person: Person, people: Mapping[int, Person],
              units: Mapping[int, Unit]) -> list[int]:
    """Whose job it is to see that this person decides (outside the 纪委's own)."""
    roles = person.roles
    if Role.SECRETARY in roles:
        return []
    if roles & ({Role.MEMBER, Role.ADMIN} | DISCIPLINE_ROLES):
        return _secretaries(people)
    return _leaders_of(person.unit_id, people, units) or _secretaries(people)


def escalation_targets(decision: PendingDecision, people: Mapping[int, Person],
                       units: Mapping[int, Unit]) -> list[int]:
    """Who is told that the decision has waited too long. Never the person the decision is
    about (`subject_id`: the one who reported, or asked)."""
    deciders = [people[d] for d in decision.decider_ids if d in people]
    if not deciders:
        return []
    if decision.discipline:
        heads = sorted(p.id for p in people.values() if Role.DISCIPLINE_SECRETARY in p.roles)
        if all(Role.DISCIPLINE_SECRETARY in p.roles for p in deciders):  # the 纪委书记's own
            deciding = {p.id for p in deciders}
            found = sorted(p.id for p in people.values()
                           if p.roles & DISCIPLINE_ROLES and p.id not in deciding)
        else:
            found = heads
    else:
        found = sorted({s for p in deciders for s in superiors(p, people, units)})
    return [pid for pid in found if pid != decision.subject_id]
