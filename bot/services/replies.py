"""Answers to pushes (SPEC §5, issue 4): the owner's taps, progress notes, 延期 requests
and their approval, and the 纪委's 销号 / 退回 of a 整改.

Every change goes through the one state machine (bot/domain/transitions.py), is checked
against who is asking (bot/domain/permissions.py) on the item as it is now, and is written
with its event (the 履责纪实) and the notices it sends in one transaction.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime

from bot.clock import Clock
from bot.domain import permissions
from bot.domain.delegation import DelegationProblem, check_close
from bot.domain.model import NOTE_MAX, Actor, Item, ItemStatus, ListKind, Person, Unit
from bot.domain.planner import Recipient
from bot.domain.text import TextRefused, clean_note
from bot.domain.transitions import Action, Transition, TransitionRefused, apply
from bot.services.base import ServiceBase
from bot.services.errors import (
    BadNewDue,
    BadPlanDue,
    CannotNow,
    DelegationRefused,
    NotAllowed,
    NotBound,
    NothingToNote,
    NotYours,
    StaleButton,
    UnknownItem,
    text_refused,
)
from bot.services.notices import item_payload, notify
from storage.db import Database, Tx
from storage.extensions import ExtensionRequest


@dataclass(frozen=True, slots=True)
class FixNotice:
    """A 整改通知 in a chat: its plan and its 整改, as they stand now."""

    chat_id: int
    message_id: int
    items: list[Item]

MAX_NOTE_TARGETS = 24  # a reply to a digest offers at most this many items to pick from


@dataclass(frozen=True, slots=True)
class Changed:
    item: Item  # as it is now
    before: ItemStatus


@dataclass(frozen=True, slots=True)
class Decided:
    request: ExtensionRequest  # as it is now
    item: Item
    requester: Person
    first: bool  # False: somebody decided it before this press
    by: str | None  # who decided it


@dataclass(frozen=True, slots=True)
class PendingExtension:
    """A 延期 request waiting for this approver (/延期审批)."""

    request: ExtensionRequest
    item: Item
    requester: str
    unit: str


def check_text(text: str, what: str) -> str:
    """A note or a reason (`what`), cleaned as everywhere (bot/domain/text.py): trimmed,
    not empty, nothing invisible, at most NOTE_MAX characters; line breaks are kept."""
    try:
        return clean_note(text, NOTE_MAX)
    except TextRefused as refused:
        raise text_refused(what, text, refused) from None


class ReplyService(ServiceBase):
    def __init__(self, db: Database, clock: Clock, admin_ids: frozenset[int]) -> None:
        super().__init__(db, clock)
        self.admin_ids = admin_ids

    # The owner's taps -------------------------------------------------------------------

    async def act(self, actor: Actor, item_id: int, action: Action) -> Changed:
        """进行中 or 已完成 on one's own item (one round trip: storage/at_once.py)."""

        async def write(tx: Tx) -> Changed:
            item = await self.own_item(tx, actor, item_id)
            if action is Action.COMPLETE and item.needs_verification:
                await self._plan_first(tx, item)
            return await self.move_in(tx, actor, item, action)

        return await self.change_at_once(actor, write)

    async def _plan_first(self, tx: Tx, item: Item) -> None:
        """A 整改 is reported done only once its 整改方案 has been signed off."""
        if any(c.status is not ItemStatus.VERIFIED and c.status is not ItemStatus.CANCELLED
               for c in await tx.items.children(item.id)):
            raise CannotNow("plan_first", item.status.value)

    async def visible_item(self, actor: Actor, item_id: int) -> Item:
        """An item this person may see (their own, or in their scope)."""
        if actor.person is None:
            raise NotBound()

        async def read(tx: Tx) -> tuple[Item | None, dict[int, Unit]]:
            return await tx.items.get(item_id), await tx.units.all()

        item, units = await self.db.read_at_once(read)  # one round trip
        scope = permissions.scope_of(actor.person, units)
        if item is None or not scope.covers(item):
            raise StaleButton()
        return item

    async def own_item_by_code(self, actor: Actor, code: str) -> Item:
        async def read(tx: Tx) -> Item:  # one round trip (storage/at_once.py)
            item = await tx.items.by_code(code.strip().upper())
            if item is None or (actor.person and item.owner_id != actor.person.id):
                raise UnknownItem(code.strip())
            return await self.own_item(tx, actor, item.id)

        return await self.db.read_at_once(read)

    async def has_open_items(self, actor: Actor) -> bool:
        return bool(await self.db.read_at_once(
            lambda tx: tx.items.owned_active(actor.person_id, 1)))

    async def may_acknowledge(self, actor: Actor, item_id: int, owner_row: bool) -> None:
        """收到 on the owner's row (a list page, the owner's digest) is the owner's alone,
        even where others see it (a group); a leader's 督促 row is the leader's."""
        if actor.person is None:
            raise NotBound()
        if not owner_row:
            return
        item = await self.db.read_at_once(lambda tx: tx.items.get(item_id))
        if item is None:
            raise StaleButton()
        if not permissions.can_work_on(actor, item):
            raise NotYours()

    @staticmethod
    def check_note(text: str) -> str:
        return check_text(text, "note")

    async def may_work_on(self, actor: Actor, item_id: int, action: Action) -> Item:
        """Check, before a guided step, that the owner may take `action` now."""
        item = await self.db.read_at_once(lambda tx: self.own_item(tx, actor, item_id))
        check_transition(item, action)
        return item

    async def own_item(self, tx: Tx, actor: Actor, item_id: int) -> Item:
        if actor.person is None:
            raise NotBound()
        item = await tx.items.get(item_id)
        if item is None:
            raise StaleButton()
        if not permissions.can_work_on(actor, item):
            raise NotYours()
        return item

    async def move_in(self, tx: Tx, actor: Actor, item: Item, action: Action,
                      previous: ItemStatus | None = None, *, override: bool = False,
                      **data: object) -> Changed:
        """Take `action` on `item` (rights already checked): status, event, 收到, notices.
        An item handed down (分解) is 已完成 only once its children are, or with the
        owner's explicit `override`, recorded as its own event."""
        moved = check_transition(item, action, previous)
        now = self.now()
        if action is Action.COMPLETE:
            await self._children_first(tx, actor, item, override, now)
        await tx.items.set_status(item.id, moved.after, now)
        await tx.events.record(actor, now, "item.status", "item", item.id, code=item.code,
                               action=action.value, to=moved.after.value,
                               **{"from": moved.before.value}, **data)
        if actor.person_id == item.owner_id:  # any answer of the owner's is a 收到
            await tx.reminders.acknowledge(Recipient.person(item.owner_id).key, item.id, now)
        after = dataclasses.replace(item, status=moved.after)
        if moved.after is ItemStatus.PENDING_VERIFICATION:
            await self._ask_verification(tx, after, _once(actor, now))
        return Changed(item=after, before=moved.before)

    async def _children_first(self, tx: Tx, actor: Actor, item: Item, override: bool,
                              now: datetime) -> None:
        """SPEC §11 责任传导: a parent is not 已完成 while a child is open, unless
        overridden; the override names the children it passed over."""
        child_ids = await tx.delegations.children_of(item.id)
        if not child_ids:
            return
        children = (await tx.items.by_ids(child_ids)).values()
        try:
            passed = check_close(children, override)
        except DelegationProblem as problem:
            raise DelegationRefused(problem.field, problem.detail, item.code) from None
        if passed:
            await tx.events.record(actor, now, "item.delegation_override", "item", item.id,
                                   code=item.code, open_children=[c.code for c in passed])

    async def _ask_verification(self, tx: Tx, item: Item, once: str) -> None:
        """A 整改 reported done: every 纪委 member is asked to 销号 or 退回 it (the 书记,
        when its leader is the only 纪委 member)."""
        people = (await tx.persons.all()).values()
        checkers = permissions.rectification_checkers(item, people)
        await notify(tx, checkers, "verify_request", f"{item.id}:{once}",
                     await item_payload(tx, item), self.now())

    # Notes ---------------------------------------------------------------------------

    async def note_targets(self, actor: Actor, item_ids: set[int], codes: set[str]
                           ) -> list[Item]:
        """The items a replied-to message names that this person may write a note on."""
        if actor.person is None:
            raise NotBound()

        async def read(tx: Tx) -> tuple[dict[int, Item], dict[int, Unit]]:  # one round trip
            found = dict(await tx.items.by_ids(list(item_ids)[:MAX_NOTE_TARGETS]))
            for code in sorted(codes)[:MAX_NOTE_TARGETS]:
                item = await tx.items.by_code(code)
                if item is not None:
                    found[item.id] = item
            return found, await tx.units.all()

        found, units = await self.db.read_at_once(read)
        scope = permissions.scope_of(actor.person, units)
        allowed = [i for i in found.values() if permissions.can_note(actor, i, scope)]
        if not allowed:
            raise NothingToNote()
        return sorted(allowed, key=lambda i: (i.due_date, i.id))[:MAX_NOTE_TARGETS]

    async def add_note(self, actor: Actor, item_id: int, text: str) -> Item:
        return await self.change_at_once(
            actor, lambda tx: self.add_note_in(tx, actor, item_id, text))

    async def add_note_in(self, tx: Tx, actor: Actor, item_id: int, text: str) -> Item:
        note = check_text(text, "note")
        if actor.person is None:
            raise NotBound()
        item = await tx.items.get(item_id)
        if item is None:
            raise StaleButton()
        scope = permissions.scope_of(actor.person, await tx.units.all())
        if not permissions.can_note(actor, item, scope):
            raise NotAllowed("note")
        now = self.now()
        await tx.events.record(actor, now, "item.note", "item", item.id, code=item.code,
                               text=note)
        # a note answers the writer's own reminder, the owner's or a leader's 督促
        await tx.reminders.acknowledge(Recipient.person(actor.person.id).key, item.id, now)
        return item

    # 延期 ------------------------------------------------------------------------------

    async def request_extension_in(self, tx: Tx, actor: Actor, item_id: int, new_due: date,
                                   reason_text: str) -> ExtensionRequest:
        reason = check_text(reason_text, "reason")
        item = await self.own_item(tx, actor, item_id)
        check_transition(item, Action.REQUEST_EXTENSION)  # before the request row exists
        await check_new_due_in(tx, item, new_due, self.today())
        now = self.now()
        request = await tx.extensions.add(
            item_id=item.id, requester_id=item.owner_id, old_due=item.due_date, new_due=new_due,
            reason=reason, prev_status=item.status, now=now)
        changed = await self.move_in(tx, actor, item, Action.REQUEST_EXTENSION,
                                   request=request.id)
        await tx.events.record(actor, now, "item.extension_requested", "item", item.id,
                               code=item.code, request=request.id, reason=reason,
                               old_due=item.due_date.isoformat(), new_due=new_due.isoformat())
        approvers = permissions.extension_approvers(item, (await tx.persons.all()).values())
        extra = frozenset() if item.needs_verification else self.admin_ids - {
            actor.telegram_user_id}
        await notify(tx, approvers, "extension_request", str(request.id),
                     await item_payload(tx, changed.item, request=request.id, reason=reason,
                                        new_due=new_due.isoformat()), now, extra)
        return request

    async def decide_extension(self, actor: Actor, request_id: int, approve: bool) -> Decided:
        async def write(tx: Tx) -> Decided:  # one round trip (storage/at_once.py)
            request = await tx.extensions.get(request_id)
            item = await tx.items.get(request.item_id) if request else None
            if request is None or item is None:
                raise StaleButton()
            people = (await tx.persons.all()).values()
            if not permissions.can_decide_extension(actor, item, request.requester_id, people):
                raise NotAllowed("decide_extension")
            requester = await tx.persons.get(request.requester_id)
            if not request.pending:
                return await _decided_before(tx, request, item, requester)
            now = self.now()
            if approve and request.new_due < self.today():
                raise CannotNow("extension_past", item.status.value)
            limit = await plan_limit(tx, item)
            if approve and limit is not None and request.new_due > limit:
                raise CannotNow("plan_after_fix", item.status.value)
            state = "approved" if approve else "rejected"
            await tx.extensions.decide(request.id, state, actor.person_id, now)
            action = Action.APPROVE_EXTENSION if approve else Action.REJECT_EXTENSION
            changed = await self.move_in(tx, actor, item, action, request.prev_status,
                                       request=request.id)
            item = changed.item
            if approve:
                await tx.items.set_due(item.id, request.new_due, now)
                item = dataclasses.replace(item, due_date=request.new_due)
            await tx.events.record(actor, now, "item.extension_decided", "item", item.id,
                                   code=item.code, request=request.id, approved=approve,
                                   old_due=request.old_due.isoformat(),
                                   new_due=request.new_due.isoformat())
            by = actor.person.name if actor.person else "管理员"
            await notify(tx, [requester], "extension_decided", str(request.id),
                         await item_payload(tx, item, approved=approve, by=by,
                                            old_due=request.old_due.isoformat(),
                                            new_due=request.new_due.isoformat()), now)
            request = await tx.extensions.get(request.id)
            return Decided(request, item, requester, first=True, by=by)

        return await self.change_at_once(actor, write)

    async def pending_extensions(self, actor: Actor) -> list[PendingExtension]:
        """/延期审批: the requests waiting that this person may decide, oldest first."""
        if not permissions.may_approve_extensions(actor):
            raise NotAllowed("list_extensions")

        async def read(tx: Tx) -> tuple[list[ExtensionRequest], dict[int, Item],
                                        dict[int, Person], dict[int, Unit]]:
            requests = await tx.extensions.pending()
            return (requests, await tx.items.by_ids([r.item_id for r in requests]),
                    await tx.persons.all(), await tx.units.all())

        requests, items, people, units = await self.db.read_at_once(read)  # one round trip
        found = []
        for request in requests:
            item = items.get(request.item_id)
            if item is None or not permissions.can_decide_extension(
                    actor, item, request.requester_id, people.values()):
                continue
            requester = people.get(request.requester_id)
            unit = units.get(requester.unit_id) if requester else None
            found.append(PendingExtension(request, item, requester.name if requester else "",
                                          unit.name if unit else ""))
        return found

    async def withdraw_extension(self, actor: Actor, request_id: int) -> Decided:
        """撤回申请: the applicant takes back a request not yet decided. The item returns
        to the status it had before; the approvers' buttons then say it was withdrawn."""
        if actor.person is None:
            raise NotBound()

        async def write(tx: Tx) -> Decided:  # one round trip (storage/at_once.py)
            request = await tx.extensions.get(request_id)
            item = await tx.items.get(request.item_id) if request else None
            if request is None or item is None:
                raise StaleButton()
            if actor.person_id != request.requester_id:
                raise NotYours()
            requester = await tx.persons.get(request.requester_id)
            if not request.pending:
                return await _decided_before(tx, request, item, requester)
            now = self.now()
            await tx.extensions.decide(request.id, "withdrawn", actor.person_id, now)
            changed = await self.move_in(tx, actor, item, Action.WITHDRAW_EXTENSION,
                                         request.prev_status, request=request.id)
            await tx.events.record(actor, now, "item.extension_withdrawn", "item", item.id,
                                   code=item.code, request=request.id,
                                   old_due=request.old_due.isoformat(),
                                   new_due=request.new_due.isoformat())
            request = await tx.extensions.get(request.id)
            return Decided(request, changed.item, requester, first=True, by=requester.name)

        return await self.change_at_once(actor, write)

    # 验收销号 ---------------------------------------------------------------------------

    async def may_check(self, actor: Actor, item_id: int, action: Action) -> Item:
        """Check, before asking for a 退回 reason, that this 纪委 member may do it now."""
        item = await self.db.read_at_once(lambda tx: self._checked_item(tx, actor, item_id))
        check_transition(item, action)
        return item

    async def verify(self, actor: Actor, item_id: int) -> Changed:
        async def write(tx: Tx) -> Changed:  # one round trip (storage/at_once.py)
            item = await self._checked_item(tx, actor, item_id)
            changed = await self.move_in(tx, actor, item, Action.VERIFY)
            await notify(tx, [await tx.persons.get(item.owner_id)], "item_verified",
                         str(item.id), await item_payload(tx, changed.item, by=actor.person.name),
                         self.now())
            return changed

        return await self.change_at_once(actor, write)

    async def fix_notices(self, item: Item) -> list[FixNotice]:
        """The 整改通知 sent for this 整改 (or the one whose 整改方案 it is), with the
        items they carry as they stand now: redrawn after a 验收, so that the owner's
        notice no longer offers what is done."""
        if item.kind is not ListKind.RECTIFICATION:
            return []
        async with self.db.read() as tx:
            sent = []
            for main in {item.id, item.parent_id} - {None}:
                sent += await tx.outbox.sent_telegram(f"rectification_assigned:{main}:")
            found = []
            for chat_id, message_id, payload in sent:
                ids = [payload["plan"]["item"], payload["item"]]
                items = dict(await tx.items.by_ids(ids))
                if all(i in items for i in ids):
                    found.append(FixNotice(chat_id, message_id, [items[i] for i in ids]))
        return found

    async def send_back_in(self, tx: Tx, actor: Actor, item_id: int, reason_text: str
                           ) -> Changed:
        reason = check_text(reason_text, "reason")
        item = await self._checked_item(tx, actor, item_id)
        changed = await self.move_in(tx, actor, item, Action.RETURN, reason=reason)
        await notify(tx, [await tx.persons.get(item.owner_id)], "item_returned",
                     f"{item.id}:{_once(actor, self.now())}",
                     await item_payload(tx, changed.item, by=actor.person.name, reason=reason),
                     self.now())
        return changed

    async def _checked_item(self, tx: Tx, actor: Actor, item_id: int) -> Item:
        if actor.person is None:
            raise NotAllowed("verify")
        item = await tx.items.get(item_id)
        if item is None:
            raise StaleButton()
        if not permissions.can_verify(actor, item, (await tx.persons.all()).values()):
            raise NotAllowed("verify")
        return item


