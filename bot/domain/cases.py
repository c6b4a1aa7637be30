"""问责 cases and 一案双查 (SPEC §11; source texts 002 §16, 004): plain data and rules.

A case concerns one person in one unit, under one of the 追责情形 of the rules file, with
what was found and its 处理. A case marked 违纪违法 opens the 倒查 (一案双查) of that unit's
主体责任 — its 党组织书记, the 班子成员 who 分管 it, the 党委书记 above — and of the
纪委's 监督责任, each led by a 纪委 investigator with a deadline. Those whose responsibility is
examined are named parties, never owners, and are told nothing.

Cases are confidential: who may see one is decided here, and nobody outside the 纪委 sees a
case that concerns them (as its person or as a party to its 倒查) before it is 办结.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from bot.domain.model import Actor, Duty, Person, Role, Unit
from bot.domain.permissions import DISCIPLINE_ROLES, descendants

CASE_PREFIX = "A"  # 问责 case codes: A0001
FINDING_MAX = 500


@dataclass(frozen=True, slots=True)
class Situation:
    """One 追责情形: a short code and its words (the rules file's list)."""

    code: str
    text: str


class CaseStatus(StrEnum):
    OPEN = "open"  # 办理中
    CLOSED = "closed"  # 办结


class ReviewStatus(StrEnum):
    OPEN = "open"
    DONE = "done"


@dataclass(frozen=True, slots=True)
class Case:
    id: int
    code: str
    person_id: int  # whom it concerns
    unit_id: int
    situation: str  # a Situation code
    finding: str
    handling: str | None  # 处理, from the rules file's list; None: not decided yet
    decided_on: date | None
    misconduct: bool  # a 违纪违法 case: 一案双查
    typical: bool  # 典型案例, for the bimonthly 通报
    status: CaseStatus = CaseStatus.OPEN
    situation_text: str = ""  # the 情形's words as recorded (the rules file may change)
    recorded_on: date | None = None


class PartyRole(StrEnum):
    """Why someone's responsibility is examined in a 倒查 (words in messages/cases.py)."""

    BRANCH_SECRETARY = "branch_secretary"  # the unit's 党组织书记
    SECRETARY = "secretary"  # the 党委书记 above
    OVERSEER = "overseer"  # the 班子成员 who 分管 the unit
    DISCIPLINE_SECRETARY = "discipline_secretary"  # the 纪委书记 (监督责任)


@dataclass(frozen=True, slots=True)
class Party:
    person_id: int
    role: PartyRole


@dataclass(frozen=True, slots=True)
class Review:
    """One 倒查 of a case: of the unit's 主体责任 or of the 纪委's 监督责任."""

    id: int
    case_id: int
    duty: Duty  # PRINCIPAL or SUPERVISION
    unit_id: int
    owner_id: int  # the 纪委 investigator who leads it
    due_date: date
    parties: tuple[Party, ...]
    status: ReviewStatus = ReviewStatus.OPEN


@dataclass(frozen=True, slots=True)
class ReviewPlan:
    duty: Duty
    unit_id: int
    parties: tuple[Party, ...]


class CaseProblem(ValueError):
    """A case that cannot be recorded as given: `field` names what to fix."""

    def __init__(self, field: str, detail: str = "") -> None:
        super().__init__(f"{field}: {detail}" if detail else field)
        self.field = field
        self.detail = detail


def check_case(situation: str, situations: Mapping[str, Situation], handling: str | None,
               handlings: tuple[str, ...], finding: str) -> None:
    """The parts a case must have, checked before anything is saved."""
    if not situation:
        raise CaseProblem("situation")
    if situation not in situations:
        raise CaseProblem("situation", situation)
    if handling is not None and handling not in handlings:
        raise CaseProblem("handling", handling)
    if not finding.strip():
        raise CaseProblem("finding")
    if len(finding) > FINDING_MAX:
        raise CaseProblem("finding", str(len(finding)))


def chain_of(unit_id: int, units: Mapping[int, Unit]) -> list[Unit]:
    """The unit and those above it, from the bottom level upward (002 §16)."""
    chain: list[Unit] = []
    seen: set[int] = set()
    current = units.get(unit_id)
    while current is not None and current.id not in seen:
        chain.append(current)
        seen.add(current.id)
        current = units.get(current.parent_id) if current.parent_id is not None else None
    return chain


def plan_reviews(unit_id: int, concerned: int, people: Mapping[int, Person],
                 units: Mapping[int, Unit]) -> list[ReviewPlan]:
    """一案双查: the 倒查 of the unit's 主体责任 and of the 纪委's 监督责任, with the people
    whose responsibility each examines (never the person the case concerns: theirs is the
    case itself), from the bottom level upward."""
    chain = chain_of(unit_id, units)
    in_chain = [u.id for u in chain]
    principal: list[Party] = []
    for unit in chain:  # the 书记 of each level, nearest first
        for person in _sorted(people):
            if person.unit_id == unit.id and person.roles & {Role.BRANCH_SECRETARY,
                                                             Role.SECRETARY}:
                principal.append(Party(person.id, PartyRole.SECRETARY
                                       if Role.SECRETARY in person.roles
                                       else PartyRole.BRANCH_SECRETARY))
    for person in _sorted(people):  # the 班子成员 who 分管 the unit or a level above it
        if Role.MEMBER in person.roles and person.oversees and \
                unit_id in descendants(person.oversees, units):
            principal.append(Party(person.id, PartyRole.OVERSEER))
    supervision = [Party(p.id, PartyRole.DISCIPLINE_SECRETARY) for p in _sorted(people)
                   if Role.DISCIPLINE_SECRETARY in p.roles]
    plans = []
    for duty, parties in ((Duty.PRINCIPAL, principal), (Duty.SUPERVISION, supervision)):
        once = _once([p for p in parties if p.person_id != concerned])
        plans.append(ReviewPlan(duty, in_chain[0] if in_chain else unit_id, tuple(once)))
    return plans


def _sorted(people: Mapping[int, Person]) -> list[Person]:
    return sorted(people.values(), key=lambda p: p.id)


def _once(parties: list[Party]) -> list[Party]:
    seen: set[int] = set()
    out = []
    for party in parties:
        if party.person_id not in seen:
            seen.add(party.person_id)
            out.append(party)
    return out


def review_owner(recorder: int, parties: tuple[Party, ...],
                 people: Mapping[int, Person]) -> int:
    """Who leads a 倒查: the 纪委 member who recorded the case, unless their own
    responsibility is examined in it (the 纪委书记 in the 监督责任 倒查); then another 纪委
    member who is not examined. With none, the recorder still holds it (the 上级纪委's
    part, which the bot does not reach)."""
    examined = {p.person_id for p in parties}
    if recorder not in examined:
        return recorder
    others = [p.id for p in _sorted(people)
              if p.roles & DISCIPLINE_ROLES and p.id not in examined]
    return others[0] if others else recorder


def can_record_cases(actor: Actor) -> bool:
    """Only the 纪委 records cases (and leads their 倒查)."""
    return bool(actor.roles & DISCIPLINE_ROLES)


def concerns(case: Case, reviews: list[Review], person_id: int) -> bool:
    """The case is about them, or their responsibility is examined in its 倒查."""
    return case.person_id == person_id or any(
        party.person_id == person_id for review in reviews for party in review.parties)


def can_see_case(actor: Actor, case: Case, reviews: list[Review],
                 units: Mapping[int, Unit], after_closing: bool = True) -> bool:
    """The 纪委 sees every case. The 书记 and the office see all but those that concern
    them before 办结 (never, if `after_closing` is off: the rules file's
    `concerned_see`); a 班子成员, those in their 分管 units (and below), likewise. Nobody
    else sees any."""
    if actor.roles & DISCIPLINE_ROLES:
        return True
    person = actor.person
    if person is None:
        return bool(actor.bootstrap_admin)
    if (case.status is not CaseStatus.CLOSED or not after_closing) and concerns(
            case, reviews, person.id):
        return False
    if person.roles & {Role.SECRETARY, Role.ADMIN}:
        return True
    if Role.MEMBER in person.roles and person.oversees:
        return case.unit_id in descendants(person.oversees, units)
    return False


def review_recipients(review: Review, overdue_lane: str, people: Mapping[int, Person]
                      ) -> list[int]:
    """Who a 倒查's reminder goes to, always in private: its owner; once overdue, the
    纪委书记 (for the leaders' step) and then the whole 纪委 (for the last step) — never the
    分管领导 or the 书记, who may be the ones examined. `overdue_lane` is the planner's lane
    (owner, leaders, discipline)."""
    if overdue_lane == "owner":
        return [review.owner_id]
    wanted = ({Role.DISCIPLINE_SECRETARY} if overdue_lane == "leaders"
              else set(DISCIPLINE_ROLES))
    examined = {p.person_id for p in review.parties}
    return [p.id for p in _sorted(people) if p.roles & wanted
            and p.id not in (review.owner_id, *examined)]
