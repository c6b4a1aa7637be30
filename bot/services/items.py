"""The three lists: create items along the 传导 chain, read them in one's scope."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from bot.clock import Clock
from bot.domain import permissions
from bot.domain.chain import ChainError, chains, check_parent
from bot.domain.dates import DateParseError, parse_due_date
from bot.domain.model import TITLE_MAX, Actor, Duty, Item, ListKind, Person, Unit
from bot.domain.text import TextRefused, clean_title
from bot.services.base import ServiceBase
from bot.services.delegation import Delegation, delegation_in
from bot.services.errors import (
    BadParent,
    InvalidDate,
    NotAllowed,
    NotBound,
    OutOfScope,
    StaleButton,
    UnknownItem,
    text_refused,
)
from bot.services.people import resolve_person, resolve_unit
from storage.db import Database, Tx

PAGE_SIZE = 8
TODO_DAYS = 14
CARD_NOTES = 3  # the last few progress notes an item's card shows
CODE_SHOWN = 20  # a refusal repeats at most this much of what was typed as a code


@dataclass(frozen=True, slots=True)
class ItemDraft:
    kind: ListKind
    title: str
    duty: Duty
    owner: str  # a name, or 姓名@单位
    unit: str
    due_date: date
    parent_code: str | None = None
    source: str | None = None


class ItemView(NamedTuple):
    """An item with what it takes to show it: owner, unit and its chain of parents. (A
    named tuple: as unchangeable as a frozen dataclass, made in half the time, and a page
    or /待办 makes dozens.)"""

    item: Item
    owner: Person
    unit: Unit
    chain: tuple[Item, ...]


@dataclass(frozen=True, slots=True)
class ItemPage:
    views: list[ItemView]
    page: int
    pages: int
    total: int
    today: date
    viewer_id: int
    everything: bool


@dataclass(frozen=True, slots=True)
class Todo:
    """/待办: one's own items overdue or due soon, and the decisions waiting on one."""

    views: list[ItemView]
    decisions: list[dict[str, Any]]  # bot/services/decisions.py decision_entry
    today: date


#: How /待办 reads the decisions waiting on a person, inside its own read
#: (DecisionService.waiting_in): it may await `tx`'s repositories only (storage/at_once.py)
WaitingIn = Callable[[Tx, Person], Awaitable[list[dict[str, Any]]]]


async def _none_waiting(tx: Tx, person: Person) -> list[dict[str, Any]]:
    return []


@dataclass(frozen=True, slots=True)
class Note:
    """A progress note as the card shows it: when, by whom, what."""

    at: datetime
    author: str | None  # None: someone no longer on record
    text: str


@dataclass(frozen=True, slots=True)
class ItemCard:
    """One item for one viewer: the item, its last notes, and whether the viewer owns it
    (only the owner gets the status buttons)."""

    view: ItemView
    notes: tuple[Note, ...]  # oldest first
    note_count: int
    today: date
    own: bool
    delegation: Delegation | None = None  # its 分解 parent and children, if any


def check_title(text: str, what: str = "title") -> str:
    """An item's title (or, `what` "source", a 来源), cleaned as everywhere
    (bot/domain/text.py): one line of at most TITLE_MAX, nothing invisible."""
    try:
        return clean_title(text, TITLE_MAX)
    except TextRefused as refused:
        raise text_refused(what, text, refused) from None


def parse_date(text: str, today: date) -> date:
    try:
        return parse_due_date(text, today)
    except DateParseError:
        raise InvalidDate(text.strip()) from None


async def find_parent(tx: Tx, kind: ListKind, code: str | None) -> Item | None:
    """The parent named by its code, checked against the 传导 chain."""
    if not code:
        return None
    parent = await tx.items.by_code(code.strip().upper())
    if parent is None:
        raise BadParent("unknown")
    try:
        check_parent(kind, parent)
    except ChainError as exc:
        raise BadParent(exc.reason, exc.expected.value if exc.expected else None) from None
    return parent


