"""Decisions waiting on someone are duties too (issue 22 §6).

Each source reads its own pending decisions from storage as `PendingDecision`s; this
service gathers them from every source in `SOURCES` — a further source (责任书 签字背书,
对账确认) is one function and one line there — for three uses:
  - the deciders' daily digest, section 待您决定 (bot/services/reminders.py asks `pending_in`);
  - /待办 (`waiting_for`);
  - the escalation after T+3 workdays to the decider's superior, or within the 纪委 for the
    纪委's own (`plan_escalations`, ticked by Services.tick), each stage once: its outbox
    messages' keys say which went, so a restart sends nothing twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from bot.clock import Clock
from bot.domain import permissions
from bot.domain.calendar import WorkCalendar
from bot.domain.decision_escalation import (
    ESCALATION_KIND,
    escalation_stage,
    escalation_targets,
)
from bot.domain.decisions import DecisionKind, PendingDecision
from bot.domain.model import Actor, Person, Unit
from bot.domain.policy import ReminderPolicy, with_settings
from bot.domain.target import Target
from bot.services.base import ServiceBase
from bot.services.errors import NotBound
from storage.db import Database, Tx

#: A source: reads its pending decisions inside the caller's transaction (times stored in
#: the office's time zone, so a stored moment's date is the local day); given a person, it
#: may leave out what that person cannot decide (/待办 asks for one person's).
DecisionSource = Callable[[Tx, Person | None], Awaitable[Sequence[PendingDecision]]]

SYSTEM = Actor(telegram_user_id=None)


async def acceptances(tx: Tx, person: Person | None = None) -> list[PendingDecision]:
    """整改 waiting for their 验收 (待验收): decided by the 纪委 (SPEC §5), or by the 书记 or
    the office when the 整改's leader is the only 纪委 member (rectification_checkers)."""
    if not _may_decide(person):
        return []
    waiting = await tx.decisions.awaiting_check()
    if not waiting:
        return []
    people = list((await tx.persons.with_roles(permissions.DECIDER_ROLES)).values())
    found = []
    for entry in waiting:
        item = entry.item
        checkers = permissions.rectification_checkers(item, people)
        found.append(PendingDecision(
            kind=DecisionKind.ACCEPTANCE, key=f"item:{item.id}", code=item.code,
            title=item.title, decider_ids=tuple(p.id for p in checkers),
            since=entry.since.date(), unit_id=item.unit_id,
            discipline=any(p.roles & permissions.DISCIPLINE_ROLES for p in checkers),
            subject_id=item.owner_id, ref=item.id))
    return found


async def extensions(tx: Tx, person: Person | None = None) -> list[PendingDecision]:
    """延期 requests waiting for their approver: the 纪委 for a 整改, else the 书记 or the
    office (permissions.extension_approvers)."""
    if not _may_decide(person):
        return []
    waiting = await tx.decisions.awaiting_approval()
    if not waiting:
        return []
    people = list((await tx.persons.with_roles(permissions.DECIDER_ROLES)).values())
    found = []
    for entry in waiting:
        request, item = entry.request, entry.item
        approvers = [p for p in permissions.extension_approvers(item, people)
                     if p.id != request.requester_id]
        found.append(PendingDecision(
            kind=DecisionKind.EXTENSION, key=f"extension:{request.id}", code=item.code,
            title=item.title, decider_ids=tuple(p.id for p in approvers),
            since=request.created_at.date(), unit_id=item.unit_id,
            discipline=item.needs_verification and any(
                p.roles & permissions.DISCIPLINE_ROLES for p in approvers),
            subject_id=request.requester_id, ref=request.id))
    return found


async def letters(tx: Tx, person: Person | None = None) -> list[PendingDecision]:
    """责任书 not signed yet (their holder decides) and 对账 lines waiting for their
    对账确认 (the 纪委 or the 党委 decide): storage/letters.py."""
    return await tx.letters.pending_decisions(person=person)


def _may_decide(person: Person | None) -> bool:
    """Everyone's decisions are asked for, or this person's, who must hold a role that
    decides 验收 and 延期 (the sources above read only such people as their deciders)."""
    return person is None or bool(person.roles & permissions.DECIDER_ROLES)


#: Where pending decisions come from. The 责任书 / 对账 sources join with one line each.
SOURCES: tuple[DecisionSource, ...] = (acceptances, extensions, letters)


def decision_entry(decision: PendingDecision, people: Mapping[int, Person],
                   units: Mapping[int, Unit]) -> dict[str, Any]:
    """What a digest, /待办 or an escalation shows of a decision, without the database."""
    subject = people.get(decision.subject_id) if decision.subject_id is not None else None
    unit = units.get(decision.unit_id) if decision.unit_id is not None else None
    return {"kind": decision.kind.value, "key": decision.key, "code": decision.code,
            "title": decision.title, "since": decision.since.isoformat(),
            "ref": decision.ref, "subject": subject.name if subject else "",
            "unit": unit.name if unit else ""}


