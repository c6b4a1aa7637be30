"""The 问责 register (SPEC §11): recording cases with their 一案双查, and who sees them.

Only the 纪委 records a case. A 违纪违法 case opens, in the same transaction, the 倒查 of
the unit's 主体责任 and of the 纪委's 监督责任, led by the 纪委 member who recorded it, due
after the rules file's `review_days`. Everything here is confidential: listed only to those
entitled (bot/domain/cases.py `can_see_case`), in private, and never pushed to a group.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from bot.clock import Clock
from bot.domain.cases import (
    FINDING_MAX,
    Case,
    CaseProblem,
    CaseStatus,
    Review,
    can_record_cases,
    can_see_case,
    check_case,
    plan_reviews,
)
from bot.domain.dates import DateParseError, FutureDateError, parse_past_date
from bot.domain.model import Actor, Person, Unit
from bot.domain.text import TextRefused, clean_note
from bot.rules import AccountabilityRules
from bot.services.base import ServiceBase
from bot.services.errors import (
    CaseRefused,
    FutureDate,
    InvalidDate,
    NotAllowed,
    NotBound,
    text_refused,
)
from bot.services.people import resolve_person, resolve_unit
from storage.cases import NewCase
from storage.db import Database, Tx


@dataclass(frozen=True, slots=True)
class CaseDraft:
    """A case as the 纪委 typed it (names and words, not ids)."""

    person: str  # 姓名, or 姓名@单位
    situation: str  # a 追责情形 code
    finding: str
    handling: str | None = None
    decided_on: str | None = None  # a date in the house grammar
    misconduct: bool = False  # 违纪违法: 一案双查
    typical: bool = False
    unit: str | None = None  # default: the person's unit


@dataclass(frozen=True, slots=True)
class CaseView:
    case: Case
    person: Person
    unit: Unit
    situation_text: str
    reviews: list[Review]
    names: dict[int, str]  # the parties' and investigators' names


class CaseService(ServiceBase):
    def __init__(self, db: Database, clock: Clock, rules: AccountabilityRules) -> None:
        super().__init__(db, clock)
        self.rules = rules

    async def record(self, actor: Actor, draft: CaseDraft) -> CaseView:
        async with self.change(actor) as tx:
            return await self.record_in(tx, actor, draft)

    async def record_in(self, tx: Tx, actor: Actor, draft: CaseDraft) -> CaseView:
        """Checked whole, then the case and (一案双查) its 倒查, in the caller's change."""
        if not can_record_cases(actor):
            raise NotAllowed("record_case")
        if actor.person is None:
            raise NotBound()
        try:
            finding = clean_note(draft.finding, FINDING_MAX)
        except TextRefused as refused:
            raise text_refused("note", draft.finding, refused) from None
        handling = (draft.handling or "").strip() or None
        situation = draft.situation.strip()
        try:
            check_case(situation, self.rules.situations, handling, self.rules.handlings,
                       finding)
        except CaseProblem as problem:
            raise CaseRefused(problem.field, problem.detail) from None
        decided_on = self._decided_on(draft.decided_on)
        now = self.now()
        person = await resolve_person(tx, draft.person)
        unit = (await resolve_unit(tx, draft.unit) if draft.unit
                else (await tx.units.all())[person.unit_id])
        case = await tx.cases.add(NewCase(
            person_id=person.id, unit_id=unit.id, situation=situation,
            situation_text=self.rules.situations[situation].text, finding=finding,
            handling=handling, decided_on=decided_on, misconduct=draft.misconduct,
            typical=draft.typical), actor.person.id, now)
        await tx.events.record(actor, now, "case.recorded", "case", case.id,
                               code=case.code, situation=situation,
                               misconduct=draft.misconduct)
        if draft.misconduct:  # 一案双查: the 倒查 open with the case
            due = now.date() + timedelta(days=self.rules.review_days)
            people = await tx.persons.all()
            units = await tx.units.all()
            for plan in plan_reviews(unit.id, person.id, people, units):
                review = await tx.cases.add_review(case.id, plan, actor.person.id, due, now)
                await tx.events.record(actor, now, "case.review_opened", "case", case.id,
                                       review=review.id, duty=plan.duty.value,
                                       parties=[p.person_id for p in plan.parties])
        return (await self._views_in(tx, [case]))[0]

    async def visible(self, actor: Actor) -> list[CaseView]:
        """/问责: the cases this person may see, newest first."""
        async with self.db.read() as tx:
            cases = await tx.cases.all()
            reviews = await tx.cases.reviews()
            units = await tx.units.all()
        shown = [c for c in cases if can_see_case(actor, c, reviews.get(c.id, []), units)]
        return await self._views(sorted(shown, key=lambda c: c.id, reverse=True))

    async def close(self, actor: Actor, code: str) -> CaseView:
        """办结: by the 纪委."""
        if not can_record_cases(actor):
            raise NotAllowed("record_case")
        async with self.change(actor) as tx:
            case = await tx.cases.by_code(code.strip())
            if case is None:
                raise CaseRefused("code", code.strip()[:12])
            if case.status is CaseStatus.CLOSED:
                raise CaseRefused("closed", case.code)
            await tx.cases.close(case.id, self.now())
            await tx.events.record(actor, self.now(), "case.closed", "case", case.id,
                                   code=case.code)
            case = await tx.cases.get(case.id)
        return (await self._views([case]))[0]

    def _decided_on(self, text: str | None) -> date | None:
        if not text or not text.strip():
            return None
        try:
            return parse_past_date(text, self.today())
        except FutureDateError:
            raise FutureDate(text.strip()) from None
        except DateParseError:
            raise InvalidDate(text.strip()) from None

    async def _views(self, cases: list[Case]) -> list[CaseView]:
        async with self.db.read() as tx:
            return await self._views_in(tx, cases)

    async def _views_in(self, tx: Tx, cases: list[Case]) -> list[CaseView]:
        reviews = await tx.cases.reviews(c.id for c in cases)
        people = await tx.persons.directory()
        units = await tx.units.all()
        views = []
        for case in cases:
            own = reviews.get(case.id, [])
            ids = {case.person_id} | {r.owner_id for r in own} | {
                p.person_id for r in own for p in r.parties}
            situation = self.rules.situations.get(case.situation)
            views.append(CaseView(
                case=case, person=people[case.person_id], unit=units[case.unit_id],
                situation_text=situation.text if situation else case.situation,
                reviews=own, names={i: people[i].name for i in ids if i in people}))
        return views
