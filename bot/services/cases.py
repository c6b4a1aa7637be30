"""The 问责 register (SPEC §11): recording cases with their 一案双查, and who sees them.

Only the 纪委 records a case. A 违纪违法 case opens, in the same transaction, the 倒查 of
the unit's 主体责任 and of the 纪委's 监督责任, led by the 纪委 member who recorded it, due
after the rules file's `review_days`. Everything here is confidential: listed only to those
entitled (bot/domain/cases.py `can_see_case`), in private, and never pushed to a group.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from bot.clock import Clock
from bot.domain.calendar import WorkCalendar
from bot.domain.case_report import REPORT_RULES, report, to_payload
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
    review_owner,
    review_recipients,
)
from bot.domain.dates import DateParseError, FutureDateError, parse_past_date
from bot.domain.inspections import FollowUp, FollowUpTerms
from bot.domain.model import Actor, Duty, Person, Unit
from bot.domain.policy import ReminderPolicy
from bot.domain.target import Target
from bot.domain.text import TextRefused, clean_note
from bot.rules import AccountabilityRules
from bot.services import followups
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
from bot.services.private_duties import PrivateDuty, plan_private
from bot.services.reminders import SYSTEM
from storage.cases import NewCase
from storage.db import Database, Tx

REVIEW_KIND = "review_reminder"  # a 倒查's reminder, in private
REVIEW_DUTIES = {"主体": Duty.PRINCIPAL, "主体责任": Duty.PRINCIPAL, "principal": Duty.PRINCIPAL,
                 "监督": Duty.SUPERVISION, "监督责任": Duty.SUPERVISION,
                 "supervision": Duty.SUPERVISION}
DRAFT_KIND = "case_draft"  # the outbox's kind for a report drafted from the register
DRAFT_LEAD = timedelta(days=7)  # a report's draft comes this long before it is due


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
    follow_ups: list[FollowUp] = field(default_factory=list)  # 书面检讨, 深刻检查


class CaseService(ServiceBase):
    def __init__(self, db: Database, clock: Clock, rules: AccountabilityRules,
                 calendar: WorkCalendar | None = None,
                 policy: Callable[[], Awaitable[ReminderPolicy]] | None = None,
                 follow_up_terms: FollowUpTerms | None = None) -> None:
        super().__init__(db, clock)
        self.rules = rules
        self.follow_up_terms = follow_up_terms or FollowUpTerms()
        self.calendar = calendar  # the 倒查's reminders follow the reminder policy's days
        self._policy = policy

    async def record(self, actor: Actor, draft: CaseDraft) -> CaseView:
        return await self.change_at_once(actor, lambda tx: self.record_in(tx, actor, draft))

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
                owner = review_owner(actor.person.id, plan.parties, people)
                review = await tx.cases.add_review(case.id, plan, owner, due, now)
                await tx.events.record(actor, now, "case.review_opened", "case", case.id,
                                       review=review.id, duty=plan.duty.value,
                                       parties=[p.person_id for p in plan.parties])
        # held accountable: the 书面检讨 and the 深刻检查 (001 §四(三))
        await followups.open_in(tx, actor, case, self.follow_up_terms, now)
        return (await self._views_in(tx, [case]))[0]

    async def visible(self, actor: Actor) -> list[CaseView]:
        """/问责: the cases this person may see, newest first."""
        async def read(tx: Tx) -> list[CaseView]:  # one round trip (storage/at_once.py)
            cases = await tx.cases.all()
            reviews = await tx.cases.reviews()
            units = await tx.units.all()
            shown = [c for c in cases if can_see_case(
                actor, c, reviews.get(c.id, []), units, self.rules.concerned_see_after_closing)]
            return await self._views_in(tx, sorted(shown, key=lambda c: c.id, reverse=True))

        return await self.db.read_at_once(read)

    async def close(self, actor: Actor, code: str) -> CaseView:
        """办结: by the 纪委."""
        if not can_record_cases(actor):
            raise NotAllowed("record_case")

        async def write(tx: Tx) -> CaseView:  # one round trip (storage/at_once.py)
            case = await _by_code(tx, code)
            if case.status is CaseStatus.CLOSED:
                raise CaseRefused("closed", case.code)
            await tx.cases.close(case.id, self.now())
            await tx.events.record(actor, self.now(), "case.closed", "case", case.id,
                                   code=case.code)
            return (await self._views_in(tx, [await tx.cases.get(case.id)]))[0]

        return await self.change_at_once(actor, write)

    async def plan_drafts(self) -> int:
        """When a 责任追究季报 or 典型案例通报 comes due (within DRAFT_LEAD), its owner gets a
        draft from the register, once, in private chat only (never a group or a robot: it
        is confidential); an owner not bound yet gets it once they are. Returns how many
        drafts were queued."""
        now = self.now()
        async with self.db.read() as tx:
            due = await tx.cases.report_items(REPORT_RULES, now.date() + DRAFT_LEAD)
            done = await tx.outbox.queued(f"{DRAFT_KIND}:{r.item_id}" for r in due)
        due = [r for r in due if f"{DRAFT_KIND}:{r.item_id}" not in done]
        if not due:
            return 0
        queued = 0
        async with self.db.transaction() as tx:
            people = await tx.persons.all()
            names = {p.id: p.name for p in people.values()}
            units = {u.id: u.name for u in (await tx.units.all()).values()}
            cases = await tx.cases.all()
            items = await tx.items.by_ids(r.item_id for r in due)
            for wanted in due:
                owner = people.get(wanted.owner_id)
                item = items.get(wanted.item_id)
                if owner is None or owner.telegram_user_id is None or item is None:
                    continue
                draft = report(wanted.rule_key, wanted.due_date, cases, names, units)
                payload = {"report": to_payload(draft), "item": item.id, "code": item.code,
                           "title": item.title, "status": item.status.value}
                added = await tx.outbox.add(
                    dedup_key=f"{DRAFT_KIND}:{item.id}",
                    target=Target.telegram(owner.telegram_user_id), person_id=owner.id,
                    kind=DRAFT_KIND, day=now.date(), payload=payload, now=now)
                if added is not None:
                    queued += 1
                    await tx.events.record(SYSTEM, now, "case.report_drafted", "item", item.id,
                                           cases=draft.total)
        return queued

    async def plan_review_reminders(self) -> int:
        """The 倒查 are duties too: on the reminder policy's days their owner is reminded,
        and once overdue the 纪委书记 and then the 纪委 — in private only, never a group, a
        robot, the 分管领导 or the 书记 (bot/services/private_duties.py). Returns how many
        messages were queued."""
        if self.calendar is None or self._policy is None:
            return 0
        return await plan_private(self.db, self.now(), self.calendar, await self._policy(),
                                  REVIEW_KIND, _open_reviews)

    async def finish_review(self, actor: Actor, code: str, duty_word: str,
                            conclusion: str) -> CaseView:
        """A 倒查 concluded: by the 纪委, with what it found."""
        if not can_record_cases(actor):
            raise NotAllowed("record_case")
        duty = REVIEW_DUTIES.get(duty_word.strip())
        if duty is None:
            raise CaseRefused("review", duty_word.strip()[:12])
        try:
            text = clean_note(conclusion, FINDING_MAX)
        except TextRefused as refused:
            raise text_refused("note", conclusion, refused) from None

        async def write(tx: Tx) -> CaseView:  # one round trip (storage/at_once.py)
            case = await _by_code(tx, code)
            review = next((r for r in (await tx.cases.reviews([case.id])).get(case.id, [])
                           if r.duty is duty), None)
            if review is None or not await tx.cases.finish_review(review.id, text, self.now()):
                raise CaseRefused("review_done", case.code)
            await tx.events.record(actor, self.now(), "case.review_done", "case", case.id,
                                   code=case.code, review=review.id, duty=duty.value)
            return (await self._views_in(tx, [case]))[0]

        return await self.change_at_once(actor, write)

    async def mark_typical(self, actor: Actor, code: str, typical: bool = True) -> CaseView:
        """典型案例, for the bimonthly 通报: by the 纪委."""
        if not can_record_cases(actor):
            raise NotAllowed("record_case")

        async def write(tx: Tx) -> CaseView:  # one round trip (storage/at_once.py)
            case = await _by_code(tx, code)
            await tx.cases.mark_typical(case.id, typical)
            await tx.events.record(actor, self.now(), "case.typical", "case", case.id,
                                   code=case.code, typical=typical)
            return (await self._views_in(tx, [await tx.cases.get(case.id)]))[0]

        return await self.change_at_once(actor, write)

    def _decided_on(self, text: str | None) -> date | None:
        if not text or not text.strip():
            return None
        try:
            return parse_past_date(text, self.today())
        except FutureDateError:
            raise FutureDate(text.strip()) from None
        except DateParseError:
            raise InvalidDate(text.strip()) from None

    async def _views_in(self, tx: Tx, cases: list[Case]) -> list[CaseView]:
        reviews = await tx.cases.reviews(c.id for c in cases)
        owed = await tx.inspections.follow_ups(c.id for c in cases)
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
                reviews=own, names={i: people[i].name for i in ids if i in people},
                follow_ups=owed.get(case.id, [])))
        return views


async def _open_reviews(tx: Tx, due_by: date) -> list[PrivateDuty]:
    return [_review_duty(review, code) for review, code in await tx.cases.open_reviews(due_by)]


def _review_duty(review: Review, code: str) -> PrivateDuty:
    def payload(stage: str, person_id: int, people: Mapping[int, Person]) -> dict[str, Any]:
        owner = people.get(review.owner_id)
        return {"code": code, "duty": review.duty.value, "due": review.due_date.isoformat(),
                "stage": stage, "own": person_id == review.owner_id,
                "owner": owner.name if owner else ""}

    return PrivateDuty(review.id, review.owner_id, review.unit_id, review.due_date,
                       lambda lane, people: review_recipients(review, lane, people), payload)


async def _by_code(tx: Tx, code: str) -> Case:
    case = await tx.cases.by_code(code.strip())
    if case is None:
        raise CaseRefused("code", code.strip()[:12])
    return case
