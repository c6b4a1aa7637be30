"""整改: the 纪委 set a leader a rectification with two deadlines (the 整改方案 and the
completion); both are items of kind 整改, reminded like any item, and closed only by the
纪委's 销号 (bot/services/replies.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from bot.domain import bodies, permissions
from bot.domain.display import clip
from bot.domain.model import TITLE_MAX, Actor, Duty, Item, ItemStatus, ListKind, Person, Role
from bot.services.base import ServiceBase
from bot.services.errors import BadPlanDue, NotAllowed, NotBound
from bot.services.items import ItemService, ItemView, check_title
from bot.services.notices import item_payload, notify
from bot.services.people import resolve_person
from storage.db import Tx

PLAN_PREFIX = "整改方案："


class FixFilter(StrEnum):
    """The views of /整改 a 纪委 member can pick."""

    OPEN = "open"  # not closed yet
    OVERDUE = "overdue"
    PENDING = "pending"  # 待验收
    CLOSED = "closed"  # 已销号 or cancelled
    ALL = "all"


@dataclass(frozen=True, slots=True)
class RectificationDraft:
    title: str
    leader: str  # a name, or 姓名@单位
    source: str
    plan_due: date
    due: date


@dataclass(frozen=True, slots=True)
class Rectification:
    main: ItemView
    plan: Item


@dataclass(frozen=True, slots=True)
class FixList:
    views: list[ItemView]
    today: date
    everything: bool  # the 纪委's view of all, else the leader's own
    shown: FixFilter
    can_check: bool  # a 纪委 member: may set 整改 and 销号 / 退回 them
    viewer_id: int | None
    checkable: frozenset[int] = frozenset()  # the 待验收 items shown this viewer may 销号


def duty_of(leader: Person) -> Duty:
    """The leader's part in the 四责 decides what kind of duty a 整改 is."""
    if Role.SECRETARY in leader.roles:
        return Duty.FIRST
    if leader.roles & permissions.DISCIPLINE_ROLES:
        return Duty.SUPERVISION
    if Role.MEMBER in leader.roles:
        return Duty.DUAL
    return Duty.PRINCIPAL


def matches(item: Item, shown: FixFilter, today: date) -> bool:
    if shown is FixFilter.ALL:
        return True
    if shown is FixFilter.OVERDUE:
        return item.is_overdue(today)
    if shown is FixFilter.PENDING:
        return item.status is ItemStatus.PENDING_VERIFICATION
    closed = item.status in (ItemStatus.VERIFIED, ItemStatus.CANCELLED)
    return closed if shown is FixFilter.CLOSED else not closed


class RectificationService(ServiceBase):
    def __init__(self, items: ItemService) -> None:
        super().__init__(items.db, items.clock)
        self.items = items

    async def create_in(self, tx: Tx, actor: Actor, draft: RectificationDraft) -> Rectification:
        if not permissions.can_create_rectifications(actor):
            raise NotAllowed("create_rectification")
        title = check_title(draft.title)
        if draft.plan_due > draft.due:
            raise BadPlanDue(draft.plan_due.isoformat(), draft.due.isoformat())
        leader = await resolve_person(tx, draft.leader)
        now = self.now()
        common = dict(kind=ListKind.RECTIFICATION, duty=duty_of(leader), owner_id=leader.id,
                      unit_id=leader.unit_id, source=draft.source, now=now)
        main = await tx.items.add(title=title, parent_id=None, due_date=draft.due, **common)
        plan_title = PLAN_PREFIX + clip(title, TITLE_MAX - len(PLAN_PREFIX))
        plan = await tx.items.add(title=plan_title, parent_id=main.id, due_date=draft.plan_due,
                                  **common)
        for item in (main, plan):
            await tx.events.record(
                actor, now, "item.created", "item", item.id, code=item.code,
                kind=item.kind.value, title=item.title, duty=item.duty.value,
                owner=leader.name, parent=main.code if item is plan else None,
                source=draft.source, due_date=item.due_date.isoformat())
        by = actor.person.name if actor.person else bodies.current().body
        await notify(tx, [leader], "rectification_assigned", str(main.id),
                     await item_payload(tx, main, by=by, source=draft.source, plan={
                         "item": plan.id, "code": plan.code, "title": plan.title,
                         "due": plan.due_date.isoformat()}), now)
        view = (await self.items.views_in(tx, [main]))[0]
        return Rectification(main=view, plan=plan)

    async def overview(self, actor: Actor, shown: FixFilter | None = None) -> FixList:
        """/整改: one's own rectifications; the 纪委, the 书记 and the office see all."""
        if actor.person is None and not permissions.is_admin(actor):
            raise NotBound()
        everything = permissions.can_see_all_rectifications(actor)
        shown = shown or (FixFilter.OPEN if everything else FixFilter.ALL)
        today = self.today()

        async def read(tx: Tx) -> tuple[list[ItemView], list[Person]]:  # one round trip
            found = await tx.items.of_kind(
                ListKind.RECTIFICATION, owner_id=None if everything else actor.person_id)
            chosen = [i for i in found if matches(i, shown, today)]
            return (await self.items.views_in(tx, chosen),
                    list((await tx.persons.all()).values()))

        views, people = await self.db.read_at_once(read)
        checkable = frozenset(
            v.item.id for v in views if v.item.status is ItemStatus.PENDING_VERIFICATION
            and permissions.can_verify(actor, v.item, people))
        return FixList(views=views, today=today, everything=everything, shown=shown,
                       can_check=permissions.is_discipline(actor), viewer_id=actor.person_id,
                       checkable=checkable)
