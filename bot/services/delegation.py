"""责任传导 (issue 22 §4): handing an item down (分解), its progress, the 温差落差 report.

A child is an ordinary item of its owner (reminders, digests and replies work as for any
other), on the same list as its parent and under the same 问题/责任 (items.parent_id is
copied), with the parent's title and 来源; its 责任类型 follows its owner's level: a
班子成员's 一岗双责, a 下级党组织's 主体责任. The relation itself lives in its own table
(storage/delegations.py); the rules are bot/domain/delegation.py's.

Who may 分解: the parent item's owner, or the office (admin). Every child is an
`item.created` event with the parent's code, and the parent gets an `item.delegated`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.clock import Clock
from bot.domain import permissions
from bot.domain.dates import DateParseError, parse_due_date
from bot.domain.delegation import (
    ChainReport,
    DelegationProblem,
    Level,
    Rollup,
    can_hand_down,
    can_see_chain_report,
    chain_report,
    check_due,
    check_link,
    check_owner,
    check_parent,
    open_children,
    rollup,
)
from bot.domain.model import Actor, Duty, Item, Person
from bot.domain.transitions import Action
from bot.services.base import ServiceBase
from bot.services.errors import DelegationRefused, InvalidDate, NotAllowed, NotBound
from bot.services.notices import item_payload, notify
from bot.services.people import resolve_person
from bot.services.replies import Changed, ReplyService
from storage.db import Database, Tx

CODE_SHOWN = 20  # a refusal repeats at most this much of what was typed as a code
MAX_CHILDREN = 20  # owners handed down to in one command

#: The 责任类型 of a child, by its owner's level.
CHILD_DUTY = {Level.MEMBER: Duty.DUAL, Level.BRANCH: Duty.PRINCIPAL}


@dataclass(frozen=True, slots=True)
class Handing:
    """One owner to hand down to, as typed: 姓名 (or 姓名@单位) and a deadline."""

    owner: str
    due: str


@dataclass(frozen=True, slots=True)
class Relative:
    """An item of the relation as the card shows it: the item and its owner's name."""

    item: Item
    owner: str


@dataclass(frozen=True, slots=True)
class Delegation:
    """An item's place in the 分解 relation: its parent, its children, their progress."""

    item: Item
    parent: Relative | None
    children: tuple[Relative, ...]
    progress: Rollup | None  # None: nothing handed down from it
    today: date


def refused(problem: DelegationProblem, code: str = "") -> DelegationRefused:
    return DelegationRefused(problem.field, problem.detail, code)