def check_new_due(item: Item, new_due: date, today: date, limit: date | None = None) -> None:
    """A 延期 goes later than the present due date, and not to a day already past; a
    整改方案's not past the completion date of its 整改 (`limit`)."""
    if new_due <= item.due_date or new_due < today:
        raise BadNewDue(new_due.isoformat(), max(item.due_date, today).isoformat())
    if limit is not None and new_due > limit:
        raise BadPlanDue(new_due.isoformat(), limit.isoformat())


async def plan_limit(tx: Tx, item: Item) -> date | None:
    """The completion date of the 整改 a 整改方案 belongs to: its plan may not end later."""
    if item.kind is not ListKind.RECTIFICATION or item.parent_id is None:
        return None
    fix = await tx.items.get(item.parent_id)
    return fix.due_date if fix is not None else None


async def check_new_due_in(tx: Tx, item: Item, new_due: date, today: date) -> None:
    """check_new_due, with the completion date of the 整改 a 整改方案 belongs to; and an
    item handed down (分解) not later than the item it was handed down from."""
    check_new_due(item, new_due, today, await plan_limit(tx, item))
    parent_id = await tx.delegations.parent_of(item.id)
    parent = await tx.items.get(parent_id) if parent_id is not None else None
    if parent is not None and new_due > parent.due_date:
        raise DelegationRefused("due", parent.due_date.isoformat(), parent.code)


def _once(actor: Actor, now: datetime) -> str:
    """What makes a notice about a repeatable step (done again after 退回) its own: the
    Telegram update that caused it, or the moment for a change made elsewhere."""
    return f"u{actor.update_id}" if actor.update_id is not None else now.isoformat()


def check_transition(item: Item, action: Action, previous: ItemStatus | None = None
                     ) -> Transition:
    """The move the state machine allows, or CannotNow with its reason."""
    try:
        return apply(item, action, previous)
    except TransitionRefused as refused:
        raise CannotNow(refused.reason.value, item.status.value) from None


async def _decided_before(tx: Tx, request: ExtensionRequest, item: Item,
                          requester: Person | None) -> Decided:
    """A request someone already decided (or withdrew): who did, and nothing changes."""
    decider = await tx.persons.get(request.decided_by) if request.decided_by else None
    return Decided(request, item, requester, first=False, by=decider.name if decider else None)
