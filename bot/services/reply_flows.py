"""The guided steps of answering: /汇报, a 延期 request, a 退回 reason, which item a
reply is about, recording a talk held, and setting an ad-hoc talk."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, ClassVar

from bot.domain import permissions
from bot.domain.dates import DateParseError, FutureDateError, parse_past_date
from bot.domain.letters import Answer
from bot.domain.model import Actor, Item
from bot.domain.transitions import Action, owner_actions
from bot.services.errors import FutureDate, InvalidDate, StaleButton, UnknownTerm
from bot.services.flows import MAX_BUTTONS, FlowSpec, FlowState, Step, StepKind, short
from bot.services.items import parse_date
from bot.services.letters import LetterService
from bot.services.people import resolve_person
from bot.services.replies import Changed, ReplyService, check_new_due_in, check_text
from bot.services.talks import TalkService, talk_kind
from storage.db import Tx

KEEP = "keep"  # /汇报: leave the status as it is
_STATUS_CHOICES = {Action.START.value: "进行中", Action.COMPLETE.value: "已完成", KEEP: "状态不变"}


def _bound(actor: Actor) -> bool:
    return actor.person is not None


@dataclass(frozen=True, slots=True)
class Reported:
    item: Item
    changed: Changed | None
    noted: bool


async def _item(tx: Tx, state: FlowState) -> Item:
    item = await tx.items.get(int(state.answers["item"]))
    if item is None:
        raise StaleButton()
    return item


def _item_option(item: Item) -> list[str]:
    return [str(item.id), f"{item.code} {short(item.title)}"]


class ReportFlow(FlowSpec):
    """/汇报: pick one's item, set its status, add a note: three steps at most."""

    name = "report"
    action = "report"
    steps: ClassVar[tuple[Step, ...]] = (
        Step("item", StepKind.CHOICE),
        Step("status", StepKind.CHOICE),
        Step("note", StepKind.TEXT, optional=True),
    )

    def __init__(self, replies: ReplyService) -> None:
        self.replies = replies

    def allowed(self, actor: Actor) -> bool:
        return _bound(actor)

    async def options(self, tx: Tx, step: Step, state: FlowState) -> list[list[str]]:
        if step.key == "item":
            owner = int(state.answers["owner"])
            return [_item_option(i) for i in await tx.items.owned_active(owner, MAX_BUTTONS)]
        if step.key == "status":
            item = await _item(tx, state)
            actions = {a.value for a in owner_actions(item.status)}
            if item.is_talk:  # a talk is closed by recording it, with its date (/约谈)
                actions.discard(Action.COMPLETE.value)
            return [[v, label] for v, label in _STATUS_CHOICES.items() if v in actions or v == KEEP]
        return []

    async def parse_text(self, tx: Tx, step: Step, text: str, state: FlowState) -> tuple[Any, str]:
        if step.key == "item":  # a typed code, e.g. C0003
            item = await tx.items.by_code(text.strip().upper())
            if item is not None and item.owner_id == int(state.answers["owner"]):
                return str(item.id), _item_option(item)[1]
        if step.key == "note":
            note = check_text(text, "note")
            return note, note
        return await super().parse_text(tx, step, text, state)

    async def finish(self, tx: Tx, actor: Actor, state: FlowState) -> Any:
        item = await self.replies.own_item(tx, actor, int(state.answers["item"]))
        changed = None
        if state.answers["status"] != KEEP:
            changed = await self.replies.move_in(tx, actor, item, Action(state.answers["status"]))
            item = changed.item
        note = state.answers.get("note")
        if note:
            await self.replies.add_note_in(tx, actor, item.id, note)
        return Reported(item=item, changed=changed, noted=bool(note))