class ItemService(ServiceBase):
    def __init__(self, db: Database, clock: Clock,
                 waiting_in: WaitingIn = _none_waiting) -> None:
        super().__init__(db, clock)
        self.waiting_in = waiting_in  # the decisions /待办 shows with the items

    async def create(self, actor: Actor, draft: ItemDraft) -> ItemView:
        if not permissions.can_create_items(actor):
            raise NotAllowed("create_item")
        return await self.change_at_once(actor, lambda tx: self.create_in(tx, actor, draft))

    async def create_in(self, tx: Tx, actor: Actor, draft: ItemDraft) -> ItemView:
        title = check_title(draft.title)
        owner = await resolve_person(tx, draft.owner)
        unit = await resolve_unit(tx, draft.unit)
        parent = await find_parent(tx, draft.kind, draft.parent_code)
        now = self.now()
        item = await tx.items.add(
            kind=draft.kind, title=title, duty=draft.duty, owner_id=owner.id, unit_id=unit.id,
            parent_id=parent.id if parent else None, source=draft.source,
            due_date=draft.due_date, now=now,
        )
        await tx.events.record(
            actor, now, "item.created", "item", item.id, code=item.code, kind=item.kind.value,
            title=title, duty=item.duty.value, owner=owner.name, unit=unit.name,
            parent=parent.code if parent else None, source=draft.source,
            due_date=item.due_date.isoformat(),
        )
        return (await self.views_in(tx, [item]))[0]

    async def my_list(self, person: Person | None, page: int) -> ItemPage:
        """The person's lists in their scope (own; 分管 units; all for 书记/纪委), paged."""
        if person is None:
            raise NotBound()
        today = self.today()

        async def read(tx: Tx) -> ItemPage:  # one round trip (storage/at_once.py)
            units = await tx.units.all()
            scope = permissions.scope_of(person, units)
            shown = max(page, 0)
            items, total = await tx.items.page_with_total(scope, today, shown * PAGE_SIZE,
                                                          PAGE_SIZE)
            if not items and shown > 0:  # past the end (items went since): the last page
                total = await tx.items.count_in_scope(scope)
                shown = max(1, -(-total // PAGE_SIZE)) - 1
                items, total = await tx.items.page_with_total(scope, today, shown * PAGE_SIZE,
                                                              PAGE_SIZE)
            pages = max(1, -(-total // PAGE_SIZE))
            views = await self.views_in(tx, items, units)
            return ItemPage(views=views, page=shown, pages=pages, total=total, today=today,
                            viewer_id=person.id, everything=scope.everything)

        return await self.db.read_at_once(read)

    async def card_by_code(self, actor: Actor, code: str) -> ItemCard:
        """`/我的清单 C0003`: that item's card, if the asker may see it."""
        if actor.person is None:
            raise NotBound()
        typed = code.strip()[:CODE_SHOWN]

        async def read(tx: Tx) -> ItemCard:  # one round trip (storage/at_once.py)
            item = await tx.items.by_code(code.strip().upper())
            if item is None:
                raise UnknownItem(typed)
            return await self._card_in(tx, actor, item, typed)

        return await self.db.read_at_once(read)

    async def card(self, actor: Actor, item_id: int) -> ItemCard:
        """The card again, re-read (after a tap on it)."""
        if actor.person is None:
            raise NotBound()

        async def read(tx: Tx) -> ItemCard:  # one round trip (storage/at_once.py)
            item = await tx.items.get(item_id)
            if item is None:
                raise StaleButton()
            return await self._card_in(tx, actor, item, item.code)

        return await self.db.read_at_once(read)

    async def _card_in(self, tx: Tx, actor: Actor, item: Item, typed: str) -> ItemCard:
        scope = permissions.scope_of(actor.person, await tx.units.all())
        if not scope.covers(item):
            raise OutOfScope(typed)
        view = (await self.views_in(tx, [item]))[0]
        events = await tx.events.latest("item", item.id, "item.note", CARD_NOTES)
        count = await tx.events.count_of("item", item.id, "item.note") if len(
            events) == CARD_NOTES else len(events)
        people = await tx.persons.by_ids({e.actor_person_id for e in events
                                          if e.actor_person_id is not None})
        tz = self.now().tzinfo
        notes = tuple(
            Note(at=e.at.astimezone(tz), author=people[e.actor_person_id].name
                 if e.actor_person_id in people else None, text=str(e.data.get("text", "")))
            for e in reversed(events))
        delegation = await delegation_in(tx, item, self.today())
        return ItemCard(view=view, notes=notes, note_count=count, today=self.today(),
                        own=permissions.can_work_on(actor, item),
                        delegation=delegation if delegation.parent or delegation.children
                        else None)

    async def todo(self, person: Person | None) -> Todo:
        """The person's own active items overdue or due within 14 days, and the decisions
        waiting on them, in one read."""
        if person is None:
            raise NotBound()
        today = self.today()

        async def read(tx: Tx) -> Todo:  # one round trip (storage/at_once.py)
            items = await tx.items.due_for_owner(person.id, today + timedelta(days=TODO_DAYS))
            views = await self.views_in(tx, items, people={person.id: person})
            return Todo(views=views, decisions=await self.waiting_in(tx, person), today=today)

        return await self.db.read_at_once(read)

    async def parent_candidates(self, kind: ListKind, limit: int = 20) -> list[Item]:
        async with self.db.read() as tx:
            return await tx.items.candidates_for_parent(kind, limit)

    async def views_in(self, tx: Tx, items: list[Item],
                       units: Mapping[int, Unit] | None = None,
                       people: Mapping[int, Person] | None = None) -> list[ItemView]:
        """Owners, units and parent chains for a page of items, in a few queries whatever
        the number of items and the depth of their chains (`units`, `people`: read
        already; the owners not among `people` are read)."""
        known: dict[int, Item] = {i.id: i for i in items}
        if any(i.parent_id for i in items):
            known.update(await tx.items.with_ancestors(
                {i.parent_id for i in items if i.parent_id} - known.keys()))
        owners = {i.owner_id for i in items}
        people = people or {}
        if not owners <= people.keys():
            people = {**people, **await tx.persons.by_ids(owners - people.keys())}
        if units is None:
            units = await tx.units.by_ids({i.unit_id for i in items})
        return [ItemView(i, people[i.owner_id], units[i.unit_id], chain)
                for i, chain in zip(items, chains(items, known), strict=True)]