class DelegationService(ServiceBase):
    def __init__(self, db: Database, clock: Clock, replies: ReplyService) -> None:
        super().__init__(db, clock)
        self.replies = replies

    async def complete_anyway(self, actor: Actor, code: str) -> tuple[Changed, list[str]]:
        """`/分解 办结 W0003`: the owner's 已完成 over children still open, recorded as
        such (item.delegation_override). The change, and the codes of the children it
        passed over; refused when no child is open (the ordinary 已完成 is the way)."""
        async def write(tx: Tx) -> tuple[Changed, list[str]]:  # one round trip (storage/at_once.py)
            item = await self._item(tx, code)
            if not permissions.can_work_on(actor, item):
                raise NotAllowed("delegate_close")
            children = await tx.items.by_ids(await tx.delegations.children_of(item.id))
            passed = [c.code for c in open_children(children.values())]
            if not passed:  # nothing to override: the ordinary 已完成 is the way
                raise DelegationRefused("children", "", item.code)
            changed = await self.replies.move_in(tx, actor, item, Action.COMPLETE,
                                                 override=True)
            return changed, passed

        return await self.change_at_once(actor, write)

    async def hand_down(self, actor: Actor, code: str, handings: list[Handing]
                        ) -> Delegation:
        """分解 `code` to each owner with their deadline: all of them, or (one refused)
        none."""
        if actor.person is None and not actor.bootstrap_admin:
            raise NotBound()
        if not handings or len(handings) > MAX_CHILDREN:
            raise DelegationRefused("owner", "count")
        today = self.today()

        async def write(tx: Tx) -> Delegation:  # one round trip (storage/at_once.py)
            parent = await self._item(tx, code)
            if not can_hand_down(actor, parent):
                raise NotAllowed("delegate")
            people = await tx.persons.all()
            units = await tx.units.all()
            parent_owner = people[parent.owner_id]
            try:
                level = check_parent(parent, parent_owner)
            except DelegationProblem as problem:
                raise refused(problem, parent.code) from None
            planned: list[tuple[Person, date]] = []
            for handing in handings:
                owner = await resolve_person(tx, handing.owner)
                due = _due(handing.due, today)
                try:
                    check_owner(parent_owner, owner, units)
                    check_due(due, parent.due_date, today)
                except DelegationProblem as problem:
                    raise refused(problem, parent.code) from None
                if any(o.id == owner.id for o, _ in planned):
                    raise DelegationRefused("owner", "twice", parent.code)
                planned.append((owner, due))
            now = self.now()
            child_level = Level(level + 1)
            codes = []
            for owner, due in planned:
                child = await tx.items.add(
                    kind=parent.kind, title=parent.title, duty=CHILD_DUTY[child_level],
                    owner_id=owner.id, unit_id=owner.unit_id, parent_id=parent.parent_id,
                    source=parent.source, due_date=due, now=now)
                try:  # a new item cannot close a loop; the rule is checked all the same
                    check_link(parent.id, child.id, await tx.delegations.parent_map())
                except DelegationProblem as problem:
                    raise refused(problem, parent.code) from None
                await tx.delegations.add(parent.id, child.id, actor.person_id, now)
                await tx.events.record(
                    actor, now, "item.created", "item", child.id, code=child.code,
                    kind=child.kind.value, title=child.title, duty=child.duty.value,
                    owner=owner.name, unit=units[owner.unit_id].name,
                    parent=None, source=child.source, due_date=due.isoformat(),
                    delegated_from=parent.code)
                codes.append(child.code)
                await notify(tx, [owner], "item_delegated", str(child.id), await item_payload(
                    tx, child, by=actor.person.name if actor.person else "党委办公室",
                    parent=parent.code, parent_owner=parent_owner.name), now)
            await tx.events.record(actor, now, "item.delegated", "item", parent.id,
                                   code=parent.code, children=codes)
            return await delegation_in(tx, parent, today)

        return await self.change_at_once(actor, write)

    async def of_item(self, tx: Tx, item: Item) -> Delegation:
        """The item's place in the relation, read in the caller's snapshot (the card)."""
        return await delegation_in(tx, item, self.today())

    async def report(self, actor: Actor) -> tuple[ChainReport, dict[int, str]]:
        """/传导: the 温差落差 report, and the names of the owners its lags name."""
        if not can_see_chain_report(actor):
            raise NotAllowed("chain_report")
        today = self.today()

        async def read(tx: Tx) -> tuple[ChainReport, dict[int, str]]:  # one round trip
            links = await tx.delegations.all()
            ids = {i for lk in links for i in (lk.parent_id, lk.child_id)}
            report = chain_report(links, await tx.items.by_ids(ids), await tx.persons.all(),
                                  await tx.delegations.finished_on(ids), today)
            # the lags' owners by name, those who left (人员交接) too
            wanted = {i.owner_id for lag in report.lags for i in (lag.parent, lag.child)}
            named = await tx.persons.by_ids(wanted)
            return report, {pid: p.name for pid, p in named.items()}

        return await self.db.read_at_once(read)

    async def _item(self, tx: Tx, code: str) -> Item:
        typed = code.strip()[:CODE_SHOWN]
        item = await tx.items.by_code(code.strip().upper())
        if item is None:
            raise DelegationRefused("code", "", typed)
        return item


def _due(text: str, today: date) -> date:
    try:
        return parse_due_date(text, today)
    except DateParseError:
        raise InvalidDate(text.strip()[:CODE_SHOWN]) from None


async def delegation_in(tx: Tx, item: Item, today: date) -> Delegation:
    """The item's place in the relation, read in the caller's snapshot."""
    child_ids = await tx.delegations.children_of(item.id)
    parent_id = await tx.delegations.parent_of(item.id)
    items = await tx.items.by_ids([*child_ids, *([parent_id] if parent_id else [])])
    owners = await tx.persons.by_ids({i.owner_id for i in items.values()})

    def relative(i: Item) -> Relative:
        owner = owners.get(i.owner_id)
        return Relative(i, owner.name if owner else "")

    children = tuple(relative(items[c]) for c in child_ids if c in items)
    parent = relative(items[parent_id]) if parent_id in items else None
    progress = rollup(item, [c.item for c in children], today) if children else None
    return Delegation(item=item, parent=parent, children=children, progress=progress,
                      today=today)
