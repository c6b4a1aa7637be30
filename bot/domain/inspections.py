"""监督检查 (001 §四(一)) and the follow-up obligations of those held accountable (001
§四(三)): plain data and rules.

The 纪委 folds the 四责协同 mechanism into its 日常监督, 巡察, 专项检查 and 政治生态分析,
checking four points in each unit it inspects; what it finds on a point may become a 问题清单
item and a 整改. A person held accountable in a 问责 case (a case with a 处理) writes a
书面检讨 to the deciding body and makes a 深刻检查 at the next 民主生活会 or 组织生活会: two
follow-ups, confidential like the case (never items, never in a group, escalating only
within the 纪委).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from bot.domain.model import Actor, Person, Role
from bot.domain.permissions import DISCIPLINE_ROLES

INSPECTION_PREFIX = "J"  # 监督检查 codes: J0001
FINDING_MAX = 500
NO_PROBLEM = "无问题"


class InspectionKind(StrEnum):
    DAILY = "daily"
    SPECIAL = "special"
    PATROL = "patrol"
    ECOLOGY = "ecology"


#: The source's words for each kind (001 §四(一)).
KIND_WORDS: dict[InspectionKind, str] = {
    InspectionKind.DAILY: "日常监督", InspectionKind.SPECIAL: "专项检查",
    InspectionKind.PATROL: "巡察", InspectionKind.ECOLOGY: "政治生态分析"}


class Point(StrEnum):
    """The four points a 监督检查 checks (001 §四(一))."""

    DIVISION = "division"
    ITEMS = "items"
    COORDINATION = "coordination"
    PURSUIT = "pursuit"


#: The source's words for each point, in its order.
POINT_WORDS: dict[Point, str] = {
    Point.DIVISION: "责任分解是否明确", Point.ITEMS: "责任项目是否落实",
    Point.COORDINATION: "责任履行是否协同", Point.PURSUIT: "责任追究是否严格"}
#: What may be typed for a point: its number, its short word, or its whole words.
POINT_SHORT: dict[Point, str] = {
    Point.DIVISION: "分解", Point.ITEMS: "落实", Point.COORDINATION: "协同",
    Point.PURSUIT: "追究"}


def parse_point(word: str) -> Point | None:
    word = word.strip()
    for number, point in enumerate(POINT_WORDS, start=1):
        if word in (str(number), POINT_SHORT[point], POINT_WORDS[point], point.value):
            return point
    return None


def parse_kind(word: str) -> InspectionKind | None:
    word = word.strip()
    return next((k for k, w in KIND_WORDS.items() if word in (w, k.value)), None)


@dataclass(frozen=True, slots=True)
class Finding:
    id: int
    inspection_id: int
    point: Point
    finding: str | None  # None: 无问题
    item_id: int | None = None  # the 问题清单 item it became
    fix_id: int | None = None  # the 整改 it became


@dataclass(frozen=True, slots=True)
class Inspection:
    id: int
    code: str
    held_on: date
    unit_id: int
    kind: InspectionKind
    created_by: int | None
    findings: tuple[Finding, ...] = ()


class InspectionProblem(ValueError):
    """What cannot be recorded as given: `field` names what to fix, `detail` the word."""

    def __init__(self, field: str, detail: str = "") -> None:
        super().__init__(f"{field}: {detail}" if detail else field)
        self.field = field
        self.detail = detail


def check_findings(findings: Mapping[Point, str | None]) -> None:
    """Every point answered: a finding, or None for 无问题."""
    for point in POINT_WORDS:
        if point not in findings:
            raise InspectionProblem("point_missing", POINT_WORDS[point])
        text = findings[point]
        if text is not None and len(text) > FINDING_MAX:
            raise InspectionProblem("finding", str(len(text)))


def finding_of(text: str) -> str | None:
    """A point's answer as typed: "无问题" (or nothing to note) is None."""
    text = text.strip()
    return None if text in (NO_PROBLEM, "无", "没有问题", "") else text


def can_record_inspections(actor: Actor) -> bool:
    """Only the 纪委 records 监督检查 (as it records cases)."""
    return bool(actor.roles & DISCIPLINE_ROLES)


def unit_head(unit_id: int, people: Mapping[int, Person]) -> Person | None:
    """Who answers for a unit's 问题 and 整改: its 党组织书记 (or the 党委书记 of a 党委)."""
    heads = [p for p in sorted(people.values(), key=lambda p: p.id)
             if p.unit_id == unit_id and p.roles & {Role.BRANCH_SECRETARY, Role.SECRETARY}]
    return heads[0] if heads else None


# -- the follow-ups of a person held accountable --------------------------------------------


class FollowUpKind(StrEnum):
    WRITTEN = "written"  # 书面检讨, to the body that decided the 处理
    MEETING = "meeting"  # 深刻检查, at the next 民主生活会 or 组织生活会


@dataclass(frozen=True, slots=True)
class FollowUp:
    id: int
    case_id: int
    kind: FollowUpKind
    owner_id: int  # the person held accountable
    due_date: date
    done_on: date | None = None


@dataclass(frozen=True, slots=True)
class FollowUpTerms:
    """When the follow-ups fall due (the rules file's [followups]; the source texts give no
    dates, so both are defaults): the 书面检讨 so many days after the 处理; the 深刻检查 on
    a fixed date (MM-DD, the next such day), after so many days, or at the end of the
    quarter."""

    written_days: int = 15
    meeting_days: int | None = None
    meeting_date: tuple[int, int] | None = None  # (month, day)


def quarter_end(day: date) -> date:
    month = ((day.month - 1) // 3 + 1) * 3
    following = date(day.year + (month == 12), month % 12 + 1, 1)
    return following - timedelta(days=1)


def follow_up_dues(decided: date, terms: FollowUpTerms) -> dict[FollowUpKind, date]:
    """The two due dates of one held accountable, counted from the day of the 处理."""
    if terms.meeting_days is not None:
        meeting = decided + timedelta(days=terms.meeting_days)
    elif terms.meeting_date is not None:
        month, day = terms.meeting_date
        meeting = date(decided.year, month, day)
        if meeting < decided:
            meeting = date(decided.year + 1, month, day)
    else:
        meeting = quarter_end(decided)
    return {FollowUpKind.WRITTEN: decided + timedelta(days=terms.written_days),
            FollowUpKind.MEETING: meeting}


def can_mark_follow_up(actor: Actor, follow_up: FollowUp) -> bool:
    """The person who owes it, or the 纪委."""
    return bool(actor.roles & DISCIPLINE_ROLES) or actor.person_id == follow_up.owner_id


def follow_up_recipients(follow_up: FollowUp, overdue_lane: str,
                         people: Mapping[int, Person]) -> list[int]:
    """Who a follow-up's reminder goes to, always in private: its owner before it is due
    and on the owner's overdue step; once further overdue, the 纪委 only — never the
    分管领导 or the 书记, a group or a robot (as a 倒查's, bot/domain/cases.py)."""
    if overdue_lane == "owner":
        return [follow_up.owner_id]
    wanted = ({Role.DISCIPLINE_SECRETARY} if overdue_lane == "leaders"
              else set(DISCIPLINE_ROLES))
    return [p.id for p in sorted(people.values(), key=lambda p: p.id)
            if p.roles & wanted and p.id != follow_up.owner_id]
