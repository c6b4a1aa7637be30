"""Guided flows: one question at a time, answered by a button or by typing.

A flow half-way through lives in the `conversations` table, so it survives a restart.
Buttons carry only the step's nonce and an option index; the options themselves are
kept on the server, and every answer is re-checked, so callback data is never trusted.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Any, ClassVar

from bot.clock import Clock
from bot.domain import permissions
from bot.domain.display import clip
from bot.domain.model import RECTIFICATION_SOURCES, Actor, GroupKind, ListKind, Role
from bot.domain.vocabulary import (
    DUTY_NAMES,
    GROUP_KIND_NAMES,
    KIND_NAMES,
    LIST_NAMES,
    ROLE_NAMES,
    parse_term,
    problem_sources,
    split_words,
)
from bot.services.base import ServiceBase
from bot.services.errors import (
    BadPlanDue,
    CannotNow,
    EmptyText,
    NotAllowed,
    NotYours,
    ServiceError,
    StaleButton,
    UnknownTerm,
)
from bot.services.groups import GroupService
from bot.services.items import ItemDraft, ItemService, check_title, find_parent, parse_date
from bot.services.people import (
    PeopleService,
    RegistrationDraft,
    check_name,
    parse_roles,
    resolve_person,
    resolve_unit,
)
from bot.services.rectifications import RectificationDraft, RectificationService
from storage.db import Database, Tx

FLOW_TTL = timedelta(hours=24)
_INDEX = re.compile(r"0|[1-9][0-9]?", re.ASCII)  # an option's index, as the buttons carry it
MAX_BUTTONS = 24  # more choices than this are typed, not tapped


class StepKind(StrEnum):
    TEXT = "text"
    CHOICE = "choice"
    MULTI = "multi"


@dataclass(frozen=True)
class Step:
    key: str
    kind: StepKind
    optional: bool = False
    when: Callable[[dict[str, Any]], bool] = lambda answers: True


@dataclass
class FlowState:
    flow: str
    step: str
    answers: dict[str, Any] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)  # how each answer reads
    options: list[list[str]] = field(default_factory=list)  # [value, label]
    picked: list[str] = field(default_factory=list)
    nonce: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FlowState:
        return cls(**data)


@dataclass(frozen=True)
class FlowPrompt:
    """Ask the next question (or the same one again, after `error`)."""

    state: FlowState
    kind: StepKind
    optional: bool
    typed_only: bool  # too many choices for buttons
    error: ServiceError | None = None


@dataclass(frozen=True)
class FlowDone:
    flow: str
    result: Any


@dataclass(frozen=True)
class FlowCancelled:
    flow: str


FlowOutcome = FlowPrompt | FlowDone | FlowCancelled


class FlowSpec:
    """One guided flow: its steps, their choices, how typed answers read, how it ends.

    `options`, `parse_text` and `finish` run inside the answer's one round trip to the
    database (FlowService: `change_at_once`, storage/at_once.py): they may await `tx`'s
    repositories and functions that await nothing else (the services' `*_in(tx, …)`), never
    a service's own read or change, a sleep or a message sent (on SQLite that is refused
    with an error when it runs)."""

    name: str
    action: str  # for NotAllowed
    steps: ClassVar[tuple[Step, ...]]

    def allowed(self, actor: Actor) -> bool:
        raise NotImplementedError

    async def options(self, tx: Tx, step: Step, state: FlowState) -> list[list[str]]:
        return []

    async def parse_text(self, tx: Tx, step: Step, text: str, state: FlowState) -> tuple[Any, str]:
        """A typed answer: for a choice, the option whose label or value it matches."""
        word = text.strip()
        for value, label in state.options:
            if word in (value, label):
                return ([value] if step.kind is StepKind.MULTI else value), label
        raise UnknownTerm(word, [label for _, label in state.options])

    async def finish(self, tx: Tx, actor: Actor, state: FlowState) -> Any:
        raise NotImplementedError


_FIX = ListKind.RECTIFICATION.value


def _is_fix(answers: dict[str, Any]) -> bool:
    return answers.get("kind") == _FIX


class RegisterFlow(FlowSpec):
    name = "register"
    action = "register"
    steps: ClassVar[tuple[Step, ...]] = (
        Step("name", StepKind.TEXT),
        Step("roles", StepKind.MULTI),
        Step("unit", StepKind.CHOICE),
        Step("oversees", StepKind.MULTI, optional=True,
             when=lambda a: Role.MEMBER.value in a.get("roles", [])),
    )

    def __init__(self, people: PeopleService) -> None:
        self.people = people

    def allowed(self, actor: Actor) -> bool:
        return permissions.can_register_people(actor)

    async def options(self, tx: Tx, step: Step, state: FlowState) -> list[list[str]]:
        if step.key == "roles":
            return [[r.value, name] for r, name in ROLE_NAMES.items()]
        if step.key in ("unit", "oversees"):
            return [[u.name, u.name] for u in (await tx.units.all()).values()]
        return []

    async def parse_text(self, tx: Tx, step: Step, text: str, state: FlowState) -> tuple[Any, str]:
        if step.key == "name":
            name = check_name(text, "person")
            return name, name
        if step.key == "roles":
            roles = parse_roles(text)
            return sorted(r.value for r in roles), "、".join(ROLE_NAMES[r] for r in roles)
        if step.key == "unit":
            unit = await resolve_unit(tx, text)
            return unit.name, unit.name
        if step.key == "oversees":
            names = [(await resolve_unit(tx, w)).name for w in split_words(text)]
            if not names:
                raise EmptyText()
            return names, "、".join(names)
        return await super().parse_text(tx, step, text, state)

    async def finish(self, tx: Tx, actor: Actor, state: FlowState) -> Any:
        a = state.answers
        draft = RegistrationDraft(
            name=a["name"],
            roles=frozenset(Role(r) for r in a["roles"]),
            unit_name=a["unit"],
            oversees_names=tuple(a.get("oversees") or ()),
        )
        return await self.people.register_in(tx, actor, draft)


class NewItemFlow(FlowSpec):
    name = "new_item"
    action = "create_item"
    steps: ClassVar[tuple[Step, ...]] = (
        Step("kind", StepKind.CHOICE),
        Step("title", StepKind.TEXT),
        Step("duty", StepKind.CHOICE, when=lambda a: not _is_fix(a)),
        Step("owner", StepKind.CHOICE),
        Step("unit", StepKind.CHOICE, when=lambda a: not _is_fix(a)),
        Step("parent", StepKind.CHOICE, optional=True,
             when=lambda a: a.get("kind") not in (ListKind.PROBLEM.value, _FIX)),
        Step("source", StepKind.CHOICE, optional=True, when=lambda a: not _is_fix(a)),
        Step("found_by", StepKind.CHOICE, when=_is_fix),
        Step("plan_due", StepKind.TEXT, when=_is_fix),
        Step("due", StepKind.TEXT),
        Step("confirm", StepKind.CHOICE),
    )

    def __init__(self, items: ItemService, fixes: RectificationService) -> None:
        self.items = items
        self.fixes = fixes

    def allowed(self, actor: Actor) -> bool:
        return permissions.can_create_items(actor)

    async def options(self, tx: Tx, step: Step, state: FlowState) -> list[list[str]]:
        if step.key == "kind":
            kinds = [[k.value, name] for k, name in LIST_NAMES.items()]
            if state.answers.get("may_fix"):  # set on start, for 纪委 members only
                kinds.append([_FIX, KIND_NAMES[ListKind.RECTIFICATION]])
            return kinds
        if step.key == "duty":
            return [[d.value, name] for d, name in DUTY_NAMES.items()]
        if step.key == "owner":
            people = list((await tx.persons.all()).values())
            units = await tx.units.all()
            return [[f"{p.name}@{units[p.unit_id].name}", f"{p.name}（{units[p.unit_id].name}）"]
                    for p in people]
        if step.key == "unit":
            return [[u.name, u.name] for u in (await tx.units.all()).values()]
        if step.key == "parent":
            parent_kind = (
                ListKind.PROBLEM
                if state.answers["kind"] == ListKind.RESPONSIBILITY.value
                else ListKind.RESPONSIBILITY
            )
            candidates = await tx.items.candidates_for_parent(parent_kind, MAX_BUTTONS)
            return [[i.code, f"{i.code} {short(i.title)}"] for i in candidates]
        if step.key == "source":
            return [[s, s] for s in problem_sources()]
        if step.key == "found_by":
            return [[s, s] for s in RECTIFICATION_SOURCES]
        if step.key == "confirm":
            return [["yes", "确认创建"]]
        return []

    async def parse_text(self, tx: Tx, step: Step, text: str, state: FlowState) -> tuple[Any, str]:
        if step.key == "kind":
            names = {v: label for v, label in state.options}
            kind = parse_term(text, KIND_NAMES)
            if kind is None or kind.value not in names:
                raise UnknownTerm(text.strip(), list(names.values()))
            return kind.value, names[kind.value]
        if step.key == "duty":
            duty = parse_term(text, DUTY_NAMES)
            if duty is None:
                raise UnknownTerm(text.strip(), list(DUTY_NAMES.values()))
            return duty.value, DUTY_NAMES[duty]
        if step.key == "title":
            title = check_title(text)
            return title, title
        if step.key == "owner":
            person = await resolve_person(tx, text)
            unit = (await tx.units.all())[person.unit_id]
            return f"{person.name}@{unit.name}", f"{person.name}（{unit.name}）"
        if step.key == "unit":
            unit = await resolve_unit(tx, text)
            return unit.name, unit.name
        if step.key == "parent":
            parent = await find_parent(tx, ListKind(state.answers["kind"]), text)
            return parent.code, f"{parent.code} {short(parent.title)}"
        if step.key in ("source", "found_by"):
            source = check_title(text, "source")[:40]
            return source, source
        if step.key in ("due", "plan_due"):
            due = parse_date(text, self.items.today())
            plan_due = state.answers.get("plan_due")
            if step.key == "due" and plan_due and due.isoformat() < plan_due:
                raise BadPlanDue(plan_due, due.isoformat())
            return due.isoformat(), due.isoformat()
        return await super().parse_text(tx, step, text, state)

    async def finish(self, tx: Tx, actor: Actor, state: FlowState) -> Any:
        a = state.answers
        if _is_fix(a):
            return await self.fixes.create_in(tx, actor, RectificationDraft(
                title=a["title"], leader=a["owner"], source=a["found_by"],
                plan_due=date.fromisoformat(a["plan_due"]), due=date.fromisoformat(a["due"])))
        draft = ItemDraft(
            kind=ListKind(a["kind"]),
            title=a["title"],
            duty=parse_term(a["duty"], DUTY_NAMES),
            owner=a["owner"],
            unit=a["unit"],
            due_date=date.fromisoformat(a["due"]),
            parent_code=a.get("parent"),
            source=a.get("source"),
        )
        return await self.items.create_in(tx, actor, draft)


class BindGroupFlow(FlowSpec):
    name = "bind_group"
    action = "bind_group"
    steps: ClassVar[tuple[Step, ...]] = (
        Step("kind", StepKind.CHOICE),
        Step("unit", StepKind.CHOICE, when=lambda a: a.get("kind") == GroupKind.UNIT.value),
    )

    def __init__(self, groups: GroupService) -> None:
        self.groups = groups

    def allowed(self, actor: Actor) -> bool:
        return permissions.can_bind_groups(actor)

    async def options(self, tx: Tx, step: Step, state: FlowState) -> list[list[str]]:
        if step.key == "kind":
            return [[k.value, name] for k, name in GROUP_KIND_NAMES.items()]
        return [[u.name, u.name] for u in (await tx.units.all()).values()]

    async def finish(self, tx: Tx, actor: Actor, state: FlowState) -> Any:
        a = state.answers
        return await self.groups.bind_in(
            tx, actor, a["chat_id"], a["title"], GroupKind(a["kind"]), a.get("unit")
        )


def short(text: str, limit: int = 16) -> str:
    return clip(text, limit)


class FlowService(ServiceBase):
    def __init__(self, db: Database, clock: Clock, specs: list[FlowSpec]) -> None:
        super().__init__(db, clock)
        self.specs = {s.name: s for s in specs}

    async def start(
        self, actor: Actor, chat_id: int, flow: str, preset: dict[str, Any] | None = None,
        labels: dict[str, str] | None = None,
    ) -> FlowOutcome:
        """Begin a flow (replacing any other this user had in this chat); `preset`
        answers steps in advance, `labels` says how they read in the prompt."""
        spec = self.specs[flow]
        if not spec.allowed(actor):
            raise NotAllowed(spec.action)
        state = FlowState(flow=flow, step="", answers=dict(preset or {}),
                          labels=dict(labels or {}))
        return await self.change_at_once(  # one round trip, as an answer (FlowSpec)
            actor, lambda tx: self._advance(tx, actor, chat_id, spec, state, from_index=0))

    async def active(self, actor: Actor, chat_id: int) -> FlowState | None:
        return await self.db.read_at_once(
            lambda tx: self._load(tx, chat_id, actor.telegram_user_id))

    async def answer_text(self, actor: Actor, chat_id: int, text: str) -> FlowOutcome | None:
        """A typed answer; None if this user has no flow here."""
        return await self._answer(actor, chat_id, nonce=None, code=None, text=text)

    async def answer_button(
        self, actor: Actor, chat_id: int, nonce: str, code: str
    ) -> FlowOutcome:
        outcome = await self._answer(actor, chat_id, nonce=nonce, code=code, text=None)
        if outcome is None:
            raise StaleButton()
        return outcome

    async def cancel(self, actor: Actor, chat_id: int) -> FlowCancelled | None:
        async def write(tx: Tx) -> FlowCancelled | None:  # one round trip (storage/at_once.py)
            state = await self._load(tx, chat_id, actor.telegram_user_id)
            if state is None:
                return None
            await tx.conversations.delete(chat_id, actor.telegram_user_id)
            return FlowCancelled(state.flow)

        return await self.change_at_once(actor, write)

    async def _answer(
        self, actor: Actor, chat_id: int, nonce: str | None, code: str | None, text: str | None
    ) -> FlowOutcome | None:
        state = await self.db.read_at_once(
            lambda tx: self._load(tx, chat_id, actor.telegram_user_id))
        if state is None:
            return None
        if nonce is not None and nonce != state.nonce:
            raise StaleButton()
        if code == "x":
            return await self.cancel(actor, chat_id)
        spec = self.specs[state.flow]
        step = _step(spec, state.step)
        if not spec.allowed(actor):
            await self._end(actor, chat_id)
            raise NotAllowed(spec.action)

        async def answer(tx: Tx) -> FlowOutcome:  # one round trip (storage/at_once.py)
            value, label, done = await self._read_answer(tx, spec, step, state, code, text)
            if not done:  # a toggle in a multi-choice: same step, new nonce
                state.nonce = secrets.token_hex(4)
                await tx.conversations.put(
                    chat_id, actor.telegram_user_id, asdict(state), self.clock.now()
                )
                return _prompt(spec, step, state)
            if value is not None:
                state.answers[step.key] = value
                state.labels[step.key] = label
            index = [s.key for s in spec.steps].index(step.key) + 1
            return await self._advance(tx, actor, chat_id, spec, state, from_index=index)

        try:
            return await self.change_at_once(actor, answer)
        except StaleButton:
            raise  # a button from an older step, or forged: the flow goes on
        except (NotAllowed, NotYours, CannotNow):
            # the thing itself cannot be done (any more): the flow ends, nothing was saved
            await self._end(actor, chat_id)
            raise
        except ServiceError as error:
            return _prompt(spec, step, state, error)

    async def _end(self, actor: Actor, chat_id: int) -> None:
        """The flow ends without its work done."""
        await self.change_at_once(
            actor, lambda tx: tx.conversations.delete(chat_id, actor.telegram_user_id))

    async def _read_answer(
        self, tx: Tx, spec: FlowSpec, step: Step, state: FlowState,
        code: str | None, text: str | None,
    ) -> tuple[Any, str, bool]:
        """(value, label, step finished)."""
        if text is not None:
            if not text.strip():
                raise EmptyText()
            if step.optional and text.strip() in ("跳过", "无", "skip"):
                return None, "", True
            value, label = await spec.parse_text(tx, step, text, state)
            return value, label, True
        if code == "skip" and step.optional:
            return None, "", True
        if code == "ok" and step.kind is StepKind.MULTI:
            if not state.picked and not step.optional:
                raise EmptyText()
            labels = dict(map(tuple, state.options))
            return list(state.picked), "、".join(labels[v] for v in state.picked), True
        if code is None or not _INDEX.fullmatch(code) or int(code) >= len(state.options):
            raise StaleButton()
        value, label = state.options[int(code)]
        if step.kind is StepKind.MULTI:
            if value in state.picked:
                state.picked.remove(value)
            else:
                state.picked.append(value)
            return None, "", False
        return value, label, True

    async def _advance(
        self, tx: Tx, actor: Actor, chat_id: int, spec: FlowSpec, state: FlowState,
        from_index: int,
    ) -> FlowOutcome:
        step = _first_asked(spec, state, from_index)
        if step is not None:
            state.step = step.key
            state.picked = []
            state.options = await spec.options(tx, step, state)
            state.nonce = secrets.token_hex(4)
            await tx.conversations.put(
                chat_id, actor.telegram_user_id, asdict(state), self.clock.now()
            )
            return _prompt(spec, step, state)
        result = await spec.finish(tx, actor, state)
        await tx.conversations.delete(chat_id, actor.telegram_user_id)
        return FlowDone(spec.name, result)

    async def _load(self, tx: Tx, chat_id: int, user_id: int | None) -> FlowState | None:
        if user_id is None:
            return None
        found = await tx.conversations.get(chat_id, user_id)
        if found is None:
            return None
        data, updated_at = found
        if self.clock.now() - updated_at > FLOW_TTL:
            return None
        return FlowState.from_dict(data)


def _first_asked(spec: FlowSpec, state: FlowState, from_index: int) -> Step | None:
    """The first step from `from_index` on still to be asked (None: the flow is done):
    one answered in advance (a preset) or not asked in this case is passed over."""
    return next((step for step in spec.steps[from_index:]
                 if step.key not in state.answers and step.when(state.answers)), None)


def _step(spec: FlowSpec, key: str) -> Step:
    return next(s for s in spec.steps if s.key == key)


def _prompt(
    spec: FlowSpec, step: Step, state: FlowState, error: ServiceError | None = None
) -> FlowPrompt:
    return FlowPrompt(
        state=state,
        kind=step.kind,
        optional=step.optional,
        typed_only=len(state.options) > MAX_BUTTONS,
        error=error,
    )
