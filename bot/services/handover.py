"""人员交接 (issue 24 §5): an admin hands everything a leaver holds to their successor in
one step — on the console (`dutybot handover`) or guided in a private chat (`/交接`).

`plan` reads what would move (the dry run: nothing changes); `apply` moves it in one
transaction, each move an event in the 履责纪实 naming both people and 交接; the leaver's
binding ends; what was queued for the leaver is superseded and their planned reminders go
to the successor; both are told in private through the outbox. The rules are
bot/domain/handover.py's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.clock import Clock
from bot.domain import permissions
from bot.domain.decisions import PendingDecision
from bot.domain.handover import (
    CannotHandOver,
    DecisionFate,
    HandoverPlan,
    Holdings,
    LetterFate,
    plan_handover,
    talk_title,
)
from bot.domain.model import Actor, Item, ItemStatus, Person, Unit
from bot.domain.target import Target
from bot.services.base import ServiceBase
from bot.services.errors import HandoverRefused, NotAllowed, UnknownPerson
from bot.services.people import resolve_person
from storage.db import Database, Tx

#: The outbox's kinds of the two notices.
SUCCESSOR_KIND, LEAVER_KIND = "handover_successor", "handover_leaver"
VIA = "交接"
LISTED = 20  # items a successor's notice lists by name; the rest are counted


@dataclass(frozen=True, slots=True)
class HandoverView:
    """A plan (shown before, or applied), with what its texts name things by."""

    plan: HandoverPlan
    units: dict[int, Unit]
    names: dict[int, str]  # everyone's names, those who left included
    applied: bool = False
    successor_told: bool = False  # bound: told in private; else on binding, by /待办
    leaver_told: bool = False


class HandoverService(ServiceBase):
    def __init__(self, db: Database, clock: Clock,
                 decisions: Callable[[Tx], Awaitable[Sequence[PendingDecision]]]) -> None:
        super().__init__(db, clock)
        # every pending decision (DecisionService.pending_in): awaits `tx`'s repositories
        # only, as plan and apply run in one round trip (storage/at_once.py)
        self.decisions = decisions

    async def plan(self, actor: Actor, leaver: str, successor: str) -> HandoverView:
        """The dry run: what would move, and what cannot. Changes nothing."""
        _check(actor)
        return await self.db.read_at_once(lambda tx: self.plan_in(tx, leaver, successor))

    async def apply(self, actor: Actor, leaver: str, successor: str,
                    expected: str | None = None) -> HandoverView:
        """Hand over. `expected`: the fingerprint of the plan that was shown; when what
        would move has changed since, nothing moves (HandoverRefused "changed")."""
        _check(actor)
        return await self.change_at_once(
            actor, lambda tx: self.apply_in(tx, actor, leaver, successor, expected))

    async def plan_in(self, tx: Tx, leaver_text: str, successor_text: str) -> HandoverView:
        leaver = await active_person(tx, leaver_text)
        successor = await active_person(tx, successor_text)
        units = await tx.units.all()
        try:
            plan = plan_handover(leaver, successor, await self._holdings(tx, leaver, successor))
        except CannotHandOver as refused:
            raise HandoverRefused(
                refused.problem.value, leaver.name, successor.name,
                units[leaver.unit_id].name, units[successor.unit_id].name) from None
        return HandoverView(plan=plan, units=units, names=_names(await tx.persons.directory()))

    async def apply_in(self, tx: Tx, actor: Actor, leaver_text: str, successor_text: str,
                       expected: str | None = None) -> HandoverView:
        """Within the caller's transaction (a guided flow finishing)."""
        _check(actor)
        view = await self.plan_in(tx, leaver_text, successor_text)
        plan = view.plan
        if expected is not None and plan.fingerprint() != expected:
            raise HandoverRefused("changed", plan.leaver.name, plan.successor.name)
        now = self.now()
        leaver, successor = plan.leaver, plan.successor
        both = {"leaver": leaver.name, "successor": successor.name, "via": VIA}
        moved = [i.id for i in plan.items]
        await tx.handover.move_items(moved, successor.id, now)
        await tx.handover.move_counterpart([i.id for i in plan.attending], successor.id, now)
        titles = {i.id: t for i in plan.attending if (t := talk_title(i, leaver, successor))}
        await tx.handover.retitle(list(titles.items()), now)
        for left in plan.left:
            await tx.items.set_status(left.item.id, ItemStatus.CANCELLED, now)
        await tx.handover.move_requests(plan.requests, successor.id)
        if plan.letter is not None and plan.letter_fate is LetterFate.MOVES:
            await tx.handover.move_letter(plan.letter.id, successor.id)
        events: list[tuple[str, str, object, dict[str, Any]]] = []
        events += [("item.handed_over", "item", i.id, {**both, "code": i.code, "as": "owner"})
                   for i in plan.items]
        events += [("item.handed_over", "item", i.id,
                    {**both, "code": i.code, "as": "counterpart",
                     **({"title": titles[i.id]} if i.id in titles else {})})
                   for i in plan.attending]
        events += [("item.status", "item", x.item.id,
                    {"code": x.item.code, "action": "cancel", "from": x.item.status.value,
                     "to": ItemStatus.CANCELLED.value, "why": x.why.value, **both})
                   for x in plan.left]
        events += [("extension.handed_over", "extension", rid, dict(both))
                   for rid in plan.requests]
        for move in plan.decisions:
            subject_type, _, subject_id = move.decision.key.partition(":")
            events.append(("decision.handed_over", subject_type, subject_id,
                           {**both, "decision": move.decision.kind.value,
                            "code": move.decision.code, "fate": move.fate.value}))
        if plan.letter is not None:
            events.append(("letter.handed_over", "letter", plan.letter.id,
                           {**both, "year": plan.letter.year,
                            "fate": plan.letter_fate.value if plan.letter_fate else ""}))
        # the successor takes the roles and 分管 that move; the leaver's end with them
        await tx.persons.set_roles([Person(
            id=successor.id, name=successor.name, unit_id=successor.unit_id,
            roles=successor.roles | frozenset(plan.roles),
            oversees=successor.oversees | frozenset(plan.oversees))])
        # nothing queued for the leaver goes out any more; their planned reminders not yet
        # sent go to the successor, whose next digest folds them in
        superseded = await tx.handover.supersede_queued(leaver.id)
        await tx.reminders.detach_from(superseded)
        readdressed = await tx.handover.readdress_reminders(leaver.id, successor.id)
        await tx.handover.end_binding(leaver.id, now)
        units = view.units
        events.append(("person.handed_over", "person", leaver.id, {
            **both, "items": [i.code for i in plan.items],
            "attending": [i.code for i in plan.attending],
            "cancelled": [x.item.code for x in plan.left],
            "roles": [r.value for r in plan.roles],
            "roles_kept": [r.value for r, _ in plan.roles_kept],
            "oversees": [units[u].name for u in plan.oversees if u in units],
            "superseded": len(superseded), "reminders": readdressed}))
        events.append(("person.took_over", "person", successor.id, {
            **both, "roles": [r.value for r in plan.roles],
            "oversees": [units[u].name for u in plan.oversees if u in units]}))
        await tx.events.record_many(actor, now, events)
        successor_told = await self._tell_successor(tx, plan, units, now)
        leaver_told = await self._tell_leaver(tx, plan, now)
        return HandoverView(plan=plan, units=units, names=view.names, applied=True,
                            successor_told=successor_told, leaver_told=leaver_told)

    async def _holdings(self, tx: Tx, leaver: Person, successor: Person) -> Holdings:
        owned = await tx.handover.owned(leaver.id)
        children, delegated = await tx.handover.handed_down(i.id for i in owned)
        return Holdings(
            owned=owned, attending=await tx.handover.attending(leaver.id),
            already_held=frozenset(await tx.handover.already_held(leaver.id, successor.id)),
            requests=await tx.handover.pending_requests(leaver.id),
            handed_down=children, delegated_to_them=frozenset(delegated),
            decisions=[d for d in await self.decisions(tx) if leaver.id in d.decider_ids],
            letter=await tx.handover.letter(leaver.id, successor.id, self.today()),
            cases=await tx.handover.cases_concerning(leaver.id))

    async def _tell_successor(self, tx: Tx, plan: HandoverPlan, units: dict[int, Unit],
                              now: datetime) -> bool:
        successor = plan.successor
        if successor.telegram_user_id is None:
            return False  # not bound yet: /待办 and /我的清单 show it all once they are
        items = [_entry(i) for i in plan.items]
        payload = {
            "from": plan.leaver.name, "items": items[:LISTED],
            "more": max(0, len(items) - LISTED),
            "attending": [_entry(i) for i in plan.attending][:LISTED],
            "roles": [r.value for r in plan.roles],
            "oversees": [units[u].name for u in plan.oversees if u in units],
            "decisions": sum(1 for d in plan.decisions if d.fate is DecisionFate.SUCCESSOR),
            "letter": plan.letter.year if plan.letter_fate is LetterFate.MOVES
            and plan.letter else None,
        }
        added = await tx.outbox.add(
            dedup_key=f"{SUCCESSOR_KIND}:{plan.leaver.id}:{successor.id}",
            target=Target.telegram(successor.telegram_user_id), person_id=successor.id,
            kind=SUCCESSOR_KIND, day=now.date(), payload=payload, now=now)
        return added is not None

    async def _tell_leaver(self, tx: Tx, plan: HandoverPlan, now: datetime) -> bool:
        leaver = plan.leaver
        if leaver.telegram_user_id is None:
            return False
        added = await tx.outbox.add(
            dedup_key=f"{LEAVER_KIND}:{leaver.id}",
            target=Target.telegram(leaver.telegram_user_id), person_id=leaver.id,
            kind=LEAVER_KIND, day=now.date(),
            payload={"to": plan.successor.name,
                     "count": len(plan.items) + len(plan.attending)}, now=now)
        return added is not None