class ExtensionFlow(FlowSpec):
    """申请延期: the new date, then the reason; the approver decides with one tap."""

    name = "extension"
    action = "extension"
    steps: ClassVar[tuple[Step, ...]] = (
        Step("due", StepKind.TEXT),
        Step("reason", StepKind.TEXT),
    )

    def __init__(self, replies: ReplyService) -> None:
        self.replies = replies

    def allowed(self, actor: Actor) -> bool:
        return _bound(actor)

    async def parse_text(self, tx: Tx, step: Step, text: str, state: FlowState) -> tuple[Any, str]:
        if step.key == "due":
            due = parse_date(text, self.replies.today())
            await check_new_due_in(tx, await _item(tx, state), due, self.replies.today())
            return due.isoformat(), due.isoformat()
        reason = check_text(text, "reason")
        return reason, reason

    async def finish(self, tx: Tx, actor: Actor, state: FlowState) -> Any:
        a = state.answers
        request = await self.replies.request_extension_in(
            tx, actor, int(a["item"]), date.fromisoformat(a["due"]), a["reason"])
        return request, await _item(tx, state)


class SendBackFlow(FlowSpec):
    """退回: the 纪委 member says why the 整改 is not done yet."""

    name = "send_back"
    action = "verify"
    steps: ClassVar[tuple[Step, ...]] = (Step("reason", StepKind.TEXT),)

    def __init__(self, replies: ReplyService) -> None:
        self.replies = replies

    def allowed(self, actor: Actor) -> bool:
        return permissions.may_check_rectifications(actor)  # the item's own check follows

    async def parse_text(self, tx: Tx, step: Step, text: str, state: FlowState) -> tuple[Any, str]:
        reason = check_text(text, "reason")
        return reason, reason

    async def finish(self, tx: Tx, actor: Actor, state: FlowState) -> Any:
        return await self.replies.send_back_in(tx, actor, int(state.answers["item"]),
                                               state.answers["reason"])


class NoteFlow(FlowSpec):
    """A reply to a message about several items: which one is the note for?"""

    name = "note"
    action = "note"
    steps: ClassVar[tuple[Step, ...]] = (Step("item", StepKind.CHOICE),)

    def __init__(self, replies: ReplyService) -> None:
        self.replies = replies

    def allowed(self, actor: Actor) -> bool:
        return _bound(actor)

    async def options(self, tx: Tx, step: Step, state: FlowState) -> list[list[str]]:
        found = await tx.items.by_ids(int(i) for i in state.answers["candidates"])
        return [_item_option(i) for i in sorted(found.values(), key=lambda i: i.id)]

    async def parse_text(self, tx: Tx, step: Step, text: str, state: FlowState) -> tuple[Any, str]:
        code = text.strip().upper()
        for value, label in state.options:
            if label.split(" ", 1)[0] == code:
                return value, label
        return await super().parse_text(tx, step, text, state)

    async def finish(self, tx: Tx, actor: Actor, state: FlowState) -> Any:
        return await self.replies.add_note_in(tx, actor, int(state.answers["item"]),
                                              state.answers["text"])


