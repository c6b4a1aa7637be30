"""监督检查 (the 纪委's) and 检查考核 (the 党委's) records (SPEC §11; 001 §四(一), 004).

A 监督检查 of a unit answers the four points; a finding becomes a 问题清单 item and a 整改
with one tap, through the item and 整改 services (not a copy of their rules), owned by the
unit's 党组织书记. A 考核 result is recorded per unit and year, and shown beside the bot's
own figures for that unit and year: figures, not a score.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta

from bot.clock import Clock
from bot.domain.assessments import (
    REMARKS_MAX,
    Assessment,
    AssessmentProblem,
    can_record_assessments,
    can_see_assessment,
    can_see_assessments,
    check_grade,
    leader_of,
    parse_year,
)
from bot.domain.cases import can_see_case
from bot.domain.dates import DateParseError, FutureDateError, parse_past_date
from bot.domain.display import clip
from bot.domain.inspections import (
    FINDING_MAX,
    POINT_WORDS,
    Finding,
    Inspection,
    InspectionProblem,
    Point,
    can_record_inspections,
    check_findings,
    finding_of,
    parse_kind,
    parse_point,
    unit_head,
)
from bot.domain.model import TITLE_MAX, Actor, Duty, ListKind, Person, Role, Unit
from bot.domain.performance import Tally
from bot.domain.text import TextRefused, clean_note
from bot.services.base import ServiceBase
from bot.services.errors import (
    FutureDate,
    InspectionRefused,
    InvalidDate,
    NotAllowed,
    NotBound,
    UsageError,
    text_refused,
)
from bot.services.items import ItemDraft, ItemService, ItemView
from bot.services.people import resolve_person, resolve_unit
from bot.services.rectifications import Rectification, RectificationDraft, RectificationService
from bot.services.summary import Performance
from storage.db import Database, Tx

RECENT = 10  # /监督检查 lists this many
_SEGMENTS = re.compile(r"[\n；;]+")
_LABEL = re.compile(r"^\s*([^:：\s]+)\s*[:：]\s*(.*)$", re.S)
LEAD_WORDS = ("牵头", "lead")


@dataclass(frozen=True, slots=True)
class InspectionView:
    inspection: Inspection
    unit: Unit
    recorder: str | None
    linked: dict[int, str]  # item id → its 编号, for the findings turned into items


@dataclass(frozen=True, slots=True)
class InspectionDraft:
    """A 监督检查 as the 纪委 typed it (words, not ids)."""

    held_on: str  # a date in the house grammar
    unit: str
    kind: str  # 日常监督, 专项检查, 巡察 or 政治生态分析
    answers: dict[str, str]  # a point (1–4, its short word or its words) → the finding


@dataclass(frozen=True, slots=True)
class FindingFixed:
    inspection: Inspection
    finding: Finding
    item: ItemView
    fix: Rectification


def parse_inspection(text: str) -> InspectionDraft:
    """`日期 单位 类型` on the first line, then `要点：发现` per line (or separated by ；).
    The words are checked by the service."""
    head, _, rest = text.strip().partition("\n")
    words = head.split()
    if words and words[0] in ("登记", "new"):
        words = words[1:]
    if len(words) < 3:
        raise UsageError("inspect")
    rest = " ".join(words[3:]) + "\n" + rest
    answers: dict[str, str] = {}
    for segment in _SEGMENTS.split(rest):
        if not segment.strip():
            continue
        match = _LABEL.match(segment)
        if match is None:
            raise InspectionRefused("point", segment.strip()[:12])
        answers[match.group(1)] = match.group(2).strip()
    return InspectionDraft(words[0], words[1], words[2], answers)


class InspectionService(ServiceBase):
    def __init__(self, db: Database, clock: Clock, items: ItemService,
                 fixes: RectificationService, fix_days: int = 60, plan_days: int = 15) -> None:
        super().__init__(db, clock)
        self.items = items
        self.fixes = fixes
        self.fix_days = fix_days
        self.plan_days = plan_days

    async def record(self, actor: Actor, text: str) -> InspectionView:
        """`/监督检查 日期 单位 类型` and the four points' findings (see parse_inspection)."""
        if not can_record_inspections(actor):
            raise NotAllowed("record_inspection")
        draft = parse_inspection(text)
        return await self.change_at_once(actor, lambda tx: self.record_in(tx, actor, draft))

    async def record_in(self, tx: Tx, actor: Actor, draft: InspectionDraft) -> InspectionView:
        """Checked whole, then saved with its event, in the caller's change; by the 纪委
        only."""
        if not can_record_inspections(actor):
            raise NotAllowed("record_inspection")
        if actor.person is None:
            raise NotBound()
        kind = parse_kind(draft.kind)
        if kind is None:
            raise InspectionRefused("kind", draft.kind.strip()[:12])
        findings: dict[Point, str | None] = {}
        for label, said in draft.answers.items():
            point = parse_point(label)
            if point is None:
                raise InspectionRefused("point", label[:12])
            findings[point] = self._finding(said)
        try:
            check_findings(findings)
        except InspectionProblem as problem:
            raise InspectionRefused(problem.field, problem.detail) from None
        held_on = past_date(draft.held_on, self.today())
        unit = await resolve_unit(tx, draft.unit)
        ordered = {p: findings[p] for p in POINT_WORDS}
        inspection = await tx.inspections.add(held_on, unit.id, kind, ordered,
                                              actor.person.id, self.now())
        await tx.events.record(actor, self.now(), "inspection.recorded", "inspection",
                               inspection.id, code=inspection.code, unit=unit.name,
                               kind=kind.value, held_on=held_on.isoformat(),
                               problems=[p.value for p, t in ordered.items() if t])
        return (await self._views(tx, [inspection]))[0]

    def _finding(self, said: str) -> str | None:
        text = finding_of(said)
        if text is None:
            return None
        try:
            return clean_note(text, FINDING_MAX)
        except TextRefused as refused:
            raise text_refused("note", text, refused) from None

    async def recent(self, actor: Actor) -> list[InspectionView]:
        """/监督检查: the latest, those of units in the viewer's scope (the 纪委, the 党委:
        all; a 班子成员: their 分管 units)."""
        if not (can_record_inspections(actor) or can_see_assessments(actor)):
            raise NotAllowed("view_inspections")

        async def read(tx: Tx) -> list[InspectionView]:  # one round trip (storage/at_once.py)
            units = await tx.units.all()
            shown = [i for i in await tx.inspections.recent(RECENT * 5)
                     if can_see_assessment(actor, i.unit_id, units)][:RECENT]
            return await self._views(tx, shown)

        return await self.db.read_at_once(read)

    async def make_fix(self, actor: Actor, finding_id: int) -> FindingFixed:
        """One tap: the finding becomes a 问题清单 item and a 整改 (with its 整改方案),
        owned by the unit's 党组织书记, through the item and 整改 services."""
        if not can_record_inspections(actor):
            raise NotAllowed("record_inspection")

        async def write(tx: Tx) -> FindingFixed:  # one round trip (storage/at_once.py)
            finding = await tx.inspections.finding(finding_id)
            if finding is None or finding.finding is None:
                raise InspectionRefused("finding_id")
            if finding.item_id is not None:
                raise InspectionRefused("linked")
            inspection = await tx.inspections.get(finding.inspection_id)
            assert inspection is not None
            units = await tx.units.all()
            unit = units[inspection.unit_id]
            head = unit_head(unit.id, await tx.persons.all())
            if head is None:
                raise InspectionRefused("no_head", unit.name)
            owner = f"{head.name}@{units[head.unit_id].name}"
            title = _title(POINT_WORDS[finding.point], finding.finding)
            source = f"监督检查 {inspection.code}"
            today = self.today()
            due = today + timedelta(days=self.fix_days)
            item = await self.items.create_in(tx, actor, ItemDraft(
                kind=ListKind.PROBLEM, title=title, duty=Duty.PRINCIPAL, owner=owner,
                unit=unit.name, due_date=due, source=source))
            fix = await self.fixes.create_in(tx, actor, RectificationDraft(
                title=title, leader=owner, source=f"{source}，问题 {item.item.code}",
                plan_due=min(today + timedelta(days=self.plan_days), due), due=due))
            await tx.inspections.link_finding(finding.id, item.item.id, fix.main.item.id)
            await tx.events.record(actor, self.now(), "inspection.finding_fixed", "inspection",
                                   inspection.id, code=inspection.code,
                                   point=finding.point.value, item=item.item.code,
                                   fix=fix.main.item.code)
            return FindingFixed(inspection, finding, item, fix)

        return await self.change_at_once(actor, write)

    async def _views(self, tx: Tx, inspections: list[Inspection]) -> list[InspectionView]:
        units = await tx.units.all()
        people = await tx.persons.directory()
        item_ids = {i for x in inspections for f in x.findings
                    for i in (f.item_id, f.fix_id) if i}
        items = await tx.items.by_ids(item_ids) if item_ids else {}
        return [InspectionView(
            inspection=x, unit=units[x.unit_id],
            recorder=people[x.created_by].name if x.created_by in people else None,
            linked={i: items[i].code for i in items}) for x in inspections]