class DecisionService(ServiceBase):
    def __init__(self, db: Database, clock: Clock, calendar: WorkCalendar,
                 policy: ReminderPolicy,
                 sources: Iterable[DecisionSource] = SOURCES) -> None:
        super().__init__(db, clock)
        self.calendar = calendar
        self.base_policy = policy  # the rules file's; an admin's overrides are read with it
        self.sources = tuple(sources)
        # only a shortcut (a decision falls due with the date, never within a day): the
        # outbox's keys decide what went; a restart runs the day's pass again, sending nothing
        # twice. Someone who binds later in the day hears of it on the next workday.
        self._passed_on: date | None = None

    async def pending_in(self, tx: Tx, person: Person | None = None) -> list[PendingDecision]:
        """Every pending decision of every source, the longest waiting first (`person`:
        at least those this person is a decider of)."""
        found: list[PendingDecision] = []
        for source in self.sources:
            found.extend(await source(tx, person))
        return sorted(found, key=lambda d: (d.since, d.kind.value, d.key))

    async def waiting_for(self, person: Person | None) -> tuple[list[dict[str, Any]], date]:
        """The decisions this person is one of the deciders of (/待办 reads them with its
        items: `waiting_in`)."""
        if person is None:
            raise NotBound()
        return await self.db.read_at_once(lambda tx: self.waiting_in(tx, person)), self.today()

    async def waiting_in(self, tx: Tx, person: Person) -> list[dict[str, Any]]:
        """`waiting_for`, inside a read (may be done at once: storage/at_once.py)."""
        mine = [d for d in await self.pending_in(tx, person) if person.id in d.decider_ids]
        if not mine:
            return []
        people = await tx.persons.by_ids({d.subject_id for d in mine
                                          if d.subject_id is not None})
        units = await tx.units.all()
        return [decision_entry(d, people, units) for d in mine]

    async def plan_escalations(self) -> int:
        """On a workday at the send time: each decision that has waited its T+3 workdays
        goes to the decider's superior (within the 纪委 for the 纪委's own), in private,
        once per decision and stage. Returns how many messages were queued."""
        now = self.now()
        today = now.date()
        if self._passed_on == today:
            return 0
        queued = await self._escalate(now, today)
        self._passed_on = today if queued is not None else None
        return queued or 0

    async def _escalate(self, now: datetime, today: date) -> int | None:
        """Today's pass; None: not the time for it yet."""
        async with self.db.read() as tx:
            policy = with_settings(self.base_policy, await tx.policy.all())
            if not (self.calendar.is_workday(today) and now.time() >= policy.send_time
                    and not policy.is_quiet(now.time())):
                return None
            due = [(d, stage) for d in await self.pending_in(tx)
                   if (stage := escalation_stage(d, today, self.calendar, policy))]
            if not due:
                return 0
            people, units = await tx.persons.all(), await tx.units.all()
            wanted = []  # (decision, stage, person, dedup key)
            for decision, stage in due:
                for pid in escalation_targets(decision, people, units):
                    person = people.get(pid)
                    if person is None or person.telegram_user_id is None:
                        continue  # private chats only: not bound yet, told once they are
                    wanted.append((decision, stage, person, _key(decision, stage, pid)))
            if not wanted:
                return 0
            went = await tx.outbox.queued(w[3] for w in wanted)
        fresh = [w for w in wanted if w[3] not in went]
        if not fresh:
            return 0
        queued = 0
        async with self.db.transaction() as tx:
            told: dict[tuple[str, str], list[str]] = {}
            for decision, stage, person, key in fresh:
                deciders = [people[d].name for d in decision.decider_ids if d in people]
                added = await tx.outbox.add(
                    dedup_key=key, target=Target.telegram(person.telegram_user_id),
                    person_id=person.id, kind=ESCALATION_KIND, day=today, now=now,
                    payload={**decision_entry(decision, people, units), "stage": stage,
                             "days": policy.leaders_after_days, "deciders": deciders,
                             "discipline": decision.discipline})
                if added is not None:
                    queued += 1
                    told.setdefault((decision.key, stage), []).append(f"p:{person.id}")
            by_key = {d.key: d for d, _, _, _ in fresh}
            for (dkey, stage), recipients in told.items():
                decision = by_key[dkey]
                subject_type, _, subject_id = dkey.partition(":")
                await tx.events.record(
                    SYSTEM, now, "decision.escalated", subject_type, subject_id,
                    decision=decision.kind.value, code=decision.code, stage=stage,
                    since=decision.since.isoformat(), recipients=recipients)
        return queued


def _key(decision: PendingDecision, stage: str, person_id: int) -> str:
    """Once per decision (a 整改 reported done again after a 退回 waits anew), stage and
    person."""
    return (f"{ESCALATION_KIND}:{decision.key}:{decision.since.isoformat()}:{stage}:"
            f"{person_id}")