class TalkRecordFlow(FlowSpec):
    """登记谈话: when it was held, what kind of talk, a short note."""

    name = "talk_record"
    action = "record_talk"
    steps: ClassVar[tuple[Step, ...]] = (
        Step("held_on", StepKind.CHOICE),
        Step("talk", StepKind.CHOICE),
        Step("note", StepKind.TEXT, optional=True),
    )

    def __init__(self, talks: TalkService) -> None:
        self.talks = talks

    def allowed(self, actor: Actor) -> bool:
        return _bound(actor)

    async def options(self, tx: Tx, step: Step, state: FlowState) -> list[list[str]]:
        if step.key == "held_on":
            today = self.talks.today()
            return [[today.isoformat(), "今天"],
                    [(today - timedelta(days=1)).isoformat(), "昨天"]]
        if step.key == "talk":
            item = await _item(tx, state)
            first = next((k for k in self.talks.kinds if k in item.title), None)
            kinds = sorted(self.talks.kinds, key=lambda k: k != first)  # the item's own kind first
            return [[k, k] for k in kinds]
        return []

    async def parse_text(self, tx: Tx, step: Step, text: str, state: FlowState) -> tuple[Any, str]:
        if step.key == "held_on":
            try:
                held = parse_past_date(text, self.talks.today())
            except FutureDateError:
                raise FutureDate(text.strip()) from None
            except DateParseError:
                if text.strip() in ("今天", "昨天"):
                    return await super().parse_text(tx, step, text, state)
                raise InvalidDate(text.strip()) from None
            return held.isoformat(), held.isoformat()
        if step.key == "talk":
            kind = talk_kind(text, self.talks.kinds)
            return kind, kind
        note = check_text(text, "note")
        return note, note

    async def finish(self, tx: Tx, actor: Actor, state: FlowState) -> Any:
        a = state.answers
        return await self.talks.record_in(tx, actor, int(a["item"]),
                                          date.fromisoformat(a["held_on"]), a["talk"],
                                          a.get("note"))


class TalkScheduleFlow(FlowSpec):
    """安排约谈: with whom, which kind, by when; the one who sets it holds it."""

    name = "talk_schedule"
    action = "schedule_talk"
    steps: ClassVar[tuple[Step, ...]] = (
        Step("person", StepKind.CHOICE),
        Step("talk", StepKind.CHOICE),
        Step("due", StepKind.TEXT),
    )

    def __init__(self, talks: TalkService) -> None:
        self.talks = talks

    def allowed(self, actor: Actor) -> bool:
        return permissions.can_schedule_talks(actor)

    async def options(self, tx: Tx, step: Step, state: FlowState) -> list[list[str]]:
        if step.key == "person":
            units = await tx.units.all()
            me = int(state.answers["holder"])
            return [[f"{p.name}@{units[p.unit_id].name}", f"{p.name}（{units[p.unit_id].name}）"]
                    for p in (await tx.persons.all()).values() if p.id != me]
        if step.key == "talk":
            return [[k, k] for k in self.talks.kinds]
        return []

    async def parse_text(self, tx: Tx, step: Step, text: str, state: FlowState) -> tuple[Any, str]:
        if step.key == "person":
            person = await resolve_person(tx, text)
            if person.id == int(state.answers["holder"]):
                raise UnknownTerm(text.strip(), [label for _, label in state.options][:5])
            unit = (await tx.units.all())[person.unit_id]
            return f"{person.name}@{unit.name}", f"{person.name}（{unit.name}）"
        if step.key == "talk":
            kind = talk_kind(text, self.talks.kinds)
            return kind, kind
        due = parse_date(text, self.talks.today())
        return due.isoformat(), due.isoformat()

    async def finish(self, tx: Tx, actor: Actor, state: FlowState) -> Any:
        a = state.answers
        return await self.talks.schedule_in(tx, actor, a["person"], a["talk"],
                                            date.fromisoformat(a["due"]))


class ReconcileReasonFlow(FlowSpec):
    """对账 未完成: the holder says why (the 未完成 button asks; the line is preset)."""

    name = "reconcile_reason"
    action = "reconcile"
    steps: ClassVar[tuple[Step, ...]] = (Step("reason", StepKind.TEXT),)

    def __init__(self, letters: LetterService) -> None:
        self.letters = letters

    def allowed(self, actor: Actor) -> bool:
        return _bound(actor)  # the line's own check follows

    async def parse_text(self, tx: Tx, step: Step, text: str, state: FlowState) -> tuple[Any, str]:
        reason = check_text(text, "reason")
        return reason, reason

    async def finish(self, tx: Tx, actor: Actor, state: FlowState) -> Any:
        line_id = int(state.answers["line"])
        view = await self.letters.answer_in(tx, actor, line_id, Answer.UNDONE,
                                            state.answers["reason"])
        return view, line_id
