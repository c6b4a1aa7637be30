"""The planner, pure: which stages fall due on which workday, and who is told."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.domain.calendar import WorkCalendar
from bot.domain.model import Person, Role, Unit, UnitKind
from bot.domain.planner import (
    Lane,
    Org,
    PlanItem,
    Recipient,
    Stage,
    finished,
    horizon,
    ladders,
    plan,
    recipients,
    stage_day,
)
from bot.domain.policy import ReminderPolicy

CAL = WorkCalendar()
POLICY = ReminderPolicy()


def run(due: date, start: date, end: date, policy: ReminderPolicy = POLICY,
        days: set[date] | None = None) -> list[tuple[date, str]]:
    """Plan one item every day from start to end (or only on `days`: the bot was up),
    feeding what was planned back in, as the database does."""
    item = PlanItem(1, owner_id=7, unit_id=1, due_date=due)
    planned: set[str] = set()
    seen = []
    day = start
    while day <= end:
        if days is None or day in days:
            for push in plan([item], {1: planned}, day, CAL, policy):
                planned.add(push.stage.label)
                seen.append((day, push.stage.label))
        day += timedelta(days=1)
    return seen


def test_ladders_follow_the_policy():
    lanes = ladders(POLICY)
    assert [s.label for s in lanes[Lane.OWNER]] == ["T-7", "T-3", "T-1", "T-0", "T+1"]
    assert [s.label for s in lanes[Lane.LEADERS]] == ["T+3"]
    assert [s.label for s in lanes[Lane.DISCIPLINE]] == ["T+7"]
    off = ReminderPolicy(lead_days=(5, 0), owner_after_days=0, discipline_after_days=0)
    lanes = ladders(off)
    assert [s.label for s in lanes[Lane.OWNER]] == ["T-5", "T-0"]
    assert Lane.DISCIPLINE not in lanes


def test_an_ordinary_fortnight():
    # due Monday 30 Nov 2026: T-1 falls on Sunday and moves back to Friday, where it
    # meets T-3: one reminder that day, the later stage
    assert run(date(2026, 11, 30), date(2026, 11, 1), date(2026, 12, 31)) == [
        (date(2026, 11, 23), "T-7"),
        (date(2026, 11, 27), "T-1"),
        (date(2026, 11, 30), "T-0"),
        (date(2026, 12, 1), "T+1"),
        (date(2026, 12, 3), "T+3"),
        (date(2026, 12, 7), "T+7"),
    ]


def test_national_day_2026_moves_reminders_before_the_holiday():
    # due Thursday 8 Oct, the first workday after 国庆: T-7, T-3 and T-1 all fall in the
    # holiday and move back to 30 Sep; 10 Oct (a Saturday) is a 调休 workday
    assert run(date(2026, 10, 8), date(2026, 9, 1), date(2026, 10, 31)) == [
        (date(2026, 9, 30), "T-1"),
        (date(2026, 10, 8), "T-0"),
        (date(2026, 10, 9), "T+1"),
        (date(2026, 10, 12), "T+3"),
        (date(2026, 10, 15), "T+7"),
    ]
    assert stage_day(date(2026, 10, 13), Stage(Lane.OWNER, -3), CAL) == date(2026, 10, 10)


def test_across_the_2026_to_2027_boundary():
    # due Monday 4 Jan 2027: T-3 is New Year's Day and T-1 a Sunday, both move to 31 Dec
    assert run(date(2027, 1, 4), date(2026, 12, 1), date(2027, 1, 31)) == [
        (date(2026, 12, 28), "T-7"),
        (date(2026, 12, 31), "T-1"),
        (date(2027, 1, 4), "T-0"),
        (date(2027, 1, 5), "T+1"),
        (date(2027, 1, 7), "T+3"),
        (date(2027, 1, 11), "T+7"),
    ]


def test_nothing_is_due_on_a_day_off():
    item = PlanItem(1, 7, 1, date(2026, 11, 30))
    assert plan([item], {}, date(2026, 11, 28), CAL, POLICY) == []  # Saturday
    assert plan([item], {}, date(2026, 10, 1), CAL, POLICY) == []  # 国庆


def test_after_downtime_each_lane_catches_up_once():
    # the bot was down from 20 Nov to 10 Dec: on its first day back, one owner reminder
    # (the latest, T+1), one to the leaders and one to the 纪委, not one per missed day
    up = {date(2026, 11, 19), date(2026, 12, 10), date(2026, 12, 11)}
    assert run(date(2026, 11, 30), date(2026, 11, 1), date(2026, 12, 31), days=up) == [
        (date(2026, 12, 10), "T+1"),
        (date(2026, 12, 10), "T+3"),
        (date(2026, 12, 10), "T+7"),
    ]


def test_an_item_made_late_gets_its_latest_stage_at_once():
    # created 2 days before its due date: the T-3 stage has passed, so it is sent now
    item = PlanItem(1, 7, 1, date(2026, 11, 26))
    pushes = plan([item], {}, date(2026, 11, 24), CAL, POLICY)
    assert [p.stage.label for p in pushes] == ["T-3"]


def test_a_far_due_date_has_nothing_yet():
    item = PlanItem(1, 7, 1, date(2027, 6, 30))
    assert plan([item], {}, date(2026, 11, 23), CAL, POLICY) == []


def test_policy_changes_the_stages():
    policy = ReminderPolicy(lead_days=(2,), owner_after_days=2, leaders_after_days=0,
                            discipline_after_days=0)
    assert run(date(2026, 11, 26), date(2026, 11, 1), date(2026, 12, 31), policy) == [
        (date(2026, 11, 24), "T-2"),
        (date(2026, 11, 30), "T+2"),  # Saturday 28 Nov moves to Monday
    ]


def test_horizon_reaches_past_the_longest_holiday():
    assert horizon(POLICY) >= 7 + 8
    # a reminder for a date far past 国庆 still lands before it
    assert stage_day(date(2026, 10, 8), Stage(Lane.OWNER, -7), CAL) == date(2026, 9, 30)


# Who is told --------------------------------------------------------------------------------

UNITS = {
    1: Unit(1, "某局党委", UnitKind.COMMITTEE),
    2: Unit(2, "财务科", UnitKind.DEPARTMENT, 1),
    3: Unit(3, "财务科党支部", UnitKind.BRANCH, 2),
    4: Unit(4, "项目科", UnitKind.DEPARTMENT, 1),
}
PEOPLE = {
    10: Person(10, "陈书记", 1, frozenset({Role.SECRETARY})),
    11: Person(11, "李明", 1, frozenset({Role.MEMBER}), oversees=frozenset({2})),
    12: Person(12, "王芳", 1, frozenset({Role.MEMBER}), oversees=frozenset({4})),
    13: Person(13, "刘纪委", 1, frozenset({Role.DISCIPLINE_SECRETARY})),
    14: Person(14, "周支书", 3, frozenset({Role.BRANCH_SECRETARY})),
}


@pytest.mark.parametrize(
    ("owner", "unit", "lane", "expected"),
    [
        (14, 3, Lane.OWNER, ["p:14"]),
        # 财务科党支部 is below 财务科, which 李明 分管; then the 书记
        (14, 3, Lane.LEADERS, ["p:11", "p:10"]),
        (12, 4, Lane.LEADERS, ["p:10"]),  # the owner is never told twice
        (10, 1, Lane.LEADERS, []),  # the 书记's own item: no 分管领导 above, and not himself
        (14, 3, Lane.DISCIPLINE, ["g:-100"]),
    ],
)
def test_recipients(owner, unit, lane, expected):
    org = Org(PEOPLE, UNITS, discipline_chats=(-100,))
    item = PlanItem(1, owner, unit, date(2026, 11, 30))
    assert [r.key for r in recipients(item, Stage(lane, 3), org)] == expected


def test_without_a_discipline_group_the_discipline_secretary_is_told():
    org = Org(PEOPLE, UNITS)
    item = PlanItem(1, 14, 3, date(2026, 11, 30))
    assert recipients(item, Stage(Lane.DISCIPLINE, 7), org) == [Recipient.person(13)]


def test_recipient_keys_read_back():
    assert Recipient.parse("g:-100123") == Recipient.group(-100123)
    assert Recipient.parse("p:5").key == "p:5"


def test_a_whole_year_day_by_day():
    """One item due on every day of 2026 and early 2027; the planner runs every day of the
    year. Each stage is sent at most once, only on workdays, never before its day, and
    every stage of every item is sent (in order) within the year."""
    first = date(2026, 1, 1)
    items = [PlanItem(i, 1, 1, first + timedelta(days=i)) for i in range(0, 400)]
    planned: dict[int, list[tuple[date, Stage]]] = {i.id: [] for i in items}
    day = first
    while day <= date(2027, 2, 28):
        for push in plan(items, {k: {s.label for _, s in v} for k, v in planned.items()},
                         day, CAL, POLICY):
            planned[push.item_id].append((day, push.stage))
        day += timedelta(days=1)
    lanes = ladders(POLICY)
    for item in items:
        sent = planned[item.id]
        labels = [s.label for _, s in sent]
        assert len(labels) == len(set(labels)), (item, labels)
        for day, stage in sent:
            assert CAL.is_workday(day)
            assert day >= stage_day(item.due_date, stage, CAL)
            if stage.offset <= 0:
                assert day <= item.due_date  # a reminder always comes before the deadline
        if date(2026, 1, 20) <= item.due_date <= date(2027, 1, 31):
            # far enough from both ends: the whole ladder of every lane went out
            for stages in lanes.values():
                for stage in stages:
                    assert stage.label in labels or any(
                        later.label in labels and stage_day(item.due_date, later, CAL)
                        == stage_day(item.due_date, stage, CAL)
                        for later in stages), (item.due_date, stage.label, labels)
        owner = [s for _, s in sent if s.lane is Lane.OWNER]
        assert [s.offset for s in owner] == sorted(s.offset for s in owner)


def test_finished_names_the_last_stage_of_each_lane():
    assert finished(POLICY) == ("T+7", "T+3", "T+1")  # the latest first
    assert finished(ReminderPolicy(lead_days=(5, 0), owner_after_days=0,
                                   discipline_after_days=0)) == ("T+3", "T-0")
    assert finished(ReminderPolicy(lead_days=(), owner_after_days=0, leaders_after_days=0,
                                   discipline_after_days=0)) == ()


@pytest.mark.parametrize("policy", [POLICY, ReminderPolicy(lead_days=(2,), owner_after_days=2,
                                                           leaders_after_days=0,
                                                           discipline_after_days=5)])
def test_an_item_that_had_every_last_stage_has_nothing_more_to_come(policy):
    """What lets the read leave such items out (ReminderRepo.candidates): whatever else was
    planned, on any day after its last stages went out, the plan has no push for it."""
    for offset in range(0, 400, 3):
        due = date(2026, 1, 1) + timedelta(days=offset)
        last = {s.label: stage_day(due, s, CAL) for s in
                (stages[-1] for stages in ladders(policy).values())}
        assert set(last) == set(finished(policy))
        day = max(last.values())
        item = PlanItem(1, 7, 1, due)
        for later in range(0, 30):
            today = day + timedelta(days=later)
            for earlier in ((), ("T-7",), ("T-0", "T+1")):
                assert plan([item], {1: set(finished(policy)) | set(earlier)}, today, CAL,
                            policy) == []
