"""Obligation rules into dated occurrences, pure."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.model import Duty, Person, Role, Unit, UnitKind
from bot.domain.obligations import (
    Category,
    ObligationRule,
    Pairing,
    Schedule,
    Trigger,
    next_due,
    occurrences,
    title_of,
)


def rule(schedule: Schedule, **kw) -> ObligationRule:
    return ObligationRule(key=kw.pop("key", "r"), title=kw.pop("title", "{year}"),
                          category=kw.pop("category", Category.REPORT), duty=Duty.PRINCIPAL,
                          who=kw.pop("who", frozenset({Role.SECRETARY})), schedule=schedule, **kw)


@pytest.mark.parametrize(("schedule", "today", "due"), [
    (Schedule.QUARTERLY, date(2026, 11, 23), date(2026, 12, 31)),
    (Schedule.QUARTERLY, date(2027, 1, 1), date(2027, 3, 31)),
    (Schedule.BIMONTHLY, date(2026, 11, 23), date(2026, 12, 31)),
    (Schedule.BIMONTHLY, date(2027, 1, 5), date(2027, 2, 28)),
    (Schedule.BIMONTHLY, date(2028, 2, 1), date(2028, 2, 29)),
    (Schedule.MONTHLY, date(2026, 11, 23), date(2026, 11, 30)),
])
def test_periodic_due_dates(schedule, today, due):
    assert next_due(rule(schedule), today) == due


def test_yearly_is_this_year_until_it_passes():
    yearly = rule(Schedule.YEARLY, due_month=1, due_day=31)
    assert next_due(yearly, date(2026, 1, 31)) == date(2026, 1, 31)
    assert next_due(yearly, date(2026, 2, 1)) == date(2027, 1, 31)


def test_report_year_follows_the_due_date():
    r = rule(Schedule.YEARLY, title="{report_year}年度述责述廉", due_month=1, due_day=31)
    assert title_of(r, date(2027, 1, 31)) == "2026年度述责述廉"
    assert title_of(r, date(2026, 12, 20)) == "2026年度述责述廉"


UNITS = {1: Unit(1, "党委", UnitKind.COMMITTEE), 2: Unit(2, "财务科", UnitKind.DEPARTMENT, 1),
         3: Unit(3, "财务科支部", UnitKind.BRANCH, 2), 4: Unit(4, "项目科支部", UnitKind.BRANCH, 1)}
PEOPLE = {
    1: Person(1, "书记", 1, frozenset({Role.SECRETARY})),
    2: Person(2, "李明", 1, frozenset({Role.MEMBER}), oversees=frozenset({2})),
    3: Person(3, "周支书", 3, frozenset({Role.BRANCH_SECRETARY})),
    4: Person(4, "吴支书", 4, frozenset({Role.BRANCH_SECRETARY})),
}


def test_talks_pair_each_owner_with_each_counterpart():
    talks = rule(Schedule.YEARLY, title="{year}年廉政谈话：{with}", category=Category.TALK,
                 who=frozenset({Role.MEMBER}), pairing=Pairing.OVERSEEN_UNIT_HEADS,
                 due_month=12, due_day=31)
    made = occurrences([talks], PEOPLE, UNITS, [], date(2026, 11, 23))
    assert [(o.owner_id, o.counterpart_id, o.title) for o in made] == [(2, 3, "2026年廉政谈话：周支书")]
    cascade = rule(Schedule.YEARLY, title="{with}", category=Category.TALK,
                   pairing=Pairing.BRANCH_SECRETARIES, due_month=12, due_day=31)
    assert [o.counterpart_id for o in occurrences([cascade], PEOPLE, UNITS, [],
                                                  date(2026, 11, 23))] == [3, 4]


def test_an_event_makes_one_occurrence_per_recorded_day():
    report = rule(Schedule.AFTER_EVENT, title="民主生活会（{date}召开）",
                  event="democratic_life_meeting", days_after=7)
    made = occurrences([report], PEOPLE, UNITS,
                       [Trigger("democratic_life_meeting", date(2026, 11, 20))], date(2026, 11, 23))
    assert [(o.owner_id, o.due_date, o.title, o.period) for o in made] == [
        (1, date(2026, 11, 27), "民主生活会（11月20日召开）", "2026-11-20")]
    assert occurrences([report], PEOPLE, UNITS, [], date(2026, 11, 23)) == []