def _title(point: str, finding: str) -> str:
    title = " ".join(f"{point}：{finding}".split())
    return clip(title, TITLE_MAX)


def past_date(text: str, today: date) -> date:
    try:
        return parse_past_date(text, today)
    except FutureDateError:
        raise FutureDate(text.strip()) from None
    except DateParseError:
        raise InvalidDate(text.strip()) from None


# 检查考核 --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Figures:
    """What the bot itself knows of a unit in a year: counts, not a score."""

    start: date
    end: date
    tally: Tally  # on-time completion and reminder response
    fixes: int  # 整改 falling due in the year
    fixes_closed: int  # of those, 验收销号
    cases: int  # 问责 cases recorded in the year (those the viewer may see)


@dataclass(frozen=True, slots=True)
class AssessmentView:
    year: int
    unit: Unit
    assessment: Assessment | None
    leader: str | None  # who led it
    figures: Figures | None  # None: the year has not begun


@dataclass(frozen=True, slots=True)
class AssessmentList:
    year: int
    views: list[tuple[Assessment, Unit, str | None]]


class AssessmentService(ServiceBase):
    def __init__(self, db: Database, clock: Clock, grades: tuple[str, ...],
                 performance: Callable[[date, date], Awaitable[Performance]] | None = None
                 ) -> None:
        super().__init__(db, clock)
        self.grades = grades
        self._performance = performance

    async def record(self, actor: Actor, year_text: str, unit_name: str, grade: str,
                     rest: list[str]) -> AssessmentView:
        """`/考核 2026 单位 较好 [牵头:姓名] 评语`: by the 党委 (书记, office) only. Led by the
        named 班子成员, else the one who 分管 the unit. A second result for the same unit
        and year replaces the first (the event keeps both)."""
        if not can_record_assessments(actor):
            raise NotAllowed("record_assessment")
        try:
            year = parse_year(year_text)
            check_grade(grade.strip(), self.grades)
        except AssessmentProblem as problem:
            raise InspectionRefused(problem.field, problem.detail) from None
        lead = next((w for w in rest if w.split(":")[0].split("：")[0] in LEAD_WORDS), None)
        words = [w for w in rest if w is not lead]
        try:
            remarks = clean_note(" ".join(words), REMARKS_MAX) if words else ""
        except TextRefused as refused:
            raise text_refused("note", " ".join(words), refused) from None
        async with self.change(actor) as tx:
            unit = await resolve_unit(tx, unit_name)
            if unit.parent_id is None:  # the 党委 itself: 考核 is of the 下级党组织
                raise InspectionRefused("unit_top", unit.name)
            people = await tx.persons.all()
            units = await tx.units.all()
            leader: Person | None
            if lead is not None:
                leader = await resolve_person(tx, re.split("[:：]", lead, maxsplit=1)[1])
                if Role.MEMBER not in leader.roles:
                    raise InspectionRefused("led_by", leader.name)
            else:
                leader = leader_of(unit.id, people, units)
            assessment, replaced = await tx.inspections.put_assessment(
                year, unit.id, leader.id if leader else None, grade.strip(), remarks,
                actor.person_id, self.now())
            await tx.events.record(actor, self.now(), "assessment.recorded", "assessment",
                                   assessment.id, year=year, unit=unit.name,
                                   grade=assessment.grade, replaced=replaced,
                                   led_by=leader.name if leader else None)
        return await self.view(actor, str(year), unit.name)

    async def view(self, actor: Actor, year_text: str, unit_name: str) -> AssessmentView:
        """One unit's result for the year beside the bot's own figures for it."""
        if not can_see_assessments(actor):
            raise NotAllowed("view_assessment")
        try:
            year = parse_year(year_text)
        except AssessmentProblem as problem:
            raise InspectionRefused(problem.field, problem.detail) from None
        async with self.db.read() as tx:
            unit = await resolve_unit(tx, unit_name)
            units = await tx.units.all()
            if not can_see_assessment(actor, unit.id, units):
                raise InspectionRefused("scope", unit.name)
            assessment = await tx.inspections.assessment(year, unit.id)
            people = await tx.persons.directory()
            start = date(year, 1, 1)
            end = min(self.today(), date(year, 12, 31))
            figures = None
            if start <= end:
                fixes, closed = await tx.inspections.fixes_of(unit.id, year)
                cases = await tx.cases.all()
                reviews = await tx.cases.reviews()
                seen = sum(1 for c in cases if c.unit_id == unit.id and c.recorded_on
                           and c.recorded_on.year == year
                           and can_see_case(actor, c, reviews.get(c.id, []), units))
                figures = Figures(start, end, Tally(), fixes, closed, seen)
        if figures is not None and self._performance is not None:
            performance = await self._performance(figures.start, figures.end)
            tally = next((u.tally for u in performance.units if u.unit.id == unit.id), Tally())
            figures = Figures(figures.start, figures.end, tally, figures.fixes,
                              figures.fixes_closed, figures.cases)
        leader = people.get(assessment.led_by) if assessment and assessment.led_by else None
        return AssessmentView(year, unit, assessment, leader.name if leader else None, figures)

    async def listing(self, actor: Actor, year_text: str | None = None) -> AssessmentList:
        """/考核 [年份]: the results recorded for the year, in the viewer's scope."""
        if not can_see_assessments(actor):
            raise NotAllowed("view_assessment")
        try:
            year = parse_year(year_text) if year_text else self.today().year
        except AssessmentProblem as problem:
            raise InspectionRefused(problem.field, problem.detail) from None

        async def read(tx: Tx) -> tuple[dict[int, Unit], dict[int, Person], list[Assessment]]:
            units = await tx.units.all()
            return units, await tx.persons.directory(), [
                a for a in await tx.inspections.assessments(year)
                if can_see_assessment(actor, a.unit_id, units)]

        units, people, found = await self.db.read_at_once(read)
        return AssessmentList(year, [
            (a, units[a.unit_id], people[a.led_by].name if a.led_by in people else None)
            for a in found])

