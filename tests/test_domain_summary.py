"""The weekly summary and the 完成与响应 rates, computed from a census with known answers."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.model import Duty, ItemStatus, ListKind, Person, Role, Unit, UnitKind
from bot.domain.performance import (
    MIN_SAMPLE,
    OnTime,
    Responses,
    Tally,
    best_and_worst,
    ties,
)
from bot.domain.responsiveness import NonResponder
from bot.domain.summary import (
    Census,
    ItemLine,
    SummaryInput,
    TalkCount,
    Timing,
    WeekChanges,
    from_payload,
    iso_week,
    summarize,
    timing_of,
    to_payload,
)
from bot.domain.vocabulary import DUTY_NAMES, KIND_NAMES

TODAY = date(2026, 11, 30)
UNITS = {1: Unit(1, "某局党委", UnitKind.COMMITTEE), 2: Unit(2, "财务科", UnitKind.DEPARTMENT, 1),
         3: Unit(3, "项目科", UnitKind.DEPARTMENT, 1)}
PEOPLE = {
    10: Person(10, "陈书记", 1, frozenset({Role.SECRETARY})),
    11: Person(11, "李明", 2, frozenset({Role.MEMBER})),
    12: Person(12, "王芳", 3, frozenset({Role.MEMBER})),
}


def census(kind, duty, unit, status, timing, count):
    return Census(kind, duty, unit, status, timing, count)


def sample() -> SummaryInput:
    P, M, R, L = (ListKind.PROBLEM, ListKind.MEASURE, ListKind.RECTIFICATION,
                  ListKind.OBLIGATION)
    return SummaryInput(
        today=TODAY,
        census=[
            census(P, Duty.PRINCIPAL, 1, ItemStatus.OPEN, Timing.OVERDUE, 2),
            census(P, Duty.PRINCIPAL, 1, ItemStatus.DONE, Timing.CLOSED, 3),
            census(M, Duty.DUAL, 2, ItemStatus.IN_PROGRESS, Timing.SOON, 4),
            census(M, Duty.DUAL, 2, ItemStatus.OPEN, Timing.OVERDUE, 1),
            census(M, Duty.DUAL, 3, ItemStatus.OPEN, Timing.ON_TRACK, 5),
            census(M, Duty.DUAL, 3, ItemStatus.CANCELLED, Timing.CLOSED, 7),
            census(R, Duty.SUPERVISION, 2, ItemStatus.PENDING_VERIFICATION, Timing.CLOSED, 1),
            census(R, Duty.SUPERVISION, 2, ItemStatus.RETURNED, Timing.OVERDUE, 2),
            census(R, Duty.SUPERVISION, 3, ItemStatus.VERIFIED, Timing.CLOSED, 1),
            census(L, Duty.FIRST, 1, ItemStatus.OPEN, Timing.ON_TRACK, 1),
        ],
        on_time=[
            OnTime(10, 1, Duty.PRINCIPAL, counted=5, on_time=3),
            OnTime(11, 2, Duty.DUAL, counted=4, on_time=1),
            OnTime(12, 3, Duty.SUPERVISION, counted=2, on_time=2),
        ],
        responses=[Responses(10, 10, 10), Responses(11, 8, 2), Responses(12, 1, 1)],
        red=[ItemLine("C0001", "核查凭证", M, "李明", "财务科", date(2026, 11, 20),
                      ItemStatus.OPEN)],
        yellow=[],
        talks=TalkCount(required=6, required_held=2, adhoc=1, adhoc_held=0,
                        held_by_kind={"廉政谈话": 2, "工作约谈": 1}),
        changes=WeekChanges(finished=2, verified=1, newly_overdue=3, escalated=1),
        silent=[NonResponder(11, 2, date(2026, 11, 24)), NonResponder(99, 1, date(2026, 11, 24))],
        people=PEOPLE,
        units=UNITS,
    )


def test_totals_by_list_status_and_timing():
    s = summarize(sample(), KIND_NAMES, DUTY_NAMES)
    assert s.overall.total == 20  # 27 counted, 7 cancelled left out
    assert (s.red_total, s.yellow_total, s.green_total) == (5, 4, 6)
    assert s.overall.finished == 5  # 3 done, 1 待验收, 1 销号
    assert [(r.label, r.total) for r in s.by_list] == [
        ("问题", 5), ("措施", 10), ("履责", 1), ("整改", 4)]
    assert s.by_status[ItemStatus.CANCELLED] == 7
    assert s.by_status[ItemStatus.OPEN] == 9


def test_by_duty_has_all_four_with_on_time_rates():
    s = summarize(sample(), KIND_NAMES, DUTY_NAMES)
    duty = {r.label: r for r in s.by_duty}
    assert list(duty) == ["主体责任", "监督责任", "第一责任", "一岗双责"]
    assert duty["主体责任"].on_time.on_time_rate == pytest.approx(0.6)
    assert duty["第一责任"].total == 1 and duty["第一责任"].on_time.on_time_rate is None
    assert duty["一岗双责"].overdue == 1 and duty["一岗双责"].soon == 4
    assert s.overall.on_time == Tally(counted=11, on_time=6)


def test_units_worst_first():
    s = summarize(sample(), KIND_NAMES, DUTY_NAMES)
    # 财务科 has 3 overdue, 某局党委 2, 项目科 0
    assert [r.label for r in s.by_unit] == ["财务科", "某局党委", "项目科"]


def test_fixes_and_talks_and_changes():
    s = summarize(sample(), KIND_NAMES, DUTY_NAMES)
    assert (s.fixes.open, s.fixes.overdue, s.fixes.pending, s.fixes.verified) == (2, 2, 1, 1)
    assert s.talks.required == 6 and s.changes.newly_overdue == 3


def test_silent_people_are_named_and_unknown_ones_dropped():
    s = summarize(sample(), KIND_NAMES, DUTY_NAMES)
    assert [(x.name, x.unit, x.items) for x in s.silent] == [("李明", "财务科", 2)]


def test_index_ranks_people_best_and_worst():
    s = summarize(sample(), KIND_NAMES, DUTY_NAMES)
    # 陈书记: 0.7*0.6 + 0.3*1.0 = 72; 李明: 0.7*0.25 + 0.3*0.25 = 25;
    # 王芳 scores 100 on two items and one reminder: too little to rank
    assert [(r.name, r.tally.score) for r in s.best_people] == [("陈书记", 72)]
    assert [(r.name, r.tally.score) for r in s.worst_people] == [("李明", 25)]
    assert [(r.name, r.tally.score) for r in s.best_units][:1] == [("某局党委", 72)]


def test_tally_score_weights_and_edges():
    assert Tally().score is None
    assert Tally(counted=4, on_time=3).score == 75
    assert Tally(reminded=4, answered=1).score == 25
    assert Tally(counted=10, on_time=10, reminded=10, answered=0).score == 70
    assert not Tally(counted=MIN_SAMPLE - 1, on_time=1).rankable
    assert Tally(counted=MIN_SAMPLE, on_time=1).rankable


def test_best_and_worst_never_overlap():
    entries = [(f"p{i}", Tally(counted=10, on_time=i)) for i in range(8)]
    top, bottom = best_and_worst(entries, lambda e: e[1], lambda e: e[0], 3)
    assert [e[0] for e in top] == ["p7", "p6", "p5"]
    assert [e[0] for e in bottom] == ["p0", "p1", "p2"]
    top, bottom = best_and_worst(entries[:5], lambda e: e[1], lambda e: e[0], 3)
    assert [e[0] for e in top] == ["p4", "p3", "p2"] and [e[0] for e in bottom] == ["p0", "p1"]
    top, bottom = best_and_worst(entries[:1], lambda e: e[1], lambda e: e[0], 3)
    assert top == [] and bottom == []  # one alone is no ranking (issue 24)


def test_ties_stay_together_and_a_flat_ranking_is_none():
    def tally(on_time: int) -> Tally:
        return Tally(counted=10, on_time=on_time)

    def names(entries) -> list[str]:
        return [e[0] for e in entries]

    flat = [(f"p{i}", tally(5)) for i in range(6)]
    assert best_and_worst(flat, lambda e: e[1], lambda e: e[0], 3) == ([], [])
    nothing = [(f"p{i}", Tally()) for i in range(6)]
    assert best_and_worst(nothing, lambda e: e[1], lambda e: e[0], 3) == ([], [])
    # 甲 and 乙 tie at the top, 丙 丁 戊 at the bottom: no tie is split, none in both
    entries = [("甲", tally(9)), ("乙", tally(9)), ("丙", tally(2)), ("丁", tally(2)),
               ("戊", tally(2)), ("己", tally(6))]
    top, bottom = best_and_worst(entries, lambda e: e[1], lambda e: e[0], 1)
    assert names(top) == ["乙", "甲"] and names(bottom) == ["丁", "丙", "戊"]
    top, bottom = best_and_worst(entries, lambda e: e[1], lambda e: e[0], 3)
    assert names(top) == ["乙", "甲", "己"] and names(bottom) == ["丁", "丙", "戊"]
    assert [names(g) for g in ties(top, lambda e: e[1])] == [["乙", "甲"], ["己"]]


def test_timing_buckets_match_the_sql():
    assert timing_of(ItemStatus.OPEN, date(2026, 11, 29), TODAY) is Timing.OVERDUE
    assert timing_of(ItemStatus.OPEN, TODAY, TODAY) is Timing.SOON
    assert timing_of(ItemStatus.RETURNED, date(2026, 12, 7), TODAY) is Timing.SOON
    assert timing_of(ItemStatus.OPEN, date(2026, 12, 8), TODAY) is Timing.ON_TRACK
    assert timing_of(ItemStatus.DONE, date(2026, 11, 1), TODAY) is Timing.CLOSED


def test_payload_round_trip():
    s = summarize(sample(), KIND_NAMES, DUTY_NAMES)
    assert from_payload(to_payload(s)) == s


def test_iso_week():
    assert iso_week(date(2026, 11, 30)) == "2026-W49"
    assert iso_week(date(2027, 1, 1)) == "2026-W53"


def test_week_period_is_last_complete_week_or_this_week_so_far() -> None:
    from bot.domain.summary import Period, week_period

    thursday = date(2026, 12, 3)
    assert week_period(thursday, last_week=False) == Period(date(2026, 11, 30), thursday, False)
    for pushed_on in (date(2026, 11, 30), thursday, date(2026, 12, 6)):  # any weekday
        assert week_period(pushed_on, last_week=True) == Period(
            date(2026, 11, 23), date(2026, 11, 29), True)
    assert week_period(date(2027, 1, 4), True) == Period(date(2026, 12, 28),
                                                         date(2027, 1, 3), True)