def _check(actor: Actor) -> None:
    if not permissions.is_admin(actor):
        raise NotAllowed("handover")


async def active_person(tx: Tx, text: str) -> Person:
    """A person by name (姓名@单位 where not unique) who has not left: one who handed over
    already is nobody's leaver or successor any more."""
    person = await resolve_person(tx, text)
    if not any(p.id == person.id for p in await tx.persons.by_name(person.name)):
        raise UnknownPerson(text.strip())
    return person


def _names(people: dict[int, Person]) -> dict[int, str]:
    return {pid: p.name for pid, p in people.items()}


def _entry(item: Item) -> dict[str, Any]:
    return {"code": item.code, "title": item.title, "due": item.due_date.isoformat(),
            "talk": item.is_talk}


def preview(view: HandoverView) -> dict[str, Any]:
    """A plan as plain data with everything named (what messages/handover.py shows; a
    guided flow keeps it with its state)."""
    plan, names, units = view.plan, view.names, view.units

    def item(i: Item, **more: Any) -> dict[str, Any]:
        return {"code": i.code, "title": i.title, "due": i.due_date.isoformat(), **more}

    return {
        "leaver": plan.leaver.name, "successor": plan.successor.name,
        "unit": units[plan.leaver.unit_id].name if plan.leaver.unit_id in units else "",
        "successor_bound": plan.successor.is_bound,
        "items": [item(i, talk=i.is_talk, delegated=i.id in plan.delegated_to_them,
                       counterpart=names.get(i.counterpart_id or 0, ""))
                  for i in plan.items],
        "attending": [item(i, holder=names.get(i.owner_id, "")) for i in plan.attending],
        "left": [item(x.item, why=x.why.value) for x in plan.left],
        "oversees": [units[u].name for u in plan.oversees if u in units],
        "roles": [r.value for r in plan.roles],
        "roles_kept": [[r.value, why.value] for r, why in plan.roles_kept],
        "requests": len(plan.requests),
        "decisions": [{"kind": d.decision.kind.value, "code": d.decision.code,
                       "fate": d.fate.value} for d in plan.decisions],
        "handed_down": [item(i, holder=names.get(i.owner_id, "")) for i in plan.handed_down],
        "letter": ({"year": plan.letter.year, "fate": plan.letter_fate.value}
                   if plan.letter and plan.letter_fate else None),
        "empty": plan.empty,  # 问责 cases are confidential: not even counted here
        "applied": view.applied, "successor_told": view.successor_told,
        "leaver_told": view.leaver_told,
    }
